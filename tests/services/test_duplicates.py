"""Likely duplicates on arrival: same category, nearby, recent, still open."""

from __future__ import annotations

from liveroom.access import SYSTEM
from liveroom.commands.incidents import change_status, report_incident
from liveroom.domain.lifecycle import Status
from tests.conftest import drain

METRE = 1 / 111_320  # degrees of latitude


def report(room, point, category="sampah-menumpuk", north_m=0.0):
    return report_incident(room, category=category, lat=point[0] + north_m * METRE,
                           lon=point[1], source="t", by=SYSTEM)


def test_a_second_report_nearby_is_linked_to_the_first(room, tangerang_point):
    first = report(room, tangerang_point)
    drain(room)
    second = report(room, tangerang_point, north_m=30)
    assert second.id != first.id  # the citizen still gets a tracking number
    assert (second.status, second.duplicate_of) == (Status.DUPLICATE, first.id)
    drain(room)
    assert room.redis.hget(room.keys.view("incident", second.id), "duplicate_of") == first.id
    assert room.redis.zrange(room.keys.view("queue", "kebersihan"), 0, -1) == [first.id]


def test_other_categories_far_points_old_or_closed_incidents_are_not_duplicates(
        room, tangerang_point, clock):
    first = report(room, tangerang_point)
    drain(room)
    assert report(room, tangerang_point, category="genangan").status is Status.TRIAGED
    assert report(room, tangerang_point, north_m=500).status is Status.TRIAGED
    clock.advance(minutes=room.settings.duplicate_window_minutes + 1)
    assert report(room, tangerang_point, north_m=10).status is Status.TRIAGED
    change_status(room, first.id, "rejected", reason="uji", by=SYSTEM)
    drain(room)
    late = report(room, tangerang_point, north_m=5)
    assert late.duplicate_of != first.id

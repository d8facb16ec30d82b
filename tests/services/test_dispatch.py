"""What the control room reads to dispatch: the queue, officers' tasks and the nearest
available officers."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liveroom.access import SYSTEM
from liveroom.commands.incidents import assign_incident, dispatch_incident, report_incident
from liveroom.commands.officers import check_in, check_out, record_locations, register_officer
from liveroom.commands.units import register_unit
from liveroom.domain.events import OfficerLocated
from liveroom.live.dispatch import officer_tasks, officers_near, stranded_tasks, unassigned
from tests.conftest import drain, person

OPERATOR = person("opi", "operator")


@pytest.fixture
def posts(room):
    return [p for p in room.city.posts.values() if p.agency == "damkar"]


def on_duty(room, clock, officer_id, post, lat, lon, minutes_ago=0):
    register_officer(room, officer_id, name=officer_id, agency="damkar", post_id=post.id,
                     by=SYSTEM)
    check_in(room, officer_id, post_id=post.id, lat=post.centre[0], lon=post.centre[1],
             accuracy=5, by=SYSTEM)
    record_locations(room, [OfficerLocated(
        officer_id=officer_id, occurred_at=clock.now - timedelta(minutes=minutes_ago),
        actor="device", lat=lat, lon=lon, accuracy=5)], by=SYSTEM)


def test_the_nearest_available_officers_come_first_with_distance_and_eta(room, clock, posts):
    post = posts[0]
    lat, lon = post.centre
    on_duty(room, clock, "far", post, lat + 0.02, lon)
    on_duty(room, clock, "near", post, lat + 0.005, lon)
    on_duty(room, clock, "silent", post, lat + 0.001, lon, minutes_ago=30)  # stale
    on_duty(room, clock, "busy", post, lat + 0.002, lon)
    register_officer(room, "home", name="home", agency="damkar", by=SYSTEM)  # not on duty
    record_locations(room, [OfficerLocated(officer_id="home", occurred_at=clock.now,
                                           actor="d", lat=lat, lon=lon)], by=SYSTEM)
    fire = report_incident(room, category="kebakaran", lat=lat, lon=lon, source="t", by=SYSTEM,
                           attributes={"orang-terjebak": "ya"})
    clock.advance(minutes=1)  # same priority: the older one first
    other = report_incident(room, category="penyelamatan", lat=lat + 0.03, lon=lon, source="t",
                            by=SYSTEM, attributes={"yang-diselamatkan": "hewan"})
    drain(room)
    assert [i["id"] for i in unassigned(room, "damkar", by=OPERATOR)] == [fire.id, other.id]
    assign_incident(room, other.id, "busy", by=OPERATOR)
    drain(room)
    assert [t["id"] for t in officer_tasks(room, "busy", by=OPERATOR)] == [other.id]
    found = officers_near(room, lat, lon, "damkar", by=OPERATOR)
    assert [o.id for o in found] == ["near", "far"]
    assert 500 < found[0].distance_m < 600 and found[0].eta_minutes == pytest.approx(
        found[0].distance_m / 1000 / 25 * 60, abs=0.1)
    assert found[0].presence == "online" and found[0].on_duty


def test_an_officer_sees_only_their_own_tasks(room, clock, posts):
    on_duty(room, clock, "d1", posts[0], *posts[0].centre)
    drain(room)
    assert officer_tasks(room, "d1", by=person("d1", "officer", agencies=("damkar",),
                                               officer_id="d1")) == []
    with pytest.raises(Exception, match="may not view_live"):
        officer_tasks(room, "d1", by=person("d2", "officer", agencies=("damkar",),
                                            officer_id="d2"))


def test_tasks_of_officers_gone_offline_or_off_duty_are_flagged_for_reassignment(
        room, clock, posts):
    post = posts[0]
    lat, lon = post.centre
    for officer_id in ("leaves", "silent", "working"):
        on_duty(room, clock, officer_id, post, lat, lon)
    tasks = {}
    for officer_id in ("leaves", "silent", "working"):
        incident = report_incident(room, category="kebakaran", lat=lat, lon=lon + 0.001 * len(
            tasks), source="t", by=SYSTEM, attributes={"orang-terjebak": "tidak"})
        drain(room)
        assign_incident(room, incident.id, officer_id, by=OPERATOR)
        tasks[officer_id] = incident.id
    drain(room)
    assert stranded_tasks(room, by=OPERATOR) == []
    check_out(room, "leaves", by=SYSTEM)
    clock.advance(minutes=61)  # then only two send a fix, one of them far from the post
    record_locations(room, [OfficerLocated(officer_id=oid, occurred_at=clock.now, actor="d",
                                           lat=lat + away, lon=lon, accuracy=5)
                            for oid, away in (("leaves", 0.05), ("working", 0))], by=SYSTEM)
    drain(room)
    flagged = {t.incident["id"]: (t.officer.id, t.reason)
               for t in stranded_tasks(room, by=OPERATOR)}
    assert flagged == {tasks["leaves"]: ("leaves", "off_duty"),
                       tasks["silent"]: ("silent", "offline")}
    sanitation = person("spv", "supervisor", agencies=("kebersihan",))
    assert stranded_tasks(room, by=sanitation) == []  # other agencies' officers are not shown


def test_a_units_task_needs_reassigning_only_when_its_whole_crew_is_gone(room, clock, posts):
    post = posts[0]
    lat, lon = post.centre
    for officer_id in ("c1", "c2"):
        on_duty(room, clock, officer_id, post, lat, lon)
    register_unit(room, "damkar-09", call_sign="Damkar 09", agency="damkar",
                  crew=["c1", "c2"], by=SYSTEM)
    incident = report_incident(room, category="kebakaran", lat=lat, lon=lon + 0.002,
                               source="t", by=SYSTEM, attributes={"orang-terjebak": "tidak"})
    dispatch_incident(room, incident.id, units=["damkar-09"], by=OPERATOR)
    check_out(room, "c1", by=SYSTEM)
    drain(room)
    assert stranded_tasks(room, by=OPERATOR) == []  # c2 is still with the engine
    check_out(room, "c2", by=SYSTEM)
    drain(room)
    [stranded] = stranded_tasks(room, by=OPERATOR)
    assert (stranded.incident["id"], stranded.reason) == (incident.id, "off_duty")

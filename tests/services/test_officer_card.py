"""One officer as the control room sees them: duty, presence, tasks, today's attendance and
the last hour's track."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liveroom.access import SYSTEM
from liveroom.access.roles import Forbidden
from liveroom.commands.incidents import assign_incident, report_incident
from liveroom.commands.officers import record_locations, register_officer
from liveroom.domain.errors import NotFound
from liveroom.domain.events import OfficerLocated
from liveroom.live.officer_card import officer_card
from liveroom.room import LiveRoom
from tests.conftest import drain, person
from tests.services.test_dispatch import on_duty

OPERATOR = person("opi", "operator")
FIRE_SUPERVISOR = person("spv", "supervisor", agencies=("damkar",))


def test_the_card_shows_duty_tasks_attendance_and_the_last_hours_track(room, clock):
    post = next(p for p in room.city.posts.values() if p.agency == "damkar")
    lat, lon = post.centre
    clock.advance(minutes=-90)
    on_duty(room, clock, "pemadam", post, lat, lon)  # checked in 90 minutes ago
    for minutes in range(0, 90, 10):  # a walk north, one fix every ten minutes
        record_locations(room, [OfficerLocated(
            officer_id="pemadam", occurred_at=clock.now + timedelta(minutes=minutes),
            actor="d", lat=lat + minutes * 1e-5, lon=lon, accuracy=5)], by=SYSTEM)
    clock.advance(minutes=90)
    fire = report_incident(room, category="kebakaran", lat=lat, lon=lon, source="t",
                           by=SYSTEM, attributes={"orang-terjebak": "tidak"})
    drain(room)
    assign_incident(room, fire.id, "pemadam", by=OPERATOR)
    drain(room)

    card = officer_card(room, "pemadam", by=FIRE_SUPERVISOR)
    assert (card.status.on_duty, card.status.agency) == (True, "damkar")
    assert [t["id"] for t in card.tasks] == [fire.id]
    assert card.attendance is not None and card.attendance.status in ("present", "late")
    assert [round(p[0] - lat, 6) for p in card.track] == [
        round(m * 1e-5, 6) for m in range(30, 90, 10)] + [round(80e-5, 6)]  # last hour only
    assert officer_card(room, "pemadam", by=OPERATOR).attendance is None  # not theirs to read

    gone = LiveRoom.open(room.settings.model_copy(update={  # the archive unreachable
        "database_url": "postgresql://postgres@127.0.0.1:1/test"}))
    try:
        down = officer_card(gone, "pemadam", by=FIRE_SUPERVISOR)
    finally:
        gone.close()
    assert down.archive_down and down.attendance is None  # the live part is all there
    assert [t["id"] for t in down.tasks] == [fire.id] and len(down.track) == 1


def test_unknown_officers_and_other_agencies_are_refused(room):
    with pytest.raises(NotFound):
        officer_card(room, "nobody", by=OPERATOR)
    post = next(p for p in room.city.posts.values() if p.agency == "dishub")
    register_officer(room, "lantas", name="L", agency="dishub", post_id=post.id, by=SYSTEM)
    drain(room)
    with pytest.raises(Forbidden):
        officer_card(room, "lantas", by=FIRE_SUPERVISOR)

"""Every role against every command: a wrong role is refused and changes nothing."""

from __future__ import annotations

import pytest

from liveroom.access import SYSTEM, Forbidden
from liveroom.commands.incidents import (
    add_note,
    assign_incident,
    change_status,
    report_incident,
    triage_incident,
)
from liveroom.commands.officers import check_in, record_locations, register_officer
from liveroom.domain.events import OfficerLocated
from tests.conftest import person

ROLES = {
    "admin": person("ani", "admin"),
    "mayor": person("walikota", "mayor"),
    "supervisor": person("sri", "supervisor", agencies=("kebersihan",)),
    "operator": person("opi", "operator"),
    "officer": person("agus", "officer", agencies=("kebersihan",), officer_id="dlh-1"),
    "citizen_app": person("qlue", "citizen_app"),
}


@pytest.fixture
def world(room, tangerang_point):
    """Two kebersihan officers, one at its post; a triaged and an assigned incident."""
    post = next(p for p in room.city.posts.values() if p.agency == "kebersihan")
    for officer_id in ("dlh-1", "dlh-2"):
        register_officer(room, officer_id, name=officer_id, agency="kebersihan",
                         post_id=post.id, by=SYSTEM)
    lat, lon = tangerang_point
    triaged = report_incident(room, category="sampah-menumpuk", lat=lat, lon=lon,
                              source="t", by=SYSTEM)
    assigned = report_incident(room, category="sampah-menumpuk", lat=lat, lon=lon,
                               source="t", by=SYSTEM)
    assign_incident(room, assigned.id, "dlh-1", by=SYSTEM)
    return {"post": post, "point": (lat, lon), "triaged": triaged.id, "assigned": assigned.id}


def fix(room, officer_id, lat, lon):
    return OfficerLocated(officer_id=officer_id, occurred_at=room.clock(), actor="device",
                          lat=lat, lon=lon)


COMMANDS = {
    "report": lambda room, w, by: report_incident(
        room, category="genangan", lat=w["point"][0], lon=w["point"][1], source="t", by=by),
    "triage": lambda room, w, by: triage_incident(
        room, w["triaged"], category="pembuangan-liar", by=by),
    "assign": lambda room, w, by: assign_incident(room, w["triaged"], "dlh-2", by=by),
    "reassign": lambda room, w, by: assign_incident(room, w["assigned"], "dlh-2", by=by,
                                                    reason="lebih dekat"),
    "acknowledge": lambda room, w, by: change_status(room, w["assigned"], "acknowledged", by=by),
    "reject": lambda room, w, by: change_status(room, w["triaged"], "rejected", reason="x",
                                                by=by),
    "note": lambda room, w, by: add_note(room, w["assigned"], "dicek", by=by),
    "register_officer": lambda room, w, by: register_officer(
        room, "dlh-9", name="Baru", agency="kebersihan", by=by),
    "check_in": lambda room, w, by: check_in(
        room, "dlh-1", post_id=w["post"].id, lat=w["post"].centre[0],
        lon=w["post"].centre[1], by=by, accuracy=8),
    "share_location": lambda room, w, by: record_locations(
        room, [fix(room, "dlh-1", *w["point"])], by=by),
}

ALLOWED = {
    "report": {"admin", "supervisor", "operator", "citizen_app"},
    "triage": {"admin", "supervisor", "operator"},
    "assign": {"admin", "supervisor", "operator"},
    "reassign": {"admin", "supervisor"},
    "acknowledge": {"admin", "supervisor", "operator", "officer"},
    "reject": {"admin", "supervisor", "operator"},
    "note": {"admin", "supervisor", "operator", "officer"},
    "register_officer": {"admin"},
    "check_in": {"officer"},
    "share_location": {"officer"},
}


def stream_lengths(room) -> tuple[int, int]:
    return tuple(room.redis.xlen(room.keys.stream(s)) for s in ("incidents", "officers"))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("command", COMMANDS)
def test_every_role_against_every_command(room, world, role, command):
    before = stream_lengths(room)
    if role in ALLOWED[command]:
        COMMANDS[command](room, world, ROLES[role])
        assert stream_lengths(room) != before
    else:
        with pytest.raises(Forbidden, match=f"user:{ROLES[role].name} may not"):
            COMMANDS[command](room, world, ROLES[role])
        assert stream_lengths(room) == before


def test_scope_limits_supervisors_and_officers_to_their_own(room, world):
    water = person("wati", "supervisor", agencies=("drainase",))
    other_officer = person("budi", "officer", agencies=("kebersihan",), officer_id="dlh-2")
    before = stream_lengths(room)
    with pytest.raises(Forbidden, match="for kebersihan"):
        assign_incident(room, world["assigned"], "dlh-2", by=water)
    with pytest.raises(Forbidden):
        change_status(room, world["assigned"], "acknowledged", by=other_officer)
    with pytest.raises(Forbidden):
        record_locations(room, [fix(room, "dlh-1", *world["point"])], by=other_officer)
    with pytest.raises(Forbidden):  # the officer's own step, but not the officer's task
        add_note(room, world["triaged"], "bukan tugas saya", by=ROLES["officer"])
    assert stream_lengths(room) == before

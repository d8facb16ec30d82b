"""Random command sequences through the real services and Redis: a refused command leaves
no trace, an accepted one its events and nothing else, and the live view agrees with the
write side."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liveroom.access import SYSTEM
from liveroom.commands import incidents
from liveroom.commands.officers import register_officer
from liveroom.domain.errors import DomainError
from liveroom.domain.lifecycle import Status
from liveroom.live.projection import LiveIncidents
from liveroom.projections.runner import Projector
from liveroom.streams import delete_matching

CREW = {"dlh-1": "kebersihan", "dlh-2": "kebersihan", "damkar-1": "damkar"}

commands = st.lists(st.one_of(
    st.tuples(st.just("assign"), st.sampled_from([*CREW, "ghost"])),
    st.tuples(st.just("status"), st.sampled_from([s.value for s in Status] + ["bogus"])),
    st.tuples(st.just("triage"), st.sampled_from(["banjir", "kebakaran", "nope"])),
    st.tuples(st.just("duplicate"), st.just("other")),
    st.tuples(st.just("note"), st.sampled_from(["", "dicek"])),
), max_size=14)


def clear(room) -> None:
    delete_matching(room.redis, room.keys.pattern("*"))


def apply(room, incident_id: str, other_id: str, command: tuple) -> None:
    kind, arg = command
    if kind == "assign":
        incidents.assign_incident(room, incident_id, arg, by=SYSTEM)
    elif kind == "status":
        incidents.change_status(room, incident_id, arg, by=SYSTEM, reason="uji")
    elif kind == "triage":
        incidents.triage_incident(room, incident_id, category=arg, by=SYSTEM)
    elif kind == "duplicate":
        incidents.change_status(room, incident_id, "duplicate", by=SYSTEM,
                                duplicate_of=other_id)
    else:
        incidents.add_note(room, incident_id, arg, by=SYSTEM)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(sequence=commands)
def test_refused_commands_leave_no_trace(room, tangerang_point, sequence):
    clear(room)
    for officer_id, agency in CREW.items():
        register_officer(room, officer_id, name=officer_id, agency=agency, by=SYSTEM)
    lat, lon = tangerang_point
    incident = incidents.report_incident(room, category="sampah-menumpuk", lat=lat, lon=lon,
                                         source="t", by=SYSTEM)
    other = incidents.report_incident(room, category="sampah-menumpuk", lat=lat, lon=lon,
                                      source="t", by=SYSTEM)
    stream = room.keys.stream("incidents")
    for command in sequence:
        length = room.redis.xlen(stream)
        version = incidents.incident_version(room, incident.id)
        try:
            apply(room, incident.id, other.id, command)
        except (DomainError, ValueError):
            assert room.redis.xlen(stream) == length
            assert incidents.incident_version(room, incident.id) == version
        else:  # (one event, or a few: rejecting stands its officer's task down first)
            appended = room.redis.xlen(stream) - length
            assert appended >= 1
            assert incidents.incident_version(room, incident.id) == version + appended
    Projector(room, LiveIncidents(room), consumer="t").drain()
    state = incidents.get_incident(room, incident.id)
    live = room.redis.hgetall(room.keys.view("incident", incident.id))
    assert live["status"] == state.status.value
    assert live.get("officer_id") == state.officer_id
    assert live.get("agency") == state.agency

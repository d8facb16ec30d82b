"""Merge after the fact: an incident marked a duplicate hands its callers to the incident it
duplicates, whose count rises in its state, on the wall and in the archive; exactly once,
even when the merge policy reads the stream again."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.callers import merge_callers
from liveroom.commands.desk import enter_report
from liveroom.commands.incidents import (
    assign_incident,
    change_status,
    get_incident,
    report_incident,
)
from liveroom.commands.officers import register_officer
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import ReportersMerged, decode
from liveroom.projections.policies.merges import MergePolicy
from tests.conftest import drain, person

METRE = 1 / 111_320  # degrees of latitude
OPERATOR = person("opi", "operator", agencies=("kebersihan",))


def desk_report(room, point, name: str, phone: str, north_m: float = 0.0):
    return enter_report(room, by=OPERATOR, channel="telepon", category="sampah-menumpuk",
                        lat=point[0] + north_m * METRE, lon=point[1], caller_name=name,
                        caller_phone=phone)


def archived_reporters(room, incident_id: str) -> int | None:
    with room.engine.connect() as conn:
        return conn.execute(select(schema.incidents.c.reporters).where(
            schema.incidents.c.id == incident_id)).scalar()


def live_reporters(room, incident_id: str) -> str | None:
    return room.redis.hget(room.live.incident(incident_id), "reporters")


def merges(room) -> list[ReportersMerged]:
    return [event for _, fields in room.redis.xrange(room.keys.stream("incidents"))
            if isinstance(event := decode(fields), ReportersMerged)]


@pytest.fixture
def pair(room, tangerang_point):
    """Two reports 500 m apart (not linked on arrival), both on the wall and archived."""
    survivor = desk_report(room, tangerang_point, "Ibu Sari", "0812-3456-789")
    duplicate = desk_report(room, tangerang_point, "Pak Eko", "0813-1111-2222", north_m=500)
    drain(room)
    return survivor, duplicate


def test_a_duplicates_callers_join_the_survivor_in_state_on_the_wall_and_in_the_archive(
        room, pair):
    survivor, duplicate = pair
    change_status(room, duplicate.id, "duplicate", duplicate_of=survivor.id, by=OPERATOR)
    drain(room)
    state = get_incident(room, survivor.id)
    assert state.reporters == 2
    assert [(c.name, c.phone, c.merged_from) for c in state.callers] == [
        ("Ibu Sari", "+628123456789", None), ("Pak Eko", "+6281311112222", duplicate.id)]
    assert live_reporters(room, survivor.id) == "2"
    assert archived_reporters(room, survivor.id) == 2
    # the duplicate keeps its own history and count
    assert get_incident(room, duplicate.id).reporters == 1
    assert live_reporters(room, duplicate.id) == "1" == str(archived_reporters(room,
                                                                               duplicate.id))


def test_both_changes_are_in_the_audit_trail(room, pair):
    survivor, duplicate = pair
    change_status(room, duplicate.id, "duplicate", duplicate_of=survivor.id, by=OPERATOR)
    drain(room)
    with room.engine.connect() as conn:
        trail = {(row.target, row.action): row for row in conn.execute(
            select(schema.audit_log).where(schema.audit_log.c.action.in_(
                ["incident.status_changed", "incident.reporters_merged"])))}
    assert trail[(duplicate.id, "incident.status_changed")].actor == OPERATOR.actor
    merged = trail[(survivor.id, "incident.reporters_merged")]
    assert merged.actor == SYSTEM.actor and duplicate.id in merged.details


def test_a_report_linked_as_a_duplicate_on_arrival_adds_its_caller_to_the_original(
        room, tangerang_point):
    original = desk_report(room, tangerang_point, "Ibu Sari", "0812-3456-789")
    drain(room)
    second = desk_report(room, tangerang_point, "Pak Eko", "0813-1111-2222", north_m=20)
    assert second.duplicate_of == original.id
    drain(room)
    assert [c.name for c in get_incident(room, original.id).callers] == ["Ibu Sari", "Pak Eko"]
    assert live_reporters(room, original.id) == "2" and archived_reporters(room,
                                                                           original.id) == 2


def test_reading_the_stream_again_or_merging_again_moves_them_once(room, pair):
    survivor, duplicate = pair
    change_status(room, duplicate.id, "duplicate", duplicate_of=survivor.id, by=OPERATOR)
    drain(room)
    MergePolicy(room).reset()  # as after a crash before its checkpoint moved: all again
    drain(room)
    with pytest.raises(InvalidCommand) as refused:
        merge_callers(room, duplicate.id)  # a retry by hand
    assert refused.value.code == "already_merged"
    drain(room)
    assert len(merges(room)) == 1
    assert get_incident(room, survivor.id).reporters == 2
    assert live_reporters(room, survivor.id) == "2" and archived_reporters(room,
                                                                           survivor.id) == 2


def closed(room, incident_id: str) -> None:
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", by=SYSTEM)
    assign_incident(room, incident_id, "dlh-1", by=SYSTEM)
    for step in ("acknowledged", "en_route", "on_scene", "resolved", "closed"):
        change_status(room, incident_id, step, by=SYSTEM)


def test_a_closed_survivor_still_takes_the_callers_they_need_telling(room, pair):
    survivor, duplicate = pair
    closed(room, survivor.id)
    change_status(room, duplicate.id, "duplicate", duplicate_of=survivor.id, by=OPERATOR)
    drain(room)
    assert get_incident(room, survivor.id).reporters == 2
    assert live_reporters(room, survivor.id) == "2"  # still on the wall for a while
    assert archived_reporters(room, survivor.id) == 2


def test_a_survivor_gone_from_the_wall_is_counted_in_the_archive_only(room, pair, clock):
    survivor, duplicate = pair
    closed(room, survivor.id)
    change_status(room, duplicate.id, "duplicate", duplicate_of=survivor.id, by=OPERATOR)
    clock.advance(hours=room.settings.closed_retention_hours + 1)
    drain(room)  # its closing is applied after its retention ran out: it leaves the wall
    assert not room.redis.exists(room.live.incident(survivor.id))  # not brought back
    assert archived_reporters(room, survivor.id) == 2


def test_callers_of_a_duplicate_of_a_duplicate_reach_the_incident_standing(
        room, pair, tangerang_point):
    survivor, duplicate = pair
    third = report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                            lon=tangerang_point[1] + 600 * METRE, source="web", by=SYSTEM)
    change_status(room, duplicate.id, "duplicate", duplicate_of=survivor.id, by=OPERATOR)
    change_status(room, survivor.id, "duplicate", duplicate_of=third.id, by=OPERATOR)
    drain(room)
    assert [c.merged_from for c in get_incident(room, third.id).callers] == [
        None, duplicate.id, survivor.id]
    assert archived_reporters(room, third.id) == 3

"""Escalation by itself: a missed SLA deadline alerts the agency's supervisors on the wall,
raises the priority fifteen minutes later and flags a missed resolve for the KPI; each step
once per incident, whichever worker runs it, and caught up after a restart."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.incidents import (
    assign_incident,
    change_status,
    forward_incident,
    get_incident,
    report_incident,
)
from liveroom.commands.officers import register_officer
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.escalation import decide_escalation, follow_up_due
from liveroom.domain.events import IncidentEscalated, decode
from liveroom.live.overview import overview
from liveroom.live.projection import ms
from liveroom.projections.policies.escalation import EscalationPolicy
from liveroom.projections.runner import Projector
from tests.conftest import drain, person

SUPERVISOR = person("susi", "supervisor", agencies=("kebersihan",))
FIRE_SUPERVISOR = person("dedi", "supervisor", agencies=("damkar",))
ACK_MINUTES = 60  # sampah-menumpuk's acknowledge SLA in the Tangerang pack (priority 3)


def escalations(room, incident_id: str) -> list[IncidentEscalated]:
    return [event for _, fields in room.redis.xrange(room.keys.stream("incidents"))
            if isinstance(event := decode(fields), IncidentEscalated)
            and event.incident_id == incident_id]


def archived_priority(room, incident_id: str) -> int | None:
    with room.engine.connect() as conn:
        return conn.execute(select(schema.incidents.c.priority).where(
            schema.incidents.c.id == incident_id)).scalar()


@pytest.fixture
def rubbish(room, tangerang_point) -> str:
    """A report of uncollected rubbish, on the wall and in the policy's index."""
    incident = report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                               lon=tangerang_point[1], source="web", by=SYSTEM)
    drain(room)
    assert get_incident(room, incident.id).priority == 3
    return incident.id


def test_a_missed_acknowledge_deadline_alerts_supervisors_once_with_two_workers(room, clock,
                                                                                rubbish):
    clock.advance(minutes=ACK_MINUTES - 1)
    drain(room)
    assert escalations(room, rubbish) == []
    assert overview(room, by=SUPERVISOR).escalated == ()

    clock.advance(minutes=2)
    first, second = EscalationPolicy(room), EscalationPolicy(room)  # two workers, one index
    assert first.tick() == 1
    assert second.tick() == 0
    drain(room)  # and a replay of the whole stream by a fresh consumer
    Projector(room, EscalationPolicy(room), consumer="replay").drain()

    (alert,) = escalations(room, rubbish)
    assert (alert.rule, alert.action, alert.deadline) == ("ack-missed", "alert_supervisors",
                                                          "acknowledge")
    assert alert.due == get_incident(room, rubbish).acknowledge_due
    shown = overview(room, by=SUPERVISOR).escalated
    assert [item["id"] for item in shown] == [rubbish]
    assert overview(room, by=FIRE_SUPERVISOR).escalated == ()  # not their agency
    with pytest.raises(InvalidCommand, match="already"):
        rule = room.city.escalation[0]
        decide_escalation(get_incident(room, rubbish), rule, clock(), "system")


def test_the_priority_rises_fifteen_minutes_after_the_deadline_and_only_once(room, clock,
                                                                              rubbish):
    clock.advance(minutes=ACK_MINUTES + 1)
    drain(room)
    assert get_incident(room, rubbish).priority == 3
    clock.advance(minutes=15)
    drain(room)
    clock.advance(minutes=45)
    drain(room)

    raised = [e for e in escalations(room, rubbish) if e.action == "raise_priority"]
    assert [(e.previous_priority, e.priority) for e in raised] == [(3, 2)]
    assert get_incident(room, rubbish).priority == 2
    assert room.redis.hget(room.live.incident(rubbish), "priority") == "2"
    assert archived_priority(room, rubbish) == 2
    queued = room.redis.zscore(room.live.queue("kebersihan"), rubbish)
    assert queued is not None and queued // 10**13 == 2  # re-sorted in the agency's queue


def test_after_a_restart_the_policy_catches_up_on_what_fell_due(room, clock, rubbish):
    clock.advance(minutes=ACK_MINUTES + 30)  # the workers were down all this while
    resumed = Projector(room, EscalationPolicy(room), consumer="after-restart")
    resumed.drain()
    drain(room)

    assert sorted(e.rule for e in escalations(room, rubbish)) == ["ack-missed",
                                                                 "ack-missed-15"]
    assert get_incident(room, rubbish).priority == 2
    assert [item["id"] for item in overview(room, by=SUPERVISOR).escalated] == [rubbish]


def test_an_incident_acknowledged_in_time_is_never_escalated(room, clock, rubbish):
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", by=SYSTEM)
    assign_incident(room, rubbish, "dlh-1", by=SYSTEM)
    clock.advance(minutes=ACK_MINUTES - 5)
    change_status(room, rubbish, "acknowledged", by=SYSTEM)
    drain(room)
    clock.advance(hours=10)  # long past the acknowledge deadline and its +15
    drain(room)

    assert escalations(room, rubbish) == []
    assert get_incident(room, rubbish).priority == 3
    assert overview(room, by=SUPERVISOR).escalated == ()


def test_acknowledging_takes_an_escalated_incident_off_the_wall_and_a_missed_resolve_is_flagged(
        room, clock, rubbish):
    clock.advance(minutes=ACK_MINUTES + 1)
    drain(room)
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", by=SYSTEM)
    assign_incident(room, rubbish, "dlh-1", by=SYSTEM)
    change_status(room, rubbish, "acknowledged", by=SYSTEM)
    drain(room)
    assert overview(room, by=SUPERVISOR).escalated == ()

    clock.advance(days=1)  # past the resolve deadline (1,440 minutes)
    drain(room)
    assert [e.rule for e in escalations(room, rubbish)] == ["ack-missed", "resolve-missed"]
    with room.engine.connect() as conn:  # the flag is in the archive's audit trail
        flagged = conn.execute(select(schema.audit_log.c.target).where(
            schema.audit_log.c.action == "incident.escalated")).scalars().all()
    assert flagged.count(rubbish) == 2
    assert room.redis.zscore(room.live.escalation_due, rubbish) is None  # nothing pending


@pytest.fixture
def leak(room, clock, tangerang_point) -> str:
    """A burst water main forwarded to the water company (Tirta Benteng, 3 working days)
    at once, so acknowledged in time."""
    incident = report_incident(room, category="pipa-bocor", lat=tangerang_point[0],
                               lon=tangerang_point[1], source="web", by=SYSTEM)
    clock.advance(minutes=5)
    forward_incident(room, incident.id, "pdam", reference="TB-77", by=SYSTEM)
    drain(room)
    return incident.id


def follow_ups(room, incident_id: str) -> list[IncidentEscalated]:
    return [e for e in escalations(room, incident_id) if e.deadline == "follow_up"]


def test_a_forwarded_incident_still_open_on_its_follow_up_day_alerts_once(room, clock, leak):
    due = follow_up_due(get_incident(room, leak))
    assert due is not None and due > clock.now
    # the forward scheduled it (the resolve deadline comes first: the index holds that)
    resolve_missed = get_incident(room, leak).resolve_due
    assert room.redis.zscore(room.live.escalation_due, leak) == ms(min(due, resolve_missed))
    clock.now = due - timedelta(minutes=1)
    drain(room)
    assert follow_ups(room, leak) == []
    assert room.redis.zscore(room.live.escalation_due, leak) == ms(due)

    clock.now = due + timedelta(minutes=1)
    first, second = EscalationPolicy(room), EscalationPolicy(room)  # two workers, one index
    assert first.tick() == 1
    assert second.tick() == 0
    drain(room)  # a second pass, and a replay of the whole stream by a fresh consumer
    Projector(room, EscalationPolicy(room), consumer="replay").drain()
    EscalationPolicy(room).reindex()  # and a restart that rebuilt the index
    clock.advance(days=2)
    assert EscalationPolicy(room).tick() == 0
    drain(room)

    (alert,) = follow_ups(room, leak)
    assert (alert.rule, alert.action, alert.due) == ("follow-up-missed", "alert_supervisors",
                                                    due)
    assert room.redis.zscore(room.live.escalation_due, leak) is None  # nothing pending
    with pytest.raises(InvalidCommand, match="already"):
        rule = next(r for r in room.city.escalation if r.deadline == "follow_up")
        decide_escalation(get_incident(room, leak), rule, clock(), "system")


def test_a_follow_up_the_body_answered_in_time_is_never_escalated(room, clock, leak):
    due = follow_up_due(get_incident(room, leak))
    clock.advance(hours=2)
    change_status(room, leak, "resolved", task_id="1", by=SYSTEM)  # the body has repaired it
    drain(room)
    assert follow_up_due(get_incident(room, leak)) is None
    clock.now = due + timedelta(hours=1)
    drain(room)
    assert follow_ups(room, leak) == []

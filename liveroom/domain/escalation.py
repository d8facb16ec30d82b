"""Escalation by itself: which of the city's rules an incident has due, and when next.

Pure, like `domain.incident`: the state says what was escalated already (each rule once),
the rules come from the city pack, "now" is passed in. A rule is pending while its
deadline is unmet; `flag` also records a deadline met late (the KPI counts every miss),
the actions that ask someone to act (`alert_supervisors`, `raise_priority`) only while it
is still unmet. Rejected and duplicate incidents escalate no more.

The deadlines: `acknowledge` and `resolve`, the incident's SLA; `follow_up`, the earliest
follow-up date of the tasks forwarded to outside bodies that still run (unmet while one
runs; none once every such task is done or released).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from liveroom.cities.model import EscalationRule
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import IncidentEscalated
from liveroom.domain.incident import Incident, evolve
from liveroom.domain.lifecycle import Status, TaskStatus

#: the statuses in which the acknowledge deadline is still unmet
WAITING = frozenset({Status.RECEIVED, Status.TRIAGED, Status.ASSIGNED})
#: ends that leave nothing to escalate
DROPPED = frozenset({Status.REJECTED, Status.DUPLICATE})


def follow_up_due(incident: Incident) -> datetime | None:
    """The earliest follow-up date of its running forwarded tasks (None: none runs)."""
    return min((task.follow_up_due for task in incident.running_tasks
                if task.status is TaskStatus.FORWARDED and task.follow_up_due is not None),
               default=None)


def _due(incident: Incident, rule: EscalationRule) -> datetime | None:
    if rule.deadline == "follow_up":
        return follow_up_due(incident)
    return incident.acknowledge_due if rule.deadline == "acknowledge" else incident.resolve_due


def moment(incident: Incident, rule: EscalationRule) -> datetime | None:
    """When the rule falls due for the incident (its deadline plus the rule's minutes);
    None when the incident has no such deadline (a rule on one it does not keep is
    skipped)."""
    due = _due(incident, rule)
    return None if due is None else due + timedelta(minutes=rule.after_minutes)


def _met_at(incident: Incident, rule: EscalationRule) -> datetime | None:
    """When the deadline was met (a follow-up: never late, it has no date once met)."""
    if rule.deadline == "follow_up":
        return None
    return incident.acknowledged_at if rule.deadline == "acknowledge" else incident.resolved_at


def _unmet(incident: Incident, rule: EscalationRule) -> bool:
    if rule.deadline == "follow_up":
        return follow_up_due(incident) is not None
    if rule.deadline == "acknowledge":
        return incident.status in WAITING
    return incident.status not in (Status.RESOLVED, Status.CLOSED)


def pending(incident: Incident, rule: EscalationRule) -> bool:
    """Whether the rule may still escalate the incident (at `moment`)."""
    at = moment(incident, rule)
    if (at is None or rule.code in incident.escalated or incident.status in DROPPED
            or not rule.applies(incident.category, incident.priority)):
        return False
    if _unmet(incident, rule):
        return True
    met = _met_at(incident, rule)  # (None: met before this was recorded: in time)
    return rule.action == "flag" and met is not None and met > at


def next_due(incident: Incident, rules: tuple[EscalationRule, ...]) -> datetime | None:
    """The soonest moment a pending rule falls due; None when none is pending."""
    moments = [moment(incident, rule) for rule in rules if pending(incident, rule)]
    return min((m for m in moments if m is not None), default=None)


def decide_escalation(incident: Incident, rule: EscalationRule, now: datetime,
                      actor: str) -> IncidentEscalated:
    """The step `rule` takes for the incident, once: a second is refused (`already_escalated`),
    as is one not due yet or no longer (`not_due`)."""
    if rule.code in incident.escalated:
        raise InvalidCommand(f"incident {incident.id} was escalated by {rule.code} already",
                             rule="already_escalated", incident=incident.id)
    at = moment(incident, rule)
    if not pending(incident, rule) or at is None or now < at:
        raise InvalidCommand(f"incident {incident.id}: {rule.code} is not due",
                             rule="not_due", incident=incident.id)
    raised = None
    if rule.action == "raise_priority" and (incident.priority or 4) > 1:
        raised = (incident.priority or 4) - 1
    return IncidentEscalated(
        incident_id=incident.id, occurred_at=now, actor=actor, rule=rule.code,
        deadline=rule.deadline, due=at - timedelta(minutes=rule.after_minutes),
        after_minutes=rule.after_minutes, action=rule.action, agency=incident.agency or "",
        priority=raised, previous_priority=incident.priority if raised else None)


def decide_due(incident: Incident, rules: tuple[EscalationRule, ...], now: datetime,
               actor: str) -> list[IncidentEscalated]:
    """Every step due by `now`, soonest first (each sees the ones before it)."""
    steps: list[IncidentEscalated] = []
    state = incident
    due = [r for r in rules if pending(state, r) and (moment(state, r) or now) <= now]
    for rule in sorted(due, key=lambda r: moment(state, r) or now):
        if pending(state, rule):
            steps.append(decide_escalation(state, rule, now, actor))
            state = evolve(state, steps[-1])
    return steps

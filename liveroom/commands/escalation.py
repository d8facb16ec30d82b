"""Escalation's command: take the steps of the city's chains that an incident has due.

Exactly once per rule and incident: the incident's state refuses a rule it has seen
(`domain.escalation.decide_escalation`) and the append checks the incident's version, so
two workers, or one reading its stream again, cannot both escalate it.
"""

from __future__ import annotations

from liveroom.access import SYSTEM, Action, Principal
from liveroom.commands import aggregates
from liveroom.commands.incidents import KIND
from liveroom.domain import escalation
from liveroom.domain import incident as domain
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.incident import Incident
from liveroom.room import LiveRoom


def escalate_due(room: LiveRoom, incident_id: str, *, by: Principal = SYSTEM) -> Incident:
    """Append an `incident.escalated` for each rule due now (`room.clock()`); refused
    (`not_due`) when none is. Returns the incident as it stands after."""

    def decide(incident: Incident):
        by.check(Action.CHANGE_STATUS, incident.agency)
        steps = escalation.decide_due(incident, room.city.escalation, room.clock(), by.actor)
        if not steps:
            raise InvalidCommand(f"incident {incident_id} has no escalation due",
                                 rule="not_due", incident=incident_id)
        return steps

    return aggregates.execute(room, KIND, Incident, domain.evolve, incident_id, decide, None)

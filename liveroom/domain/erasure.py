"""Erasing reporters' personal data a while after their incident closed (UU 27/2022): the
decision, and what the archive keeps of an event that carried a contact (`scrubbed`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from liveroom.domain.caller import Caller, erased_reporter
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import (
    IncidentRated,
    IncidentReopened,
    ReporterAdded,
    ReportersErased,
    ReportersMerged,
    ReportReceived,
)
from liveroom.domain.incident import Incident
from liveroom.domain.lifecycle import TERMINAL

#: the events whose bodies carry a reporter's contact
CARRYING = (ReportReceived.type, ReporterAdded.type, ReportersMerged.type, IncidentRated.type,
            IncidentReopened.type)


def decide_erase(incident: Incident, closed_at: datetime, retention_days: int,
                 now: datetime, actor: str) -> ReportersErased:
    """The tombstone, once, for an incident that is closed (closed, rejected or a
    duplicate): an open or reopened one keeps its callers, an erased one refuses."""
    if incident.status not in TERMINAL:
        raise InvalidCommand(f"incident {incident.id} is {incident.status.value}",
                             rule="incident_open", incident=incident.id)
    if incident.contacts_erased_at is not None:
        raise InvalidCommand(f"the callers of {incident.id} are erased already",
                             rule="already_erased", incident=incident.id)
    return ReportersErased(incident_id=incident.id, occurred_at=now, actor=actor,
                           callers=len(incident.callers), retention_days=retention_days,
                           closed_at=closed_at)


def scrubbed(data: dict[str, Any]) -> dict[str, Any]:
    """An archived event body (`CARRYING`) without personal data: its `reporter` erased,
    or each of its `callers`; still a valid event of its type."""
    if isinstance(data.get("reporter"), dict):
        data = {**data, "reporter": erased_reporter(data["reporter"])}
    if isinstance(data.get("callers"), list):
        data = {**data, "callers": [
            Caller.model_validate(c).without_contact().model_dump(mode="json")
            for c in data["callers"]]}
    return data

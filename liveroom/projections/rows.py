"""The archive's rows for each event: one mapping, pure. The archive projection applies it
row by row in SQL; seeded history (`demo.history`) folds it in memory (`fold`) and writes
the result in bulk, so both leave the same rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from liveroom.archive import schema
from liveroom.domain.events import (
    Event,
    IncidentAssigned,
    IncidentReassigned,
    IncidentStatusChanged,
    OfficerCheckedIn,
    OfficerCheckedOut,
    OfficerRegistered,
    ReportReceived,
    ReportTriaged,
    TaskEvent,
    TaskForwarded,
    TaskReleased,
)
from liveroom.domain.lifecycle import Status

INCIDENT_COLUMNS = tuple(column.name for column in schema.incidents.c)
#: statuses that end the incident's assignment (as a new assignment ends the one before)
ENDS_ASSIGNMENT = frozenset({Status.CLOSED, Status.REJECTED, Status.DUPLICATE})
Assignment = IncidentAssigned | IncidentReassigned
Change = ReportTriaged | Assignment | IncidentStatusChanged | TaskReleased | TaskForwarded


def incident_row(e: ReportReceived) -> dict:
    """The incident's row as its report creates it (every column: unset ones are None)."""
    return dict.fromkeys(INCIDENT_COLUMNS) | {
        "id": e.incident_id, "category": e.category, "status": Status.RECEIVED.value,
        "lat": e.lat, "lon": e.lon, "description": e.description, "address": e.address,
        "source": e.source, "media_url": e.media_url, "reporter": e.reporter or None,
        "attributes": e.attributes or None, "reported_at": e.occurred_at,
        "updated_at": e.occurred_at, "reporters": 1}


def incident_changes(e: Change) -> dict:
    """The incident's columns a later event sets."""
    changes: dict = {"updated_at": e.occurred_at}
    if isinstance(e, ReportTriaged):
        return changes | {
            "status": Status.TRIAGED.value, "category": e.category, "agency": e.agency,
            "priority": e.priority, "district": e.district, "acknowledge_due": e.acknowledge_due,
            "resolve_due": e.resolve_due, "triaged_at": e.occurred_at}
    changes |= {"status": e.to_status.value, "officer_id": e.holder}
    if isinstance(e, Assignment):
        if e.from_status is Status.TRIAGED or isinstance(e, IncidentReassigned):
            changes["assigned_at"] = e.occurred_at
        return changes | ({"agency": e.lead_agency} if e.lead_agency else {})
    if e.from_status is not e.to_status and e.to_status is not Status.TRIAGED:
        changes[f"{e.to_status.value}_at"] = e.occurred_at
    if isinstance(e, IncidentStatusChanged):
        changes["duplicate_of"] = e.duplicate_of
    return changes


def moves(e: Event) -> bool:
    """Whether the event is a step of the incident's own status history (a task's step
    that leaves the incident where it was is the task's, not the incident's)."""
    if isinstance(e, ReportReceived | ReportTriaged | IncidentReassigned):
        return True
    return isinstance(e, TaskEvent | IncidentStatusChanged) and e.from_status is not e.to_status


def history_row(e: ReportReceived | Change, event_id: str) -> dict:
    """The status history's row for an event that moves the incident."""
    if isinstance(e, ReportReceived):
        old, new, reason, media_url = None, Status.RECEIVED, None, None
    elif isinstance(e, ReportTriaged):
        old, new, reason, media_url = e.from_status, Status.TRIAGED, None, None
    elif isinstance(e, Assignment | TaskReleased | TaskForwarded):
        old, new = e.from_status, e.to_status
        reason, media_url = getattr(e, "reason", None), None
    else:
        old, new, reason, media_url = e.from_status, e.to_status, e.reason, e.media_url
    return {"incident_id": e.incident_id, "from_status": old and old.value,
            "to_status": new.value, "at": e.occurred_at, "actor": e.actor, "reason": reason,
            "media_url": media_url, "event_id": event_id}


def ends_assignment(e: Change) -> bool:
    return isinstance(e, IncidentReassigned) or (
        isinstance(e, IncidentStatusChanged) and e.to_status in ENDS_ASSIGNMENT)


def assignment_row(e: Assignment, event_id: str) -> dict:
    return {"incident_id": e.incident_id, "officer_id": e.officer_id, "agency": e.agency,
            "previous_officer_id": getattr(e, "previous_officer_id", None),
            "assigned_at": e.occurred_at, "ended_at": None, "actor": e.actor,
            "reason": getattr(e, "reason", None), "event_id": event_id}


def officer_row(e: OfficerRegistered) -> dict:
    return {"id": e.officer_id, "name": e.name, "agency": e.agency, "post_id": e.post_id,
            "shift": e.shift, "active": True, "registered_at": e.occurred_at}


def attendance_row(e: OfficerCheckedIn, event_id: str, zone: ZoneInfo) -> dict:
    day: date = e.shift_day or e.occurred_at.astimezone(zone).date()
    return {"officer_id": e.officer_id, "post_id": e.post_id, "day": day,
            "checked_in_at": e.occurred_at, "check_in_method": e.method, "lat": e.lat,
            "lon": e.lon, "checked_out_at": None, "check_out_method": None, "shift": e.shift,
            "shift_start": e.shift_start, "shift_end": e.shift_end, "event_id": event_id}


def check_out_changes(e: OfficerCheckedOut) -> dict:
    """What a check-out sets on the officer's open attendance row."""
    return {"checked_out_at": e.occurred_at, "check_out_method": e.method}


def fold(events: Iterable[tuple[Event, str]], zone: ZoneInfo) -> dict[str, list[dict]]:
    """The rows these events leave, by table, as the projection would leave them (events
    in stream order, each with its event id)."""
    incidents: dict[str, dict] = {}
    open_assignment: dict[str, dict] = {}
    open_attendance: dict[str, dict] = {}
    found: dict[str, list[dict]] = {"incidents": [], "status_history": [], "assignments": [],
                                    "officers": [], "attendance": []}
    for e, event_id in events:
        if isinstance(e, ReportReceived):
            incidents[e.incident_id] = incident_row(e)
            found["incidents"].append(incidents[e.incident_id])
            found["status_history"].append(history_row(e, event_id))
        elif isinstance(e, Change):
            if ends_assignment(e) and (ended := open_assignment.pop(e.incident_id, None)):
                ended["ended_at"] = e.occurred_at
            if isinstance(e, Assignment):
                open_assignment[e.incident_id] = assignment_row(e, event_id)
                found["assignments"].append(open_assignment[e.incident_id])
            incidents[e.incident_id].update(incident_changes(e))
            if moves(e):
                found["status_history"].append(history_row(e, event_id))
        elif isinstance(e, OfficerRegistered):
            found["officers"].append(officer_row(e))
        elif isinstance(e, OfficerCheckedIn):
            open_attendance[e.officer_id] = attendance_row(e, event_id, zone)
            found["attendance"].append(open_attendance[e.officer_id])
        elif isinstance(e, OfficerCheckedOut):
            if session := open_attendance.pop(e.officer_id, None):
                session.update(check_out_changes(e))
        else:
            raise ValueError(f"no archive rows for {e.type}")
    return found

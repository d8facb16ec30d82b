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
    IncidentEscalated,
    IncidentRated,
    IncidentReassigned,
    IncidentReopened,
    IncidentStatusChanged,
    OfficerCheckedIn,
    OfficerCheckedOut,
    OfficerRegistered,
    ReportReceived,
    ReportTriaged,
    TaskEvent,
    TaskForwarded,
    TaskReleased,
    UnitChanged,
    UnitRegistered,
    UnitStatusSet,
)
from liveroom.domain.lifecycle import RUNNING, Status, TaskStatus

INCIDENT_COLUMNS = tuple(column.name for column in schema.incidents.c)
TASK_COLUMNS = tuple(c.name for c in schema.tasks.c if c.autoincrement is not True)
#: an incident's end that stands its running tasks down (events before tasks did not say)
ENDS_TASKS = frozenset({Status.REJECTED, Status.DUPLICATE})
RUNNING_TASKS = tuple(sorted(status.value for status in RUNNING))
Assignment = IncidentAssigned | IncidentReassigned
Change = ReportTriaged | Assignment | IncidentStatusChanged | TaskReleased | TaskForwarded


def incident_row(e: ReportReceived) -> dict:
    """The incident's row as its report creates it (every column: unset ones are None)."""
    return dict.fromkeys(INCIDENT_COLUMNS) | {
        "id": e.incident_id, "category": e.category, "status": Status.RECEIVED.value,
        "lat": e.lat, "lon": e.lon, "description": e.description, "address": e.address,
        "source": e.source, "media_url": e.media_url, "reporter": e.reporter or None,
        "attributes": e.attributes or None, "reported_at": e.occurred_at,
        "updated_at": e.occurred_at, "reporters": 1, "reopened": 0}


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


def escalation_changes(e: IncidentEscalated) -> dict:
    """A raised priority; a `flag` flags the incident (its first flag's time is kept:
    `flagged_at` is set only where it is not yet)."""
    return ({"priority": e.priority} if e.priority is not None else {}) | (
        {"flagged_at": e.occurred_at} if e.action == "flag" else {})


def reopen_changes(e: IncidentReopened) -> dict:
    """A reopened incident: triaged again with its fresh SLA, the times its deadlines are
    held to cleared (the next steps set them), counted as reopened."""
    cleared = dict.fromkeys(f"{step}_at" for step in (
        "assigned", "acknowledged", "en_route", "on_scene", "resolved", "closed"))
    return cleared | {
        "status": Status.TRIAGED.value, "agency": e.agency, "priority": e.priority,
        "officer_id": None, "acknowledge_due": e.acknowledge_due, "resolve_due": e.resolve_due,
        "reopened": e.resolution, "reopened_at": e.occurred_at, "updated_at": e.occurred_at}


def reopen_history_row(e: IncidentReopened, event_id: str) -> dict:
    """The status history's step back to triaged, with the reporter's reason."""
    return {"incident_id": e.incident_id, "from_status": e.from_status.value,
            "to_status": Status.TRIAGED.value, "at": e.occurred_at, "actor": e.actor,
            "reason": e.comment or None, "media_url": None, "event_id": event_id}


def rating_row(e: IncidentRated, event_id: str) -> dict:
    return {"incident_id": e.incident_id, "at": e.occurred_at, "rating": e.rating,
            "comment": e.comment or None, "source": e.source, "resolution": e.resolution,
            "resolved_at": e.resolved_at, "agency": e.agency, "district": e.district,
            "category": e.category, "officers": e.officers or None, "event_id": event_id}


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


def task_row(e: IncidentAssigned | TaskForwarded, event_id: str) -> dict:
    """A new task's row: a unit or officer dispatched (and where from, if known), or an
    outside body the incident was forwarded to."""
    forwarded = isinstance(e, TaskForwarded)
    return dict.fromkeys(TASK_COLUMNS) | {
        "incident_id": e.incident_id, "task_id": e.task_id, "agency": e.agency,
        "unit_id": e.unit_id, "officer_id": e.officer_id, "crew": e.crew or None,
        "status": (TaskStatus.FORWARDED if forwarded else TaskStatus.ASSIGNED).value,
        "dispatched_at": e.occurred_at, "assigned_at": e.occurred_at, "event_id": event_id,
        **({"body": e.body, "reference": e.reference or None,
            "follow_up_due": e.follow_up_due} if forwarded
           else {"dispatched_lat": e.from_lat, "dispatched_lon": e.from_lon})}


def task_changes(e: IncidentReassigned | IncidentStatusChanged | TaskReleased) -> dict:
    """What a later event of one task (`e.task_id`) sets on its row: a reassignment starts
    it over (steps cleared), a step stamps its time, a release its time and reason."""
    if isinstance(e, IncidentReassigned):
        return {"agency": e.agency, "unit_id": e.unit_id, "officer_id": e.officer_id,
                "crew": e.crew or None, "status": TaskStatus.ASSIGNED.value,
                "assigned_at": e.occurred_at, "acknowledged_at": None, "en_route_at": None,
                "on_scene_at": None, "dispatched_lat": e.from_lat,
                "dispatched_lon": e.from_lon}
    if isinstance(e, TaskReleased):
        return released(e.occurred_at, e.reason)
    assert e.task_status is not None
    return {"status": e.task_status.value, f"{e.task_status.value}_at": e.occurred_at}


def moves_task(e: Change) -> bool:
    """Whether the event changes one task's row (`task_changes`)."""
    return isinstance(e, IncidentReassigned | TaskReleased) or (
        isinstance(e, IncidentStatusChanged) and e.task_id is not None
        and e.task_status is not None)


def ends_tasks(e: Change) -> bool:
    """An incident rejected or marked a duplicate by an event that did not release its
    running tasks first (before tasks): they are released with it, as `evolve` does."""
    return (isinstance(e, IncidentStatusChanged) and e.task_id is None
            and e.to_status in ENDS_TASKS)


def released(at, reason: str | None) -> dict:
    return {"status": TaskStatus.RELEASED.value, "released_at": at, "release_reason": reason}


def unit_row(e: UnitRegistered) -> dict:
    return {"id": e.unit_id, "call_sign": e.call_sign, "agency": e.agency,
            "post_id": e.post_id, "kind": e.kind, "crew": e.crew or None,
            "tracker": e.tracker, "active": True, "registered_at": e.occurred_at,
            "updated_at": e.occurred_at}


def unit_changes(e: UnitChanged | UnitStatusSet) -> dict:
    """A unit's new configuration (its status is the live model's: only the time here)."""
    if isinstance(e, UnitStatusSet):
        return {"updated_at": e.occurred_at}
    return {"call_sign": e.call_sign, "post_id": e.post_id, "kind": e.kind,
            "crew": e.crew or None, "tracker": e.tracker, "active": e.active,
            "updated_at": e.occurred_at}


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
    tasks: dict[tuple[str, str], dict] = {}
    units: dict[str, dict] = {}
    open_attendance: dict[str, dict] = {}
    found: dict[str, list[dict]] = {"incidents": [], "status_history": [], "tasks": [],
                                    "officers": [], "units": [], "attendance": [],
                                    "incident_ratings": []}
    for e, event_id in events:
        if isinstance(e, ReportReceived):
            incidents[e.incident_id] = incident_row(e)
            found["incidents"].append(incidents[e.incident_id])
            found["status_history"].append(history_row(e, event_id))
        elif isinstance(e, Change):
            if isinstance(e, IncidentAssigned | TaskForwarded):
                tasks[(e.incident_id, e.task_id)] = task_row(e, event_id)
                found["tasks"].append(tasks[(e.incident_id, e.task_id)])
            elif moves_task(e) and (row := tasks.get((e.incident_id, e.task_id))):  # type: ignore
                row.update(task_changes(e))  # type: ignore[arg-type]
            if ends_tasks(e):
                for (incident_id, _), row in tasks.items():
                    if incident_id == e.incident_id and row["status"] in RUNNING_TASKS:
                        row.update(released(e.occurred_at, e.reason or e.to_status.value))
            incidents[e.incident_id].update(incident_changes(e))
            if moves(e):
                found["status_history"].append(history_row(e, event_id))
        elif isinstance(e, IncidentEscalated):
            row = incidents[e.incident_id]
            row.update({k: v for k, v in escalation_changes(e).items()
                        if k != "flagged_at" or row["flagged_at"] is None})
        elif isinstance(e, IncidentReopened):
            incidents[e.incident_id].update(reopen_changes(e))
            found["status_history"].append(reopen_history_row(e, event_id))
        elif isinstance(e, IncidentRated):
            found["incident_ratings"].append(rating_row(e, event_id))
            incidents[e.incident_id]["updated_at"] = e.occurred_at
        elif isinstance(e, OfficerRegistered):
            found["officers"].append(officer_row(e))
        elif isinstance(e, UnitChanged | UnitStatusSet):
            units[e.unit_id].update(unit_changes(e))
        elif isinstance(e, UnitRegistered):
            units[e.unit_id] = unit_row(e)
            found["units"].append(units[e.unit_id])
        elif isinstance(e, OfficerCheckedIn):
            open_attendance[e.officer_id] = attendance_row(e, event_id, zone)
            found["attendance"].append(open_attendance[e.officer_id])
        elif isinstance(e, OfficerCheckedOut):
            if session := open_attendance.pop(e.officer_id, None):
                session.update(check_out_changes(e))
        else:
            raise ValueError(f"no archive rows for {e.type}")
    return found

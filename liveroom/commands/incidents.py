"""Incident commands: report, triage, assign, change status, add a note.

Every command takes the Principal acting (`by`) and checks the permission table
against the incident's current state (its agency, its officer) before anything
is appended: authorization lives here, not in the pages or APIs that call in.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from liveroom.access import Action, Forbidden, Principal, sees_callers
from liveroom.commands import aggregates
from liveroom.commands.officers import get_officer
from liveroom.commands.units import get_unit
from liveroom.domain import incident as domain
from liveroom.domain.calendar import due_after
from liveroom.domain.errors import ConcurrencyConflict, InvalidCommand, NotFound
from liveroom.domain.events import Event, IncidentAssigned, IncidentReassigned, ReportReceived
from liveroom.domain.incident import Incident
from liveroom.domain.lifecycle import TERMINAL, Status
from liveroom.domain.officer import Officer
from liveroom.domain.task import FIX_WITHIN
from liveroom.domain.unit import Unit
from liveroom.domain.unit import claims as unit_claims
from liveroom.room import LiveRoom
from liveroom.streams import Claimed

KIND = "incident"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
#: Steps an officer takes on their own task; the rest is the control room's.
OFFICER_STEPS = frozenset({Status.ACKNOWLEDGED, Status.EN_ROUTE, Status.ON_SCENE,
                           Status.RESOLVED})


def new_incident_id(room: LiveRoom) -> str:
    """A short id citizens can read out: local date + 5 random characters."""
    day = room.clock().astimezone(room.city.timezone).strftime("%y%m%d")
    return f"{day}-{''.join(secrets.choice(_ALPHABET) for _ in range(5))}"


def get_incident(room: LiveRoom, incident_id: str) -> Incident:
    return aggregates.load(room, KIND, Incident, incident_id)[1]


def incident_version(room: LiveRoom, incident_id: str) -> int:
    return aggregates.load(room, KIND, Incident, incident_id)[0]


def view_incident(room: LiveRoom, incident_id: str, *, by: Principal) -> dict:
    """An incident and its version, for those who may see it (officers: their own); its
    callers in full only for its own people (`sees_callers`), else masked."""
    version, incident = aggregates.load(room, KIND, Incident, incident_id)
    if not (by.can(Action.VIEW_LIVE, incident.agency) or _works_on(by, incident, True)):
        raise Forbidden(f"{by.actor} may not view incident {incident_id}")
    shown = incident.model_copy(update={
        "callers": incident.callers_for(sees_callers(by, incident.agency))})
    return {**shown.model_dump(mode="json"), "version": version}


def report_incident(
    room: LiveRoom, *, category: str, lat: float, lon: float, source: str, by: Principal,
    description: str = "", address: str | None = None, media_url: str | None = None,
    reporter: dict[str, str] | None = None, attributes: dict[str, str | list[str]] | None = None,
    location_approximate: bool = False, priority: int | None = None,
    priority_reason: str | None = None,
) -> Incident:
    """Receive a citizen's report and triage it from the city pack, atomically (at the
    category's priority, or at `priority` for `priority_reason`)."""
    by.check(Action.REPORT)
    original = likely_duplicate(room, category, lat, lon)
    for _ in range(aggregates.RETRIES):
        received = ReportReceived(
            incident_id=new_incident_id(room), occurred_at=room.clock(), actor=by.actor,
            category=category, description=description.strip(), lat=lat, lon=lon,
            address=address, source=source, media_url=media_url, reporter=reporter or {},
            attributes=attributes or {}, location_approximate=location_approximate,
        )
        events = domain.decide_report(room.city, received, original, priority,
                                      priority_reason)
        state = None
        for event in events:
            state = domain.evolve(state, event)
        try:
            aggregates.create(room, KIND, received.incident_id, events, state)
            return state
        except ConcurrencyConflict:
            continue  # the random id was taken; draw another
    raise ConcurrencyConflict("could not allocate an incident id")


def likely_duplicate(room: LiveRoom, category: str, lat: float, lon: float) -> Incident | None:
    """The nearest open incident of the same category, reported recently nearby, if any.

    Reads the live model (open incidents only); thresholds are settings.
    """
    radius = room.settings.duplicate_radius_m
    if not (radius and room.settings.duplicate_window_minutes and room.city.contains(lat, lon)):
        return None  # (a point outside the city is refused by the domain, with its reason)
    since = room.clock() - timedelta(minutes=room.settings.duplicate_window_minutes)
    nearby = room.redis.geosearch(room.live.incidents_geo, longitude=lon,
                                  latitude=lat, radius=radius, unit="m", sort="ASC", count=20)
    pipe = room.redis.pipeline(transaction=False)
    for incident_id in nearby:
        pipe.hmget(room.live.incident(incident_id), ["category", "reported_at"])
    for incident_id, (found_category, reported) in zip(nearby, pipe.execute(), strict=True):
        if found_category == category and reported and datetime.fromisoformat(reported) >= since:
            try:
                original = get_incident(room, incident_id)
            except NotFound:
                continue
            if original.status not in TERMINAL:
                return original
    return None


def _placed(room: LiveRoom, events: list[Event]) -> list[Event]:
    """Each dispatch with where its unit or officer is: the live model's latest fix, if it
    is fresh (`task.FIX_WITHIN`), as the archive keeps it (arrival times learn from it)."""
    placed = []
    for event in events:
        if isinstance(event, IncidentAssigned | IncidentReassigned):
            key = (room.live.unit(event.unit_id) if event.unit_id
                   else room.live.officer(event.officer_id or ""))
            lat, lon, at = room.redis.hmget(key, ["lat", "lon", "fix_at"])
            if lat and lon and at and (
                    room.clock() - datetime.fromisoformat(at) <= FIX_WITHIN):
                event = event.model_copy(update={"from_lat": float(lat),
                                                 "from_lon": float(lon)})
        placed.append(event)
    return placed


def _run(room: LiveRoom, incident_id: str, decide, expected_version: int | None) -> Incident:
    def decided(incident: Incident) -> list[Event]:
        return _placed(room, domain.stamped(incident, decide(incident)))

    try:
        return aggregates.execute(room, KIND, Incident, domain.evolve, incident_id, decided,
                                  expected_version, claims=unit_claims)
    except Claimed as exc:
        unit = get_unit(room, exc.name.removeprefix("unit:"))
        raise InvalidCommand(f"unit {unit.call_sign} is on {exc.holder} already",
                             rule="unit_busy", unit=unit.call_sign,
                             incident=exc.holder.split("/")[0]) from None


def _works_on(by: Principal, incident: Incident, done_too: bool = False) -> bool:
    """Whether `by` is an officer on one of the incident's tasks (running, or any)."""
    task = incident.task_of(by.officer_id, done_too=done_too)
    return task is not None and by.can(Action.WORK_OWN_TASKS, task.agency, by.officer_id)


def triage_incident(
    room: LiveRoom, incident_id: str, *, category: str, by: Principal,
    priority: int | None = None, priority_reason: str | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Re-route an incident not yet assigned: another category, agency or priority (other
    than the category's: with its reason)."""
    target = room.city.categories.get(category)

    def decide(incident: Incident):
        by.check(Action.TRIAGE, incident.agency)
        if target is not None:
            by.check(Action.TRIAGE, target.agency)
        return domain.triage_event(room.city, incident, category, room.clock(), by.actor,
                                   priority, priority_reason)

    return _run(room, incident_id, decide, expected_version)


def escalate_incident(room: LiveRoom, incident_id: str, *, by: Principal) -> Incident:
    """One step up in priority (1 is the top), before anyone is assigned."""
    current = get_incident(room, incident_id)
    if current.priority == 1:
        raise InvalidCommand(f"incident {incident_id} is already top priority")
    return triage_incident(room, incident_id, category=current.category,
                           priority=(current.priority or 4) - 1, by=by,
                           priority_reason="escalated")


def assign_incident(
    room: LiveRoom, incident_id: str, officer_id: str, *, by: Principal,
    reason: str | None = None, expected_version: int | None = None,
) -> Incident:
    """Assign (operators) or reassign (supervisors) an incident's main task to an officer."""
    officer: Officer = get_officer(room, officer_id)

    def decide(incident: Incident):
        action = Action.ASSIGN if incident.officer_id is None else Action.REASSIGN
        by.check(action, incident.agency)
        by.check(action, officer.agency)
        return domain.decide_assign(incident, officer, room.clock(), by.actor, reason)

    return _run(room, incident_id, decide, expected_version)


def dispatch_incident(
    room: LiveRoom, incident_id: str, *, by: Principal, units: Sequence[str] = (),
    officers: Sequence[str] = (), expected_version: int | None = None,
) -> Incident:
    """Send units and officers to an incident at once, a task each (a run card's lines):
    all of them or, if one is busy or refused, none."""
    if not units and not officers:
        raise InvalidCommand("dispatch needs a unit or an officer", rule="dispatch_whom")
    sent = ([get_unit(room, u) for u in dict.fromkeys(units)],
            [get_officer(room, o) for o in dict.fromkeys(officers)])

    def decide(incident: Incident):
        by.check(Action.ASSIGN, incident.agency)
        events, state = [], incident
        for whom in (*sent[0], *sent[1]):
            by.check(Action.ASSIGN, whom.agency)
            kind = "unit" if isinstance(whom, Unit) else "officer"
            events.append(domain.decide_dispatch(state, room.clock(), by.actor,
                                                 **{kind: whom}))
            state = domain.evolve(state, events[-1])
        return events

    return _run(room, incident_id, decide, expected_version)


def reassign_task(room: LiveRoom, incident_id: str, task_id: str, *, by: Principal,
                  reason: str, officer_id: str | None = None, unit_id: str | None = None,
                  expected_version: int | None = None) -> Incident:
    """A running task to another officer or unit (supervisors), for a reason."""
    officer = get_officer(room, officer_id) if officer_id else None
    unit = get_unit(room, unit_id) if unit_id else None

    def decide(incident: Incident):
        by.check(Action.REASSIGN, incident.agency)
        by.check(Action.REASSIGN, (officer or unit).agency if officer or unit else None)
        return domain.decide_reassign(incident, task_id, room.clock(), by.actor, reason,
                                      officer=officer, unit=unit)

    return _run(room, incident_id, decide, expected_version)


def release_task(room: LiveRoom, incident_id: str, task_id: str, *, by: Principal,
                 reason: str, expected_version: int | None = None) -> Incident:
    """Stand a task down (the control room), for a reason."""

    def decide(incident: Incident):
        task = incident.task(task_id)
        by.check(Action.ASSIGN, task.agency if task else incident.agency)
        return domain.decide_release(incident, task_id, reason, room.clock(), by.actor)

    return _run(room, incident_id, decide, expected_version)


def forward_incident(room: LiveRoom, incident_id: str, body: str, *, by: Principal,
                     reference: str = "", expected_version: int | None = None) -> Incident:
    """Hand the incident to an outside body (PLN, PDAM, Telkom) with its reference number;
    its follow-up is due at the end of the body's `follow_up_days`th working day."""
    known = room.city.external_bodies.get(body)
    if known is None:
        raise InvalidCommand(f"unknown body {body!r}", rule="unknown_body", body=body)

    def decide(incident: Incident):
        by.check(Action.ASSIGN, incident.agency)
        now = room.clock()
        return domain.decide_forward(incident, body, reference,
                                     due_after(now, known.follow_up_days, room.city), now,
                                     by.actor)

    return _run(room, incident_id, decide, expected_version)


def change_status(
    room: LiveRoom, incident_id: str, status: Status | str, *, by: Principal,
    reason: str | None = None, duplicate_of: str | None = None,
    expected_version: int | None = None, media_url: str | None = None,
    task_id: str | None = None,
) -> Incident:
    """Move an incident along its lifecycle; illegal moves are refused (`media_url`: the
    photo of the work done, on resolve).

    Officers move their own task (acknowledged .. resolved); the control room moves any
    task (`task_id`; its main one when not said) or the incident of its agencies.
    """
    target = Status(status)
    original = get_incident(room, duplicate_of) if duplicate_of else None

    def decide(incident: Incident):
        task = incident.task(task_id) if task_id else None
        mine = task or incident.task_of(by.officer_id)
        if target in OFFICER_STEPS and mine is not None and mine.has(by.officer_id) and by.can(
                Action.WORK_OWN_TASKS, mine.agency, by.officer_id):
            task = mine  # an officer's own step
        else:
            by.check(Action.CHANGE_STATUS, task.agency if task else incident.agency)
        return domain.decide_status(incident, target, room.clock(), by.actor, reason, original,
                                    media_url, room.city.dispatch,
                                    task.id if task else None)

    return _run(room, incident_id, decide, expected_version)


def add_note(room: LiveRoom, incident_id: str, text: str, *, by: Principal) -> Incident:
    def decide(incident: Incident):
        if not (by.can(Action.ADD_NOTE, incident.agency, incident.officer_id)
                or _works_on(by, incident, True)):
            raise Forbidden(f"{by.actor} may not add_note to incident {incident.id}")
        return domain.decide_note(incident, text, room.clock(), by.actor)

    return _run(room, incident_id, decide, None)

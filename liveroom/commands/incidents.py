"""Incident commands: report, triage, assign, change status, add a note.

Every command takes the Principal acting (`by`) and checks the permission table
against the incident's current state (its agency, its officer) before anything
is appended: authorization lives here, not in the pages or APIs that call in.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from liveroom.access import Action, Forbidden, Principal, sees_callers
from liveroom.commands import aggregates
from liveroom.commands.officers import get_officer
from liveroom.domain import incident as domain
from liveroom.domain.errors import ConcurrencyConflict, InvalidCommand, NotFound
from liveroom.domain.events import ReportReceived
from liveroom.domain.incident import Incident
from liveroom.domain.lifecycle import TERMINAL, Status
from liveroom.domain.officer import Officer
from liveroom.room import LiveRoom

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
    if not (by.can(Action.VIEW_LIVE, incident.agency)
            or by.can(Action.WORK_OWN_TASKS, incident.agency, incident.officer_id)):
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


def _run(room: LiveRoom, incident_id: str, decide, expected_version: int | None) -> Incident:
    return aggregates.execute(
        room, KIND, Incident, domain.evolve, incident_id, decide, expected_version
    )


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
    """Assign (operators) or reassign (supervisors) an incident to an officer."""
    officer: Officer = get_officer(room, officer_id)

    def decide(incident: Incident):
        action = Action.ASSIGN if incident.officer_id is None else Action.REASSIGN
        by.check(action, incident.agency)
        by.check(action, officer.agency)
        return domain.decide_assign(incident, officer, room.clock(), by.actor, reason)

    return _run(room, incident_id, decide, expected_version)


def change_status(
    room: LiveRoom, incident_id: str, status: Status | str, *, by: Principal,
    reason: str | None = None, duplicate_of: str | None = None,
    expected_version: int | None = None, media_url: str | None = None,
) -> Incident:
    """Move an incident along its lifecycle; illegal moves are refused (`media_url`: the
    photo of the work done, on resolve).

    Officers move their own tasks (acknowledged .. resolved); the control room
    moves any incident of its agencies.
    """
    target = Status(status)
    original = get_incident(room, duplicate_of) if duplicate_of else None

    def decide(incident: Incident):
        own_step = target in OFFICER_STEPS and by.can(
            Action.WORK_OWN_TASKS, incident.agency, incident.officer_id)
        if not own_step:
            by.check(Action.CHANGE_STATUS, incident.agency)
        return domain.decide_status(incident, target, room.clock(), by.actor, reason, original,
                                    media_url)

    return _run(room, incident_id, decide, expected_version)


def add_note(room: LiveRoom, incident_id: str, text: str, *, by: Principal) -> Incident:
    def decide(incident: Incident):
        if not by.can(Action.ADD_NOTE, incident.agency, incident.officer_id):
            raise Forbidden(f"{by.actor} may not add_note to incident {incident.id}")
        return domain.decide_note(incident, text, room.clock(), by.actor)

    return _run(room, incident_id, decide, None)

"""Incident commands: report, triage, assign, change status, add a note."""

from __future__ import annotations

import secrets
from functools import partial

from liveroom.domain import incident as domain
from liveroom.domain.errors import ConcurrencyConflict
from liveroom.domain.events import ReportReceived
from liveroom.domain.incident import Incident
from liveroom.domain.lifecycle import Status
from liveroom.domain.officer import Officer
from liveroom.room import LiveRoom
from liveroom.services import aggregates
from liveroom.services.officers import get_officer

KIND = "incident"
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U


def new_incident_id(room: LiveRoom) -> str:
    """A short id citizens can read out: local date + 5 random characters."""
    day = room.clock().astimezone(room.city.timezone).strftime("%y%m%d")
    return f"{day}-{''.join(secrets.choice(_ALPHABET) for _ in range(5))}"


def get_incident(room: LiveRoom, incident_id: str) -> Incident:
    return aggregates.load(room, KIND, Incident, incident_id)[1]


def incident_version(room: LiveRoom, incident_id: str) -> int:
    return aggregates.load(room, KIND, Incident, incident_id)[0]


def report_incident(
    room: LiveRoom, *, category: str, lat: float, lon: float, source: str, actor: str,
    description: str = "", address: str | None = None, media_url: str | None = None,
    reporter: dict[str, str] | None = None,
) -> Incident:
    """Receive a citizen's report and triage it from the city pack, atomically."""
    for _ in range(aggregates.RETRIES):
        received = ReportReceived(
            incident_id=new_incident_id(room), occurred_at=room.clock(), actor=actor,
            category=category, description=description.strip(), lat=lat, lon=lon,
            address=address, source=source, media_url=media_url, reporter=reporter or {},
        )
        events = domain.decide_report(room.city, received)
        state = None
        for event in events:
            state = domain.evolve(state, event)
        try:
            aggregates.create(room, KIND, received.incident_id, events, state)
            return state
        except ConcurrencyConflict:
            continue  # the random id was taken; draw another
    raise ConcurrencyConflict("could not allocate an incident id")


def _run(room: LiveRoom, incident_id: str, decide, expected_version: int | None) -> Incident:
    return aggregates.execute(
        room, KIND, Incident, domain.evolve, incident_id, decide, expected_version
    )


def triage_incident(
    room: LiveRoom, incident_id: str, *, category: str, actor: str,
    priority: int | None = None, expected_version: int | None = None,
) -> Incident:
    """Re-route an incident not yet assigned: another category, agency or priority."""
    decide = partial(_triage, room, category=category, actor=actor, priority=priority)
    return _run(room, incident_id, decide, expected_version)


def _triage(room: LiveRoom, incident: Incident, *, category, actor, priority):
    return domain.triage_event(room.city, incident, category, room.clock(), actor, priority)


def assign_incident(
    room: LiveRoom, incident_id: str, officer_id: str, *, actor: str,
    reason: str | None = None, expected_version: int | None = None,
) -> Incident:
    """Assign, or reassign, an incident to an officer (who brings their agency)."""
    officer: Officer = get_officer(room, officer_id)
    decide = partial(_assign, room, officer=officer, actor=actor, reason=reason)
    return _run(room, incident_id, decide, expected_version)


def _assign(room: LiveRoom, incident: Incident, *, officer, actor, reason):
    return domain.decide_assign(incident, officer, room.clock(), actor, reason)


def change_status(
    room: LiveRoom, incident_id: str, status: Status | str, *, actor: str,
    reason: str | None = None, duplicate_of: str | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Move an incident along its lifecycle; illegal moves are refused."""
    target = Status(status)
    original = get_incident(room, duplicate_of) if duplicate_of else None
    decide = partial(_status, room, target=target, actor=actor, reason=reason, original=original)
    return _run(room, incident_id, decide, expected_version)


def _status(room: LiveRoom, incident: Incident, *, target, actor, reason, original):
    return domain.decide_status(incident, target, room.clock(), actor, reason, original)


def add_note(
    room: LiveRoom, incident_id: str, text: str, *, actor: str
) -> Incident:
    return _run(room, incident_id, partial(_note, room, text=text, actor=actor), None)


def _note(room: LiveRoom, incident: Incident, *, text, actor):
    return domain.decide_note(incident, text, room.clock(), actor)

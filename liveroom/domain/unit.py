"""The unit aggregate: a crew with a call sign (a fire engine, a sanitation truck, a Dishub
patrol car), its agency, home post, registered officers and optional tracker. Which task it
is on is the incidents' business (`domain.task`); a unit is never on two at once (the event
store's claim, `streams.EventStore.append`). Pure."""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import AwareDatetime, BaseModel

from liveroom.cities import City
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import (
    Event,
    IncidentAssigned,
    IncidentReassigned,
    IncidentStatusChanged,
    TaskReleased,
    UnitChanged,
    UnitRegistered,
    UnitStatusSet,
)

CREW_MAX = 12
#: a unit's id: what screens, claims and the CLI name it by
UNIT_ID = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?")


class Unit(BaseModel):
    """What commands need to know about one unit."""

    id: str
    call_sign: str
    agency: str
    post_id: str | None = None
    kind: str = ""
    crew: list[str] = []
    tracker: str | None = None
    active: bool = True
    status: str = "available"  # as last set by the unit or the room (not its task)
    since: AwareDatetime | None = None

    @property
    def dispatchable(self) -> bool:
        return self.active and self.status != "out_of_service"


def unit_id_for(call_sign: str) -> str:
    """The id a unit gets from its call sign when none is given: "Damkar 01" -> damkar-01."""
    return re.sub(r"[^a-z0-9]+", "-", call_sign.lower()).strip("-")[:64].strip("-")


def claim_key(unit_id: str) -> str:
    """The name of the claim a task holds on its unit (under the store's namespace)."""
    return f"unit:{unit_id}"


def _check(city: City, call_sign: str, agency: str, post_id: str | None,
           crew: list[str], known_officers: dict[str, str]) -> None:
    if agency not in city.agencies:
        raise InvalidCommand(f"unknown agency {agency!r}", rule="unknown_agency")
    if post_id is not None and post_id not in city.posts:
        raise InvalidCommand(f"unknown post {post_id!r}", rule="unknown_post")
    if not call_sign.strip():
        raise InvalidCommand("a unit needs a call sign", rule="call_sign_missing")
    if len(crew) > CREW_MAX or len(set(crew)) != len(crew):
        raise InvalidCommand(f"a crew is up to {CREW_MAX} different officers",
                             rule="crew_invalid")
    for officer_id in crew:
        if known_officers.get(officer_id) != agency:
            raise InvalidCommand(f"officer {officer_id!r} is not an officer of {agency}",
                                 rule="crew_invalid", officer=officer_id)


def decide_register(city: City, unit_id: str, call_sign: str, agency: str,
                    post_id: str | None, kind: str, crew: list[str], tracker: str | None,
                    known_officers: dict[str, str], now: datetime,
                    actor: str) -> UnitRegistered:
    """`known_officers`: officer id -> agency, for the crew and the tracker."""
    _check(city, call_sign, agency, post_id, crew, known_officers)
    if not UNIT_ID.fullmatch(unit_id):
        raise InvalidCommand(f"a unit id is lowercase letters, digits and hyphens, not "
                             f"{unit_id!r}", rule="unit_id_invalid")
    if tracker is not None and tracker not in known_officers:
        raise InvalidCommand(f"no tracker {tracker!r}", rule="unknown_tracker")
    return UnitRegistered(unit_id=unit_id, occurred_at=now, actor=actor,
                          call_sign=call_sign.strip(), agency=agency, post_id=post_id,
                          kind=kind.strip(), crew=crew, tracker=tracker)


def decide_change(city: City, unit: Unit, known_officers: dict[str, str], now: datetime,
                  actor: str, **changes) -> UnitChanged:
    """Replace some of a unit's configuration (call_sign, post_id, kind, crew, tracker,
    active); its agency stays."""
    merged = unit.model_dump() | {k: v for k, v in changes.items() if k in _CHANGEABLE}
    _check(city, merged["call_sign"], unit.agency, merged["post_id"], merged["crew"],
           known_officers)
    if merged["tracker"] is not None and merged["tracker"] not in known_officers:
        raise InvalidCommand(f"no tracker {merged['tracker']!r}", rule="unknown_tracker")
    return UnitChanged(unit_id=unit.id, occurred_at=now, actor=actor,
                       call_sign=merged["call_sign"].strip(), agency=unit.agency,
                       post_id=merged["post_id"], kind=merged["kind"], crew=merged["crew"],
                       tracker=merged["tracker"], active=merged["active"],
                       previous_crew=unit.crew, previous_tracker=unit.tracker)


_CHANGEABLE = frozenset({"call_sign", "post_id", "kind", "crew", "tracker", "active"})


def decide_status(unit: Unit, status: str, reason: str | None, now: datetime,
                  actor: str) -> UnitStatusSet:
    """Available, returning or out of service (this needs a reason)."""
    if status not in ("available", "returning", "out_of_service"):
        raise InvalidCommand(f"a unit's status {status!r} comes from its task",
                             rule="unit_status")
    if status == "out_of_service" and not (reason or "").strip():
        raise InvalidCommand("out of service needs a reason", rule="out_of_service_reason")
    return UnitStatusSet(unit_id=unit.id, occurred_at=now, actor=actor, agency=unit.agency,
                         status=status, reason=(reason or "").strip() or None)


def evolve(unit: Unit | None, event: Event) -> Unit:
    match event:
        case UnitChanged() if unit is not None:
            return unit.model_copy(update=dict(
                call_sign=event.call_sign, post_id=event.post_id, kind=event.kind,
                crew=event.crew, tracker=event.tracker, active=event.active))
        case UnitRegistered():
            return Unit(id=event.unit_id, call_sign=event.call_sign, agency=event.agency,
                        post_id=event.post_id, kind=event.kind, crew=event.crew,
                        tracker=event.tracker, since=event.occurred_at)
        case UnitStatusSet() if unit is not None:
            return unit.model_copy(update=dict(status=event.status, since=event.occurred_at))
    raise InvalidCommand(f"{event.type} is not a unit event")


def claims(events: list[Event]) -> tuple[dict[str, str], dict[str, str]]:
    """The unit claims an incident's events take and give up (name -> "incident/task"): a
    dispatched unit is held by its task until the task is done or released."""
    taken: dict[str, str] = {}
    freed: dict[str, str] = {}
    for event in events:
        holder = f"{getattr(event, 'incident_id', '')}/{getattr(event, 'task_id', '')}"
        match event:
            case IncidentAssigned() | IncidentReassigned() if event.unit_id:
                taken[claim_key(event.unit_id)] = holder
        match event:
            case IncidentReassigned() if event.previous_unit_id != event.unit_id:
                if event.previous_unit_id:
                    freed[claim_key(event.previous_unit_id)] = holder
            case TaskReleased() if event.unit_id:
                freed[claim_key(event.unit_id)] = holder
            case IncidentStatusChanged() if event.unit_id and event.task_status == "done":
                freed[claim_key(event.unit_id)] = holder
    return taken, freed

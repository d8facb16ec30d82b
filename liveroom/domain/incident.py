"""The incident aggregate: its state, the events it emits, and how events change it.

`decide_*` functions check a command against the current state and return the
events to append (or raise a DomainError); `evolve` folds one event into state.
Both are pure: no I/O, no clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, computed_field, model_validator

from liveroom.cities import City
from liveroom.domain.calendar import sla_dues
from liveroom.domain.caller import Caller
from liveroom.domain.errors import IllegalTransition, InvalidCommand
from liveroom.domain.events import (
    Event,
    IncidentAssigned,
    IncidentEscalated,
    IncidentReassigned,
    IncidentStatusChanged,
    NoteAdded,
    ReporterAdded,
    ReportersMerged,
    ReportReceived,
    ReportTriaged,
)
from liveroom.domain.lifecycle import SETTABLE, TERMINAL, WITH_OFFICER, Status, can_move
from liveroom.domain.officer import Officer


class Incident(BaseModel):
    """What commands need to know about one incident, and what its reporter may read at
    once (description, photo, answers, due time) before the archive has caught up."""

    id: str
    status: Status
    category: str
    lat: float
    lon: float
    reported_at: AwareDatetime
    agency: str | None = None
    priority: int | None = None
    district: str | None = None
    officer_id: str | None = None
    duplicate_of: str | None = None
    notes: int = 0
    #: who reported it: the first, each caller added since, and those merged from duplicates
    callers: list[Caller] = []
    description: str = ""
    address: str | None = None
    media_url: str | None = None
    attributes: dict[str, str | list[str]] = {}
    resolve_due: AwareDatetime | None = None
    acknowledge_due: AwareDatetime | None = None
    #: when it was first acknowledged and resolved (what its SLA deadlines are held to)
    acknowledged_at: AwareDatetime | None = None
    resolved_at: AwareDatetime | None = None
    #: the escalation rules that have acted on it (`domain.escalation`), each once
    escalated: list[str] = []
    updated_at: AwareDatetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reporters(self) -> int:
        """How many reported it (the live model and the archive count the same)."""
        return len(self.callers)

    def callers_for(self, full: bool) -> list[Caller]:
        """The callers in full, or masked (`Caller.masked`) for those who may not see them."""
        return list(self.callers) if full else [c.masked() for c in self.callers]

    @property
    def merged(self) -> frozenset[str]:
        """The incidents whose callers were moved here (each once)."""
        return frozenset(c.merged_from for c in self.callers if c.merged_from)

    @model_validator(mode="before")
    @classmethod
    def _counted_before_callers(cls, data: Any) -> Any:
        """A snapshot stored before callers were kept counted them only: as many callers,
        of an unknown channel (`rebuild` recomputes them from the events)."""
        if isinstance(data, dict) and "callers" not in data and "reported_at" in data:
            unknown = {"source": "", "at": data["reported_at"]}
            data = {**data, "callers": [unknown] * int(data.get("reporters") or 1)}
        return data


def _refuse_unless(incident: Incident, target: Status) -> None:
    if not can_move(incident.status, target):
        raise IllegalTransition(
            f"incident {incident.id} is {incident.status.value}; it cannot become {target.value}",
            incident=incident.id, status=incident.status.value, target=target.value)


def triage_event(
    city: City, incident: Incident, category: str, now: datetime, actor: str,
    priority: int | None = None, priority_reason: str | None = None,
) -> ReportTriaged:
    """Route by the city pack: category -> agency, priority and SLA due times; a priority
    other than the category's needs its reason."""
    cat = city.categories.get(category)
    if cat is None:
        raise InvalidCommand(f"unknown category {category!r}", rule="unknown_category")
    reason = (priority_reason or "").strip() or None
    if priority is not None and priority != cat.priority and reason is None:
        raise InvalidCommand(f"priority {priority} instead of {cat.priority} needs a reason",
                             rule="priority_reason", priority=priority)
    district = city.district_at(incident.lat, incident.lon)
    if district is None:
        raise InvalidCommand(f"point ({incident.lat}, {incident.lon}) is outside {city.name}",
                             rule="outside_city", city=city.name)
    _refuse_unless(incident, Status.TRIAGED)
    acknowledge_due, resolve_due = sla_dues(cat, incident.reported_at, city)
    return ReportTriaged(
        incident_id=incident.id, occurred_at=now, actor=actor, from_status=incident.status,
        category=cat.code, agency=cat.agency, previous_agency=incident.agency,
        priority=priority or cat.priority, district=district.code,
        priority_reason=reason if priority not in (None, cat.priority) else None,
        acknowledge_due=acknowledge_due, resolve_due=resolve_due,
    )


def decide_report(city: City, received: ReportReceived, duplicate_of: Incident | None = None,
                  priority: int | None = None, priority_reason: str | None = None,
                  ) -> list[Event]:
    """A new report is received and triaged on arrival (at the category's priority, or one
    given with its reason); a likely duplicate of an open incident is linked to it at once
    (the citizen still has their own tracking number)."""
    category = city.categories.get(received.category)
    if category is None:
        raise InvalidCommand(f"unknown category {received.category!r}", rule="unknown_category")
    try:
        answers = category.check_answers(received.attributes)
    except ValueError as exc:
        raise InvalidCommand(str(exc)) from None
    received = received.model_copy(update={"attributes": answers})
    state = evolve(None, received)
    events: list[Event] = [received]
    events.append(triage_event(city, state, received.category, received.occurred_at,
                               received.actor, priority, priority_reason))
    if duplicate_of is not None:
        state = evolve(state, events[-1])
        events.append(decide_status(state, Status.DUPLICATE, received.occurred_at,
                                    received.actor, "duplicate on arrival", duplicate_of))
    return events


def decide_assign(
    incident: Incident, officer: Officer, now: datetime, actor: str, reason: str | None = None
) -> Event:
    """Give the incident to an officer; the incident takes the officer's agency."""
    if not officer.active:
        raise InvalidCommand(f"officer {officer.id} is not active", rule="officer_inactive",
                             officer=officer.name)
    if incident.officer_id == officer.id and incident.status in WITH_OFFICER:
        raise InvalidCommand(f"incident {incident.id} is already assigned to {officer.id}",
                             rule="already_assigned", incident=incident.id, officer=officer.name)
    _refuse_unless(incident, Status.ASSIGNED)
    if incident.officer_id is not None and not (reason or "").strip():
        raise InvalidCommand(f"reassigning incident {incident.id} needs a reason",
                             rule="reassign_reason", incident=incident.id)
    common = dict(
        incident_id=incident.id, occurred_at=now, actor=actor, from_status=incident.status,
        officer_id=officer.id, agency=officer.agency, previous_agency=incident.agency or "",
    )
    if incident.officer_id is None:
        return IncidentAssigned(**common)
    return IncidentReassigned(**common, previous_officer_id=incident.officer_id, reason=reason)


def decide_status(
    incident: Incident, target: Status, now: datetime, actor: str,
    reason: str | None = None, duplicate_of: Incident | None = None,
    media_url: str | None = None,
) -> IncidentStatusChanged:
    """Move along the lifecycle; assignment and triage have their own commands. A photo
    (`media_url`) goes only with resolving: it shows the work done."""
    if target not in SETTABLE:
        raise InvalidCommand(f"status {target.value} is set by its own command, not change_status")
    _refuse_unless(incident, target)
    original = None
    if target is Status.DUPLICATE:
        if duplicate_of is None:
            raise InvalidCommand("marking a duplicate needs the incident it duplicates",
                                 rule="duplicate_of_missing")
        original = duplicate_of.duplicate_of or duplicate_of.id
        if original == incident.id:
            raise InvalidCommand("an incident cannot duplicate itself", rule="duplicate_itself")
        if duplicate_of.status in TERMINAL - {Status.CLOSED, Status.DUPLICATE}:
            raise InvalidCommand(f"incident {duplicate_of.id} is {duplicate_of.status.value}")
    elif duplicate_of is not None:
        raise InvalidCommand("duplicate_of is only for marking a duplicate")
    if target is Status.REJECTED and not (reason or "").strip():
        raise InvalidCommand("rejecting a report needs a reason", rule="reject_reason")
    if media_url and target is not Status.RESOLVED:
        raise InvalidCommand("a photo goes only with resolving")
    return IncidentStatusChanged(
        incident_id=incident.id, occurred_at=now, actor=actor, from_status=incident.status,
        to_status=target, agency=incident.agency or "", officer_id=incident.officer_id,
        reason=reason, duplicate_of=original, media_url=media_url,
    )


def decide_note(incident: Incident, text: str, now: datetime, actor: str) -> NoteAdded:
    """Notes may be added at any status, closed ones included."""
    if not text.strip():
        raise InvalidCommand("a note needs text", rule="note_empty")
    return NoteAdded(incident_id=incident.id, occurred_at=now, actor=actor, text=text.strip())


def decide_add_reporter(incident: Incident, source: str, reporter: dict[str, str],
                        description: str, now: datetime, actor: str) -> ReporterAdded:
    """Another caller about an open incident; a closed one (or one marked a duplicate:
    its original holds the callers) takes a new report instead."""
    if incident.status in TERMINAL:
        raise InvalidCommand(f"incident {incident.id} is {incident.status.value}: report it "
                             "anew", rule="incident_closed", incident=incident.id,
                             status=incident.status.value,
                             duplicate_of=incident.duplicate_of or "")
    return ReporterAdded(incident_id=incident.id, occurred_at=now, actor=actor,
                         source=source, reporter=reporter, description=description.strip())


def decide_merge(survivor: Incident, duplicate: Incident, now: datetime,
                 actor: str) -> ReportersMerged:
    """Move a duplicate's callers to the incident it duplicates, once: a survivor that holds
    them already refuses. A closed survivor takes them too (they need telling)."""
    if duplicate.status is not Status.DUPLICATE or duplicate.duplicate_of is None:
        raise InvalidCommand(f"incident {duplicate.id} is not a duplicate",
                             rule="not_duplicate", incident=duplicate.id)
    if duplicate.id == survivor.id or duplicate.id in survivor.merged:
        raise InvalidCommand(f"incident {survivor.id} holds the callers of {duplicate.id} "
                             "already", rule="already_merged", incident=survivor.id,
                             duplicate=duplicate.id)
    return ReportersMerged(incident_id=survivor.id, occurred_at=now, actor=actor,
                           duplicate_id=duplicate.id,
                           callers=[c.moved_from(duplicate.id) for c in duplicate.callers])


def evolve(incident: Incident | None, event: Event) -> Incident:
    """Fold one event into the incident's state."""
    match event:
        case ReportReceived():
            return Incident(
                id=event.incident_id, status=Status.RECEIVED, category=event.category,
                lat=event.lat, lon=event.lon, reported_at=event.occurred_at,
                description=event.description, address=event.address,
                media_url=event.media_url, attributes=event.attributes,
                updated_at=event.occurred_at,
                callers=[Caller.of(event.source, event.reporter, event.occurred_at)],
            )
        case ReportTriaged():
            return _require(incident).model_copy(update=dict(
                status=Status.TRIAGED, category=event.category, agency=event.agency,
                priority=event.priority, district=event.district, resolve_due=event.resolve_due,
                acknowledge_due=event.acknowledge_due, updated_at=event.occurred_at,
            ))
        case IncidentAssigned() | IncidentReassigned():
            return _require(incident).model_copy(update=dict(
                status=Status.ASSIGNED, officer_id=event.officer_id, agency=event.agency,
                updated_at=event.occurred_at,
            ))
        case IncidentStatusChanged():
            current = _require(incident)
            first = f"{event.to_status.value}_at"  # acknowledged_at, resolved_at: the first
            firsts = ({first: getattr(current, first) or event.occurred_at}
                      if event.to_status in (Status.ACKNOWLEDGED, Status.RESOLVED) else {})
            return current.model_copy(update=dict(
                status=event.to_status, duplicate_of=event.duplicate_of,
                updated_at=event.occurred_at, **firsts,
            ))
        case IncidentEscalated():
            current = _require(incident)
            return current.model_copy(update=dict(
                escalated=[*current.escalated, event.rule],
                priority=event.priority or current.priority,
            ))
        case NoteAdded():
            current = _require(incident)
            return current.model_copy(update=dict(notes=current.notes + 1))
        case ReporterAdded():
            current = _require(incident)
            added = Caller.of(event.source, event.reporter, event.occurred_at)
            return current.model_copy(update=dict(callers=[*current.callers, added],
                                                  updated_at=event.occurred_at))
        case ReportersMerged():
            current = _require(incident)
            return current.model_copy(update=dict(callers=[*current.callers, *event.callers]))
    raise InvalidCommand(f"{event.type} is not an incident event")


def _require(incident: Incident | None) -> Incident:
    if incident is None:
        raise InvalidCommand("event for an incident that was never reported")
    return incident

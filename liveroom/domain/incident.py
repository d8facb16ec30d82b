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
from liveroom.cities.dispatch import DispatchRules
from liveroom.domain.calendar import sla_dues
from liveroom.domain.caller import Caller
from liveroom.domain.errors import IllegalTransition, InvalidCommand
from liveroom.domain.events import (
    Event,
    IncidentAssigned,
    IncidentEscalated,
    IncidentRated,
    IncidentReassigned,
    IncidentReopened,
    IncidentStatusChanged,
    NoteAdded,
    ReporterAdded,
    ReportersErased,
    ReportersMerged,
    ReportReceived,
    ReportTriaged,
    TaskEvent,
    TaskForwarded,
    TaskReleased,
)
from liveroom.domain.feedback import Feedback, evolve_rated, evolve_reopened
from liveroom.domain.lifecycle import (
    AS_TASK,
    PROGRESS,
    SETTABLE,
    TERMINAL,
    Status,
    TaskStatus,
    can_move,
)
from liveroom.domain.officer import Officer
from liveroom.domain.task import Task, furthest, next_task_id, running
from liveroom.domain.unit import Unit


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
    #: the officer it is with: the first running task's (its lead agency's first), else the
    #: last done; kept for the views that show one officer
    officer_id: str | None = None
    #: every unit, officer or outside body dispatched to it (`domain.task`)
    tasks: list[Task] = []
    duplicate_of: str | None = None
    notes: int = 0
    #: who reported it: the first, each caller added since, and those merged from duplicates
    callers: list[Caller] = []
    #: when the callers' personal data was erased (`ReportersErased`), if it was
    contacts_erased_at: AwareDatetime | None = None
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
    #: its reporters' ratings and "not fixed" answers (`domain.feedback`), and how often,
    #: when and why it was last reopened
    feedback: list[Feedback] = []
    reopened: int = 0
    reopened_at: AwareDatetime | None = None
    reopen_comment: str | None = None

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

    def task(self, task_id: str) -> Task | None:
        return next((task for task in self.tasks if task.id == task_id), None)

    def task_of(self, officer_id: str | None, *, done_too: bool = False) -> Task | None:
        """The officer's running task here (or, `done_too`, their latest one)."""
        mine = [t for t in self.tasks if t.has(officer_id) and (t.running or done_too)]
        running_first = sorted(mine, key=lambda t: not t.running)
        return running_first[0] if running_first else None

    def unit_task(self, unit_id: str) -> Task | None:
        return next((t for t in self.tasks if t.unit_id == unit_id and t.running), None)

    @property
    def running_tasks(self) -> list[Task]:
        return running(self.tasks)

    @model_validator(mode="before")
    @classmethod
    def _one_task_before_tasks(cls, data: Any) -> Any:
        """A snapshot stored before tasks held its officer alone: that is task 1."""
        if (isinstance(data, dict) and "tasks" not in data and data.get("officer_id")
                and data.get("status") in _BEFORE_TASKS):
            data = {**data, "tasks": [{
                "id": "1", "agency": data.get("agency") or "", "officer_id": data["officer_id"],
                "crew": [data["officer_id"]], "status": _BEFORE_TASKS[data["status"]],
                "since": data.get("updated_at") or data.get("reported_at")}]}
        return data

    @model_validator(mode="before")
    @classmethod
    def _counted_before_callers(cls, data: Any) -> Any:
        """A snapshot stored before callers were kept counted them only: as many callers,
        of an unknown channel (`rebuild` recomputes them from the events)."""
        if isinstance(data, dict) and "callers" not in data and "reported_at" in data:
            unknown = {"source": "", "at": data["reported_at"]}
            data = {**data, "callers": [unknown] * int(data.get("reporters") or 1)}
        return data


_BEFORE_TASKS = {"assigned": "assigned", "acknowledged": "acknowledged", "en_route": "en_route",
                 "on_scene": "on_scene", "resolved": "done", "closed": "done"}


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
        events += decide_status(state, Status.DUPLICATE, received.occurred_at,
                                received.actor, "duplicate on arrival", duplicate_of)
    return events


def _open_for_tasks(incident: Incident) -> None:
    if incident.status in TERMINAL or incident.status in (Status.RECEIVED, Status.RESOLVED):
        raise IllegalTransition(
            f"incident {incident.id} is {incident.status.value}; nobody can be sent to it",
            incident=incident.id, status=incident.status.value, target="assigned")


def _task_fields(incident: Incident, task_id: str, officer: Officer | None,
                 unit: Unit | None, now: datetime, actor: str) -> dict[str, Any]:
    if unit is not None:
        if not unit.dispatchable:
            raise InvalidCommand(f"unit {unit.call_sign} is out of service",
                                 rule="unit_unavailable", unit=unit.call_sign)
        return dict(incident_id=incident.id, occurred_at=now, actor=actor, task_id=task_id,
                    agency=unit.agency, unit_id=unit.id, crew=list(unit.crew),
                    officer_id=unit.crew[0] if unit.crew else None)
    assert officer is not None
    if not officer.active:
        raise InvalidCommand(f"officer {officer.id} is not active", rule="officer_inactive",
                             officer=officer.name)
    return dict(incident_id=incident.id, occurred_at=now, actor=actor, task_id=task_id,
                agency=officer.agency, officer_id=officer.id, crew=[officer.id])


def decide_dispatch(incident: Incident, now: datetime, actor: str, *,
                    officer: Officer | None = None, unit: Unit | None = None,
                    move_lead: bool = False) -> IncidentAssigned:
    """One more task: a unit (its crew's phones show it) or one officer. The incident stays
    its lead agency's, unless `move_lead` (the first officer assigned, as before tasks)."""
    if (officer is None) == (unit is None):
        raise InvalidCommand("dispatch a unit or an officer", rule="dispatch_whom")
    _open_for_tasks(incident)
    busy = (incident.unit_task(unit.id) if unit is not None
            else incident.task_of(officer.id if officer else None))
    if busy is not None:
        whom = unit.call_sign if unit is not None else officer.name  # type: ignore[union-attr]
        raise InvalidCommand(f"{whom} is on incident {incident.id} already",
                             rule="already_assigned", incident=incident.id, officer=whom)
    fields = _task_fields(incident, next_task_id(incident.tasks), officer, unit, now, actor)
    added = Task(id=fields["task_id"], agency=fields["agency"], status=TaskStatus.ASSIGNED,
                 since=now)
    lead = fields["agency"] if move_lead and fields["agency"] != incident.agency else None
    return IncidentAssigned(**fields, from_status=incident.status,
                            to_status=furthest([*incident.tasks, added]),
                            previous_agency=incident.agency or "", lead_agency=lead)


def decide_assign(
    incident: Incident, officer: Officer, now: datetime, actor: str, reason: str | None = None
) -> Event:
    """Give the incident to an officer: its first task (the incident takes the officer's
    agency, as before tasks), or, with a reason, its main task to another officer."""
    main = incident.task_of(incident.officer_id)
    if main is None:
        return decide_dispatch(incident, now, actor, officer=officer,
                               move_lead=not incident.running_tasks)
    if main.has(officer.id):
        raise InvalidCommand(f"incident {incident.id} is already assigned to {officer.id}",
                             rule="already_assigned", incident=incident.id, officer=officer.name)
    return decide_reassign(incident, main.id, now, actor, reason, officer=officer)


def decide_reassign(incident: Incident, task_id: str, now: datetime, actor: str,
                    reason: str | None, *, officer: Officer | None = None,
                    unit: Unit | None = None) -> IncidentReassigned:
    """A running task to another officer or unit, for a reason; it starts over."""
    task = incident.task(task_id)
    if task is None or not task.running or task.body is not None:
        raise InvalidCommand(f"incident {incident.id} has no running task {task_id}",
                             rule="no_task", incident=incident.id)
    if not (reason or "").strip():
        raise InvalidCommand(f"reassigning incident {incident.id} needs a reason",
                             rule="reassign_reason", incident=incident.id)
    if unit is not None and incident.unit_task(unit.id) is not None:
        raise InvalidCommand(f"{unit.call_sign} is on incident {incident.id} already",
                             rule="already_assigned", incident=incident.id,
                             officer=unit.call_sign)
    fields = _task_fields(incident, task_id, officer, unit, now, actor)
    others = [t for t in incident.tasks if t.id != task_id]
    restarted = task.model_copy(update={"status": TaskStatus.ASSIGNED})
    only = len(incident.running_tasks) == 1
    lead = fields["agency"] if only and fields["agency"] != incident.agency else None
    return IncidentReassigned(
        **fields, from_status=incident.status, to_status=furthest([*others, restarted]),
        previous_officer_id=task.officer_id, previous_unit_id=task.unit_id,
        previous_crew=task.crew, previous_agency=incident.agency or "", lead_agency=lead,
        reason=reason)


def _released(incident: Incident, task: Task, reason: str, now: datetime, actor: str,
              to_status: Status) -> TaskReleased:
    return TaskReleased(incident_id=incident.id, occurred_at=now, actor=actor, task_id=task.id,
                        agency=task.agency, officer_id=task.officer_id, unit_id=task.unit_id,
                        crew=task.crew, from_status=incident.status, to_status=to_status,
                        reason=reason, task_status=task.status)


def decide_release(incident: Incident, task_id: str, reason: str, now: datetime,
                   actor: str) -> TaskReleased:
    """End a running task undone (stood down, sent elsewhere), for a reason; with no task
    left the incident is back in its agency's queue."""
    task = incident.task(task_id)
    if task is None or not task.running:
        raise InvalidCommand(f"incident {incident.id} has no running task {task_id}",
                             rule="no_task", incident=incident.id)
    if not reason.strip():
        raise InvalidCommand("releasing a task needs a reason", rule="release_reason")
    after = incident.status
    if incident.status not in (Status.RESOLVED, Status.CLOSED):
        after = furthest(t for t in incident.tasks if t.id != task_id)
    return _released(incident, task, reason.strip(), now, actor, after)


def decide_forward(incident: Incident, body: str, reference: str, follow_up_due: datetime,
                   now: datetime, actor: str) -> TaskForwarded:
    """Hand the incident (or a part of it) to a body outside the city's crews; its reference
    and follow-up date are kept, and the date escalates like a deadline."""
    _open_for_tasks(incident)
    if any(t.body == body and t.running for t in incident.tasks):
        raise InvalidCommand(f"incident {incident.id} is with {body} already",
                             rule="already_forwarded", incident=incident.id, body=body)
    added = Task(id=next_task_id(incident.tasks), agency=incident.agency or "",
                 status=TaskStatus.FORWARDED, since=now)
    return TaskForwarded(incident_id=incident.id, occurred_at=now, actor=actor,
                         task_id=added.id, agency=added.agency, from_status=incident.status,
                         to_status=furthest([*incident.tasks, added]), body=body,
                         reference=reference.strip(), follow_up_due=follow_up_due)


def _stand_down(incident: Incident, rules: DispatchRules, reason: str,
                now: datetime, actor: str, to_status: Status) -> list[Event]:
    """Release the running tasks the incident's end leaves behind: all of them, but the other
    agencies' where the city lets them go on (`after_lead: continue`)."""
    carry_on = rules.resolve_when == "lead" and rules.after_lead == "continue"
    state, events = incident, []
    for task in incident.running_tasks:
        if (carry_on and task.agency != incident.agency
                               and to_status is Status.RESOLVED):
            continue
        events.append(_released(state, task, reason, now, actor, to_status))
        state = evolve(state, events[-1])
    return events


def decide_step(incident: Incident, task_id: str, target: Status, now: datetime, actor: str,
                rules: DispatchRules, media_url: str | None = None,
                reason: str | None = None) -> list[Event]:
    """One task's next step (acknowledged, en route, on scene, resolved = done). Done, it may
    resolve the incident: when it was its lead agency's last running task (`resolve_when:
    lead`), or the last running task of all (`all_tasks`); the rest are stood down."""
    task = incident.task(task_id)
    step = AS_TASK.get(target)
    if task is None or not task.running:
        raise InvalidCommand(f"incident {incident.id} has no running task {task_id}",
                             rule="no_task", incident=incident.id)
    if step is None or task.next is not step:
        raise IllegalTransition(
            f"task {task_id} of incident {incident.id} is {task.status.value}; it cannot "
            f"become {target.value}", incident=incident.id, status=task.status.value,
            target=target.value)
    if media_url and step is not TaskStatus.DONE:
        raise InvalidCommand("a photo goes only with resolving")
    others = [t for t in incident.running_tasks if t.id != task_id]
    after = furthest([*others, task.model_copy(update={"status": step})])
    resolves = False
    if step is TaskStatus.DONE and incident.status not in (Status.RESOLVED, Status.CLOSED):
        lead_left = [t for t in others if t.agency == incident.agency]
        resolves = (not others if rules.resolve_when == "all_tasks"
                    else task.agency == incident.agency and not lead_left)
        after = Status.RESOLVED if resolves else furthest(others)
    if incident.status in (Status.RESOLVED, Status.CLOSED):
        after = incident.status
    changed = IncidentStatusChanged(
        incident_id=incident.id, occurred_at=now, actor=actor, from_status=incident.status,
        to_status=after, agency=incident.agency or "", officer_id=task.officer_id,
        task_id=task.id, task_status=step, unit_id=task.unit_id, crew=task.crew,
        media_url=media_url, reason=reason)
    if not resolves:
        return [changed]
    state = evolve(incident, changed)
    return [changed, *_stand_down(state, rules, "resolved", now, actor, Status.RESOLVED)]


def decide_status(
    incident: Incident, target: Status, now: datetime, actor: str,
    reason: str | None = None, duplicate_of: Incident | None = None,
    media_url: str | None = None, rules: DispatchRules | None = None,
    task_id: str | None = None,
) -> list[Event]:
    """Move along the lifecycle; assignment and triage have their own commands. A task's
    step (`task_id`) goes through `decide_step`. The control room's resolve closes the tasks
    on scene as done and stands the rest down; rejecting or marking a duplicate stands every
    task down. A photo (`media_url`) goes only with resolving: it shows the work done."""
    rules = rules or DispatchRules()
    if task_id is None and target in (Status.ACKNOWLEDGED, Status.EN_ROUTE, Status.ON_SCENE):
        main = incident.task_of(incident.officer_id)  # (the one the incident is with)
        if main is None:
            _refuse_unless(incident, target)
            raise IllegalTransition(f"incident {incident.id} has no task to move",
                                    incident=incident.id, status=incident.status.value,
                                    target=target.value)
        task_id = main.id
    if task_id is not None:
        return decide_step(incident, task_id, target, now, actor, rules, media_url, reason)
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
    events: list[Event] = []
    state = incident
    if target in (Status.REJECTED, Status.DUPLICATE):
        why = (reason or "").strip() or target.value
        events += _stand_down(state, rules, why, now, actor, state.status)
        for event in events:
            state = evolve(state, event)
    if target is Status.RESOLVED:
        for task in incident.running_tasks:
            if task.status is TaskStatus.ON_SCENE:
                events.append(IncidentStatusChanged(
                    incident_id=incident.id, occurred_at=now, actor=actor,
                    from_status=state.status, to_status=state.status,
                    agency=incident.agency or "", officer_id=task.officer_id, task_id=task.id,
                    task_status=TaskStatus.DONE, unit_id=task.unit_id, crew=task.crew))
                state = evolve(state, events[-1])
    events.append(IncidentStatusChanged(
        incident_id=incident.id, occurred_at=now, actor=actor, from_status=state.status,
        to_status=target, agency=incident.agency or "", officer_id=state.officer_id,
        reason=reason, duplicate_of=original, media_url=media_url,
    ))
    if target is Status.RESOLVED:
        state = evolve(state, events[-1])
        events += _stand_down(state, rules, "resolved", now, actor, target)
    return events


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
                           callers=[_kept(survivor, c.moved_from(duplicate.id))
                                    for c in duplicate.callers])


def _kept(incident: Incident, caller: Caller) -> Caller:
    """A caller as `incident` keeps them: erased once its callers were (`ReportersErased`)."""
    return caller.without_contact() if incident.contacts_erased_at else caller


def stamped(incident: Incident, events: Event | list[Event]) -> list[Event]:
    """The decided events, each with the officer the incident is with after it (`holder`):
    what the views show, which read no state."""
    state, out = incident, []
    for event in [events] if isinstance(events, Event) else events:
        state = evolve(state, event)
        if isinstance(event, TaskEvent | IncidentStatusChanged):
            event = event.model_copy(update={"holder": state.officer_id})
        out.append(event)
    return out


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
        case IncidentAssigned() | IncidentReassigned() | TaskReleased() | TaskForwarded():
            return _with_task(_require(incident), event)
        case IncidentStatusChanged():
            current = _require(incident)
            if event.task_id is not None and event.task_status is not None:
                current = _task_moved(current, event.task_id, event.occurred_at,
                                      status=event.task_status)
            if event.to_status in (Status.REJECTED, Status.DUPLICATE):
                for task in current.running_tasks:  # (before tasks, the end released them)
                    current = _task_moved(current, task.id, event.occurred_at,
                                          status=TaskStatus.RELEASED,
                                          reason=event.reason or event.to_status.value)
            return _status(current, event.to_status, event.occurred_at).model_copy(
                update=dict(duplicate_of=event.duplicate_of))
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
            added = _kept(current, Caller.of(event.source, event.reporter, event.occurred_at))
            return current.model_copy(update=dict(callers=[*current.callers, added],
                                                  updated_at=event.occurred_at))
        case ReportersMerged():
            current = _require(incident)
            merged = [_kept(current, c) for c in event.callers]
            return current.model_copy(update=dict(callers=[*current.callers, *merged]))
        case ReportersErased():
            current = _require(incident)
            return current.model_copy(update=dict(
                callers=[c.without_contact() for c in current.callers],
                contacts_erased_at=event.occurred_at))
        case IncidentRated():
            return evolve_rated(_require(incident), event)
        case IncidentReopened():
            return evolve_reopened(_require(incident), event)
    raise InvalidCommand(f"{event.type} is not an incident event")


def _with_task(current: Incident, event: TaskEvent) -> Incident:
    match event:
        case IncidentAssigned():
            added = Task(id=event.task_id, agency=event.agency, status=TaskStatus.ASSIGNED,
                         since=event.occurred_at, officer_id=event.officer_id,
                         unit_id=event.unit_id, crew=event.crew)
            current = current.model_copy(update={"tasks": [*current.tasks, added]})
        case IncidentReassigned():
            current = _task_moved(current, event.task_id, event.occurred_at,
                                  status=TaskStatus.ASSIGNED, agency=event.agency,
                                  officer_id=event.officer_id, unit_id=event.unit_id,
                                  crew=event.crew)
        case TaskReleased():
            current = _task_moved(current, event.task_id, event.occurred_at,
                                  status=TaskStatus.RELEASED, reason=event.reason)
        case TaskForwarded():
            added = Task(id=event.task_id, agency=event.agency, status=TaskStatus.FORWARDED,
                         since=event.occurred_at, body=event.body,
                         reference=event.reference or None,
                         follow_up_due=event.follow_up_due)
            current = current.model_copy(update={"tasks": [*current.tasks, added]})
    if event.lead_agency:
        current = current.model_copy(update={"agency": event.lead_agency})
    return _status(current, event.to_status, event.occurred_at)


def _task_moved(current: Incident, task_id: str, at: datetime, **changes: Any) -> Incident:
    tasks = [t.model_copy(update={**changes, "since": at}) if t.id == task_id else t
             for t in current.tasks]
    return current.model_copy(update={"tasks": tasks})


def _holder(incident: Incident) -> str | None:
    """The officer the incident is with (`Incident.officer_id`)."""
    crews = [t for t in incident.tasks if t.officer_id]
    lead_first = sorted((t for t in crews if t.running), key=lambda t: t.agency != incident.agency)
    if lead_first:
        return lead_first[0].officer_id
    done = [t for t in crews if t.status is TaskStatus.DONE]
    return done[-1].officer_id if done else None


def _status(current: Incident, status: Status, at: datetime) -> Incident:
    """The incident at `status` from `at`, its firsts kept (when it was first acknowledged,
    first resolved: what its SLA deadlines are held to)."""
    firsts = {}
    if status in PROGRESS[2:] or status is Status.RESOLVED:
        firsts["acknowledged_at"] = current.acknowledged_at or at
    if status is Status.RESOLVED:
        firsts["resolved_at"] = current.resolved_at or at
    return current.model_copy(update=dict(status=status, officer_id=_holder(current),
                                          updated_at=at, **firsts))


def _require(incident: Incident | None) -> Incident:
    if incident is None:
        raise InvalidCommand("event for an incident that was never reported")
    return incident

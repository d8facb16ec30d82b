"""Typed, versioned, validated events: the only way live state changes.

Each event class has a stable `type` name, a schema `version` and the `stream`
it is appended to. In a Redis stream an event is four fields: `type`, `v`,
`agg` (the aggregate id) and `data` (the JSON body).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from contextvars import ContextVar
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

import orjson
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from liveroom.domain.caller import PERSONAL, Caller, reporter_contact
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.lifecycle import Status, TaskStatus

INCIDENTS = "incidents"
OFFICERS = "officers"

#: the latitudes the maps draw and Redis's geo sets index (Web Mercator's): a point past them
#: could be acknowledged but never stored by the live projection (GEOADD refuses it)
GEO_LATITUDE = 85.05112878
Latitude = Annotated[float, Field(ge=-GEO_LATITUDE, le=GEO_LATITUDE)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


#: any text in an event, a field's own limit aside; and any list's or mapping's entries
TEXT_MAX, ENTRIES_MAX = 4000, 50
#: control characters but tab and newline (CR too: browsers send CRLF), and lone surrogates
#: (not UTF-8): no projection could store them (PostgreSQL refuses NUL)
_UNSTORABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class EventError(ValueError):
    """A stream entry that is not a valid event of a known type and version."""


def check_storable(value: Any, where: str = "") -> None:
    """Refuse (ValueError) text no projection can store, too long, or too many entries."""
    if isinstance(value, str):
        if found := _UNSTORABLE.search(value):
            raise ValueError(f"{where or 'text'} contains the control character "
                             f"U+{ord(found.group()):04X}")
        if len(value) > TEXT_MAX:
            raise ValueError(f"{where or 'text'} is longer than {TEXT_MAX} characters")
    elif isinstance(value, dict | list | tuple):
        if len(value) > ENTRIES_MAX:
            raise ValueError(f"{where or 'a list'} has more than {ENTRIES_MAX} entries")
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            name = f"{where}.{key}" if where else str(key)
            if isinstance(key, str):
                check_storable(key, name)
            check_storable(item, name)


class Event(BaseModel):
    """Base of every event; subclasses are registered by their `type`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: ClassVar[str]
    version: ClassVar[int] = 1
    stream: ClassVar[str]
    #: how an older version's JSON body becomes this version's (by the version it was)
    upcasts: ClassVar[dict[int, Callable[[dict[str, Any]], dict[str, Any]]]] = {}

    occurred_at: AwareDatetime
    actor: str = Field(min_length=1, max_length=200)

    def __init__(self, **data: Any) -> None:
        """A command's new event; invalid data is refused (InvalidCommand), never appended.
        (Entries read back from a stream are checked by `decode`.)"""
        try:
            super().__init__(**data)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(map(str, first["loc"])) or "event"
            message = str(first["msg"]).removeprefix("Value error, ")
            raise InvalidCommand(f"{field}: {message}", rule="invalid_field", field=field,
                                 problem=message) from None

    @model_validator(mode="before")
    @classmethod
    def _storable(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for name, value in data.items():
                check_storable(value, name)
        return data

    @property
    def aggregate_id(self) -> str:
        raise NotImplementedError


class IncidentEvent(Event):
    stream: ClassVar[str] = INCIDENTS
    incident_id: str = Field(min_length=1, max_length=64)

    @property
    def aggregate_id(self) -> str:
        return self.incident_id


class OfficerEvent(Event):
    stream: ClassVar[str] = OFFICERS
    officer_id: str = Field(min_length=1, max_length=64)

    @property
    def aggregate_id(self) -> str:
        return self.officer_id


#: set while `decode` reads back a stored entry (pydantic runs `Event.__init__` then too)
_STORED: ContextVar[bool] = ContextVar("stored", default=False)


def _contact(value: Any) -> Any:
    """A new event's `reporter` by `caller.reporter_contact`'s rule; one stored before the
    rule was kept is read as it is."""
    try:
        return reporter_contact(value) if isinstance(value, dict) else value
    except InvalidCommand as exc:
        if _STORED.get():
            return value
        raise ValueError(str(exc)) from None


class ReporterEvent(IncidentEvent):
    """An incident event naming one reporter (`reporter`: their contact, by
    `caller.reporter_contact`'s rule), erased with the others (`domain.erasure`)."""

    reporter: dict[str, str] = Field(default_factory=dict)

    @field_validator("reporter", mode="before")
    @classmethod
    def normalised_reporter(cls, value: Any) -> Any:
        return _contact(value)


class ReportReceived(ReporterEvent):
    type: ClassVar[str] = "report.received"
    category: str
    description: str = Field(default="", max_length=4000)
    lat: Latitude
    lon: Longitude
    address: str | None = Field(default=None, max_length=500)
    source: str = Field(min_length=1, max_length=40)
    media_url: str | None = Field(default=None, max_length=1000)
    #: answers to the category's extra questions (Open311 `attribute[CODE]`)
    attributes: dict[str, str | list[str]] = Field(default_factory=dict)
    #: placed at the middle of the kecamatan its address names, not at a given point
    location_approximate: bool = False


class ReportTriaged(IncidentEvent):
    type: ClassVar[str] = "report.triaged"
    from_status: Status
    category: str
    agency: str
    previous_agency: str | None = None
    priority: int = Field(ge=1, le=4)
    priority_reason: str | None = Field(default=None, max_length=500)  # set when overridden
    district: str
    acknowledge_due: AwareDatetime
    resolve_due: AwareDatetime


def _one_task(body: dict[str, Any]) -> dict[str, Any]:
    """Before tasks, an incident had one officer at a time: that officer's task is task 1."""
    officer = body.get("officer_id")
    return {**body, "task_id": "1", "crew": [officer] if officer else [], "holder": officer}


class TaskEvent(IncidentEvent):
    """A change to one task of an incident (a unit's, an officer's or a body's part): which
    task, who is on it, and the incident's status before and after (projections read no
    state). `agency` is the task's; the incident's own (lead) agency never moves with it."""

    task_id: str = Field(min_length=1, max_length=8)
    agency: str
    officer_id: str | None = None  # the officer on it (a unit's first crew member)
    unit_id: str | None = Field(default=None, max_length=64)
    crew: list[str] = Field(default_factory=list)  # every officer whose phone shows it
    from_status: Status
    to_status: Status
    #: the officer the incident is with after it (`Incident.officer_id`), for the views
    holder: str | None = None
    #: the incident's lead agency after it, when it moves (the first officer assigned, of
    #: another agency, takes the incident: as before tasks); None: unchanged
    lead_agency: str | None = None


class IncidentAssigned(TaskEvent):
    """A task dispatched: to a unit (its crew), or to one officer. v2 added tasks: a v1
    assignment was the incident's one officer, task 1. `from_lat`/`from_lon`: where the
    unit or officer was (its fix, when fresh: `task.FIX_WITHIN`), for arrival times."""

    type: ClassVar[str] = "incident.assigned"
    version: ClassVar[int] = 2
    upcasts: ClassVar[dict] = {1: lambda body: {**_one_task(body), "to_status": "assigned",
                                                "lead_agency": body["agency"]}}
    previous_agency: str = ""
    from_lat: Latitude | None = None
    from_lon: Longitude | None = None


class IncidentReassigned(TaskEvent):
    """A task given to another officer or unit (a supervisor's move, with its reason); the
    task starts over at assigned."""

    type: ClassVar[str] = "incident.reassigned"
    version: ClassVar[int] = 2
    upcasts: ClassVar[dict] = {1: lambda body: {
        **_one_task(body), "to_status": "assigned", "lead_agency": body["agency"],
        "previous_crew": [body["previous_officer_id"]]}}
    previous_officer_id: str | None = None
    previous_unit_id: str | None = None
    previous_crew: list[str] = Field(default_factory=list)
    previous_agency: str = ""
    reason: str | None = Field(default=None, max_length=1000)
    from_lat: Latitude | None = None  # as on a dispatch
    from_lon: Longitude | None = None


def _task_step(body: dict[str, Any]) -> dict[str, Any]:
    """v1/v2 status changes moved the incident; an officer's step was task 1's."""
    step = {"acknowledged": "acknowledged", "en_route": "en_route", "on_scene": "on_scene",
            "resolved": "done"}.get(body.get("to_status", ""))
    if step and body.get("officer_id"):
        return {**_one_task(body), "task_status": step}
    return {**body, "holder": body.get("officer_id")}


class IncidentStatusChanged(IncidentEvent):
    """The incident's status moves (`to_status`), by the control room or by one task's
    step (`task_id`, its new `task_status`). v2 added `media_url`, the photo of the work
    done; v3 added the task."""

    type: ClassVar[str] = "incident.status_changed"
    version: ClassVar[int] = 3
    upcasts: ClassVar[dict] = {1: _task_step, 2: _task_step}
    from_status: Status
    to_status: Status
    agency: str
    officer_id: str | None = None
    reason: str | None = Field(default=None, max_length=1000)
    duplicate_of: str | None = None
    media_url: str | None = Field(default=None, max_length=1000)
    task_id: str | None = Field(default=None, max_length=8)
    task_status: TaskStatus | None = None
    unit_id: str | None = Field(default=None, max_length=64)
    crew: list[str] = Field(default_factory=list)
    holder: str | None = None  # as on task events


class TaskReleased(TaskEvent):
    """A task ended undone: stood down, cancelled, its incident closed without it."""

    type: ClassVar[str] = "incident.task_released"
    reason: str = Field(min_length=1, max_length=1000)
    task_status: TaskStatus  # where it was when released


class TaskForwarded(TaskEvent):
    """A task given to a body outside the city's crews (PLN, PDAM, Telkom): no officer, the
    body's reference number, and a follow-up date that escalates like any deadline."""

    type: ClassVar[str] = "incident.forwarded"
    body: str = Field(min_length=1, max_length=40)
    reference: str = Field(default="", max_length=100)
    follow_up_due: AwareDatetime


class NoteAdded(IncidentEvent):
    type: ClassVar[str] = "incident.note_added"
    text: str = Field(min_length=1, max_length=4000)


class ReporterAdded(ReporterEvent):
    """Another caller about an incident already open (the desk adds them instead of a new
    incident): the channel they came by, their contact, what they said."""

    type: ClassVar[str] = "incident.reporter_added"
    source: str = Field(min_length=1, max_length=40)
    description: str = Field(default="", max_length=4000)


class ReportersMerged(IncidentEvent):
    """The callers of an incident marked a duplicate (`duplicate_id`), moved to the one it
    duplicates (`incident_id`, the survivor): they count there, and need telling there.
    The duplicate's own events are untouched."""

    type: ClassVar[str] = "incident.reporters_merged"
    duplicate_id: str = Field(min_length=1, max_length=64)
    callers: list[Caller] = Field(min_length=1)


class ReportersErased(IncidentEvent):
    """A tombstone: the personal data (`fields`) of the incident's `callers` callers was
    erased, `retention_days` after it closed (UU 27/2022). It holds no data itself; the
    aggregate and every projection drop the contacts from here on, and the archive nulls
    them in its rows and stored events (`commands.erasure`)."""

    type: ClassVar[str] = "incident.reporters_erased"
    fields: list[str] = Field(default_factory=lambda: list(PERSONAL), max_length=10)
    callers: int = Field(ge=0)
    retention_days: int = Field(ge=0)
    closed_at: AwareDatetime


class IncidentEscalated(IncidentEvent):
    """A step of the city's escalation chain (`cities.model.EscalationRule`), taken because
    the incident's `deadline`, due at `due`, was still unmet `after_minutes` later. At most
    one per rule and incident. With `raise_priority`, `priority` is the new priority (one
    step up from `previous_priority`, for the reason "escalated")."""

    type: ClassVar[str] = "incident.escalated"
    rule: str = Field(min_length=1, max_length=64)
    deadline: Literal["acknowledge", "resolve", "follow_up"]
    due: AwareDatetime
    after_minutes: int = Field(ge=0)
    action: Literal["alert_supervisors", "raise_priority", "flag"]
    agency: str
    priority: int | None = Field(default=None, ge=1, le=4)
    previous_priority: int | None = Field(default=None, ge=1, le=4)


class IncidentRated(ReporterEvent):
    """A reporter's rating (1-5) of the work that resolved the incident, once per reporter
    and resolution (`resolution`: 1, then one more after each reopening). Who rated (their
    channel and contact, as the incident knows them) and who did the work (the officers of
    its done tasks), its agency, district and category: KPIs credit it reading no state."""

    type: ClassVar[str] = "incident.rated"
    rating: int = Field(ge=1, le=5)
    comment: str = Field(default="", max_length=1000)
    source: str = Field(min_length=1, max_length=40)
    resolution: int = Field(ge=1)
    resolved_at: AwareDatetime
    agency: str
    district: str | None = None
    category: str
    officers: list[str] = Field(default_factory=list)


class IncidentReopened(ReporterEvent):
    """A reporter says the work did not fix it (`why`: "not_fixed", or a low "rating"),
    within the city's reopen window: the incident is back in the queue of the same agency
    (`to_status` triaged) with a fresh SLA, computed as triage computes it, from now. The
    facts the live model shows are repeated: a closed incident may have left it."""

    type: ClassVar[str] = "incident.reopened"
    why: Literal["rating", "not_fixed"]
    comment: str = Field(default="", max_length=1000)
    rating: int | None = Field(default=None, ge=1, le=5)
    source: str = Field(min_length=1, max_length=40)
    resolution: int = Field(ge=1)  # the resolution found wanting
    from_status: Status
    to_status: Status = Status.TRIAGED
    agency: str
    category: str
    priority: int = Field(ge=1, le=4)
    district: str
    acknowledge_due: AwareDatetime
    resolve_due: AwareDatetime
    officers: list[str] = Field(default_factory=list)  # who did the work found wanting
    lat: Latitude
    lon: Longitude
    reported_at: AwareDatetime
    address: str | None = Field(default=None, max_length=500)
    description: str = Field(default="", max_length=4000)


class UnitEvent(Event):
    """A unit (a crew: a fire engine, a truck, a patrol car) lives on the officers' stream."""

    stream: ClassVar[str] = OFFICERS
    unit_id: str = Field(min_length=1, max_length=64)

    @property
    def aggregate_id(self) -> str:
        return self.unit_id


UnitStatus = Literal["available", "returning", "out_of_service"]


class UnitRegistered(UnitEvent):
    """A unit: its call sign (`Damkar 01`), agency, home post, crew of registered officers,
    and optionally its own tracker (a device's officer id: the vehicle's position)."""

    type: ClassVar[str] = "unit.registered"
    call_sign: str = Field(min_length=1, max_length=40)
    agency: str
    post_id: str | None = None
    kind: str = Field(default="", max_length=40)
    crew: list[str] = Field(default_factory=list)
    tracker: str | None = Field(default=None, max_length=64)


class UnitChanged(UnitRegistered):
    """A unit's configuration replaced (its previous crew and tracker said, for the views)."""

    type: ClassVar[str] = "unit.changed"
    active: bool = True
    previous_crew: list[str] = Field(default_factory=list)
    previous_tracker: str | None = None


class UnitStatusSet(UnitEvent):
    """A status the unit or the control room sets: back at base (available), on its way
    back (returning), or out of service (with its reason)."""

    type: ClassVar[str] = "unit.status_set"
    agency: str
    status: UnitStatus
    reason: str | None = Field(default=None, max_length=500)


class OfficerRegistered(OfficerEvent):
    type: ClassVar[str] = "officer.registered"
    name: str = Field(min_length=1, max_length=200)
    agency: str
    post_id: str | None = None
    shift: str | None = None  # None: the city's default shift


class OfficerLocated(OfficerEvent):
    """A position fix; `occurred_at` is the device's fix time."""

    type: ClassVar[str] = "officer.located"
    version: ClassVar[int] = 2
    upcasts: ClassVar[dict] = {1: lambda body: body}  # v1 did not say who sent it: no one
    lat: Latitude
    lon: Longitude
    speed: float | None = Field(default=None, ge=0, description="metres per second")
    bearing: float | None = Field(default=None, ge=0, le=360)
    altitude: float | None = None
    accuracy: float | None = Field(default=None, ge=0)
    battery: float | None = Field(default=None, ge=0, le=100)
    moving: bool | None = None
    mock: bool = False  # the phone says the location comes from a mock provider
    attributes: dict[str, str] = Field(default_factory=dict)  # other keys the tracker sent
    #: the client address the fix came from (for attendance review), when it came over HTTP
    client: str | None = Field(default=None, max_length=64)


class FixFlagged(OfficerEvent):
    """A fix that looks spoofed; `fix_id` is its stream entry, `evidence` why."""

    type: ClassVar[str] = "officer.fix_flagged"
    fix_id: str = Field(max_length=40)
    rule: Literal["mock_location", "bad_accuracy", "impossible_speed", "repeated_fix",
                  "frozen_position"]
    lat: Latitude
    lon: Longitude
    fix_at: AwareDatetime
    evidence: dict[str, Any] = Field(default_factory=dict)


class OfficerCheckedIn(OfficerEvent):
    type: ClassVar[str] = "officer.checked_in"
    agency: str
    post_id: str
    lat: Latitude
    lon: Longitude
    method: Literal["fix", "explicit"]
    accuracy: float | None = None
    #: the shift this check-in opens: its code, the local date it starts, its times
    shift: str | None = None
    shift_day: date | None = None
    shift_start: AwareDatetime | None = None
    shift_end: AwareDatetime | None = None


class CheckInMarkedForReview(OfficerEvent):
    """A check-in that counts, but whose evidence a supervisor should look at
    (`domain.check_in_review`); `checked_in_at` says which check-in."""

    type: ClassVar[str] = "officer.check_in_marked_for_review"
    checked_in_at: AwareDatetime
    rule: Literal["no_approach", "two_addresses"]
    evidence: dict[str, Any] = Field(default_factory=dict)


class OfficerCheckedOut(OfficerEvent):
    type: ClassVar[str] = "officer.checked_out"
    agency: str
    post_id: str
    lat: Latitude | None = None
    lon: Longitude | None = None
    method: Literal["fix", "explicit", "shift_end"]


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type: cls
    for cls in (
        ReportReceived,
        ReportTriaged,
        IncidentAssigned,
        IncidentReassigned,
        IncidentStatusChanged,
        NoteAdded,
        ReporterAdded,
        ReportersMerged,
        ReportersErased,
        IncidentEscalated,
        IncidentRated,
        IncidentReopened,
        TaskReleased,
        TaskForwarded,
        UnitRegistered,
        UnitChanged,
        UnitStatusSet,
        OfficerRegistered,
        OfficerLocated,
        FixFlagged,
        OfficerCheckedIn,
        CheckInMarkedForReview,
        OfficerCheckedOut,
    )
}


def encode(event: Event) -> dict[str, str]:
    """The stream fields of an event."""
    return {
        "type": event.type,
        "v": str(event.version),
        "agg": event.aggregate_id,
        "data": event.model_dump_json(),
    }


def decode(fields: dict[str, Any]) -> Event:
    """Validate stream fields back into an event; raise EventError for anything else."""
    kind = EVENT_TYPES.get(str(fields.get("type")))
    if kind is None:
        raise EventError(f"unknown event type {fields.get('type')!r}")
    version = str(fields.get("v"))
    stored = _STORED.set(True)
    try:
        if version == str(kind.version):
            return kind.model_validate_json(fields.get("data") or "")
        upcast = kind.upcasts.get(int(version)) if version.isdigit() else None
        if upcast is None:
            raise EventError(f"{kind.type}: unsupported version {fields.get('v')!r}")
        return kind.model_validate(upcast(orjson.loads(fields.get("data") or "")))
    except orjson.JSONDecodeError:
        raise EventError(f"{kind.type}: the body is not JSON") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise EventError(f"{kind.type}: {first['loc']}: {first['msg']}") from None
    finally:
        _STORED.reset(stored)

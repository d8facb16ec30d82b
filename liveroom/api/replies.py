"""What `/api/v1` answers, as pydantic models: its routes' `response_model`s and the
schemas of the OpenAPI document (`api.openapi`).

An incident, a unit and an officer are the domain's own models (an incident less its
callers in a command's reply), so a field added there is published here. The rest are the
JSON the queries build, typed as it goes out: numbers that may be whole stay whole, times
already written out stay as written.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field, WithJsonSchema, create_model

from liveroom.domain.incident import Incident

#: a JSON number that may be whole (a rounded distance) or not: kept as it was computed
Number = Annotated[float | int, WithJsonSchema({"type": "number"})]
#: a moment already written out (ISO 8601 with its offset)
Moment = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


def _incident(name: str, doc: str, *, callers: bool, **more: object) -> type[BaseModel]:
    fields: dict = {field: (info.annotation, info) for field, info in
                    Incident.model_fields.items() if callers or field != "callers"}
    return create_model(name, __doc__=doc, **fields,
                        reporters=(int, Field(description="how many reported it")), **more)


IncidentReply = _incident(
    "IncidentReply", "An incident as a command leaves it (its callers only through "
    "`GET /incidents/{id}`).", callers=False)
IncidentView = _incident(
    "IncidentView", "An incident and its version; its callers in full for its own "
    "operators and supervisors, masked for everyone else.", callers=True,
    version=(int, Field(description="what `expected_version` names")))


class Me(BaseModel):
    """Who the token acts as, and what they may do."""

    actor: str
    roles: list[str]
    agencies: list[str]
    officer_id: str | None
    may: list[str]


#: an incident as the live model holds it (`live.keys`): `id`, `status`, `category`,
#: `lat`, `lon`, `agency`, `priority`, `reported_at`, …, a task's `task:<id>` (JSON) and its
#: `task:<id>:status`, `:since`, `:reason`; every value a string
LiveIncident = Annotated[dict[str, str], WithJsonSchema({
    "type": "object", "additionalProperties": {"type": "string"},
    "description": "an incident's live fields (id, status, category, lat, lon, agency, "
                   "priority, reported_at, …, task:<id> and its :status, :since, :reason), "
                   "every value a string"})]


class Similar(BaseModel):
    """An open incident the caller may be reporting again."""

    id: str
    category: str
    status: str
    distance_m: Number
    age_minutes: int
    reporters: int
    description: str


class Eta(BaseModel):
    """An estimated arrival and what it rests on."""

    minutes: Number
    basis: Literal["trips", "default", "road"]
    trips: int
    kmh: Number | None


class OfficerNear(BaseModel):
    """An available officer near the point."""

    id: str
    name: str
    agency: str
    on_duty: bool
    presence: str
    moving: bool
    lat: Number | None
    lon: Number | None
    last_fix: Moment | None
    tasks: int
    distance_m: Number | None
    eta: Eta | None
    eta_minutes: Number | None


class Candidate(BaseModel):
    kind: Literal["unit", "officer"]
    id: str
    agency: str
    label: str
    distance_m: Number | None
    eta_minutes: Number | None


class Line(BaseModel):
    """One agency's line of the run card."""

    agency: str
    wanted: int
    running: int
    short: int
    candidates: list[Candidate]


class RunCard(BaseModel):
    """The incident's run card at an alarm, and who to send."""

    incident_id: str
    alarm: int
    next_level: dict[str, int]
    lines: list[Line]


class FieldOfficer(BaseModel):
    id: str
    name: str
    agency: str


class Shift(BaseModel):
    name: str
    start: str
    end: str
    now: bool


class FieldTask(BaseModel):
    """One of the officer's open tasks, with its next step."""

    id: str | None
    category: str | None
    status: str
    priority: int
    lat: Number
    lon: Number
    address: str | None
    district: str | None
    description: str | None
    assigned_at: Moment | None
    resolve_due: Moment | None
    last_note: str | None
    media_url: str | None
    category_name: str | None
    icon: str
    district_name: str | None
    status_name: str
    next: str | None
    task_id: str | None
    unit: str | None
    others: int


class FieldState(BaseModel):
    """The signed-in officer's duty and open tasks."""

    officer: FieldOfficer
    shift: Shift
    on_duty: bool
    left_early: bool
    post: str | None
    checked_in_at: Moment | None
    tasks: list[FieldTask]


class Resolved(BaseModel):
    """A task resolved from the phone, and its photo's address."""

    id: str
    status: str
    media_url: str | None

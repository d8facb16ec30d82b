"""`/api/v1`: the JSON API, acting as the user whose bearer token is presented.

Authentication is the access middleware's; each route calls one service, which
checks the permission table. Refusals map to HTTP statuses with a `{code, message}`.
Each route declares its answer (`api.replies`) and its refusals, which the OpenAPI
document (`api.openapi`) publishes.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Annotated

import anyio
import orjson
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from liveroom.access import Action, Principal
from liveroom.api import replies
from liveroom.api.access import current_principal
from liveroom.api.errors import json_refusal, refusals
from liveroom.commands import desk, incidents, units
from liveroom.commands.idempotency import KEY, once
from liveroom.domain.errors import (
    DomainError,
    InvalidCommand,
)
from liveroom.domain.lifecycle import Status
from liveroom.domain.officer import Officer
from liveroom.domain.unit import Unit
from liveroom.live import dispatch, field, runcards
from liveroom.live.similar import similar_open_incidents
from liveroom.room import LiveRoom

router = APIRouter(prefix="/api/v1")
log = logging.getLogger("liveroom.access")

def room_of(request: Request) -> LiveRoom:
    return request.app.state.room


By = Annotated[Principal, Depends(current_principal)]  # (the one way: api.access)
Room = Annotated[LiveRoom, Depends(room_of)]


def retry_of(request: Request, key: Annotated[str | None, Header(
        alias="Idempotency-Key", json_schema_extra={"pattern": KEY.pattern},
        description="done at most once per user, key and route (kept two days): a replay "
                    "gets the first outcome, result or refusal, back and appends nothing")
        ] = None) -> tuple[str, str] | None:
    """The command's `Idempotency-Key` and what it is sent for (its method and path); the
    key is checked by `commands.idempotency`, which refuses a bad one in the API's words."""
    return None if key is None else (key, f"{request.method} {request.url.path}")


RetryKey = Annotated[tuple[str, str] | None, Depends(retry_of)]
#: the refusals of a read, and of a command (which appends, so may race or not replicate)
READ = refusals(401, 403, 404)
COMMAND = refusals(401, 403, 404, 409, 413, 422, 503)


class Assign(BaseModel):
    officer_id: str = Field(min_length=1, max_length=64)
    reason: str | None = Field(default=None, max_length=1000)
    expected_version: int | None = None


class StatusChange(BaseModel):
    status: str = Field(json_schema_extra={"enum": [s.value for s in Status]})
    reason: str | None = Field(default=None, max_length=1000)
    duplicate_of: str | None = None
    expected_version: int | None = None
    task_id: str | None = Field(default=None, max_length=8)  # a task's step (control room)


Ids = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]],
                Field(max_length=20)]


class Dispatch(BaseModel):
    """Units and officers sent at once, a task each (all, or none if one is refused)."""

    units: Ids = []
    officers: Ids = []
    expected_version: int | None = None


class Release(BaseModel):
    reason: str = Field(min_length=1, max_length=1000)


class Forward(BaseModel):
    body: str = Field(min_length=1, max_length=40)
    reference: str = Field(default="", max_length=100)


class UnitStatus(BaseModel):
    status: str = Field(max_length=20, json_schema_extra={
        "enum": ["available", "returning", "out_of_service"]})
    reason: str | None = Field(default=None, max_length=500)


class Note(BaseModel):
    text: str = Field(min_length=1, max_length=4000)


class Position(BaseModel):
    lat: float = Field(ge=-90, le=90, allow_inf_nan=False)
    lon: float = Field(ge=-180, le=180, allow_inf_nan=False)
    accuracy: float | None = Field(default=None, ge=0, allow_inf_nan=False)


class Triage(BaseModel):
    category: str
    priority: int | None = Field(default=None, ge=1, le=4)


class Contact(BaseModel):
    """A caller's name and phone as the operator took them down."""

    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=40)


class AddedReporter(BaseModel):
    """Another caller about an open incident: the channel, what they said, who they are."""

    channel: str = Field(min_length=1, max_length=40)
    description: str = Field(default="", max_length=4000)
    caller: Contact = Contact()


class DeskReport(BaseModel):
    """A report taken at the desk: the channel it came by, what and where (a point, a
    kecamatan's code, or an address naming one), the category's answers, the caller."""

    channel: str = Field(min_length=1, max_length=40)
    category: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=4000)
    lat: float | None = Field(default=None, ge=-90, le=90, allow_inf_nan=False)
    lon: float | None = Field(default=None, ge=-180, le=180, allow_inf_nan=False)
    district: str | None = Field(default=None, max_length=40)
    address: str | None = Field(default=None, max_length=500)
    answers: dict[str, str | list[str]] = Field(default_factory=dict, max_length=50)
    caller: Contact = Contact()
    priority: int | None = Field(default=None, ge=1, le=4)  # other than the category's
    priority_reason: str | None = Field(default=None, max_length=500)  # needed with it


async def run(call, *args, **kwargs):
    """A service call off the event loop; domain refusals become JSON errors."""
    try:
        result = await anyio.to_thread.run_sync(lambda: call(*args, **kwargs))
    except DomainError as exc:
        return json_refusal(exc)
    return _result(result)


def _result(result):
    """A service's answer as JSON-ready data; an incident's callers (personal data) only
    through `GET /incidents/{id}`, which masks them for all but its own people."""
    if hasattr(result, "model_dump"):
        return result.model_dump(mode="json", exclude={"callers"})
    return result


async def act(room: LiveRoom, retry: tuple[str, str] | None, call, *args, **kwargs):
    """A command: with an `Idempotency-Key` header (`retry`: the key and what for), done at
    most once per key (a replay gets the first outcome back); without one, simply run."""
    if retry is None:
        return await run(call, *args, **kwargs)

    def outcome() -> tuple[int, object]:
        try:
            return 200, _result(call(*args, **kwargs))
        except DomainError as exc:
            response = json_refusal(exc)
            return response.status_code, orjson.loads(response.body)

    by = current_principal()
    try:
        status, body = await anyio.to_thread.run_sync(
            lambda: once(room, by, retry[0], outcome, action=retry[1]))
    except DomainError as exc:
        return json_refusal(exc)
    return JSONResponse(body, status)


@router.get("/me", response_model=replies.Me, responses=refusals(401))
def me(by: By) -> dict:
    return {"actor": by.actor, "roles": sorted(by.roles), "agencies": sorted(by.agencies),
            "officer_id": by.officer_id,
            "may": sorted(action.value for action in Action if by.can(action))}


@router.post("/reports", response_model=replies.IncidentReply, responses=COMMAND)
async def enter_report(body: DeskReport, room: Room, by: By, retry: RetryKey):
    """A report taken by phone, 112, radio, … (a telephony or CTI system may post it too):
    received and triaged as any other; `Idempotency-Key` makes a retry safe."""
    fields = body.model_dump(exclude={"caller"})
    return await act(room, retry, desk.enter_report, room, by=by, caller_name=body.caller.name,
                     caller_phone=body.caller.phone, **fields)


@router.get("/reports/similar", response_model=list[replies.Similar],
            responses=refusals(401, 403, 422))
async def similar(category: Annotated[str, Query(min_length=1, max_length=64)],
                  lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
                  lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
                  room: Room, by: By):
    """While a report is entered: open incidents nearby of its category's family, to add
    the caller to one instead of creating a second incident."""
    return await run(lambda: [asdict(s) for s in similar_open_incidents(
        room, category, lat, lon, by=by)])


@router.post("/incidents/{incident_id}/reporters", response_model=replies.IncidentReply,
             responses=COMMAND)
async def add_reporter(incident_id: str, body: AddedReporter, room: Room, by: By,
                       retry: RetryKey):
    """A caller added to an incident already open, instead of a second incident."""
    return await act(room, retry, desk.add_reporter, room, incident_id, by=by,
                     channel=body.channel, description=body.description,
                     caller_name=body.caller.name, caller_phone=body.caller.phone)


@router.get("/incidents/{incident_id}", response_model=replies.IncidentView, responses=READ)
async def read_incident(incident_id: str, room: Room, by: By):
    return await run(incidents.view_incident, room, incident_id, by=by)


@router.post("/incidents/{incident_id}/assign", response_model=replies.IncidentReply,
             responses=COMMAND)
async def assign(incident_id: str, body: Assign, room: Room, by: By, retry: RetryKey):
    return await act(room, retry, incidents.assign_incident, room, incident_id, body.officer_id,
                     by=by, reason=body.reason, expected_version=body.expected_version)


@router.post("/incidents/{incident_id}/status", response_model=replies.IncidentReply,
             responses=COMMAND)
async def change_status(incident_id: str, body: StatusChange, room: Room, by: By,
                        retry: RetryKey):
    if body.status not in {s.value for s in Status}:
        return json_refusal(InvalidCommand(f"unknown status {body.status!r}"))
    return await act(room, retry, incidents.change_status, room, incident_id, body.status, by=by,
                     reason=body.reason, duplicate_of=body.duplicate_of,
                     expected_version=body.expected_version, task_id=body.task_id)


@router.post("/incidents/{incident_id}/dispatch", response_model=replies.IncidentReply,
             responses=COMMAND)
async def dispatch_to(incident_id: str, body: Dispatch, room: Room, by: By,
                      retry: RetryKey):
    """Send units and officers (a run card's lines) in one step."""
    return await act(room, retry, incidents.dispatch_incident, room, incident_id, by=by,
                     units=body.units, officers=body.officers,
                     expected_version=body.expected_version)


@router.get("/incidents/{incident_id}/runcard", response_model=replies.RunCard,
            responses=refusals(401, 403, 404, 422))
async def runcard(incident_id: str, room: Room, by: By,
                  alarm: Annotated[int, Query(ge=1, le=5)] = 1):
    """The incident's run card at `alarm`: each agency's line (wanted, already running) with
    the nearest units or officers to send, distance and ETA; what one click would send."""
    found = await run(runcards.recommend, room, incident_id, by=by, alarm=alarm)
    if isinstance(found, JSONResponse):
        return found

    def candidate(c: runcards.Candidate) -> dict:
        return {"kind": c.kind, "id": c.id, "agency": c.agency, "label": c.label,
                "distance_m": c.distance_m, "eta_minutes": c.eta.minutes if c.eta else None}

    return {"incident_id": found.incident_id, "alarm": found.alarm,
            "next_level": dict(found.next_level),
            "lines": [{"agency": line.agency, "wanted": line.wanted, "running": line.running,
                       "short": line.short, "candidates": [candidate(c) for c in
                                                           line.candidates]}
                      for line in found.lines]}


@router.post("/incidents/{incident_id}/tasks/{task_id}/release",
             response_model=replies.IncidentReply, responses=COMMAND)
async def release(incident_id: str, task_id: str, body: Release, room: Room, by: By,
                  retry: RetryKey):
    """Stand a task down, for a reason."""
    return await act(room, retry, incidents.release_task, room, incident_id, task_id, by=by,
                     reason=body.reason)


@router.post("/incidents/{incident_id}/forward", response_model=replies.IncidentReply,
             responses=COMMAND)
async def forward(incident_id: str, body: Forward, room: Room, by: By, retry: RetryKey):
    """Hand the incident to an outside body (PLN, PDAM, Telkom) with its reference."""
    return await act(room, retry, incidents.forward_incident, room, incident_id, body.body,
                     by=by, reference=body.reference)


@router.post("/units/{unit_id}/status", response_model=Unit, responses=COMMAND)
async def unit_status(unit_id: str, body: UnitStatus, room: Room, by: By,
                      retry: RetryKey):
    """Available, returning or out of service (its crew, or the control room)."""
    return await act(room, retry, units.set_unit_status, room, unit_id, body.status, by=by,
                     reason=body.reason)


@router.post("/incidents/{incident_id}/notes", response_model=replies.IncidentReply,
             responses=COMMAND)
async def add_note(incident_id: str, body: Note, room: Room, by: By, retry: RetryKey):
    return await act(room, retry, incidents.add_note, room, incident_id, body.text, by=by)


@router.post("/incidents/{incident_id}/triage", response_model=replies.IncidentReply,
             responses=COMMAND)
async def triage(incident_id: str, body: Triage, room: Room, by: By, retry: RetryKey):
    return await act(room, retry, incidents.triage_incident, room, incident_id,
                     category=body.category, priority=body.priority, by=by)


@router.get("/queue/{agency}", response_model=list[replies.LiveIncident],
            responses=refusals(401, 403))
async def queue(agency: str, room: Room, by: By):
    """The agency's unassigned incidents, priority first."""
    return await run(dispatch.unassigned, room, agency, by=by)


@router.get("/officers/{officer_id}/tasks", response_model=list[replies.LiveIncident],
            responses=refusals(401, 403))
async def tasks(officer_id: str, room: Room, by: By):
    return await run(dispatch.officer_tasks, room, officer_id, by=by)


@router.get("/officers/near", response_model=list[replies.OfficerNear],
            responses=refusals(401, 403, 422))
async def near(lat: Annotated[float, Query(ge=-90, le=90, allow_inf_nan=False)],
               lon: Annotated[float, Query(ge=-180, le=180, allow_inf_nan=False)],
               agency: Annotated[str, Query(max_length=40)], room: Room, by: By,
               limit: Annotated[int, Query(ge=1, le=50)] = 5):
    """Available officers of the agency nearest the point, with distance and ETA."""
    found = await run(dispatch.officers_near, room, lat, lon, agency, by=by, limit=limit)
    if isinstance(found, JSONResponse):
        return found
    return jsonable_encoder([{**asdict(o), "eta_minutes": o.eta_minutes} for o in found])


# --- the officer's own phone (`/field`) ------------------------------------------------------


@router.get("/field", response_model=replies.FieldState, responses=READ)
async def field_state(room: Room, by: By, lang: str = "id"):
    """The signed-in officer's duty and open tasks."""
    return await run(field.field_state, room, by, lang)


@router.post("/field/check-in", response_model=Officer, responses=COMMAND)
async def check_in(body: Position, room: Room, by: By, retry: RetryKey):
    """Check in at the post whose geofence holds this position."""
    return await act(room, retry, field.check_in_here, room, by=by, lat=body.lat, lon=body.lon,
                     accuracy=body.accuracy)


@router.post("/field/check-out", response_model=Officer, responses=COMMAND)
async def check_out(body: Position, room: Room, by: By, retry: RetryKey):
    return await act(room, retry, field.check_out_here, room, by=by, lat=body.lat, lon=body.lon)


RESOLVE_FORM = {"requestBody": {"required": True, "content": {"multipart/form-data": {
    "schema": {"type": "object", "required": ["note"], "properties": {
        "note": {"type": "string", "description": "what was done"},
        "photo": {"type": "string", "format": "binary",
                  "description": "a photo of the work (JPEG, PNG, …)"}}}}}}}


@router.post("/incidents/{incident_id}/resolve", response_model=replies.Resolved,
             responses=COMMAND, openapi_extra=RESOLVE_FORM)
async def resolve(incident_id: str, room: Room, by: By, request: Request,
                  retry: RetryKey):
    """Multipart: `note` (what was done) and an optional `photo` of the work."""
    form = await request.form(max_files=1, max_fields=4)
    note, photo = form.get("note"), form.get("photo")
    data = await photo.read() if isinstance(photo, UploadFile) else None
    return await act(room, retry, field.resolve_task, room, incident_id, by=by,
                     note=note if isinstance(note, str) else "", photo=data or None)

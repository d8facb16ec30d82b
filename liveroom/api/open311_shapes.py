"""Open311 GeoReport v2 as this server speaks it: what each answer holds (`api.open311`
builds them; the XML form has the same fields) and what each request takes, for the
OpenAPI document (`api.openapi`), which publishes the `.json` form of each route."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

#: the longest value of each field (GeoReport v2 sets none; e-mail after RFC 5321), of an
#: answer to a category's question, and of anything else
FIELD_LIMITS = {"api_key": 200, "jurisdiction_id": 100, "service_code": 64, "lat": 32,
                "long": 32, "address_string": 500, "address_id": 100, "email": 254,
                "device_id": 100, "account_id": 100, "first_name": 100, "last_name": 100,
                "phone": 40, "description": 4000, "media_url": 1000, "service_request_id": 20_000,
                "start_date": 40, "end_date": 40, "status": 20}
ANSWER_LIMIT, OTHER_LIMIT = 500, 1000


class Error(BaseModel):
    """One of the errors of a refusal (the HTTP status again, and why)."""

    code: int
    description: str


class Endpoint(BaseModel):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class Discovery(BaseModel):
    changeset: str
    contact: str
    key_service: str
    idempotency_header: str  # (not in GeoReport v2: POST requests.* once per key)
    endpoints: list[Endpoint]


class Service(BaseModel):
    """A category of the city pack."""

    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class Value(BaseModel):
    key: str
    name: str


class Attribute(BaseModel):
    """A question the category asks (`attribute[CODE]` in a POST)."""

    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str | None
    order: int
    description: str
    values: list[Value]


class ServiceDefinition(BaseModel):
    service_code: str
    attributes: list[Attribute]


class ServiceRequest(BaseModel):
    """A report as the public may read it (no reporter's contact, no officer)."""

    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str | None
    service_notice: str | None
    requested_datetime: str | None
    updated_datetime: str | None
    expected_datetime: str | None
    address: str | None
    lat: float
    long: float
    media_url: str | None


class RequestUpdate(BaseModel):
    """One change of a request (mySociety's `servicerequestupdates`): no reporter's
    contact, no officer."""

    update_id: str
    service_request_id: str
    status: str
    description: str
    media_url: str | None
    updated_datetime: str | None


class Created(BaseModel):
    service_request_id: str
    token: str
    service_notice: str | None
    account_id: str | None


class Token(BaseModel):
    service_request_id: str
    token: str


def _text(name: str, description: str = "") -> dict[str, Any]:
    schema = {"type": "string", "maxLength": FIELD_LIMITS.get(name, OTHER_LIMIT)}
    return {**schema, "description": description} if description else schema


def query(*names: str, **described: str) -> list[dict[str, Any]]:
    """OpenAPI query parameters (each optional, at most its field limit)."""
    return [{"name": name, "in": "query", "required": False,
             "schema": _text(name, described.get(name, ""))}
            for name in (*names, *described)]


JURISDICTION = "jurisdiction_id"
POST_FORM: dict[str, Any] = {"type": "object", "required": ["api_key", "service_code"],
                             "properties": {
    "api_key": _text("api_key", "`python -m liveroom apikeys create NAME`"),
    "service_code": _text("service_code"), JURISDICTION: _text(JURISDICTION),
    "lat": _text("lat", "decimal degrees (with long; else address_string)"),
    "long": _text("long"),
    "address_string": _text("address_string", "without lat and long: must name one "
                            "kecamatan, the report is placed at its middle"),
    "address_id": _text("address_id"), "description": _text("description"),
    "media_url": _text("media_url"), "first_name": _text("first_name"),
    "last_name": _text("last_name"), "email": _text("email"), "phone": _text("phone"),
    "device_id": _text("device_id"), "account_id": _text("account_id")},
    "patternProperties": {r"^attribute\[[^\[\]]+\](\[\])?$": {
        "type": "string", "maxLength": ANSWER_LIMIT,
        "description": "an answer to the service's question CODE (`[]`: one of several)"}}}

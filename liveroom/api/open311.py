"""Open311 GeoReport v2 at `/open311/v2/`: discovery, services, requests (GET and POST).

Every category of the city pack is a service (its code is the service_code).
Categories with extra questions publish them as service attributes. Reads go
through `services.reports`; a POST needs an API key (rate limited per key) and
goes through `report_incident` like every other report. Errors are a list of
`{code, description}` with the HTTP status, in JSON or XML as asked.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from datetime import datetime
from urllib.parse import parse_qsl

import anyio
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from liveroom.access import sessions as session_store
from liveroom.api import open311_shapes as shapes
from liveroom.api.access import client_address
from liveroom.api.errors import REDIS_UNREACHABLE, http_status
from liveroom.api.open311_shapes import ANSWER_LIMIT, FIELD_LIMITS, OTHER_LIMIT
from liveroom.cities.model import Attribute
from liveroom.commands.accounts import Throttled, credential_principal
from liveroom.commands.idempotency import KEY, once
from liveroom.commands.incidents import report_incident
from liveroom.domain.errors import DomainError, LiveUnavailable
from liveroom.i18n import translate
from liveroom.reporting.reports import (
    MAX_RESULTS,
    PublicReport,
    find_reports,
    open311_status,
    reports_by_id,
)
from liveroom.reporting.updates import DEFAULT_WINDOW, MAX_WINDOW, Update, updates_between
from liveroom.room import LiveRoom

router = APIRouter(prefix="/open311/v2")
log = logging.getLogger("liveroom.open311")
ATTRIBUTE = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")
CHANGESET = "2026-11-23T00:00:00+07:00"
#: what the endpoint speaks: GeoReport v2, and mySociety's extension (`servicerequestupdates`)
SPECIFICATIONS = ("http://wiki.open311.org/GeoReport_v2",
                  "https://github.com/mysociety/fixmystreet/wiki/Open311-FMS---Complete-Spec")


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status, self.description = status, description


def render(data, fmt: str, root: str, item: str | None = None, status: int = 200) -> Response:
    """The same data as JSON, or as XML: `root` holding one `item` per entry of a list,
    or (no `item`) the fields of one object."""
    if fmt == "json":
        return Response(orjson.dumps(data), status, media_type="application/json")
    top = ET.Element(root)
    if item is None:
        _fill(top, data)
    for entry in data if item is not None else []:
        _fill(ET.SubElement(top, item), entry)
    body = b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(top, encoding="utf-8")
    return Response(body, status, media_type="text/xml")


def _fill(element: ET.Element, value) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            _fill(ET.SubElement(element, key), inner)
    elif isinstance(value, list):  # <endpoints><endpoint>…, <formats><format>…
        child = element.tag[:-1] if element.tag.endswith("s") else "item"
        for inner in value:
            _fill(ET.SubElement(element, child), inner)
    elif value is not None:
        element.text = str(value).lower() if isinstance(value, bool) else str(value)


def error(fmt: str, status: int, description: str) -> Response:
    return render([{"code": status, "description": description}], fmt, "errors", "error", status)


#: the largest body a citizen app may post (its photo goes by `media_url`)
MAX_BODY = 64_000


def check_sizes(params: Params) -> None:
    """Refuse (400) a field longer than its limit: nothing is cut short in silence."""
    for name, value in params.pairs:
        limit = FIELD_LIMITS.get(name, ANSWER_LIMIT if name.startswith("attribute[")
                                 else OTHER_LIMIT)
        if len(name) > 100:
            raise Open311Error(400, f"a field name is longer than 100 characters: {name[:40]}")
        if len(value) > limit:
            raise Open311Error(400, f"{name} is longer than {limit} characters")


def too_large(request: Request, max_bytes: int) -> Response:
    """The body limit's refusal, in the format the path asks for."""
    return error("xml" if request.url.path.endswith(".xml") else "json", 413,
                 f"the request body is larger than {max_bytes} bytes")


def split(name: str) -> tuple[str, str]:
    """`services.json` -> ("services", "json"); a missing or unknown format is a 400."""
    stem, _, fmt = name.rpartition(".")
    if fmt not in ("json", "xml"):
        raise Open311Error(400, "the format must be .json or .xml")
    return stem, fmt


def check_jurisdiction(room: LiveRoom, params) -> None:
    jurisdiction = params.get("jurisdiction_id")
    if jurisdiction and jurisdiction != room.city.jurisdiction_id:
        raise Open311Error(404, f"unknown jurisdiction_id {jurisdiction!r}; this server is "
                                f"{room.city.jurisdiction_id}")


def w3c(moment: datetime | None, room: LiveRoom) -> str | None:
    return moment.astimezone(room.city.timezone).isoformat(timespec="seconds") if moment else None


def service(room: LiveRoom, code: str) -> dict:
    category = room.city.categories[code]
    agency = room.city.agencies.get(category.agency)
    return shapes.Service(
        service_code=code, service_name=category.name.id,
        description=category.description.id, metadata=bool(category.attributes),
        type="realtime", keywords=category.name.en,
        group=agency.name.id if agency else category.agency).model_dump()


def attribute_view(attribute: Attribute, order: int) -> dict:
    return shapes.Attribute(
        variable=True, code=attribute.code, datatype=attribute.datatype,
        required=attribute.required, datatype_description=None, order=order,
        description=attribute.description.id,
        values=[shapes.Value(key=key, name=name.id) for key, name in attribute.values.items()],
    ).model_dump()


def request_view(room: LiveRoom, report: PublicReport) -> dict:
    category = room.city.categories.get(report.category)
    agency = room.city.agencies.get(report.agency or "")
    return shapes.ServiceRequest(
        service_request_id=report.id,
        status=open311_status(report.status),
        status_notes=translate(f"status.{report.status}", "id"),
        service_name=category.name.id if category else report.category,
        service_code=report.category,
        description=report.description,
        agency_responsible=agency.name.id if agency else None,
        service_notice=None,
        requested_datetime=w3c(report.reported_at, room),
        updated_datetime=w3c(report.updated_at, room),
        expected_datetime=w3c(report.resolve_due, room),
        address=report.address,
        lat=report.lat, long=report.lon,
        media_url=report.media_url,
    ).model_dump()


def parse_time(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise Open311Error(400, f"{name} is not a W3C date-time: {value!r}") from None
    if moment.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone offset: {value!r}")
    return moment


def find_requests(room: LiveRoom, params, client: str) -> list[dict]:
    ids = [i.strip() for i in (params.get("service_request_id") or "").split(",") if i.strip()]
    if ids:
        ids = ids[:MAX_RESULTS]
        wait = session_store.lookups_refused(room, client, len(ids))
        if wait:
            raise Open311Error(429, f"too many look-ups from this address; retry in {wait} s")
        return [request_view(room, r) for r in reports_by_id(room, ids)]
    status = params.get("status")
    if status not in (None, "", "open", "closed"):
        raise Open311Error(400, "status must be open or closed")
    found = find_reports(
        room, categories=(params.get("service_code") or "").split(",") if params.get(
            "service_code") else None,
        closed=(status == "closed") if status else None,
        start=parse_time(params.get("start_date"), "start_date"),
        end=parse_time(params.get("end_date"), "end_date"))
    return [request_view(room, r) for r in found]


def update_view(room: LiveRoom, update: Update) -> dict:
    """One change as the public may read it: the step's name in Bahasa Indonesia (and a
    rejection's reason), the officer's photo on resolve; never who made it."""
    words = translate(f"status.{update.status}", "id")
    return shapes.RequestUpdate(
        update_id=update.update_id, service_request_id=update.service_request_id,
        status=open311_status(update.status),
        description=f"{words}: {update.reason}" if update.reason else words,
        media_url=update.media_url, updated_datetime=w3c(update.at, room),
    ).model_dump()


def find_updates(room: LiveRoom, params, client: str) -> list[dict]:
    """`servicerequestupdates`: the changes from `start_date` to `end_date` (default: the
    last day up to now; at most `MAX_WINDOW` apart), counted against the address's
    look-up budget."""
    wait = session_store.lookups_refused(room, client)
    if wait:
        raise Open311Error(429, f"too many look-ups from this address; retry in {wait} s")
    start = parse_time(params.get("start_date"), "start_date")
    end = parse_time(params.get("end_date"), "end_date")
    end = end or (start + DEFAULT_WINDOW if start else room.clock())
    start = start or end - DEFAULT_WINDOW
    if start > end:
        raise Open311Error(400, "start_date is after end_date")
    if end - start > MAX_WINDOW:
        raise Open311Error(400, f"start_date and end_date are at most {MAX_WINDOW.days} "
                                "days apart")
    return [update_view(room, u) for u in updates_between(room, start, end)]


def attributes_of(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """`attribute[CODE]=v` (one value) and `attribute[CODE][]=v` (each of several)."""
    answers: dict[str, str | list[str]] = {}
    for name, value in pairs:
        found = ATTRIBUTE.fullmatch(name)
        if found is None:
            continue
        code, many = found.group(1), found.group(2)
        if many:
            listed = answers.setdefault(code, [])
            if isinstance(listed, list):
                listed.append(value)
        else:
            answers[code] = value
    return answers


def locate(room: LiveRoom, params) -> tuple[float, float, bool]:
    """(lat, lon, approximate): the point given, or, for an `address_string` alone, the
    middle of the one kecamatan it names (there is no geocoder offline)."""
    if params.get("lat") and params.get("long"):
        try:
            return float(params["lat"]), float(params["long"]), False
        except ValueError:
            raise Open311Error(400, "lat and long must be numbers") from None
    address = params.get("address_string") or ""
    if not address.strip():
        raise Open311Error(400, "lat and long, or address_string, are required")
    placed = room.city.placed_by_address(address)
    if placed is None:
        raise Open311Error(400, "address_string must name one kecamatan of "
                                f"{room.city.name} when lat and long are not given")
    return *placed, True


class Params(dict):
    """The first value of each field (the body's before the query's), and every pair."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        super().__init__(reversed(pairs))
        self.pairs = pairs


def params_of(request: Request, body: bytes = b"") -> Params:
    pairs = parse_qsl(body.decode(errors="replace"), keep_blank_values=True) if body else []
    return Params(pairs + list(request.query_params.multi_items()))


async def answer(request: Request, name: str, build) -> Response:
    """Run `build(room, params, fmt)` with Open311 errors and domain refusals mapped."""
    fmt = "xml" if name.endswith(".xml") else "json"
    try:
        _, fmt = split(name)
        body = await request.body() if request.method == "POST" else b""
        params = params_of(request, body)
        check_sizes(params)
        room = request.app.state.room
        check_jurisdiction(room, params)
        return await anyio.to_thread.run_sync(build, room, params, fmt)
    except Open311Error as exc:
        return error(fmt, exc.status, exc.description)
    except REDIS_UNREACHABLE:
        return error(fmt, 503, str(LiveUnavailable()))
    except DomainError as exc:
        return error(fmt, http_status(exc, invalid=400), str(exc))
    except ValidationError as exc:  # e.g. a latitude of 200
        first = exc.errors()[0]
        return error(fmt, 400, f"{'.'.join(map(str, first['loc']))}: {first['msg']}")


#: what each status of a refusal means (the body: a list of `{code, description}`)
MEANING = {400: "a bad request: a format other than .json or .xml, a field too long, a "
                "date that is none, a point that is none, …",
           403: "a valid api_key is required", 404: "no such jurisdiction, service or request",
           409: "someone changed it first", 413: "the body is larger than 64 KB",
           429: "too many look-ups or reports from this address or key; retry later",
           503: "not now, retry: not acknowledged (no replica confirmed it in time, or the "
                "live store is unreachable during a failover), or the archive is down"}


def route(method: str, path: str, reply: type, *errors: int, status: int = 200,
          documented: str | None = None, **extra):
    """Route `path` (`.{fmt}` for .json or .xml) to the handler, and document its `.json`
    form (`documented`, for a path whose last parameter carries the format) with its
    answer and refusals."""
    def register(handler):
        responses = {status: {"model": reply, "description": "the answer (in XML, the "
                              "same fields, at the path ending .xml)"},
                     **{code: {"model": list[shapes.Error], "description": MEANING[code]}
                        for code in sorted({*errors, 503})}}  # (Redis may be away)
        router.add_api_route(documented or path.replace("{fmt}", "json"), handler,
                             methods=[method], status_code=status, responses=responses,
                             tags=["Open311 GeoReport v2"], **extra)
        router.add_api_route(path, handler, methods=[method], include_in_schema=False)
        return handler
    return register


def asked(request: Request) -> str:
    """The last part of the path (`services.json`, `<code>.xml`), which names the format."""
    return request.url.path.rpartition("/")[2]


@route("GET", "/discovery.{fmt}", shapes.Discovery, 400, 404,
       openapi_extra={"parameters": shapes.query(shapes.JURISDICTION)})
async def discovery(request: Request) -> Response:
    def build(room: LiveRoom, _params, fmt: str) -> Response:
        base = str(request.base_url).rstrip("/") + "/open311/v2/"
        return render({
            "changeset": CHANGESET, "contact": room.city.name,
            "key_service": "python -m liveroom apikeys create NAME",
            # (not in GeoReport v2: POST requests.* with this header is done once per key)
            "idempotency_header": "Idempotency-Key",
            "endpoints": [{"specification": spec, "url": base, "changeset": CHANGESET,
                           "type": "production", "formats": ["text/xml", "application/json"]}
                          for spec in SPECIFICATIONS],
        }, fmt, "discovery")

    return await answer(request, asked(request), build)


@route("GET", "/services.{fmt}", list[shapes.Service], 400, 404,
       openapi_extra={"parameters": shapes.query(shapes.JURISDICTION)})
async def services(request: Request) -> Response:
    def build(room: LiveRoom, _params, fmt: str) -> Response:
        return render([service(room, code) for code in room.city.categories], fmt, "services",
                      "service")

    return await answer(request, asked(request), build)


@route("GET", "/services/{service_code}", shapes.ServiceDefinition, 400, 404,
       documented="/services/{service_code}.json",
       openapi_extra={"parameters": shapes.query(shapes.JURISDICTION)})
async def service_definition(request: Request, service_code: str) -> Response:
    def build(room: LiveRoom, _params, fmt: str) -> Response:
        code, _ = split(asked(request))
        category = room.city.categories.get(code)
        if category is None:
            raise Open311Error(404, f"unknown service_code {code!r}")
        attributes = [attribute_view(a, i) for i, a in enumerate(category.attributes, 1)]
        return render({"service_code": code, "attributes": attributes}, fmt,
                      "service_definition")

    return await answer(request, asked(request), build)


@route("GET", "/requests.{fmt}", list[shapes.ServiceRequest], 400, 404, 429,
       openapi_extra={"parameters": shapes.query(
           shapes.JURISDICTION, service_request_id="ids, comma-separated (each look-up "
           "counts against the address's budget)", service_code="codes, comma-separated",
           start_date="W3C date-time with its offset", end_date="W3C date-time",
           status="open or closed")})
async def list_requests(request: Request) -> Response:
    def build(room: LiveRoom, params, fmt: str) -> Response:
        return render(find_requests(room, params, client_address(request)), fmt,
                      "service_requests", "request")

    return await answer(request, asked(request), build)


@route("GET", "/servicerequestupdates.{fmt}", list[shapes.RequestUpdate], 400, 404, 429,
       openapi_extra={"parameters": shapes.query(
           shapes.JURISDICTION, start_date="W3C date-time with its offset (default: a day "
           "before end_date)", end_date="W3C date-time (default: now); at most 31 days "
           "after start_date")})
async def request_updates(request: Request) -> Response:
    """mySociety's extension (FixMyStreet): every change of every request in a window,
    oldest first, at most `reporting.updates.MAX_UPDATES`."""
    def build(room: LiveRoom, params, fmt: str) -> Response:
        return render(find_updates(room, params, client_address(request)), fmt,
                      "service_request_updates", "request_update")

    return await answer(request, asked(request), build)


@route("GET", "/requests/{service_request_id}", list[shapes.ServiceRequest], 400, 404, 429,
       documented="/requests/{service_request_id}.json",
       openapi_extra={"parameters": shapes.query(shapes.JURISDICTION)})
async def one_request(request: Request, service_request_id: str) -> Response:
    def build(room: LiveRoom, params, fmt: str) -> Response:
        request_id, _ = split(asked(request))
        found = find_requests(room, {"service_request_id": request_id}, client_address(request))
        if not found:
            raise Open311Error(404, f"no service request {request_id!r}")
        return render(found, fmt, "service_requests", "request")

    return await answer(request, asked(request), build)


@route("GET", "/tokens/{token}", list[shapes.Token], 400, 404, 429,
       documented="/tokens/{token}.json",
       openapi_extra={"parameters": shapes.query(shapes.JURISDICTION)})
async def token_of(request: Request, token: str) -> Response:
    """Requests are created at once, so a token is the request's own id."""
    def build(room: LiveRoom, params, fmt: str) -> Response:
        token_id, _ = split(asked(request))
        if not find_requests(room, {"service_request_id": token_id}, client_address(request)):
            raise Open311Error(404, f"unknown token {token_id!r}")
        return render([{"service_request_id": token_id, "token": token_id}], fmt,
                      "service_requests", "request")

    return await answer(request, asked(request), build)


@route("POST", "/requests.{fmt}", list[shapes.Created], 400, 403, 404, 409, 413, 429, 503,
       status=201, openapi_extra={
           "parameters": [{"name": "Idempotency-Key", "in": "header", "required": False,
                           "description": "a retry with the same key gets the first report "
                                          "back (kept two days)",
                           "schema": {"type": "string", "pattern": KEY.pattern}}],
           "requestBody": {"required": True, "content": {
               "application/x-www-form-urlencoded": {"schema": shapes.POST_FORM}}}})
async def create_request(request: Request) -> Response:
    def build(room: LiveRoom, params, fmt: str) -> Response:
        try:
            found = credential_principal(room, params.get("api_key"), ("api_key",),
                                         client=client_address(request))
        except Throttled as exc:
            raise Open311Error(429, f"too many unknown api_keys from this address; retry in "
                                    f"{exc.seconds} s") from None
        if found is None:
            raise Open311Error(403, "a valid api_key is required")
        principal, key_id = found
        wait = session_store.rate_limited(room, f"open311:{key_id}",
                                          room.settings.open311_posts_per_minute, 60)
        if wait:
            raise Open311Error(429, f"too many requests for this api_key; retry in {wait} s")
        code = params.get("service_code")
        if not code:
            raise Open311Error(400, "service_code is required")
        if code not in room.city.categories:
            raise Open311Error(404, f"unknown service_code {code!r}")
        lat, lon, approximate = locate(room, params)
        reporter = {key: params[key] for key in ("first_name", "last_name", "email", "phone")
                    if params.get(key)}

        def create() -> tuple[int, list[dict]]:
            incident = report_incident(
                room, category=code, lat=lat, lon=lon, source="open311", by=principal,
                description=params.get("description", ""),
                address=params.get("address_string") or None,
                media_url=params.get("media_url") or None, reporter=reporter,
                attributes=attributes_of(params.pairs), location_approximate=approximate,
            )
            log.info("open311 request %s from key %s", incident.id, key_id)
            return 201, [shapes.Created(service_request_id=incident.id, token=incident.id,
                                        service_notice=None, account_id=None).model_dump()]

        # a citizen app that sends again after a lost answer gets the first report back
        retry_key = request.headers.get("Idempotency-Key")
        status, body = once(room, principal, retry_key, create) if retry_key else create()
        return render(body, fmt, "service_requests", "request", status=status)

    return await answer(request, asked(request), build)

"""The citizen's pages, public and light enough for a phone on a slow connection.

- `GET /lapor`: the report form (category, its questions, a point on the offline
  map or the phone's location, description, photo, optional contact).
- `POST /lapor`: checks everything, stores the photo, reports through
  `report_incident`, and sends the citizen to their tracking page. A refusal
  shows the form again with what they typed and the reason; nothing is kept.
- `GET /lapor/{id}`: the report's progress, no login needed; once resolved, its reporter's
  rating or "belum beres" (`POST /lapor/{id}/nilai`: `citizen_feedback`).
- `GET /media/{name}`: a stored photo.
"""

from __future__ import annotations

import logging
import re
import secrets

import anyio
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.datastructures import FormData, UploadFile

from liveroom.access import Principal, Role
from liveroom.access import sessions as session_store
from liveroom.api.access import client_address
from liveroom.api.citizen_feedback import (
    BODY_MAX,
    FeedbackRefused,
    feedback_view,
    submit_feedback,
)
from liveroom.api.open311 import attributes_of
from liveroom.api.templates import map_config, page_language, render_page
from liveroom.commands.incidents import report_incident
from liveroom.commands.media import PhotoRefused, discard_photo, photo_path, store_photo
from liveroom.domain.errors import DomainError, NotFound
from liveroom.domain.lifecycle import Status
from liveroom.i18n import format_datetime, translate
from liveroom.reporting.reports import public_report
from liveroom.room import LiveRoom

router = APIRouter()
log = logging.getLogger("liveroom.citizen")
CSRF_COOKIE = "lr_report_csrf"
WEB_CITIZEN = Principal(kind="web", name="citizen", roles=frozenset({Role.CITIZEN_APP}))
#: the steps a citizen sees, in order (a rejected or duplicate report ends early)
PROGRESS = (Status.RECEIVED, Status.TRIAGED, Status.ASSIGNED, Status.ACKNOWLEDGED,
            Status.EN_ROUTE, Status.ON_SCENE, Status.RESOLVED)
TRACKING_ID = re.compile(r"[0-9]{6}-[0-9A-Z]{5}")


class Refused(Exception):
    """A form the citizen must correct: a translated message and the HTTP status."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message, self.status = message, status


def _form_page(request: Request, lang: str, *, values: dict | None = None, error: str = "",
               status: int = 200) -> Response:
    room: LiveRoom = request.app.state.room
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    city = room.city
    agencies = [(agency, [c for c in city.categories.values() if c.agency == key])
                for key, agency in city.agencies.items()]
    response = render_page(
        "citizen_report.html", lang, status, city=city, agencies=agencies,
        values=values or {}, error=error, csrf=csrf,
        photo_mb=room.settings.photo_max_bytes // 1_000_000,
        map_config=map_config(city),
    )
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/lapor")
    return response


@router.get("/lapor")
def show_form(request: Request) -> Response:
    return _form_page(request, page_language(request.query_params.get("lang")))


@router.get("/lapor/peta.geojson")
def basemap(request: Request) -> Response:
    """The city's districts, for the offline map (no tile server needed)."""
    return Response(orjson.dumps(request.app.state.room.city.districts_geojson()),
                    media_type="application/geo+json",
                    headers={"cache-control": "public, max-age=3600"})


@router.post("/lapor")
async def submit_report(request: Request) -> Response:
    room: LiveRoom = request.app.state.room
    lang = page_language(request.query_params.get("lang"))
    values: dict = {}
    try:
        form = await _read_form(request, room, lang)
        values = {k: v for k, v in form.multi_items() if isinstance(v, str)}
        lang = page_language(form.get("lang") or lang)
        expected = request.cookies.get(CSRF_COOKIE)
        if not expected or not secrets.compare_digest(expected, str(form.get("csrf", ""))):
            raise Refused(translate("report.expired", lang), 403)
        client = client_address(request)
        wait = await anyio.to_thread.run_sync(
            session_store.rate_limited, room, f"web-report:{client}",
            room.settings.web_reports_per_hour, 3600)
        if wait:
            raise Refused(translate("report.too_many", lang, minutes=wait // 60 + 1), 429)
        photo = form.get("photo")
        data = await photo.read() if isinstance(photo, UploadFile) and photo.filename else b""
        incident_id = await anyio.to_thread.run_sync(_report, room, form, data, lang)
    except Refused as refused:
        return _form_page(request, lang, values=values, error=refused.message,
                          status=refused.status)
    return RedirectResponse(f"/lapor/{incident_id}?lang={lang}&baru=1", 303)


def max_body(room: LiveRoom) -> int:
    """The largest report form: a photo and the rest (what the body limit lets through)."""
    return room.settings.photo_max_bytes + 100_000


def too_large(request: Request, _max_bytes: int) -> Response:
    """The body limit's refusal: the form again, saying how large a photo may be."""
    room: LiveRoom = request.app.state.room
    lang = page_language(request.query_params.get("lang"))
    return _form_page(request, lang, error=translate(
        "report.photo.too_large", lang, mb=room.settings.photo_max_bytes // 1_000_000),
        status=413)


async def _read_form(request: Request, room: LiveRoom, lang: str) -> FormData:
    try:
        return await request.form(max_files=1, max_fields=50)
    except Exception:  # a malformed multipart body
        raise Refused(translate("report.malformed", lang)) from None


def _report(room: LiveRoom, form: FormData, photo: bytes, lang: str) -> str:
    """Check the form, store the photo, report; returns the tracking number."""
    category = room.city.categories.get(str(form.get("category", "")))
    if category is None:
        raise Refused(translate("report.pick_category", lang))
    answers = attributes_of([(name, value) for name, value in form.multi_items()
                             if isinstance(value, str)])  # (as Open311 names them)
    for attribute in category.attributes:
        if attribute.required and not str(answers.get(attribute.code, "")).strip():
            raise Refused(translate("report.answer_required", lang,
                                    question=attribute.description.get(lang)))
    answers = {k: v for k, v in answers.items() if k in {a.code for a in category.attributes}}
    try:
        lat, lon = float(str(form.get("lat"))), float(str(form.get("lon")))
    except ValueError:
        raise Refused(translate("report.pick_location", lang)) from None
    if not room.city.contains(lat, lon):
        raise Refused(translate("report.outside", lang, city=room.city.name))
    media_url = None
    if photo:
        try:
            media_url = store_photo(room, photo)
        except PhotoRefused as exc:
            raise Refused(translate(f"report.photo.{exc.reason}", lang,
                                    mb=room.settings.photo_max_bytes // 1_000_000)) from None
    reporter = {key: str(form.get(key)).strip() for key in ("name", "phone")
                if str(form.get(key) or "").strip()}
    try:
        incident = report_incident(
            room, category=category.code, lat=lat, lon=lon, source="web", by=WEB_CITIZEN,
            description=str(form.get("description") or "")[:4000], media_url=media_url,
            reporter=reporter, attributes=answers,
        )
    except DomainError as exc:
        discard_photo(room, media_url)
        raise Refused(translate("report.refused", lang, reason=str(exc))) from None
    log.info("web report %s (%s)", incident.id, category.code)
    return incident.id


@router.get("/lapor/cari")
def find(request: Request) -> Response:
    """The 'follow my report' box: a tracking number typed in, any case or spacing."""
    lang = page_language(request.query_params.get("lang"))
    number = re.sub(r"\s+", "", request.query_params.get("nomor", "")).upper()
    return RedirectResponse(f"/lapor/{number or '-'}?lang={lang}", 303)


@router.get("/lapor/{incident_id}")
def show_status(request: Request, incident_id: str) -> Response:
    lang = page_language(request.query_params.get("lang"))
    return _status_page(request, incident_id, lang)


@router.post("/lapor/{incident_id}/nilai")
async def give_feedback(request: Request, incident_id: str) -> Response:
    """The reporter's rating or "belum beres" (`citizen_feedback`); a refusal shows the
    page again with the reason and what they typed, nothing kept."""
    room: LiveRoom = request.app.state.room
    lang = page_language(request.query_params.get("lang"))
    values: dict = {}
    try:
        if not TRACKING_ID.fullmatch(incident_id):
            raise FeedbackRefused(translate("tracking.not_found", lang, number=incident_id[:20]),
                                  404)
        declared = request.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > BODY_MAX or len(
                await request.body()) > BODY_MAX:
            raise FeedbackRefused(translate("feedback.too_long", lang, limit=1000), 413)
        try:
            form = await request.form(max_files=0, max_fields=10)
        except Exception:
            raise FeedbackRefused(translate("report.malformed", lang)) from None
        values = {k: v[:1000] for k, v in form.items() if isinstance(v, str) and k != "bukti"}
        expected = request.cookies.get(CSRF_COOKIE)
        if not expected or not secrets.compare_digest(expected, str(form.get("csrf", ""))):
            raise FeedbackRefused(translate("report.expired", lang), 403)
        wait = await anyio.to_thread.run_sync(session_store.lookups_refused, room,
                                              client_address(request))
        if wait:
            raise FeedbackRefused(translate("tracking.too_many", lang,
                                            minutes=wait // 60 + 1), 429)
        done = await anyio.to_thread.run_sync(
            lambda: submit_feedback(room, incident_id, form, lang, by=WEB_CITIZEN))
    except FeedbackRefused as refused:
        return _status_page(request, incident_id, lang, counted=True, values=values,
                            error=refused.message, status=refused.status)
    return RedirectResponse(f"/lapor/{incident_id}?lang={lang}&{done}=1#nilai", 303)


def _status_page(request: Request, incident_id: str, lang: str, *, counted: bool = False,
                 values: dict | None = None, error: str = "", status: int = 200) -> Response:
    """The tracking page; with the feedback form once resolved (`counted`: the look-up
    was counted already, by the form's post)."""
    room: LiveRoom = request.app.state.room
    wait = 0 if counted else session_store.lookups_refused(room, client_address(request))
    if wait:
        return render_page("citizen_status.html", lang, 429, report=None, number=incident_id,
                           city=room.city, wait_minutes=wait // 60 + 1)
    try:
        if not TRACKING_ID.fullmatch(incident_id):
            raise NotFound(incident_id)
        report = public_report(room, incident_id)
    except NotFound:
        return render_page("citizen_status.html", lang, 404, report=None, number=incident_id,
                           city=room.city)
    city = room.city
    reopened = max((i for i, s in enumerate(report.history) if s.reopened), default=0)
    reached = {step.status for step in report.history[reopened:]} | {report.status}
    category = city.categories.get(report.category)
    district = city.districts.get(report.district or "")
    agency = city.agencies.get(report.agency or "")
    csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
    response = render_page(
        "citizen_status.html", lang, report=report, city=city, number=incident_id,
        new=request.query_params.get("baru") == "1",
        category=category.name.get(lang) if category else report.category,
        answers=category.describe_answers(report.attributes, lang) if category else [],
        district=district.name if district else None,
        agency=agency.name.get(lang) if agency else None,
        steps=[(s.value, s.value in reached or _beyond(s, report.status)) for s in PROGRESS],
        history=[(translate("status.reopened" if s.reopened else f"status.{s.status}", lang),
                  format_datetime(s.at, city.timezone, lang),
                  s.reason if s.status == Status.REJECTED.value or s.reopened else None,
                  s.media_url)
                 for s in report.history],
        reported=format_datetime(report.reported_at, city.timezone, lang),
        due=format_datetime(report.resolve_due, city.timezone, lang)
        if report.resolve_due and not report.closed else None,
        map_config=map_config(city, centre=(report.lat, report.lon), zoom=14, bounds=None,
                              point=(report.lat, report.lon)),
        feedback=feedback_view(room, incident_id, lang), csrf=csrf, values=values or {},
        feedback_error=error, done=next((k for k in ("rated", "reopened")
                                         if request.query_params.get(k) == "1"), None),
    )
    response.status_code = status
    response.set_cookie(CSRF_COOKIE, csrf, httponly=True, samesite="strict",
                        secure=request.url.scheme == "https", path="/lapor")
    return response


def _beyond(step: Status, current: str) -> bool:
    """A step counts as done once a later one is reached (e.g. assigned after resolved)."""
    order = [s.value for s in PROGRESS]
    return current in order and order.index(current) >= order.index(step.value)


@router.get("/media/{name}")
def photo(request: Request, name: str) -> Response:
    path = photo_path(request.app.state.room, name)
    if path is None:
        return Response("not found", 404, media_type="text/plain")
    return FileResponse(path, media_type="image/jpeg", headers={
        "cache-control": "public, max-age=31536000, immutable",
        "content-security-policy": "default-src 'none'",
        "content-disposition": "inline"})

"""The field officer's phone: `GET /field` (a light page, no Dash: it must load over slow
3G) and `/ws/field`, the websocket that carries the phone's location up and its duty and
tasks down, pushed as they change.

Messages down: `{"type": "state", ...field_state, "gone": [{id, why}]}` whenever what the
officer sees changes, `{"type": "beat"}` every `phones.BEAT` seconds otherwise, and `{"type": "fix",
"ok": n}` or `{"type": "fix", "error": ...}` for each message of fixes sent up. Commands go
through `/api/v1` (session cookie plus CSRF header, with an `Idempotency-Key`), so a queue
replayed after a lost connection acts once.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

import anyio
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.websockets import WebSocket

from liveroom.access import Forbidden
from liveroom.api import phones
from liveroom.api.access import client_address, cross_site, csrf_token, current_principal
from liveroom.api.templates import map_config, page_language, render_page
from liveroom.commands import officers
from liveroom.i18n import catalog
from liveroom.live import field
from liveroom.live.changes import Change, ChangeHub
from liveroom.room import LiveRoom

router = APIRouter()
log = logging.getLogger("liveroom.field")



@router.get("/field")
def field_page(request: Request) -> Response:
    room: LiveRoom = request.app.state.room
    lang = page_language(request.query_params.get("lang"))
    by = current_principal()
    try:
        officer = officers.get_officer(room, field.own_officer(by))
    except Forbidden:
        return render_page("field_refused.html", lang, 403, city=room.city)
    city = room.city
    posts = [{"type": "Feature", "properties": {"name": p.name},
              "geometry": p.geometry.__geo_interface__} for p in field.posts_for(city, officer)]
    return render_page(
        "field.html", lang, city=city, officer=officer, csrf=csrf_token(),
        texts={key: value for key, value in catalog(lang).items() if key.startswith(
            ("field.", "status."))},
        map_config=map_config(city, posts={"type": "FeatureCollection", "features": posts}),
    )


@router.get("/field/sw.js")
def service_worker(request: Request) -> Response:
    return phones.service_worker(request, "field")


async def field_channel(websocket: WebSocket) -> None:
    """`/ws/field?lang=id`: see the module's docstring."""
    room: LiveRoom = websocket.app.state.room
    hub: ChangeHub = websocket.app.state.changes
    if cross_site(websocket):
        await websocket.close(4403, "another site's page")
        return
    by = current_principal()
    lang = page_language(websocket.query_params.get("lang"))
    try:
        officer_id = field.own_officer(by)
    except Forbidden:
        await websocket.close(4403, "for field officers")
        return
    await websocket.accept()

    async def take(text: str) -> None:
        reply = await websocket.app.state.ingest.take(by, by.actor, text,
                                                      client_address(websocket))
        await websocket.send_text(orjson.dumps({"type": "fix", **reply}).decode())

    await phones.serve(websocket, hub, Phone(websocket, room, by, officer_id, lang), take)


class Phone:
    """The officer's phone as `live.push` sees it: its state is sent again whenever a change
    touches the officer or their tasks (or the feed was lost); no figures."""

    closed = False  # (the socket's reader cancels the push loop when the phone goes)

    def __init__(self, websocket: WebSocket, room: LiveRoom, by, officer_id: str,
                 lang: str) -> None:
        self.websocket, self.room, self.by = websocket, room, by
        self.officer_id, self.lang = officer_id, lang
        self.sent: dict | None = None

    async def points(self, change: Change, reset: bool) -> None:
        if reset or self.sent is None or _touches(change, self.officer_id, self.sent):
            await self.send_state()

    async def send_state(self) -> None:
        state = await anyio.to_thread.run_sync(field.field_state, self.room, self.by, self.lang)
        if state == self.sent:
            return
        before = [task["id"] for task in self.sent["tasks"]] if self.sent else []
        gone = await anyio.to_thread.run_sync(
            field.departed, self.room, self.officer_id, before,
            [task["id"] for task in state["tasks"]])
        await self.websocket.send_text(orjson.dumps({
            "type": "state", **state, "gone": [asdict(g) for g in gone]}).decode())
        self.sent = state

    async def figures(self) -> None:
        return None

    async def beat(self) -> None:
        await self.websocket.send_text('{"type":"beat"}')

    async def still_showing(self) -> bool:
        return True


def _touches(change: Change, officer_id: str, state: dict) -> bool:
    """Whether the change may alter what the phone shows: one of its tasks changed, or the
    officer's duty or task count did (their own moves, every few seconds, do not)."""
    if any(task["id"] in change.incidents for task in state["tasks"]):
        return True
    if officer_id not in change.officers:
        return False
    point = change.officers[officer_id]
    if point is None:
        return True
    seen = point["properties"]
    return (seen["on_duty"], seen["tasks"]) != (state["on_duty"], len(state["tasks"]))

"""The supervisor's alert phone: `GET /siaga` (a light page, no Dash, like the officer's
`/field`) and `/ws/siaga`, the websocket that pushes the escalation alerts of the agencies
the supervisor sees (`live.alerts`): the list at once, then again whenever a change touches
an incident on it or a new one is alerted. The page buzzes and shows a system notification
(through its service worker, `/siaga/sw.js`) for each alert it has not seen before.

Messages down: `{"type": "alerts", "at": ..., "alerts": [...]}` when the list changes,
`{"type": "beat"}` every BEAT seconds otherwise. Nothing goes up.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import anyio
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from liveroom.access import Forbidden, Principal
from liveroom.api.access import cross_site, csrf_token, current_principal
from liveroom.api.field import PHONE
from liveroom.api.templates import page_language, render_page
from liveroom.i18n import catalog
from liveroom.live import alerts, push
from liveroom.live.changes import Change, ChangeHub
from liveroom.room import LiveRoom

router = APIRouter()


@router.get("/siaga")
def siaga_page(request: Request) -> Response:
    room: LiveRoom = request.app.state.room
    lang = page_language(request.query_params.get("lang"))
    by = current_principal()
    try:
        alerts.check_supervisor(by)
    except Forbidden:
        return render_page("siaga_refused.html", lang, 403, city=room.city)
    agencies = [room.city.agencies[a].label(lang) for a in sorted(by.agencies)
                if a in room.city.agencies]
    return render_page(
        "siaga.html", lang, city=room.city, user=by.name, csrf=csrf_token(),
        agencies=", ".join(agencies),
        texts={key: value for key, value in catalog(lang).items()
               if key.startswith("siaga.") or key in ("home.live", "home.reconnecting")},
    )


@router.get("/siaga/sw.js")
def service_worker(request: Request) -> Response:
    """The page's service worker, served under `/siaga` so that it may keep that page and
    show its notifications."""
    return FileResponse(Path(request.app.state.assets) / "siaga" / "sw.js",
                        media_type="text/javascript",
                        headers={"Cache-Control": "no-cache",
                                 "Service-Worker-Allowed": "/siaga"})


async def siaga_channel(websocket: WebSocket) -> None:
    """`/ws/siaga?lang=id`: see the module's docstring."""
    room: LiveRoom = websocket.app.state.room
    hub: ChangeHub = websocket.app.state.changes
    if cross_site(websocket):
        await websocket.close(4403, "another site's page")
        return
    by = current_principal()
    try:
        alerts.check_supervisor(by)
    except Forbidden:
        await websocket.close(4403, "for supervisors")
        return
    await websocket.accept()
    subscription = await hub.subscribe()  # before the first list: nothing falls between

    async def nothing_new() -> Change:  # (the list is read whole anyway)
        return Change(hub.version)

    pager = Pager(websocket, room, by, page_language(websocket.query_params.get("lang")))
    pushing = asyncio.create_task(push.follow(pager, subscription, Change(hub.version),
                                              nothing_new, PHONE))
    try:
        while True:  # nothing is taken up: reading only notices the page go
            await websocket.receive_text()
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(subscription)
        pushing.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await pushing


class Pager:
    """The supervisor's phone as `live.push` sees it: the list is sent again whenever a
    change touches an incident on it or a new one is alerted (or the feed was lost)."""

    closed = False  # (the socket's reader cancels the push loop when the page goes)

    def __init__(self, websocket: WebSocket, room: LiveRoom, by: Principal,
                 lang: str) -> None:
        self.websocket, self.room, self.by, self.lang = websocket, room, by, lang
        self.sent: list[dict] | None = None

    def _shown(self) -> list[str]:
        return [alert["id"] for alert in self.sent or []]

    async def points(self, change: Change, reset: bool) -> None:
        if reset or self.sent is None or await anyio.to_thread.run_sync(
                alerts.touches, self.room, list(change.incidents), self._shown()):
            await self.send_alerts()

    async def send_alerts(self) -> None:
        state = await anyio.to_thread.run_sync(alerts.alert_state, self.room, self.by,
                                               self.lang)
        if state["alerts"] == self.sent:
            return
        await self.websocket.send_text(orjson.dumps({"type": "alerts", **state}).decode())
        self.sent = state["alerts"]

    async def figures(self) -> None:
        return None

    async def beat(self) -> None:
        await self.websocket.send_text('{"type":"beat"}')

    async def still_showing(self) -> bool:
        return True

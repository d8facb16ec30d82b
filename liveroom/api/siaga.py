"""The supervisor's alert phone: `GET /siaga` (a light page, no Dash, like the officer's
`/field`) and `/ws/siaga`, the websocket that pushes the escalation alerts of the agencies
the supervisor sees (`live.alerts`): the list at once, then again whenever a change touches
an incident on it or a new one is alerted. The page buzzes and shows a system notification
(through its service worker, `/siaga/sw.js`) for each alert it has not seen before.

Messages down: `{"type": "alerts", "at": ..., "alerts": [...]}` when the list changes,
`{"type": "beat"}` every `phones.BEAT` seconds otherwise. Nothing goes up.
"""

from __future__ import annotations

import anyio
import orjson
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.websockets import WebSocket

from liveroom.access import Forbidden, Principal
from liveroom.api import phones
from liveroom.api.access import cross_site, csrf_token, current_principal
from liveroom.api.templates import page_language, render_page
from liveroom.i18n import catalog
from liveroom.live import alerts
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
    """Under `/siaga`: it keeps the page and shows its notifications."""
    return phones.service_worker(request, "siaga")


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
    lang = page_language(websocket.query_params.get("lang"))
    await phones.serve(websocket, hub, Pager(websocket, room, by, lang))


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

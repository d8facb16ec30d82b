"""What the phone pages (`/field`, `/siaga`) share: their service worker's route, and a
websocket that pushes the page's state (a `live.push` follower) while it reads what the page
sends."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import Request
from fastapi.responses import FileResponse
from starlette.websockets import WebSocket, WebSocketDisconnect

from liveroom.live import push
from liveroom.live.changes import Change, ChangeHub

BEAT = 20.0  # seconds of quiet before a heartbeat (the page calls the link lost after 45)
#: the wall screen's policy, with the phone's heartbeat (no page to check: one socket, one page)
PHONE = push.Policy(heartbeat=BEAT, page_check=float("inf"))


def service_worker(request: Request, page: str) -> FileResponse:
    """The page's service worker, served under `/<page>` so that it may keep that page
    (from the app's assets folder, which the app names in `state.assets`)."""
    return FileResponse(Path(request.app.state.assets) / page / "sw.js",
                        media_type="text/javascript",
                        headers={"Cache-Control": "no-cache",
                                 "Service-Worker-Allowed": f"/{page}"})


async def serve(websocket: WebSocket, hub: ChangeHub, screen,
                receive: Callable[[str], Awaitable[None]] | None = None) -> None:
    """Push `screen` (sent whole: no deltas to read back) until the page goes, while each
    message it sends goes to `receive` (none: reading only notices the page go)."""
    subscription = await hub.subscribe()  # before the first state: nothing falls between

    async def nothing_new() -> Change:
        return Change(hub.version)

    pushing = asyncio.create_task(push.follow(screen, subscription, Change(hub.version),
                                              nothing_new, PHONE))
    try:
        while True:
            text = await websocket.receive_text()
            if receive is not None:
                await receive(text)
    except WebSocketDisconnect:
        pass
    finally:
        hub.unsubscribe(subscription)
        pushing.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, RuntimeError):
            await pushing

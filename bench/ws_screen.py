"""A wall screen at the websocket protocol level: what one open "/" tab does on Dash's
`_dash-ws-callback`, without a browser, so a benchmark can hold hundreds open.

    .venv/bin/python bench/ws_screen.py --url http://127.0.0.1:8073 --user operator \
        --password XXX --screens 5 --seconds 10

The protocol (Dash 4.4, FastAPI backend; JSON text frames, the server may batch several
messages into one JSON array):

- client -> server `callback_request` {rendererId, requestId, payload: {output, inputs: [],
  changedPropIds: [], ...}}: starts a callback; the renderer sends one for every
  no-input callback in `/_dash-dependencies` when the page loads and again after a
  reconnect (persistent ones run until the socket closes).
- server -> client `get_props_request` {rendererId, requestId, payload: {componentId,
  properties}}; client -> server `get_props_response` {rendererId, requestId, payload:
  {prop: value}} (`{}`: not on this page, the server reads None).
- server -> client `set_props` {rendererId, payload: {componentId, props}}, one prop each;
  `callback_response` {requestId, payload: {status, ...}} when a callback ends.
- client -> server `heartbeat` every 30 s; server -> client `heartbeat_ack`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, WebSocketException

HEARTBEAT_SECONDS = 30.0


async def sign_in(base_url: str, username: str, password: str) -> dict[str, str]:
    """Sign in through the `/login` form (CSRF token from the form and its cookie); the
    session cookies to reuse on the websocket."""
    async with httpx.AsyncClient(base_url=base_url) as client:
        form = await client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        if csrf is None:
            raise RuntimeError("no CSRF token in the login form")
        reply = await client.post("/login", data={
            "username": username, "password": password, "csrf": csrf.group(1)})
        if reply.status_code != 303:
            raise RuntimeError(f"sign-in refused: HTTP {reply.status_code}")
        return {"lr_session": client.cookies["lr_session"]}


async def persistent_callbacks(base_url: str, cookies: dict[str, str]) -> list[str]:
    """The output ids of the callbacks a page starts on the websocket by itself (no inputs,
    no output, websocket=True): fetch once and hand to every screen."""
    async with httpx.AsyncClient(base_url=base_url, cookies=cookies) as client:
        reply = await client.get("/_dash-dependencies")
        reply.raise_for_status()
    return [cb["output"] for cb in reply.json()
            if cb.get("websocket") and cb.get("no_output") and not cb.get("inputs")
            and not cb.get("prevent_initial_call")]


class WsScreen:
    """One wall screen on its own websocket: answers the server's questions about the page
    (language, filter, last version seen) and records what is pushed."""

    def __init__(self, base_url: str, cookies: dict[str, str], lang: str = "id",
                 search: str = "", version: str | None = None,
                 callbacks: list[str] | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.cookies = cookies
        self.callbacks = callbacks
        self.renderer_id = str(uuid.uuid4())
        self.props: dict[tuple[str, str], Any] = {
            ("page-lang", "data"): lang, ("page-filter", "data"): search,
            ("live-version", "data"): version}
        self.first_seen: dict[str, float] = {}  # incident id -> first arrival non-null
        self.pushes = 0  # map-changes received
        self.resets = 0  # of which full resets
        self.beats = 0
        self.messages = 0  # every server message (batches unpacked)
        self.last_at = 0.0  # when the last frame arrived
        self.longest_silence = 0.0  # the longest wait between two frames once ready
        self.errors: list[str] = []
        self.connected_at = 0.0
        self.ready_at = 0.0  # first map-changes (the catch-up or reset) arrived
        self._ws: ClientConnection | None = None
        self._tasks: list[asyncio.Task[None]] = []

    async def connect(self) -> None:
        """Open the socket as the page does (cookies, same Origin), start the persistent
        callbacks and the receive and heartbeat loops."""
        if self.callbacks is None:
            self.callbacks = await persistent_callbacks(self.base_url, self.cookies)
        ws_url = re.sub(r"^http", "ws", self.base_url) + "/_dash-ws-callback"
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self._ws = await connect(ws_url, origin=self.base_url,  # type: ignore[arg-type]
                                 additional_headers={"Cookie": cookie}, max_size=None)
        self.connected_at = time.time()
        for n, output in enumerate(self.callbacks, 1):
            await self._send({"type": "callback_request", "rendererId": self.renderer_id,
                              "requestId": f"{self.renderer_id}-{n}",
                              "payload": {"output": output, "inputs": [],
                                          "changedPropIds": [], "parsedChangedPropsIds": []}})
        self._tasks = [asyncio.create_task(self._receive()),
                       asyncio.create_task(self._heartbeat())]

    async def close(self) -> None:
        """Stop the loops and close the socket (the server ends the callbacks)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._ws is not None:
            await self._ws.close()

    @property
    def closed(self) -> bool:
        return self._ws is None or self._ws.close_code is not None

    async def _send(self, message: dict[str, Any]) -> None:
        assert self._ws is not None
        await self._ws.send(json.dumps(message))

    async def _heartbeat(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(HEARTBEAT_SECONDS)
                await self._send({"type": "heartbeat"})

    async def _receive(self) -> None:
        assert self._ws is not None
        try:
            async for frame in self._ws:
                now, data = time.time(), orjson.loads(frame)
                if self.ready_at:
                    self.longest_silence = max(self.longest_silence, now - self.last_at)
                self.last_at = now
                for message in data if isinstance(data, list) else [data]:
                    self.messages += 1
                    await self._handle(message, now)
        except ConnectionClosed as exc:
            self.errors.append(f"closed: {exc}")

    async def _handle(self, message: dict[str, Any], now: float) -> None:
        kind, payload = message.get("type"), message.get("payload") or {}
        if kind == "get_props_request":
            component = payload["componentId"]
            answer = {p: self.props[component, p] for p in payload["properties"]
                      if (component, p) in self.props}
            await self._send({"type": "get_props_response", "rendererId": self.renderer_id,
                              "requestId": message["requestId"], "payload": answer})
        elif kind == "set_props":
            self._set_props(payload["componentId"], payload["props"], now)
        elif kind == "callback_response" and payload.get("status") == "error":
            self.errors.append(f"callback: {payload.get('message')}")
        elif kind == "error":
            self.errors.append(f"error: {payload}")

    def _set_props(self, component: str, props: dict[str, Any], now: float) -> None:
        if component == "map-changes":
            change = orjson.loads(props.get("data") or "{}")  # pushed as text, as the page gets it
            self.pushes += 1
            self.ready_at = self.ready_at or now
            self.resets += bool(change.get("reset"))
            for incident, feature in (change.get("incidents") or {}).items():
                if feature is not None:
                    self.first_seen.setdefault(incident, now)
            # what `liveroom.applyChanges` does: a reconnect resumes from here
            self.props["live-version", "data"] = change.get("version")
        elif component == "live-beat":
            self.beats += 1


#: the browser's waits before each try to reconnect (Dash's SharedWorker: 1 s, doubling to
#: 30 s, at most 10 tries)
BACKOFF = (1, 2, 4, 8, 16, 30, 30, 30, 30, 30)


async def keep_connected(screen: WsScreen, running: Callable[[], bool]) -> int:
    """Connect `screen`, and whenever its socket closes connect it again as the browser does
    (resuming from the last version it saw), while `running()`; how many reconnects."""
    reconnects = 0
    await screen.connect()
    while running():
        if not screen.closed:
            await asyncio.sleep(0.1)
            continue
        for delay in BACKOFF:
            await asyncio.sleep(delay)
            try:
                await screen.connect()
            except (OSError, EOFError, WebSocketException, httpx.HTTPError) as exc:
                screen.errors.append(f"reconnect: {exc!r}"[:200])
                continue
            reconnects += 1
            break
        else:
            return reconnects  # (the browser gives up; the page reloads itself later)
    await screen.close()
    return reconnects


async def smoke(url: str, user: str, password: str, screens: int, seconds: float) -> None:
    """Open `screens` screens for `seconds`; print what each received."""
    cookies = await sign_in(url, user, password)
    callbacks = await persistent_callbacks(url, cookies)
    opened = [WsScreen(url, cookies, callbacks=callbacks) for _ in range(screens)]
    await asyncio.gather(*(s.connect() for s in opened))
    await asyncio.sleep(seconds)
    await asyncio.gather(*(s.close() for s in opened))
    start = max(s.ready_at or time.time() for s in opened)  # every screen caught up
    new = [{i for i, t in s.first_seen.items() if t > start} for s in opened]
    print(f"persistent callbacks: {callbacks}")
    for n, (s, fresh) in enumerate(zip(opened, new, strict=True)):
        ready = s.ready_at - s.connected_at if s.ready_at else float("nan")
        print(f"screen {n}: ready={ready:.2f}s pushes={s.pushes} resets={s.resets} beats={s.beats} "
              f"messages={s.messages} incidents={len(s.first_seen)} new={len(fresh)} "
              f"errors={s.errors}")
    print(f"all screens saw the same new incidents: {all(f == new[0] for f in new)} "
          f"({len(set().union(*new))} new in all)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8073")
    parser.add_argument("--user", default="operator")
    parser.add_argument("--password", required=True)
    parser.add_argument("--screens", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    asyncio.run(smoke(args.url, args.user, args.password, args.screens, args.seconds))


if __name__ == "__main__":
    main()

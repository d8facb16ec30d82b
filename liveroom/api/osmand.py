"""Officer locations from trackers: the transports (the OsmAnd port, `/osmand`, the
`/ws/device` websocket) around the decoders of `liveroom.trackers.osmand`.

Served at the root of its own port (`LIVEROOM_OSMAND_PORT`, 5055) and at `/osmand` on the
main server; the officer's phone page sends the same fixes over `/ws/device`. An unknown
device gets 400 and is counted; a malformed value gets 400 with the reason; a device that
cannot be checked while the archive is down gets 503 (`commands.locations.DeviceDirectory`),
and so do fixes no replica confirmed (`LIVEROOM_REDIS_MIN_REPLICAS`) and fixes met by Redis
unreachable (a failover under way): trackers send them again; nothing is stored for a
refused request.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from liveroom.access import Forbidden, Principal
from liveroom.api.access import client_address
from liveroom.api.errors import REDIS_UNREACHABLE, http_status
from liveroom.commands.accounts import credential_principal
from liveroom.commands.locations import DeviceDirectory, FixWriter
from liveroom.domain.errors import ArchiveUnavailable, InvalidCommand, TryAgain
from liveroom.domain.events import OfficerLocated
from liveroom.room import LiveRoom
from liveroom.trackers.osmand import BadFix, from_json, from_query

MAX_BODY = 1_000_000


class LocationIngest:
    """What both listeners share: the device directory and the group-commit writer."""

    def __init__(self, room: LiveRoom) -> None:
        self.room = room
        self.devices = DeviceDirectory(room)
        self.writer = FixWriter(room)

    async def receive(self, request: Request) -> Response:
        """The route on the main server (`/osmand`)."""
        body = await request.body() if request.method == "POST" else b""
        status, text = await self.ingest(request.url.query.encode(), body,
                                         client_address(request))
        return PlainTextResponse(text, status) if text else Response(status_code=status)

    async def ingest(self, query: bytes, body: bytes, client: str) -> tuple[int, str]:
        """(HTTP status, reason) for one request's query string and body, from `client`."""
        try:
            return await self._ingest(query, body, client)
        except REDIS_UNREACHABLE:  # (the OsmAnd port has no exception handlers: not a 500)
            return 503, "live model unavailable; retry shortly"

    async def _ingest(self, query: bytes, body: bytes, client: str) -> tuple[int, str]:
        wait = self.devices.throttled(client)
        if wait:
            return 429, f"too many unknown device ids from this address; retry in {wait} s"
        try:
            if body[:1] in (b"{", b"["):
                device_id, fields = from_json(orjson.loads(body))
            else:
                params = dict(parse_qsl(query.decode(errors="replace")))
                if body:
                    params.update(parse_qsl(body.decode(errors="replace")))
                device_id, fields = from_query(params)
        except (BadFix, orjson.JSONDecodeError, UnicodeDecodeError) as exc:
            return 400, f"bad request: {exc}"
        try:
            principal = await self.devices.lookup(device_id)
        except ArchiveUnavailable:  # (neither known nor refused: the tracker sends again)
            return 503, "archive unavailable; retry shortly"
        if principal is None or principal.officer_id is None:
            self.devices.count_unknown(device_id, client)
            return 400, "unknown device id"
        try:  # (the actor is the credential's id: the secret it sent is stored nowhere)
            fixes = [OfficerLocated(officer_id=principal.officer_id, actor=principal.actor,
                                    client=client, **f) for f in fields]
        except InvalidCommand as exc:  # the event model's refusal: a field and why
            return 400, f"bad request: {exc}"
        try:
            await self.writer.write(fixes, principal)
        except TryAgain as exc:  # (not yet replicated: the tracker sends it again)
            return http_status(exc), str(exc)
        return 200, ""

    async def take(self, principal: Principal, actor: str, message: str,
                   client: str) -> dict[str, Any]:
        """One websocket message of fixes from a signed-in phone or device: a Traccar Client
        location, a list of them, or `{"location": [...]}`; answered `{"ok": n}` or
        `{"error": reason}` (then nothing is stored)."""
        try:
            body = orjson.loads(message)
            body = body if isinstance(body, dict) and "location" in body else {"location": body}
            _, fields = from_json({**body, "device_id": actor})
            fixes = [OfficerLocated(officer_id=principal.officer_id or "", actor=actor,
                                    client=client, **f) for f in fields]
        except (BadFix, orjson.JSONDecodeError, InvalidCommand) as exc:
            return {"error": str(exc).splitlines()[0][:300]}
        try:
            await self.writer.write(fixes, principal)
        except Forbidden as exc:
            return {"error": str(exc)}
        return {"ok": len(fixes)}


class OsmandListener:
    """The OsmAnd port's whole app, in plain ASGI (the protocol at `/`, GET or POST):
    trackers are many and their requests tiny, so no framework layers in between."""

    def __init__(self, ingest: LocationIngest) -> None:
        self.ingest = ingest

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "lifespan":  # nothing to start or stop
            while (message := await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        if scope["type"] != "http":
            return
        if scope["path"] != "/" or scope["method"] not in ("GET", "POST"):
            status, text = 404, "not found: trackers send to /"
        else:
            body, more = b"", True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > MAX_BODY:
                    break
            status, text = (413, "body too large") if len(body) > MAX_BODY else (
                await self.ingest.ingest(scope["query_string"], body,
                                         (scope.get("client") or ("?",))[0]))
        payload = text.encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(payload)).encode())]})
        await send({"type": "http.response.body", "body": payload})


def osmand_app(ingest: LocationIngest) -> OsmandListener:
    """The listener on the OsmAnd port: the protocol at `/`, as trackers expect."""
    return OsmandListener(ingest)


async def device_channel(websocket: WebSocket) -> None:
    """`/ws/device`: a tracker app sends fixes over a websocket. The first message is
    `{"token": "<device secret>"}`; then each message is a Traccar Client location (or
    `{"location": [...]}`), answered `{"ok": n}` or `{"error": reason}`."""
    ingest: LocationIngest = websocket.app.state.ingest
    await websocket.accept()
    try:
        hello = await websocket.receive_json()
        try:
            found = await anyio.to_thread.run_sync(
                credential_principal, ingest.room,
                hello.get("token") if isinstance(hello, dict) else None, ("device",))
        except ArchiveUnavailable:
            await websocket.close(1013, "archive unavailable; try again shortly")
            return
        if found is None:
            await websocket.close(4401, "a valid device token is required")
            return
        principal, device_id = found
        await websocket.send_json({"ok": 0, "device_id": device_id})
        while True:
            reply = await ingest.take(principal, principal.actor,
                                      await websocket.receive_text(), client_address(websocket))
            await websocket.send_json(reply)
    except WebSocketDisconnect:
        return

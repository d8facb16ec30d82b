"""Officer locations from trackers, as Traccar receives them.

- **OsmAnd protocol**: GET or POST (query string or form body) with `id`/`deviceid`,
  `lat`+`lon` or `location=lat,lon`, `timestamp` (unix seconds or milliseconds, ISO 8601,
  or `yyyy-MM-dd HH:mm:ss` in UTC), `speed` in **knots**, `bearing`/`heading`, `altitude`,
  `accuracy`, `batt` (percent); any other key is kept as an attribute.
- **Traccar Client JSON** (POST, `application/json`): `device_id`, `location.timestamp`,
  `location.coords.{latitude, longitude, accuracy, speed (m/s), heading, altitude}`,
  `battery.{level 0–1, is_charging}`, `is_moving`, `event`, `mock`; a list in
  `location` is a batch.

Served at the root of its own port (`LIVEROOM_OSMAND_PORT`, 5055) and at `/osmand` on the
main server; the officer's phone page sends the same fixes over `/ws/device`. An unknown
device gets 400 and is counted; a malformed value gets 400 with the reason; nothing is
stored for a refused request.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import anyio
import orjson
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from liveroom.access import Forbidden, Principal
from liveroom.api.access import client_address
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import OfficerLocated
from liveroom.room import LiveRoom
from liveroom.services.accounts import credential_principal
from liveroom.services.locations import DeviceDirectory, FixWriter

KNOTS = 0.514444  # metres per second
MAX_BATCH = 500
MAX_BODY = 1_000_000
_KNOWN = {"id", "deviceid", "lat", "lon", "location", "timestamp", "speed", "bearing",
          "heading", "altitude", "accuracy", "batt", "mock", "motion", "is_moving"}
_TRUE = {"1", "true", "yes", "on"}


class BadFix(ValueError):
    """A request that cannot be turned into fixes; the message says why."""


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
        principal = self.devices.lookup(device_id)
        if principal is None or principal.officer_id is None:
            self.devices.count_unknown(device_id, client)
            return 400, "unknown device id"
        try:  # (the actor is the credential's id: the secret it sent is stored nowhere)
            fixes = [OfficerLocated(officer_id=principal.officer_id, actor=principal.actor,
                                    client=client, **f) for f in fields]
        except InvalidCommand as exc:  # the event model's refusal: a field and why
            return 400, f"bad request: {exc}"
        await self.writer.write(fixes, principal)
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


# --- protocols ----------------------------------------------------------------------------


def _number(value: Any, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise BadFix(f"{name} must be a number, not {str(value)[:40]!r}") from None
    if not math.isfinite(number):
        raise BadFix(f"{name} must be a finite number")
    return number


def _unknown_if_negative(value: float | None) -> float | None:
    return None if value is None or value < 0 else value  # trackers send -1 for "unknown"


def parse_timestamp(value: Any) -> datetime:
    """Unix seconds or milliseconds, ISO 8601 (no offset: UTC), or `yyyy-MM-dd HH:mm:ss`."""
    if value is None or value == "":
        return datetime.now(UTC)
    text = str(value).strip()
    try:
        number = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise BadFix(f"timestamp {text[:40]!r} is not unix time or ISO 8601") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    if not math.isfinite(number) or number < 0:
        raise BadFix(f"timestamp {text[:40]!r} is not a time")
    seconds = number / 1000 if number > 1e11 else number  # milliseconds since 1973
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise BadFix(f"timestamp {text[:40]!r} is out of range") from None


def from_query(params: Mapping[str, str]) -> tuple[str, list[dict[str, Any]]]:
    """(device id, [fix fields]) from OsmAnd's query or form parameters."""
    device_id = (params.get("id") or params.get("deviceid") or "").strip()
    if not device_id:
        raise BadFix("id (or deviceid) is required")
    lat, lon = params.get("lat"), params.get("lon")
    if (lat is None or lon is None) and params.get("location"):
        lat, _, lon = params["location"].partition(",")
    latitude, longitude = _number(lat, "lat"), _number(lon, "lon")
    if latitude is None or longitude is None:
        raise BadFix("lat and lon (or location=lat,lon) are required")
    speed = _unknown_if_negative(_number(params.get("speed"), "speed"))
    bearing = params.get("bearing", params.get("heading"))
    motion = params.get("motion", params.get("is_moving"))
    return device_id, [{
        "occurred_at": parse_timestamp(params.get("timestamp")),
        "lat": latitude, "lon": longitude,
        "speed": None if speed is None else speed * KNOTS,
        "bearing": _unknown_if_negative(_number(bearing, "bearing")),
        "altitude": _number(params.get("altitude"), "altitude"),
        "accuracy": _unknown_if_negative(_number(params.get("accuracy"), "accuracy")),
        "battery": _number(params.get("batt"), "batt"),
        "moving": None if motion is None else motion.lower() in _TRUE,
        "mock": str(params.get("mock", "")).lower() in _TRUE,
        "attributes": {k[:40]: str(v)[:200] for k, v in list(params.items())[:40]
                       if k not in _KNOWN},
    }]


def from_json(body: Any) -> tuple[str, list[dict[str, Any]]]:
    """(device id, [fix fields]) from the Traccar Client's JSON (speed in m/s, battery
    level 0–1); `location` may be one location or a list of them."""
    if not isinstance(body, dict):
        raise BadFix("the JSON body must be an object")
    device_id = str(body.get("device_id") or body.get("id") or "").strip()
    if not device_id:
        raise BadFix("device_id is required")
    locations = body.get("location")
    locations = locations if isinstance(locations, list) else [locations]
    if not locations or len(locations) > MAX_BATCH:
        raise BadFix(f"location must be one location or a list of 1 to {MAX_BATCH}")
    return device_id, [_json_fix(body, location) for location in locations]


def _json_fix(body: dict, location: Any) -> dict[str, Any]:
    if not isinstance(location, dict) or not isinstance(location.get("coords"), dict):
        raise BadFix("location.coords is required")
    coords = location["coords"]
    latitude = _number(coords.get("latitude"), "latitude")
    longitude = _number(coords.get("longitude"), "longitude")
    if latitude is None or longitude is None:
        raise BadFix("location.coords.latitude and longitude are required")
    battery = location.get("battery", body.get("battery"))
    battery = battery if isinstance(battery, dict) else {}
    level = _number(battery.get("level"), "battery.level")
    moving = location.get("is_moving", body.get("is_moving"))
    extras = {"event": location.get("event", body.get("event")),
              "charging": battery.get("is_charging"),
              "activity": (location.get("activity") or {}).get("type")
              if isinstance(location.get("activity"), dict) else None}
    return {
        "occurred_at": parse_timestamp(location.get("timestamp")),
        "lat": latitude, "lon": longitude,
        "speed": _unknown_if_negative(_number(coords.get("speed"), "speed")),
        "bearing": _unknown_if_negative(_number(coords.get("heading"), "heading")),
        "altitude": _number(coords.get("altitude"), "altitude"),
        "accuracy": _unknown_if_negative(_number(coords.get("accuracy"), "accuracy")),
        "battery": None if level is None or level < 0 else round(level * 100, 1),
        "moving": moving if isinstance(moving, bool) else None,
        "mock": bool(location.get("mock", body.get("mock", False))),
        "attributes": {k: str(v)[:200] for k, v in extras.items() if v is not None},
    }


async def device_channel(websocket: WebSocket) -> None:
    """`/ws/device`: a tracker app sends fixes over a websocket. The first message is
    `{"token": "<device secret>"}`; then each message is a Traccar Client location (or
    `{"location": [...]}`), answered `{"ok": n}` or `{"error": reason}`."""
    ingest: LocationIngest = websocket.app.state.ingest
    await websocket.accept()
    try:
        hello = await websocket.receive_json()
        found = await anyio.to_thread.run_sync(
            credential_principal, ingest.room,
            hello.get("token") if isinstance(hello, dict) else None, ("device",))
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

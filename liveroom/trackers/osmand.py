"""Tracker protocols as Traccar receives them: pure decoders, no transport, no storage.

- **OsmAnd protocol**: GET or POST (query string or form body) with `id`/`deviceid`,
  `lat`+`lon` or `location=lat,lon`, `timestamp` (unix seconds or milliseconds, ISO 8601,
  or `yyyy-MM-dd HH:mm:ss` in UTC), `speed` in **knots**, `bearing`/`heading`, `altitude`,
  `accuracy`, `batt` (percent); any other key is kept as an attribute.
- **Traccar Client JSON** (POST, `application/json`): `device_id`, `location.timestamp`,
  `location.coords.{latitude, longitude, accuracy, speed (m/s), heading, altitude}`,
  `battery.{level 0–1, is_charging}`, `is_moving`, `event`, `mock`; a list in
  `location` is a batch.

Each decoder turns one request's fields into the device id it sent and a list of fixes
(the keyword arguments of `OfficerLocated`), or raises BadFix saying why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

KNOTS = 0.514444  # metres per second
MAX_BATCH = 500
_KNOWN = {"id", "deviceid", "lat", "lon", "location", "timestamp", "speed", "bearing",
          "heading", "altitude", "accuracy", "batt", "mock", "motion", "is_moving"}
_TRUE = {"1", "true", "yes", "on"}


class BadFix(ValueError):
    """A request that cannot be turned into fixes; the message says why."""




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

"""Health of one deployment: Redis, the archive database and every projection's lag."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

from liveroom.commands.locations import unknown_devices
from liveroom.connections import slot_node
from liveroom.projections.base import Projection
from liveroom.room import LiveRoom
from liveroom.streams import id_tuple

BEHIND_CAP = 1_000


def _timed(check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
        return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


#: an event waiting longer than this to be applied: the projection is stalled (a lease
#: held by a worker that died, say), and the room is degraded until it catches up
STALLED_MS = 5_000


def projection_lag(room: LiveRoom, projection: Projection) -> dict[str, Any]:
    """How far a projection trails its stream: entries and milliseconds behind."""
    key = room.keys.stream(projection.stream)
    checkpoint = projection.checkpoint()
    start = "(" + checkpoint if checkpoint else "-"
    waiting = room.redis.xrange(key, min=start, count=BEHIND_CAP)
    behind = len(waiting)
    lag_ms = 0
    if waiting:  # how long the oldest unapplied event has been waiting
        seconds, micros = room.redis.time(**slot_node(room.redis, key))  # the ids' clock
        lag_ms = max(0, seconds * 1000 + micros // 1000 - id_tuple(waiting[0][0])[0])
    pending = 0
    if room.redis.exists(key):
        groups = {g["name"]: g for g in room.redis.xinfo_groups(key)}
        pending = int(groups.get(projection.name, {}).get("pending", 0))
    return {"checkpoint": checkpoint, "behind": behind, "behind_capped": behind == BEHIND_CAP,
            "lag_ms": lag_ms, "pending": pending}


def health(room: LiveRoom, projections: list[Projection]) -> dict[str, Any]:
    """`status` is `ok`, `degraded` (a projection lags or errs) or `down` (Redis or DB)."""
    report: dict[str, Any] = {
        "city": room.pack.slug,  # (room.city asks Redis, which may be down)
        "redis": _timed(lambda: room.redis.ping(**slot_node(room.redis, room.keys.ns))),
        "database": _timed(lambda: _select_one(room)),
        "projections": {},
    }
    if report["redis"]["ok"]:
        for projection in projections:
            try:
                report["projections"][projection.name] = projection_lag(room, projection)
            except Exception as exc:
                report["projections"][projection.name] = {"error": str(exc)[:300]}
        report["dead_letters"] = room.redis.xlen(room.keys.dead_letters)
        trackers = unknown_devices(room)
        report["unknown_device_fixes"] = trackers["unknown"]
        report["throttled_tracker_requests"] = trackers["throttled"]
    if not (report["redis"]["ok"] and report["database"]["ok"]):
        report["status"] = "down"
    elif report["dead_letters"] or any(
            "error" in p or p["lag_ms"] > STALLED_MS for p in report["projections"].values()):
        report["status"] = "degraded"  # (an event a projection could not store is news)
    else:
        report["status"] = "ok"
    return report


def _select_one(room: LiveRoom) -> None:
    with room.engine.connect() as conn:
        conn.execute(text("SELECT 1"))

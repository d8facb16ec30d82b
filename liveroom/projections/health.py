"""Health of one deployment: Redis, the archive database and every projection's lag."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

from liveroom.commands.locations import unknown_devices
from liveroom.connections import slot_node
from liveroom.domain.errors import ArchiveUnavailable
from liveroom.projections.archive import ArchiveProjection
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
    """`status` is `down` when Redis is (nothing works without it), `degraded` when the
    archive database is down (the live room works on; archive reads answer 503 and the
    archive catches up when it is back), a projection lags or errs, or dead letters wait;
    else `ok`. `reasons` says why, one line each."""
    report: dict[str, Any] = {
        "city": room.pack.slug,  # (room.city asks Redis, which may be down)
        "redis": _timed(lambda: room.redis.ping(**slot_node(room.redis, room.keys.ns))),
        "database": _timed(lambda: _select_one(room)),
        "projections": {},
    }
    reasons = [f"{name}: {report[name]['error']}" for name in ("redis", "database")
               if not report[name]["ok"]]
    if report["redis"]["ok"]:
        for projection in projections:
            try:
                if isinstance(projection, ArchiveProjection) and not report["database"]["ok"]:
                    raise ArchiveUnavailable("waits for the archive")  # (no second wait)
                report["projections"][projection.name] = lag = projection_lag(room, projection)
            except Exception as exc:
                report["projections"][projection.name] = lag = {"error": str(exc)[:300]}
            if "error" in lag:
                reasons.append(f"projection {projection.name}: {lag['error']}")
            elif lag["lag_ms"] > STALLED_MS:
                reasons.append(f"projection {projection.name}: an event has waited "
                               f"{lag['lag_ms'] // 1000} s")
        report["dead_letters"] = room.redis.xlen(room.keys.dead_letters)
        if report["dead_letters"]:  # (an event a projection could not store is news)
            reasons.append(f"dead letters: {report['dead_letters']}")
        trackers = unknown_devices(room)
        report["unknown_device_fixes"] = trackers["unknown"]
        report["throttled_tracker_requests"] = trackers["throttled"]
    report["status"] = "down" if not report["redis"]["ok"] else (
        "degraded" if reasons else "ok")
    report["reasons"] = reasons
    return report


def _select_one(room: LiveRoom) -> None:
    with room.engine.connect() as conn:
        conn.execute(text("SELECT 1"))

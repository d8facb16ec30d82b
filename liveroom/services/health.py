"""Health of one deployment: Redis, the archive database and every projection's lag."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import text

from liveroom.projections.base import Projection
from liveroom.room import LiveRoom
from liveroom.streams import id_tuple

BEHIND_CAP = 10_000


def _timed(check) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        check()
        return {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    except Exception as exc:
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}


def projection_lag(room: LiveRoom, projection: Projection) -> dict[str, Any]:
    """How far a projection trails its stream: entries and milliseconds behind."""
    key = room.keys.stream(projection.stream)
    checkpoint = projection.checkpoint()
    last = room.redis.xrevrange(key, count=1)
    last_id = last[0][0] if last else None
    start = "(" + checkpoint if checkpoint else "-"
    behind = len(room.redis.xrange(key, min=start, count=BEHIND_CAP)) if last_id else 0
    lag_ms = 0
    if behind and last_id:
        lag_ms = id_tuple(last_id)[0] - max(id_tuple(checkpoint)[0], 0)
    pending = 0
    if room.redis.exists(key):
        groups = {g["name"]: g for g in room.redis.xinfo_groups(key)}
        pending = int(groups.get(projection.name, {}).get("pending", 0))
    return {"checkpoint": checkpoint, "behind": behind, "behind_capped": behind == BEHIND_CAP,
            "lag_ms": lag_ms, "pending": pending}


def health(room: LiveRoom, projections: list[Projection]) -> dict[str, Any]:
    """`status` is `ok`, `degraded` (a projection lags or errs) or `down` (Redis or DB)."""
    report: dict[str, Any] = {
        "city": room.city.slug,
        "redis": _timed(room.redis.ping),
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
    if not (report["redis"]["ok"] and report["database"]["ok"]):
        report["status"] = "down"
    elif any("error" in p or p["lag_ms"] > 60_000 for p in report["projections"].values()):
        report["status"] = "degraded"
    else:
        report["status"] = "ok"
    return report


def _select_one(room: LiveRoom) -> None:
    with room.engine.connect() as conn:
        conn.execute(text("SELECT 1"))

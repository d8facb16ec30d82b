"""Snapshots of the live model and the archive, for comparing states."""

from __future__ import annotations

from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.incidents import assign_incident, change_status, report_incident
from liveroom.commands.officers import check_in, register_officer
from liveroom.room import LiveRoom


def live_state(room: LiveRoom) -> dict:
    """Every key of the live read model with its value (TTLs aside; not the `changes` log,
    which tells screens what was applied and so differs between one history and its
    rebuild)."""
    state = {}
    for key in sorted(room.redis.scan_iter(match=room.keys.pattern("live", "*"), count=1000)):
        kind = room.redis.type(key)
        if kind == "stream":
            continue
        if kind == "hash":
            state[key] = room.redis.hgetall(key)
        elif kind == "zset":
            state[key] = room.redis.zrange(key, 0, -1, withscores=True)
        elif kind == "set":
            state[key] = sorted(room.redis.smembers(key))
        else:
            state[key] = room.redis.get(key)
    return state


def archive_state(room: LiveRoom) -> dict:
    """Rows of every archive table, without surrogate ids."""
    state = {}
    with room.engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            if table is schema.projection_checkpoints:
                continue
            columns = [c for c in table.c if c.autoincrement is not True]
            rows = conn.execute(select(*columns)).all()
            state[table.name] = sorted(tuple(map(str, row)) for row in rows)
    return state


def busy_day(room: LiveRoom, clock, point: tuple[float, float]) -> list[str]:
    """A morning's worth of commands: officers on duty, reports in all states."""
    post = next(p for p in room.city.posts.values() if p.agency == "kebersihan")
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", post_id=post.id, by=SYSTEM)
    register_officer(room, "dlh-2", name="Budi", agency="kebersihan", post_id=post.id, by=SYSTEM)
    check_in(room, "dlh-1", post_id=post.id, lat=post.centre[0], lon=post.centre[1], by=SYSTEM,
             accuracy=8)
    ids = []
    for step, target in enumerate(["triaged", "assigned", "on_scene", "closed", "rejected"]):
        clock.advance(minutes=3)
        incident = report_incident(room, category="sampah-menumpuk", lat=point[0] + step * 1e-4,
                                   lon=point[1], source="test", by=SYSTEM)
        ids.append(incident.id)
        if target == "rejected":
            change_status(room, incident.id, "rejected", by=SYSTEM, reason="bukan wilayah")
        elif target != "triaged":
            assign_incident(room, incident.id, "dlh-1", by=SYSTEM)
            steps = {"on_scene": ["acknowledged", "en_route", "on_scene"],
                     "closed": ["acknowledged", "en_route", "on_scene", "resolved", "closed"]}
            for status in steps.get(target, []):
                clock.advance(minutes=1)
                change_status(room, incident.id, status, by=SYSTEM)
    return ids

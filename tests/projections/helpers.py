"""Snapshots of the live model and the archive, for comparing states."""

from __future__ import annotations

from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.incidents import (
    assign_incident,
    change_status,
    dispatch_incident,
    forward_incident,
    release_task,
    report_incident,
)
from liveroom.commands.officers import check_in, record_locations, register_officer
from liveroom.commands.units import change_unit, register_unit, set_unit_status
from liveroom.domain.events import OfficerLocated
from liveroom.room import LiveRoom
from tests.conftest import drain


def claims(room: LiveRoom) -> dict[str, str]:
    """Every claim held (a unit's: the task it is on)."""
    keys = sorted(room.redis.scan_iter(match=room.keys.pattern("claim", "*"), count=1000))
    return dict(zip(keys, room.redis.mget(keys), strict=True)) if keys else {}


def live_state(room: LiveRoom) -> dict:
    """Every key of the live read model with its value (TTLs aside; not the `changes` log,
    which tells screens what was applied and so differs between one history and its
    rebuild, nor the attendance policy's memory, which no rebuild replays)."""
    state = {}
    for key in sorted(room.redis.scan_iter(match=room.keys.pattern("live", "*"), count=1000)):
        kind = room.redis.type(key)
        if kind == "stream" or key == room.live.policy_memory:
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


def units_day(room: LiveRoom, clock, point: tuple[float, float]) -> list[str]:
    """Units at work: a fire with two fire engines (one stood down) and a Dishub officer, the
    first engine on scene; a leaking main forwarded to the water company. Engine 1's crew
    had a fix just before it was dispatched (its position at dispatch)."""
    for officer, agency in (("dk-1", "damkar"), ("dk-2", "damkar"), ("dk-3", "damkar"),
                            ("dh-1", "dishub")):
        register_officer(room, officer, name=officer.upper(), agency=agency, by=SYSTEM)
    register_unit(room, "dmk-01", call_sign="Damkar 01", agency="damkar", kind="pumper",
                  crew=["dk-1", "dk-2"], by=SYSTEM)
    register_unit(room, "dmk-02", call_sign="Damkar 02", agency="damkar", crew=["dk-3"],
                  by=SYSTEM)
    clock.advance(seconds=30)
    change_unit(room, "dmk-02", kind="tanker", by=SYSTEM)
    set_unit_status(room, "dmk-02", "returning", by=SYSTEM)
    set_unit_status(room, "dmk-02", "available", by=SYSTEM)
    clock.advance(minutes=1)
    record_locations(room, [OfficerLocated(officer_id="dk-1", occurred_at=clock(), actor="dk-1",
                                           lat=point[0] + 0.02, lon=point[1])], by=SYSTEM)
    drain(room)
    fire = report_incident(room, category="kebakaran", lat=point[0], lon=point[1] + 0.01,
                           source="112", by=SYSTEM, attributes={"orang-terjebak": "tidak"}).id
    clock.advance(seconds=40)
    dispatch_incident(room, fire, units=["dmk-01", "dmk-02"], officers=["dh-1"], by=SYSTEM)
    for status in ("acknowledged", "en_route", "on_scene"):
        clock.advance(minutes=2)
        change_status(room, fire, status, task_id="1", by=SYSTEM)
    release_task(room, fire, "2", reason="tidak diperlukan", by=SYSTEM)
    clock.advance(minutes=3)
    leak = report_incident(room, category="pipa-bocor", lat=point[0] + 0.01, lon=point[1],
                           source="web", by=SYSTEM).id
    forward_incident(room, leak, "pdam", reference="TB-0042", by=SYSTEM)
    drain(room)
    return [fire, leak]

"""Rebuild projections (and aggregate states) from scratch: the event log, then the streams.

Streams are trimmed only behind the archive, so the archive's event log plus
what remains in a stream is the whole history. Location fixes are not in the
log: the live officer view starts from each officer's latest archived fix.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Iterator

from sqlalchemy import select

from liveroom.archive import schema
from liveroom.connections import slot_pipeline
from liveroom.domain import incident as incident_domain
from liveroom.domain import officer as officer_domain
from liveroom.domain import unit as unit_domain
from liveroom.domain.events import INCIDENTS, OFFICERS, OfficerLocated, UnitEvent, encode
from liveroom.projections.archive import ArchiveProjection
from liveroom.projections.base import Entry, Projection
from liveroom.projections.policies.escalation import EscalationPolicy
from liveroom.projections.runner import Projector, all_projections, group_name
from liveroom.room import LiveRoom
from liveroom.streams import id_tuple, matching

CHUNK = 1000
_KEEP_NEWER = """
local current = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if current > tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[1], 'state', ARGV[2])
return 1
"""


def first_stream_id(room: LiveRoom, stream: str) -> str | None:
    first = room.redis.xrange(room.keys.stream(stream), count=1)
    return first[0][0] if first else None


def logged_entries(room: LiveRoom, stream: str, before: str | None = None) -> Iterator[Entry]:
    """Entries of the archive's event log, in stream order (optionally before an id)."""
    table = schema.events
    query = select(table).where(table.c.stream == stream).order_by(table.c.ms, table.c.seq)
    if before is not None:
        ms, seq = id_tuple(before)
        query = query.where((table.c.ms < ms) | ((table.c.ms == ms) & (table.c.seq < seq)))
    with room.engine.connect() as conn:
        for row in conn.execution_options(yield_per=CHUNK).execute(query):
            yield Entry.of(row.id, {"type": row.type, "v": str(row.v), "agg": row.aggregate_id,
                                    "data": row.data})


def stream_entries(room: LiveRoom, stream: str) -> Iterator[Entry]:
    key, start = room.keys.stream(stream), "-"
    while chunk := room.redis.xrange(key, min=start, count=CHUNK):
        yield from (Entry.of(eid, fields) for eid, fields in chunk)
        start = "(" + chunk[-1][0]


def latest_fixes(room: LiveRoom, before: str | None) -> list[Entry]:
    """Each officer's latest archived fix older than `before`, with the id it had."""
    with room.engine.connect() as conn:
        rows = conn.execute(select(schema.officer_positions)).all()
    entries = []
    for row in rows:
        if before is None or id_tuple(row.event_id) < id_tuple(before):
            event = OfficerLocated.model_validate_json(row.data)
            entries.append(Entry(row.event_id, encode(event), event))
    return sorted(entries, key=lambda entry: id_tuple(entry.id))


def history(room: LiveRoom, stream: str) -> Iterator[Entry]:
    """A stream's whole history: what only the archive still has, then the stream itself."""
    first = first_stream_id(room, stream)
    logged = logged_entries(room, stream, before=first)
    if stream == OFFICERS:
        fixes = latest_fixes(room, before=first)
        logged = heapq.merge(logged, fixes, key=lambda entry: id_tuple(entry.id))
    yield from logged
    yield from stream_entries(room, stream)


def chunks(entries: Iterator[Entry]) -> Iterator[list[Entry]]:
    batch: list[Entry] = []
    for entry in entries:
        batch.append(entry)
        if len(batch) >= CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


def _take_lease(projector: Projector, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not projector.acquire():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{projector.projection.name}: lease held by another worker")
        time.sleep(0.2)


def rebuild_projection(room: LiveRoom, projection: Projection) -> int:
    """Empty one view and replay its stream's history into it; returns entries replayed."""
    projector = Projector(room, projection, consumer="rebuild", rebuilding=True)
    projector.pause_others(seconds=600)
    _take_lease(projector, timeout=room.settings.lease_seconds * 3)
    try:
        replayed = 0
        if isinstance(projection, ArchiveProjection):
            position = projection.checkpoint()
            projection.reset()
            if position is not None:
                projection.set_checkpoint(position)
            for batch in chunks(logged_entries(room, projection.stream)):
                projection.apply(batch, position, log=False)
                replayed += len(batch)
            projection.replayed()
        else:
            projection.reset()
            for batch in chunks(history(room, projection.stream)):
                replayed += projection.apply_new(batch)
            position = projection.checkpoint()
            if position is not None:
                room.redis.xgroup_setid(room.keys.stream(projection.stream),
                                        group_name(projection), position)
        return replayed
    finally:
        projector.release()
        projector.resume_others()


#: each aggregate kind: its stream, which of the stream's events are its, and its fold
FOLDS = ((INCIDENTS, "incident", lambda event: True, incident_domain.evolve),
         (OFFICERS, "officer", lambda event: not isinstance(event, UnitEvent),
          officer_domain.evolve),
         (OFFICERS, "unit", lambda event: isinstance(event, UnitEvent), unit_domain.evolve))


def rebuild_aggregates(room: LiveRoom) -> int:
    """Recompute every aggregate's state from history, never overwriting a newer one, and
    the unit claims its incidents hold (`rebuild_claims`)."""
    keep_newer = room.redis.register_script(_KEEP_NEWER)
    count = 0
    for stream, kind, mine, evolve in FOLDS:
        states: dict[str, tuple[int, object]] = {}
        for entry in history(room, stream):
            event = entry.event
            if event is None or isinstance(event, OfficerLocated) or not mine(event):
                continue
            version, state = states.get(event.aggregate_id, (0, None))
            states[event.aggregate_id] = (version + 1, evolve(state, event))
        with slot_pipeline(room.redis, room.keys.stream(stream), transaction=False) as pipe:
            for aggregate_id, (version, state) in states.items():
                keep_newer(keys=[room.keys.aggregate(kind, aggregate_id)],
                           args=[version, state.model_dump_json()], client=pipe)
            pipe.execute()
        count += len(states)
        if kind == "incident":
            rebuild_claims(room, [state for _, state in states.values()])
    return count


def rebuild_claims(room: LiveRoom, incidents: list) -> None:
    """Each unit's claim (`Keys.claim("unit:<id>")`) as the incidents hold it: "incident/
    task" for every running task with a unit; any other unit claim is deleted."""
    held = {room.keys.claim(unit_domain.claim_key(task.unit_id)): f"{incident.id}/{task.id}"
            for incident in incidents for task in incident.running_tasks if task.unit_id}
    stale = [key for key in matching(room.redis, room.keys.pattern("claim", "unit:*"))
             if key not in held]
    with slot_pipeline(room.redis, room.keys.claim("unit:")) as pipe:
        if stale:
            pipe.delete(*stale)
        if held:
            pipe.mset(held)
        pipe.execute()


#: a projection whose reset empties what another writes too, and that other: the live
#: officers' reset empties the units' hashes, which also hold their tasks' statuses (the
#: live incidents'), so those are replayed after it
RESETS_TOO = {"live-officers": "live-incidents"}


def rebuild(room: LiveRoom, names: list[str] | None = None) -> dict[str, int]:
    """Rebuild aggregates and the named projections (all by default, and each one that
    another's reset empties after it, `RESETS_TOO`)."""
    result = {"aggregates": rebuild_aggregates(room)}
    wanted = None if names is None else {*names, *(RESETS_TOO[n] for n in names
                                                     if n in RESETS_TOO)}
    first = set(RESETS_TOO)
    for projection in sorted(all_projections(room), key=lambda p: p.name not in first):
        if wanted is None or projection.name in wanted:
            result[projection.name] = rebuild_projection(room, projection)
    if wanted is None or "live-incidents" in wanted:  # (a policy's index, not replayed)
        result["escalation-index"] = EscalationPolicy(room).reindex()
    return result

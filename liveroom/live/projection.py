"""The live read model in Redis: what wall screens, queues and the map read.

Keys (under the namespace, `live:` prefix):
- `incident:<id>` hash; `status:<status>` open incidents by report time; `feed`
  the newest reports;
  `recent` terminal incidents by closing time (kept `closed_retention_hours`);
  `queue:<agency>` triaged, unassigned, by priority then age; `agency:<agency>`
  open incidents; `tasks:<officer>` the officer's open tasks; `geo:incidents`.
- `due:acknowledge` / `due:resolve` open incidents by the deadline they still have to meet.
- `officer:<id>` hash (registration, duty, last fix); `officers:<agency>`;
  `on_duty:<agency>`; `geo:officers`.
- `changes` a capped stream: per applied batch, the incidents and officers it touched, so
  screens can follow the model and resume from the last change they saw.

Handlers turn an event into Redis commands without reading Redis, so a
batch is built first (poison found) and then applied in one MULTI/EXEC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import orjson
import redis

from liveroom.domain.events import (
    INCIDENTS,
    OFFICERS,
    Event,
    FixFlagged,
    IncidentAssigned,
    IncidentEscalated,
    IncidentReassigned,
    IncidentStatusChanged,
    NoteAdded,
    OfficerCheckedIn,
    OfficerCheckedOut,
    OfficerLocated,
    OfficerRegistered,
    ReporterAdded,
    ReportersMerged,
    ReportReceived,
    ReportTriaged,
)
from liveroom.domain.lifecycle import TERMINAL, WITH_OFFICER, Status
from liveroom.projections.base import (
    DEAD_LETTERS_KEPT,
    CheckpointMoved,
    DeadLetter,
    Entry,
    Projection,
)
from liveroom.streams import Keys, delete_matching

_LOCATE = """
local last = tonumber(redis.call('HGET', KEYS[1], 'fix_ms') or '-1')
if tonumber(ARGV[1]) <= last then return 0 end
redis.call('HSET', KEYS[1], 'fix_ms', ARGV[1], unpack(ARGV, 5))
redis.call('GEOADD', KEYS[2], ARGV[2], ARGV[3], ARGV[4])
return 1
"""
#: HINCRBY on a hash still held (a closed incident's leaves the live model): never a stray one
_COUNT_IF_HELD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
"""

#: a queued incident's new priority, its time in the queue kept (score: priority, then ms)
_REPRIORITISE = """
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not score then return 0 end
return redis.call('ZADD', KEYS[1], 'XX', ARGV[2] * 1e13 + tonumber(score) % 1e13, ARGV[1])
"""
#: ZADD of an incident whose hash is still held (closed ones leave the live model)
_ALERT_IF_HELD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
"""

#: The newest reports kept in `feed`, for screens that list what just came in.
FEED_LENGTH = 100
#: Batches of changes kept for screens that reconnect (older: they reload everything).
CHANGES_KEPT = 10_000
#: Which fields of an event name the incidents and officers it touches.
TOUCHES = {"incident_id": "incidents", "officer_id": "officers",
           "previous_officer_id": "officers"}


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class Ops(list):
    """Redis commands recorded now, replayed into a transaction later."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        def record(*args, **kwargs) -> None:
            self.append((name, args, kwargs))

        return record


class LiveProjection(Projection):
    """Shared machinery of the two live projections; subclasses map events to Ops."""

    handlers: dict[type[Event], Callable[[LiveProjection, Event, Ops], None]] = {}

    def __init__(self, room) -> None:
        super().__init__(room)
        self.keys: Keys = room.keys
        self.live = room.live
        self.scripts = {"locate": room.redis.register_script(_LOCATE),
                        "count_if_held": room.redis.register_script(_COUNT_IF_HELD),
                        "reprioritise": room.redis.register_script(_REPRIORITISE),
                        "alert_if_held": room.redis.register_script(_ALERT_IF_HELD)}

    def checkpoint(self) -> str | None:
        return self.room.redis.get(self.keys.checkpoint(self.name))

    def build(self, entry: Entry) -> Ops:
        if entry.event is None:
            raise ValueError(entry.error)
        ops = Ops()
        handler = self.handlers.get(type(entry.event))
        if handler is None:
            raise ValueError(f"{self.name} has no handler for {entry.event.type}")
        handler(self, entry.event, ops)
        return ops

    def apply(self, entries: list[Entry], expected: str | None) -> list[DeadLetter]:
        built: list[Ops] = []
        dead: list[DeadLetter] = []
        for entry in entries:
            try:
                built.append(self.build(entry))
            except Exception as exc:
                dead.append(DeadLetter(entry, f"{type(exc).__name__}: {exc}"))
        checkpoint_key = self.keys.checkpoint(self.name)
        with self.room.redis.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(checkpoint_key)
                if pipe.get(checkpoint_key) != expected:
                    raise CheckpointMoved(self.name)
                pipe.multi()
                for ops in built:
                    for name, args, kwargs in ops:
                        if name in self.scripts:
                            self.scripts[name](*args, client=pipe, **kwargs)
                        else:
                            getattr(pipe, name)(*args, **kwargs)
                for letter in dead:
                    pipe.xadd(self.dead_letter_key, letter.fields(self.name, self.stream),
                              maxlen=DEAD_LETTERS_KEPT, approximate=True)
                pipe.set(checkpoint_key, entries[-1].id)
                pipe.xadd(self.live.changes, touched(entries),
                          maxlen=CHANGES_KEPT, approximate=True)
                pipe.execute()
            except redis.WatchError:
                raise CheckpointMoved(self.name) from None
        return dead

    def reset(self) -> None:
        for part in self.owned:
            delete_matching(self.room.redis, self.keys.pattern("live", part) + "*")
        self.room.redis.delete(self.keys.checkpoint(self.name))

    owned: tuple[str, ...] = ()


def touched(entries: list[Entry]) -> dict[str, str]:
    """The ids a batch touched, as a `changes` entry: {"incidents": "a,b", "officers": …}."""
    ids: dict[str, set[str]] = {"incidents": set(), "officers": set()}
    for entry in entries:
        for field, kind in TOUCHES.items():
            value = getattr(entry.event, field, None)
            if value:
                ids[kind].add(value)
    return {kind: ",".join(sorted(values)) for kind, values in ids.items()}


# --- incidents ---------------------------------------------------------------------------
# Status indexes are scored by when the incident entered that status.

def _incident(p: LiveProjection, incident_id: str) -> str:
    return p.live.incident(incident_id)


def _enter(p: LiveProjection, e: Event, ops: Ops, old: Status | None, new: Status) -> None:
    """Record a status change on the incident hash and the status indexes."""
    incident_id: str = e.incident_id  # type: ignore[attr-defined]
    key = _incident(p, incident_id)
    at = e.occurred_at.isoformat()
    ops.hset(key, mapping={"status": new.value, f"{new.value}_at": at, "updated_at": at})
    if old is not None:
        ops.zrem(p.live.status(old.value), incident_id)
    if new in TERMINAL:
        recent = p.live.recent
        retention = timedelta(hours=p.room.settings.closed_retention_hours)
        ops.zadd(recent, {incident_id: ms(e.occurred_at)})
        ops.zremrangebyscore(recent, "-inf", ms(e.occurred_at - retention))
        # Redis is given how long is left, never a moment: its own clock is not the room's
        # (a rebuild, a test clock); none left removes the hash at once.
        left = e.occurred_at + retention - p.room.clock()
        ops.expire(key, max(0, int(left.total_seconds())))
        ops.zrem(p.live.incidents_geo, incident_id)
    else:
        ops.zadd(p.live.status(new.value), {incident_id: ms(e.occurred_at)})
    if new not in (Status.RECEIVED, Status.TRIAGED, Status.ASSIGNED):
        ops.zrem(p.live.due("acknowledge"), incident_id)
        ops.zrem(p.live.escalated, incident_id)
    if new is Status.RESOLVED or new in TERMINAL:
        ops.zrem(p.live.due("resolve"), incident_id)


def _on_received(p: LiveProjection, e: ReportReceived, ops: Ops) -> None:
    ops.hset(_incident(p, e.incident_id), mapping={
        "id": e.incident_id, "category": e.category, "lat": e.lat, "lon": e.lon,
        "description": e.description, "address": e.address or "", "source": e.source,
        "media_url": e.media_url or "", "reported_at": e.occurred_at.isoformat(), "notes": 0,
        "reporters": 1,
        "attributes": orjson.dumps(e.attributes).decode(),
        "location_approximate": int(e.location_approximate),
    })
    _enter(p, e, ops, None, Status.RECEIVED)
    ops.geoadd(p.live.incidents_geo, (e.lon, e.lat, e.incident_id))
    ops.zadd(p.live.feed, {e.incident_id: ms(e.occurred_at)})
    ops.zremrangebyrank(p.live.feed, 0, -FEED_LENGTH - 1)


def _on_triaged(p: LiveProjection, e: ReportTriaged, ops: Ops) -> None:
    ops.hset(_incident(p, e.incident_id), mapping={
        "category": e.category, "agency": e.agency, "priority": e.priority,
        "district": e.district, "acknowledge_due": e.acknowledge_due.isoformat(),
        "resolve_due": e.resolve_due.isoformat(),
    })
    _enter(p, e, ops, e.from_status, Status.TRIAGED)
    ops.zadd(p.live.due("acknowledge"), {e.incident_id: ms(e.acknowledge_due)})
    ops.zadd(p.live.due("resolve"), {e.incident_id: ms(e.resolve_due)})
    if e.previous_agency:
        ops.zrem(p.live.queue(e.previous_agency), e.incident_id)
        ops.zrem(p.live.agency(e.previous_agency), e.incident_id)
    score = e.priority * 10**13 + ms(e.occurred_at)  # priority first, then age
    ops.zadd(p.live.queue(e.agency), {e.incident_id: score})
    ops.zadd(p.live.agency(e.agency), {e.incident_id: score})


def _on_assigned(p: LiveProjection, e: IncidentAssigned | IncidentReassigned, ops: Ops) -> None:
    ops.hset(_incident(p, e.incident_id),
             mapping={"officer_id": e.officer_id, "agency": e.agency})
    _enter(p, e, ops, e.from_status, Status.ASSIGNED)
    ops.zrem(p.live.queue(e.previous_agency), e.incident_id)
    if e.previous_agency != e.agency:
        ops.zrem(p.live.agency(e.previous_agency), e.incident_id)
        ops.zadd(p.live.agency(e.agency), {e.incident_id: ms(e.occurred_at)})
    if isinstance(e, IncidentReassigned):
        ops.zrem(p.live.tasks(e.previous_officer_id), e.incident_id)
    ops.zadd(p.live.tasks(e.officer_id), {e.incident_id: ms(e.occurred_at)})


def _on_status(p: LiveProjection, e: IncidentStatusChanged, ops: Ops) -> None:
    _enter(p, e, ops, e.from_status, e.to_status)
    if e.duplicate_of:
        ops.hset(_incident(p, e.incident_id), "duplicate_of", e.duplicate_of)
    if e.to_status in TERMINAL:
        ops.zrem(p.live.queue(e.agency), e.incident_id)
        ops.zrem(p.live.agency(e.agency), e.incident_id)
    if e.officer_id and (e.to_status not in WITH_OFFICER or e.to_status is Status.RESOLVED):
        ops.zrem(p.live.tasks(e.officer_id), e.incident_id)


def _on_note(p: LiveProjection, e: NoteAdded, ops: Ops) -> None:
    key = _incident(p, e.incident_id)
    ops.hincrby(key, "notes", 1)
    ops.hset(key, mapping={"last_note": e.text[:280], "updated_at": e.occurred_at.isoformat()})


def _on_reporter(p: LiveProjection, e: ReporterAdded, ops: Ops) -> None:
    key = _incident(p, e.incident_id)
    ops.hincrby(key, "reporters", 1)
    ops.hset(key, "updated_at", e.occurred_at.isoformat())


def _on_merged(p: LiveProjection, e: ReportersMerged, ops: Ops) -> None:
    """The survivor counts the duplicate's callers (its closing time and order untouched);
    one that has left the live model is not brought back."""
    ops.count_if_held(keys=[_incident(p, e.incident_id)], args=["reporters", len(e.callers)])


def _on_escalated(p: LiveProjection, e: IncidentEscalated, ops: Ops) -> None:
    """A raised priority re-sorts its queue; supervisors alerted see it on the wall until
    it is acknowledged."""
    key = _incident(p, e.incident_id)
    ops.hset(key, mapping={"updated_at": e.occurred_at.isoformat(),
                           f"escalated_{e.action}": e.occurred_at.isoformat()})
    if e.priority is not None:
        ops.hset(key, "priority", e.priority)
        ops.reprioritise(keys=[p.live.queue(e.agency)], args=[e.incident_id, e.priority])
    if e.action == "alert_supervisors":
        ops.alert_if_held(keys=[key, p.live.escalated], args=[e.incident_id, ms(e.occurred_at)])


class LiveIncidents(LiveProjection):
    name = "live-incidents"
    stream = INCIDENTS
    owned = ("incident:", "status:", "recent", "queue:", "agency:", "tasks:", "geo:incidents",
             "feed", "due:", "escalated")
    handlers = {
        ReportReceived: _on_received,
        ReportTriaged: _on_triaged,
        IncidentAssigned: _on_assigned,
        IncidentReassigned: _on_assigned,
        IncidentStatusChanged: _on_status,
        NoteAdded: _on_note,
        ReporterAdded: _on_reporter,
        ReportersMerged: _on_merged,
        IncidentEscalated: _on_escalated,
    }


# --- officers ----------------------------------------------------------------------------

def _officer(p: LiveProjection, officer_id: str) -> str:
    return p.live.officer(officer_id)


def _on_registered(p: LiveProjection, e: OfficerRegistered, ops: Ops) -> None:
    ops.hset(_officer(p, e.officer_id), mapping={
        "id": e.officer_id, "name": e.name, "agency": e.agency, "post_id": e.post_id or "",
        "on_duty_post": "", "registered_at": e.occurred_at.isoformat(),
    })
    ops.sadd(p.live.officers(e.agency), e.officer_id)


def _on_located(p: LiveProjection, e: OfficerLocated, ops: Ops) -> None:
    """Only a newer fix moves the officer: late or repeated fixes change nothing."""
    fields = {"lat": e.lat, "lon": e.lon, "fix_at": e.occurred_at.isoformat()}
    for name in ("speed", "bearing", "accuracy", "battery", "altitude"):
        value = getattr(e, name)
        fields[name] = "" if value is None else value
    flat = [item for pair in fields.items() for item in pair]
    ops.locate(keys=[_officer(p, e.officer_id), p.live.officers_geo],
               args=[ms(e.occurred_at), e.lon, e.lat, e.officer_id, *flat])


def _on_checked_in(p: LiveProjection, e: OfficerCheckedIn, ops: Ops) -> None:
    ops.hset(_officer(p, e.officer_id),
             mapping={"on_duty_post": e.post_id, "checked_in_at": e.occurred_at.isoformat()})
    ops.sadd(p.live.on_duty(e.agency), e.officer_id)


def _on_checked_out(p: LiveProjection, e: OfficerCheckedOut, ops: Ops) -> None:
    ops.hset(_officer(p, e.officer_id), mapping={"on_duty_post": "", "checked_in_at": ""})
    ops.srem(p.live.on_duty(e.agency), e.officer_id)


FLAGS_KEPT = 500


def _on_flagged(p: LiveProjection, e: FixFlagged, ops: Ops) -> None:
    """Recent spoofing flags with their evidence, for supervisors (newest kept)."""
    flag = orjson.dumps({"officer_id": e.officer_id, "fix_id": e.fix_id, "rule": e.rule,
                         "at": e.fix_at.isoformat(), "lat": e.lat, "lon": e.lon,
                         "evidence": e.evidence}).decode()
    recent = p.live.recent_flags
    ops.zadd(recent, {flag: ms(e.fix_at)})
    ops.zremrangebyrank(recent, 0, -FLAGS_KEPT - 1)


class LiveOfficers(LiveProjection):
    name = "live-officers"
    stream = OFFICERS
    owned = ("officer:", "officers:", "on_duty:", "geo:officers", "flags:")
    handlers = {
        OfficerRegistered: _on_registered,
        FixFlagged: _on_flagged,
        OfficerLocated: _on_located,
        OfficerCheckedIn: _on_checked_in,
        OfficerCheckedOut: _on_checked_out,
    }

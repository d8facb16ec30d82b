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
- `unit:<id>` hash (configuration, status and the task it is on, position);
  `units:<agency>` active units; `units:<agency>:registered` all of them; `geo:units`.
- `changes` a capped stream: per applied batch, the incidents, officers and units it
  touched, so screens can follow the model and resume from the last change they saw.

Handlers turn an event into Redis commands without reading Redis, so a
batch is built first (poison found) and then applied in one MULTI/EXEC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import orjson
import redis

from liveroom.connections import slot_pipeline
from liveroom.domain.events import (
    INCIDENTS,
    OFFICERS,
    Event,
    FixFlagged,
    IncidentAssigned,
    IncidentEscalated,
    IncidentRated,
    IncidentReassigned,
    IncidentReopened,
    IncidentStatusChanged,
    NoteAdded,
    OfficerCheckedIn,
    OfficerCheckedOut,
    OfficerLocated,
    OfficerRegistered,
    ReporterAdded,
    ReportersErased,
    ReportersMerged,
    ReportReceived,
    ReportTriaged,
    TaskEvent,
    TaskForwarded,
    TaskReleased,
    UnitChanged,
    UnitRegistered,
    UnitStatusSet,
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
redis.call('HSET', KEYS[1], 'fix_ms', ARGV[1], unpack(ARGV, 6))
redis.call('GEOADD', KEYS[2], ARGV[2], ARGV[3], ARGV[4])
local unit = redis.call('HGET', KEYS[1], 'unit')
if unit then
  local key = ARGV[5] .. unit
  if tonumber(ARGV[1]) > tonumber(redis.call('HGET', key, 'fix_ms') or '-1') then
    redis.call('HSET', key, 'lat', ARGV[3], 'lon', ARGV[2], 'fix_ms', ARGV[1],
               'fix_at', ARGV[11])  -- (ARGV[6..]: 'lat', lat, 'lon', lon, 'fix_at', at)
    redis.call('GEOADD', KEYS[3], ARGV[2], ARGV[3], unit)
  end
end
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
#: HSET on a hash still held (a closed incident's leaves the live model)
_SET_IF_HELD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('HSET', KEYS[1], unpack(ARGV))
"""
#: ZADD of an incident whose hash is still held (closed ones leave the live model)
_ALERT_IF_HELD = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
return redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
"""

#: a unit's status from the newest of its own and its tasks' events (two streams feed it)
_UNIT_STATUS = """
local since = tonumber(redis.call('HGET', KEYS[1], 'status_ms') or '-1')
if tonumber(ARGV[1]) < since then return 0 end
redis.call('HSET', KEYS[1], 'status_ms', ARGV[1], unpack(ARGV, 2))
return 1
"""
#: a task's unit or officers back in the queue when the incident has none left running
_REQUEUE = """
local score = redis.call('ZSCORE', KEYS[2], ARGV[1])
if not score or redis.call('EXISTS', KEYS[3]) == 0 then return 0 end
return redis.call('ZADD', KEYS[1], score, ARGV[1])
"""
#: which officers' fixes place a unit (its tracker, else its crew), and where it is now:
#: the newest fix among them
_UNIT_PLACED = """
local unit = ARGV[1]
local prefix = ARGV[2]
local n_old = tonumber(ARGV[3])
for i = 1, n_old do
  local key = prefix .. ARGV[3 + i]
  if redis.call('HGET', key, 'unit') == unit then redis.call('HDEL', key, 'unit') end
end
local best, lat, lon, at = -1, nil, nil, nil
for i = 4 + n_old, #ARGV do
  local key = prefix .. ARGV[i]
  redis.call('HSET', key, 'unit', unit)
  local fix = redis.call('HMGET', key, 'fix_ms', 'lat', 'lon', 'fix_at')
  if fix[1] and tonumber(fix[1]) > best then
    best, lat, lon, at = tonumber(fix[1]), fix[2], fix[3], fix[4]
  end
end
if best >= 0 then
  redis.call('HSET', KEYS[1], 'lat', lat, 'lon', lon, 'fix_at', at, 'fix_ms', best)
  redis.call('GEOADD', KEYS[2], lon, lat, unit)
end
return 1
"""

#: The newest reports kept in `feed`, for screens that list what just came in.
FEED_LENGTH = 100
#: Batches of changes kept for screens that reconnect (older: they reload everything).
CHANGES_KEPT = 10_000
#: Which fields of an event name the incidents and officers it touches.
TOUCHES = {"incident_id": "incidents", "officer_id": "officers",
           "previous_officer_id": "officers", "unit_id": "units", "previous_unit_id": "units",
           "crew": "officers", "previous_crew": "officers"}


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
                        "set_if_held": room.redis.register_script(_SET_IF_HELD),
                        "reprioritise": room.redis.register_script(_REPRIORITISE),
                        "alert_if_held": room.redis.register_script(_ALERT_IF_HELD),
                        "unit_status": room.redis.register_script(_UNIT_STATUS),
                        "requeue": room.redis.register_script(_REQUEUE),
                        "unit_placed": room.redis.register_script(_UNIT_PLACED)}

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
        with slot_pipeline(self.room.redis, checkpoint_key) as pipe:
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
    """The ids a batch touched, as a `changes` entry: {"incidents": "a,b", "officers": …,
    "units": …}."""
    ids: dict[str, set[str]] = {"incidents": set(), "officers": set(), "units": set()}
    for entry in entries:
        for field, kind in TOUCHES.items():
            value = getattr(entry.event, field, None)
            if isinstance(value, list):
                ids[kind].update(value)
            elif value:
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


#: a unit's status from its task's
_UNIT_BY_TASK = {"assigned": "dispatched", "acknowledged": "dispatched", "en_route": "en_route",
                 "on_scene": "on_scene", "done": "returning"}


def _task(p: LiveProjection, e: TaskEvent | IncidentStatusChanged, ops: Ops,
          status: str, **fields: object) -> None:
    """A task's fields on its incident's hash (`task:<id>`: who and what, JSON; its status
    and since apart), and its unit's status."""
    key, at = _incident(p, e.incident_id), e.occurred_at.isoformat()
    ops.hset(key, mapping={f"task:{e.task_id}:status": status, f"task:{e.task_id}:since": at})
    if fields:
        ops.hset(key, f"task:{e.task_id}", orjson.dumps(fields).decode())
    if e.unit_id:
        unit = _UNIT_BY_TASK.get(status, "available")
        if status == "released":
            unit = "returning" if getattr(e, "task_status", "") in ("en_route", "on_scene") \
                else "available"
        held = unit not in ("available", "returning")
        # (acknowledging leaves the unit dispatched: since its dispatch)
        since = [] if status == "acknowledged" else ["status_since", at]
        ops.unit_status(keys=[p.live.unit(e.unit_id)], args=[
            ms(e.occurred_at), "status", unit, *since,
            "incident_id", e.incident_id if held else "", "task_id", e.task_id if held else ""])


def _moved(p: LiveProjection, e: TaskEvent | IncidentStatusChanged, ops: Ops) -> None:
    """The incident's own status after a task's event (unchanged: only when it was)."""
    _held_by(p, e, ops)  # (first: an incident that ends may leave the live model at once)
    ops.hset(_incident(p, e.incident_id), "updated_at", e.occurred_at.isoformat())
    if e.from_status is not e.to_status:
        _enter(p, e, ops, e.from_status, e.to_status)
    if e.to_status is Status.TRIAGED:
        agency = getattr(e, "lead_agency", None) or e.agency
        ops.requeue(keys=[p.live.queue(agency), p.live.agency(agency),
                          _incident(p, e.incident_id)], args=[e.incident_id])


def _held_by(p: LiveProjection, e: TaskEvent | IncidentStatusChanged, ops: Ops) -> None:
    """The officer the incident is with (none: the field is gone, as before any)."""
    if e.holder:
        ops.hset(_incident(p, e.incident_id), "officer_id", e.holder)
    else:
        ops.hdel(_incident(p, e.incident_id), "officer_id")


def _task_fields(e: TaskEvent) -> dict[str, object]:
    return {"agency": e.agency, "officer_id": e.officer_id, "unit_id": e.unit_id,
            "crew": e.crew}


def _on_assigned(p: LiveProjection, e: IncidentAssigned | IncidentReassigned, ops: Ops) -> None:
    if e.lead_agency:
        ops.hset(_incident(p, e.incident_id), "agency", e.lead_agency)
    if e.to_status is not Status.TRIAGED:
        ops.zrem(p.live.queue(e.previous_agency), e.incident_id)
    if e.lead_agency and e.previous_agency != e.lead_agency:
        ops.zrem(p.live.agency(e.previous_agency), e.incident_id)
        ops.zadd(p.live.agency(e.lead_agency), {e.incident_id: ms(e.occurred_at)})
    if isinstance(e, IncidentReassigned):
        for officer_id in e.previous_crew or filter(None, [e.previous_officer_id]):
            ops.zrem(p.live.tasks(officer_id), e.incident_id)
        if e.previous_unit_id and e.previous_unit_id != e.unit_id:
            ops.unit_status(keys=[p.live.unit(e.previous_unit_id)], args=[
                ms(e.occurred_at), "status", "available", "status_since",
                e.occurred_at.isoformat(), "incident_id", "", "task_id", ""])
    for officer_id in e.crew:
        ops.zadd(p.live.tasks(officer_id), {e.incident_id: ms(e.occurred_at)})
    _task(p, e, ops, "assigned", **_task_fields(e))
    if isinstance(e, IncidentReassigned) and e.from_status is e.to_status:
        _enter(p, e, ops, e.from_status, e.to_status)  # (a reassignment starts over)
    _moved(p, e, ops)


def _on_released(p: LiveProjection, e: TaskReleased, ops: Ops) -> None:
    for officer_id in e.crew:
        ops.zrem(p.live.tasks(officer_id), e.incident_id)
    _task(p, e, ops, "released")
    ops.hset(_incident(p, e.incident_id), f"task:{e.task_id}:reason", e.reason[:280])
    _moved(p, e, ops)


def _on_forwarded(p: LiveProjection, e: TaskForwarded, ops: Ops) -> None:
    ops.zrem(p.live.queue(e.agency), e.incident_id)
    _task(p, e, ops, "forwarded", agency=e.agency, body=e.body, reference=e.reference,
          follow_up_due=e.follow_up_due.isoformat())
    _moved(p, e, ops)


def _on_status(p: LiveProjection, e: IncidentStatusChanged, ops: Ops) -> None:
    if e.task_id and e.task_status:
        _task(p, e, ops, e.task_status.value)
        if e.task_status.value == "done":
            for officer_id in e.crew:
                ops.zrem(p.live.tasks(officer_id), e.incident_id)
    _held_by(p, e, ops)  # (first: an incident that ends may leave the live model at once)
    if e.duplicate_of:
        ops.hset(_incident(p, e.incident_id), "duplicate_of", e.duplicate_of)
    if e.from_status is not e.to_status:
        _enter(p, e, ops, e.from_status, e.to_status)
    if e.to_status in TERMINAL:
        ops.zrem(p.live.queue(e.agency), e.incident_id)
        ops.zrem(p.live.agency(e.agency), e.incident_id)
    if e.to_status is Status.TRIAGED:
        ops.requeue(keys=[p.live.queue(e.agency), p.live.agency(e.agency),
                          _incident(p, e.incident_id)], args=[e.incident_id])
    if not e.task_id and e.officer_id and (e.to_status not in WITH_OFFICER
                                           or e.to_status is Status.RESOLVED):
        ops.zrem(p.live.tasks(e.officer_id), e.incident_id)  # (before tasks)


def _on_note(p: LiveProjection, e: NoteAdded, ops: Ops) -> None:
    key = _incident(p, e.incident_id)
    ops.hincrby(key, "notes", 1)
    ops.hset(key, mapping={"last_note": e.text[:280], "updated_at": e.occurred_at.isoformat()})


def _on_reporter(p: LiveProjection, e: ReporterAdded, ops: Ops) -> None:
    key = _incident(p, e.incident_id)
    ops.hincrby(key, "reporters", 1)
    ops.hset(key, "updated_at", e.occurred_at.isoformat())


def _on_erased(p: LiveProjection, e: ReportersErased, ops: Ops) -> None:
    """Nothing to drop: the live model counts callers and keeps none of their contacts (the
    wall reads them from the aggregate, which the tombstone has erased)."""


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
    if e.action == "alert_supervisors":  # which rule, and the deadline it missed: /siaga
        ops.hset(key, mapping={"alert_rule": e.rule, "alert_deadline": e.deadline,
                               "alert_due": e.due.isoformat()})
        ops.alert_if_held(keys=[key, p.live.escalated], args=[e.incident_id, ms(e.occurred_at)])


def _on_rated(p: LiveProjection, e: IncidentRated, ops: Ops) -> None:
    """The latest rating on the incident (one that has left the live model stays gone)."""
    ops.set_if_held(keys=[_incident(p, e.incident_id)], args=[
        "rating", e.rating, "rated_at", e.occurred_at.isoformat()])


#: what an escalation left on an incident's hash (`_on_escalated`)
_ALERTED = ("alert_rule", "alert_deadline", "alert_due", "escalated_alert_supervisors",
            "escalated_raise_priority", "escalated_flag")


def _on_reopened(p: LiveProjection, e: IncidentReopened, ops: Ops) -> None:
    """Back in its agency's queue with the fresh SLA, the reporter's reason on it (the
    officers' phones show it); a closed incident that had left the live model is back."""
    key = _incident(p, e.incident_id)
    ops.hset(key, mapping={
        "id": e.incident_id, "category": e.category, "lat": e.lat, "lon": e.lon,
        "address": e.address or "", "description": e.description, "agency": e.agency,
        "reported_at": e.reported_at.isoformat(), "priority": e.priority,
        "district": e.district, "acknowledge_due": e.acknowledge_due.isoformat(),
        "resolve_due": e.resolve_due.isoformat(), "reopened": e.resolution,
        "reopened_at": e.occurred_at.isoformat(), "reopened_comment": e.comment[:280],
        "reopened_rating": e.rating or ""})
    ops.hdel(key, "officer_id", *_ALERTED)  # (the new deadlines alert anew)
    ops.persist(key)  # (a closed incident's was to expire)
    ops.zrem(p.live.recent, e.incident_id)
    _enter(p, e, ops, e.from_status, Status.TRIAGED)
    ops.geoadd(p.live.incidents_geo, (e.lon, e.lat, e.incident_id))
    ops.zadd(p.live.due("acknowledge"), {e.incident_id: ms(e.acknowledge_due)})
    ops.zadd(p.live.due("resolve"), {e.incident_id: ms(e.resolve_due)})
    score = e.priority * 10**13 + ms(e.occurred_at)  # priority first, then age (as triage)
    ops.zadd(p.live.queue(e.agency), {e.incident_id: score})
    ops.zadd(p.live.agency(e.agency), {e.incident_id: score})


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
        TaskReleased: _on_released,
        TaskForwarded: _on_forwarded,
        NoteAdded: _on_note,
        ReporterAdded: _on_reporter,
        ReportersMerged: _on_merged,
        ReportersErased: _on_erased,
        IncidentEscalated: _on_escalated,
        IncidentRated: _on_rated,
        IncidentReopened: _on_reopened,
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
    ops.locate(keys=[_officer(p, e.officer_id), p.live.officers_geo, p.live.units_geo],
               args=[ms(e.occurred_at), e.lon, e.lat, e.officer_id, p.live.unit(""), *flat])


def _on_checked_in(p: LiveProjection, e: OfficerCheckedIn, ops: Ops) -> None:
    ops.hset(_officer(p, e.officer_id),
             mapping={"on_duty_post": e.post_id, "checked_in_at": e.occurred_at.isoformat()})
    ops.sadd(p.live.on_duty(e.agency), e.officer_id)


def _on_checked_out(p: LiveProjection, e: OfficerCheckedOut, ops: Ops) -> None:
    ops.hset(_officer(p, e.officer_id), mapping={"on_duty_post": "", "checked_in_at": ""})
    ops.srem(p.live.on_duty(e.agency), e.officer_id)


def _on_unit(p: LiveProjection, e: UnitRegistered | UnitChanged, ops: Ops) -> None:
    """A unit's configuration; the officers whose fixes place it (its tracker, else its
    crew) are told so, and it is placed at the newest of their fixes."""
    key = p.live.unit(e.unit_id)
    active = getattr(e, "active", True)
    ops.hset(key, mapping={
        "id": e.unit_id, "call_sign": e.call_sign, "agency": e.agency,
        "post_id": e.post_id or "", "kind": e.kind, "crew": ",".join(e.crew),
        "tracker": e.tracker or "", "active": int(active)})
    if isinstance(e, UnitRegistered) and not isinstance(e, UnitChanged):
        ops.unit_status(keys=[key], args=[0, "status", "available",  # (any task's is newer)
                                          "status_since", e.occurred_at.isoformat()])
    (ops.sadd if active else ops.srem)(p.live.units(e.agency), e.unit_id)
    ops.sadd(p.live.registered_units(e.agency), e.unit_id)
    old = [*getattr(e, "previous_crew", []), getattr(e, "previous_tracker", None)]
    placing = [e.tracker] if e.tracker else e.crew
    ops.unit_placed(keys=[key, p.live.units_geo], args=[
        e.unit_id, p.live.officer(""), len([o for o in old if o]), *filter(None, old),
        *placing])


def _on_unit_status(p: LiveProjection, e: UnitStatusSet, ops: Ops) -> None:
    """Set by the unit or the room; a unit still on a task keeps it (a dispatch's newer
    event sets it again)."""
    ops.unit_status(keys=[p.live.unit(e.unit_id)], args=[
        ms(e.occurred_at), "status", e.status, "status_since", e.occurred_at.isoformat(),
        "status_reason", e.reason or ""])


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
    owned = ("officer:", "officers:", "on_duty:", "geo:officers", "flags:", "unit:", "units:",
             "geo:units")
    handlers = {
        UnitRegistered: _on_unit,
        UnitChanged: _on_unit,
        UnitStatusSet: _on_unit_status,
        OfficerRegistered: _on_registered,
        FixFlagged: _on_flagged,
        OfficerLocated: _on_located,
        OfficerCheckedIn: _on_checked_in,
        OfficerCheckedOut: _on_checked_out,
    }

"""Changes to the live model, for open screens. The live projections append to `changes`
the incidents, officers and units each batch touched; one `ChangeHub` per process reads it
and hands every subscribed screen the new map points of what changed (and which units did).
A screen knows the last change it saw (`version`) and resumes from there after a
reconnect."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field
from typing import TypeVar

import redis.asyncio as aioredis

from liveroom.connections import connect_async_redis
from liveroom.live.live_map import (
    incidents_by_id,
    officer_ids,
    officers_by_id,
    open_incident_ids,
)
from liveroom.room import LiveRoom

log = logging.getLogger(__name__)

#: Changes a screen may fall behind by before it is sent everything again instead.
SCREEN_BACKLOG = 256
#: How often officers' presence (online, stale, offline) is looked at without any fix.
PRESENCE_EVERY = 30.0
NONE = "0-0"
T = TypeVar("T")


@dataclass
class Change:
    """The map points that changed up to `version`; None: off the map. `units`: the ids of
    units whose configuration, status or task changed (the unit board reads them anew)."""

    version: str
    incidents: dict[str, dict | None] = field(default_factory=dict)
    officers: dict[str, dict | None] = field(default_factory=dict)
    duty_changed: bool = False  # an officer went on or off duty: the figures changed
    units: set[str] = field(default_factory=set)

    @property
    def touches_figures(self) -> bool:
        """Whether counts, queue or feed may have changed (not just officers moving)."""
        return bool(self.incidents) or self.duty_changed

    def merge(self, newer: Change) -> Change:
        return Change(newer.version, {**self.incidents, **newer.incidents},
                      {**self.officers, **newer.officers},
                      self.duty_changed or newer.duty_changed, self.units | newer.units)


def changes_key(room: LiveRoom) -> str:
    return room.live.changes


def _id(version: str) -> tuple[int, int]:
    ms, _, seq = version.partition("-")
    return int(ms), int(seq or 0)


def current_version(room: LiveRoom) -> str:
    """The newest change; a snapshot read after this is valid from it on."""
    newest = room.redis.xrevrange(changes_key(room), count=1)
    return newest[0][0] if newest else NONE


def _ids(entries: list) -> tuple[list[str], list[str], set[str]]:
    """The incidents, officers and units `entries` name."""
    touched: dict[str, set[str]] = {"incidents": set(), "officers": set(), "units": set()}
    for _, fields in entries:
        for kind, ids in touched.items():
            ids.update(filter(None, fields.get(kind, "").split(",")))
    return sorted(touched["incidents"]), sorted(touched["officers"]), touched["units"]


def read_change(room: LiveRoom, version: str, entries: list) -> Change:
    """The current map points of everything `entries` touched, and the units they name."""
    incidents, officers, units = _ids(entries)
    return Change(version, incidents_by_id(room, incidents), officers_by_id(room, officers),
                  units=units)


def everything(room: LiveRoom) -> Change:
    """Every map point, as a change up to the current version."""
    version = current_version(room)
    return Change(version, incidents_by_id(room, open_incident_ids(room)),
                  officers_by_id(room, officer_ids(room)))


def changes_since(room: LiveRoom, version: str | None) -> Change | None:
    """What changed after `version`, or None when the stream no longer reaches back that far
    (or the screen never had a version): then the screen needs everything."""
    if not version:
        return None
    key = changes_key(room)
    first = room.redis.xrange(key, count=1)
    if first and _id(version) < _id(first[0][0]):
        return None
    entries = room.redis.xrange(key, min=f"({version}") if first else []
    if not entries:
        return Change(version)
    return read_change(room, entries[-1][0], entries)


class Budget:
    """A token bucket: `rate` pushes a second sustained, up to `burst` back to back."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens, self.at = float(burst), now

    def _tokens(self, now: float) -> float:
        return min(self.burst, self.tokens + (now - self.at) * self.rate)

    def ready_at(self, now: float) -> float:
        """When the next push may go."""
        tokens = self._tokens(now)
        return now if tokens >= 1 else now + (1 - tokens) / self.rate

    def spend(self, now: float) -> None:
        self.tokens, self.at = self._tokens(now) - 1, now


class Shared:
    """One computation per key at a time, in a worker thread, its result shared by every
    screen that asks for the same key (the newest few kept)."""

    def __init__(self, keep: int = 32) -> None:
        self.keep = keep
        self._results: OrderedDict[Hashable, asyncio.Future] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], T]) -> Awaitable[T]:
        result = self._results.get(key)
        if result is None or (result.done() and result.exception()):
            result = asyncio.ensure_future(asyncio.to_thread(compute))
            self._results[key] = result
            while len(self._results) > self.keep:
                self._results.popitem(last=False)
        return result


class Subscription:
    """One screen's queue of changes; `lost` once it fell too far behind."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Change] = asyncio.Queue(SCREEN_BACKLOG)
        self.lost = False
        self._event = asyncio.Event()

    def offer(self, change: Change) -> None:
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            self.lost = True
        self._event.set()

    async def next(self, timeout: float) -> Change | None:
        """The changes waiting, merged (waits up to `timeout` for the first)."""
        if self.queue.empty():
            if timeout <= 0:
                return None
            try:
                await asyncio.wait_for(self._arrival(), timeout)
            except TimeoutError:
                return None
        change = self.queue.get_nowait()
        while not self.queue.empty():
            change = change.merge(self.queue.get_nowait())
        return change

    async def _arrival(self) -> None:
        """Wait until something is queued, taking nothing (cancelling loses nothing)."""
        while self.queue.empty():
            await self._event.wait()
            self._event.clear()


class ChangeHub:
    """One reader of the changes stream per process, fanning out to every open screen;
    it also notices officers going stale or offline, which no event announces."""

    def __init__(self, room: LiveRoom) -> None:
        self.room = room
        self.screens: set[Subscription] = set()
        self.seen: dict[str, tuple] = {}  # officer -> (presence, on duty) last published
        self.version = NONE  # the newest change published
        self._task: asyncio.Task | None = None

    async def subscribe(self) -> Subscription:
        """A new screen's queue; the reader starts (at the current version) with the first,
        so a screen that catches up after subscribing misses nothing."""
        if self._task is None or self._task.done():
            version = await asyncio.to_thread(current_version, self.room)
            if self._task is None or self._task.done():
                self._task = asyncio.get_running_loop().create_task(self._run(version))
        subscription = Subscription()
        self.screens.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self.screens.discard(subscription)

    def _publish(self, change: Change) -> None:
        for officer_id, point in change.officers.items():
            now = _state(point)
            if now[1] != self.seen.get(officer_id, now)[1]:
                change.duty_changed = True
            self.seen[officer_id] = now
        self.version = change.version
        for screen in list(self.screens):
            screen.offer(change)

    async def _run(self, version: str) -> None:
        # its reads block up to PRESENCE_EVERY: a socket timeout longer than that (redis-py's
        # default, 5 s, cut every idle wait short as an error)
        client = connect_async_redis(self.room.settings, socket_timeout=PRESENCE_EVERY + 10)
        loop = asyncio.get_running_loop()
        swept, seeded = loop.time(), False
        try:
            # (asking, since asyncio.wait_for in redis-py's sends may swallow a cancel)
            while not asyncio.current_task().cancelling():
                try:  # the first sweep, inside: Redis may be away at the start too
                    if not seeded:  # presence as the screens were shown it, to tell changes
                        await asyncio.to_thread(self.presence_changes, version)
                        seeded = True
                    version = await self._follow(client, version)
                    if loop.time() - swept >= PRESENCE_EVERY:
                        change = await asyncio.to_thread(self.presence_changes, version)
                        if change.officers:
                            self._publish(change)
                        swept = loop.time()
                except Exception:  # Redis away, a bad entry: screens start over, it retries
                    log.exception("reading the changes stream failed; retrying")
                    for screen in self.screens:
                        screen.lost = True
                    await asyncio.sleep(1)
        finally:
            await client.aclose()

    async def _follow(self, client: aioredis.Redis, version: str) -> str:
        """Publish the changes after `version` (waiting a while for some); the newest."""
        reply = await client.xread({changes_key(self.room): version}, count=1000,
                                   block=int(PRESENCE_EVERY * 1000))
        if not reply:
            return version
        entries = reply[0][1]
        self._publish(await asyncio.to_thread(read_change, self.room, entries[-1][0], entries))
        return entries[-1][0]

    def presence_changes(self, version: str) -> Change:
        """Officers whose presence changed since last looked at (with time alone)."""
        points = officers_by_id(self.room, officer_ids(self.room))
        changed = {i: p for i, p in points.items() if _state(p) != self.seen.get(i)}
        self.seen.update((i, _state(p)) for i, p in points.items())
        return Change(version, officers=changed)


def _state(point: dict | None) -> tuple[str | None, bool]:
    return (point["properties"]["presence"], point["properties"]["on_duty"]) if point else (
        None, False)

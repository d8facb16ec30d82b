"""Location ingest: known devices, and fixes appended in group commits.

Trackers speak OsmAnd or the Traccar Client's JSON (see `api.osmand`); whatever the
protocol, a fix becomes an `OfficerLocated` event of the device's officer. Many
requests arrive at once; `FixWriter` appends the fixes of all waiting requests in one
Redis pipeline and answers each once its fixes are stored.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence

import anyio

from liveroom.access import Action, Principal
from liveroom.access import sessions as session_store
from liveroom.access.secrets import digest
from liveroom.commands.accounts import device_principals
from liveroom.domain.errors import ArchiveUnavailable
from liveroom.domain.events import OfficerLocated
from liveroom.room import LiveRoom

log = logging.getLogger("liveroom.locations")
UNKNOWN_DEVICES = "unknown-devices"  # counters in the metrics hash
THROTTLED_TRACKERS = "throttled-trackers"
#: unknown device ids an address may send before it waits (doubling, up to 15 min)
FREE_UNKNOWN_IDS = 10


class DeviceDirectory:
    """What a tracker sends as its id (a secret) -> its device's principal, re-read from the
    archive every `ttl` seconds (and on a miss, at most once a second), in a thread and one
    read at a time: a revoked device stops within `ttl`. While the archive is down the
    devices last read serve, and any worker's (`remember_principals`) for an id this one
    never read; an id found in neither is `ArchiveUnavailable`, not unknown. Also which
    client addresses wait for having sent unknown ids: re-read once a second, so a fix costs
    no Redis round trip for it."""

    def __init__(self, room: LiveRoom, ttl: float = 10.0) -> None:
        self.room, self.ttl = room, ttl
        self._devices: dict[str, Principal] = {}
        self._loaded = self._missed = float("-inf")
        self._reading: asyncio.Task | None = None
        self._archive_down = False
        self._kept: tuple[str | None, dict[str, Principal]] | None = None  # (in Redis)
        self._waiting: dict[str, float] = {}  # client -> until (epoch seconds), maybe
        self._waiting_read = float("-inf")

    async def lookup(self, sent_id: str) -> Principal | None:
        """The device whose tracker sends `sent_id` (its secret), if any and not revoked."""
        key, now = digest(sent_id), time.monotonic()
        if now - self._loaded > self.ttl or (
                key not in self._devices and now - self._missed > 1.0):
            if self._reading is None or self._reading.done():
                self._reading = asyncio.get_running_loop().create_task(
                    anyio.to_thread.run_sync(self._read))
            await asyncio.shield(self._reading)
            if key not in self._devices:
                self._missed = time.monotonic()
        found = self._devices.get(key)
        if found is None and self._archive_down:
            found = await anyio.to_thread.run_sync(self._kept_device, key)
        return found

    def _kept_device(self, key: str) -> Principal:
        version = self.room.redis.get(self.room.keys.credentials_version)
        kept = session_store.remembered_principal(self.room, version, key)
        if kept is None or kept[0] != "device":
            raise ArchiveUnavailable("the archive database is unavailable and this device "
                                     "is not known without it; try again shortly")
        return kept[1]

    def _read(self) -> None:
        version = self.room.redis.get(self.room.keys.credentials_version)  # (before reading)
        try:
            devices = device_principals(self.room)
        except ArchiveUnavailable:
            self._archive_down, self._loaded = True, time.monotonic()
            if self._kept is None or self._kept[0] != version:  # (changed since: not these)
                self._devices = {}
            return
        if self._kept != (version, devices):  # (new devices, or a new version: kept anew)
            session_store.remember_principals(self.room, version, {
                key: ("device", principal, principal.name) for key, principal in devices.items()})
            self._kept = (version, devices)
        self._devices, self._loaded, self._archive_down = devices, time.monotonic(), False

    def count_unknown(self, sent_id: str, client: str) -> None:
        """A fix from an id no device has: counted, logged, and the address slowed down
        (ids can be guessed; each failure past FREE_UNKNOWN_IDS doubles its wait)."""
        self.room.redis.hincrby(self.room.live.metrics, UNKNOWN_DEVICES, 1)
        wait = session_store.record_failure(self.room, f"tracker:{client}", FREE_UNKNOWN_IDS)
        if wait:  # (every worker's directory reads this index, not each address's lock)
            until = time.time() + wait
            self.room.redis.zadd(self.room.live.trackers_waiting, {client: until})
            self._waiting[client] = until
        log.warning("fix from unknown device id %r refused (from %s)", sent_id[:12] + "…",
                    client)

    def throttled(self, client: str) -> int:
        """Seconds the address must wait after sending unknown ids (0: none); counted."""
        now = time.time()
        if time.monotonic() - self._waiting_read > 1.0:
            key = self.room.live.trackers_waiting
            pipe = self.room.redis.pipeline(transaction=False)
            pipe.zremrangebyscore(key, "-inf", now)
            pipe.zrange(key, 0, -1, withscores=True)
            self._waiting = dict(pipe.execute()[1])
            self._waiting_read = time.monotonic()
        if self._waiting.get(client, 0) <= now:
            return 0
        wait = session_store.locked_for(self.room, f"tracker:{client}")  # (exactly how long)
        if wait:
            self.room.redis.hincrby(self.room.live.metrics, THROTTLED_TRACKERS, 1)
        return wait


def unknown_devices(room: LiveRoom) -> dict[str, int]:
    """Fixes refused from unknown device ids, and requests refused while their address
    waited for having sent them (on /healthz and the admin page)."""
    unknown, throttled = room.redis.hmget(room.live.metrics, UNKNOWN_DEVICES,
                                          THROTTLED_TRACKERS)
    return {"unknown": int(unknown or 0), "throttled": int(throttled or 0)}


class FixWriter:
    """Group commit: fixes of concurrent requests go to Redis in one pipeline."""

    def __init__(self, room: LiveRoom) -> None:
        self.room = room
        self._waiting: list[tuple[Sequence[OfficerLocated], asyncio.Future]] = []
        self._flushing = False

    async def write(self, fixes: Sequence[OfficerLocated], by: Principal) -> None:
        """Store fixes of the sender's own officer; returns once they are in the stream."""
        for fix in fixes:
            by.check(Action.ATTEND, officer_id=fix.officer_id)
        done = asyncio.get_running_loop().create_future()
        self._waiting.append((fixes, done))
        if not self._flushing:
            self._flushing = True
            asyncio.get_running_loop().create_task(self._flush())
        await done

    async def _flush(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting, []
                events = [fix for fixes, _ in batch for fix in fixes]
                try:
                    await anyio.to_thread.run_sync(self.room.store.append_many, events)
                except Exception as exc:  # every waiting request hears of it
                    for _, done in batch:
                        if not done.done():  # (its request may have gone away)
                            done.set_exception(exc)
                else:
                    for _, done in batch:
                        if not done.done():
                            done.set_result(None)
        finally:
            self._flushing = False

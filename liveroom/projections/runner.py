"""Run projections from their streams with consumer groups.

One worker at a time holds a projection's lease (a Redis key with a TTL); any
number of app workers may run a Projector and stand by. On taking the lease a
worker first reclaims entries left pending by a crashed one (XAUTOCLAIM), or reads
again from the view's checkpoint when the group has delivered past it, then reads
new ones. The checkpoint check in `Projection.apply` keeps a batch from
being applied twice even if two workers overlap.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time

import redis

from liveroom.commands.erasure import erase_contacts
from liveroom.domain.errors import ArchiveUnavailable
from liveroom.live.projection import LiveIncidents, LiveOfficers
from liveroom.notify.sender import Sender
from liveroom.projections.archive import ArchiveIncidents, ArchiveOfficers
from liveroom.projections.base import Entry, Policy, Projection
from liveroom.projections.policies.attendance import AttendancePolicy
from liveroom.projections.policies.escalation import EscalationPolicy
from liveroom.projections.policies.merges import MergePolicy
from liveroom.projections.policies.notifications import NotificationPolicy
from liveroom.reporting.eta import refresh_if_due
from liveroom.room import LiveRoom
from liveroom.streams import STREAMS, id_tuple

log = logging.getLogger(__name__)
#: the longest wait between two tries of a batch that failed; with the archive down, a
#: shorter one (each try is a refused connection): it catches up at most that long after
#: it is back
MAX_RETRY_SECONDS, MAX_RETRY_SECONDS_ARCHIVE_DOWN = 10.0, 2.0

_RENEW = """
if ARGV[3] == '0' and redis.call('EXISTS', KEYS[2]) == 1 then
  if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
  return 0
end
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def all_projections(room: LiveRoom) -> list[Projection]:
    return [LiveIncidents(room), LiveOfficers(room), ArchiveIncidents(room), ArchiveOfficers(room)]


def all_policies(room: LiveRoom) -> list[Policy]:
    """Readers that act on events (append new ones, or messages to the outbox) instead of
    keeping a view; never replayed by a rebuild."""
    return [AttendancePolicy(room), MergePolicy(room), EscalationPolicy(room),
            NotificationPolicy(room)]


def group_name(projection: Projection) -> str:
    return projection.name


class Projector:
    """Feeds one projection from its stream; `step()` does one round, `run()` loops."""

    def __init__(self, room: LiveRoom, projection: Projection, consumer: str | None = None,
                 rebuilding: bool = False):
        self.room = room
        self.projection = projection
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self.stream_key = room.keys.stream(projection.stream)
        self.lease_key = room.keys.lease(projection.name)
        self.pause_key = room.keys.lease(projection.name) + ":paused"
        self.rebuilding = rebuilding  # a rebuild pauses the others and takes the lease
        self.lease_ms = int(room.settings.lease_seconds * 1000)
        self._renew = room.redis.register_script(_RENEW)
        self._release = room.redis.register_script(_RELEASE)
        self.holding = False
        self.stop_event = threading.Event()

    def ensure_group(self) -> None:
        try:
            self.room.redis.xgroup_create(self.stream_key, group_name(self.projection), "0",
                                          mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    def acquire(self) -> bool:
        """Take or keep the lease; True while this worker may apply (and no rebuild runs)."""
        held = bool(self._renew(keys=[self.lease_key, self.pause_key],
                                args=[self.consumer, self.lease_ms, int(self.rebuilding)]))
        if held and not self.holding:
            log.info("%s: %s took the lease", self.projection.name, self.consumer)
            self.ensure_group()
            self.holding = True  # (reclaiming renews the lease through here)
            try:
                if not self.rewind():
                    self.reclaim()
            except BaseException:  # (the archive down, say): both again at the next try
                self.holding = False
                raise
        self.holding = held
        return held

    def pause_others(self, seconds: float) -> None:
        """Make every other worker give up this projection's lease for a while."""
        self.room.redis.set(self.pause_key, self.consumer, px=int(seconds * 1000))

    def resume_others(self) -> None:
        self.room.redis.delete(self.pause_key)

    def release(self) -> None:
        self._release(keys=[self.lease_key], args=[self.consumer])
        self.holding = False

    def reclaim(self) -> int:
        """Take over and apply entries a crashed worker read but never acknowledged."""
        start, total = "0-0", 0
        while True:
            reply = self.room.redis.xautoclaim(
                self.stream_key, group_name(self.projection), self.consumer,
                min_idle_time=0, start_id=start, count=self.room.settings.batch_size,
            )
            start, claimed = reply[0], reply[1]
            deleted = reply[2] if len(reply) > 2 else []  # Redis 7 lists trimmed ids apart
            gone = [eid for eid, fields in claimed if not fields] + list(deleted)
            total += self._process([(eid, fields) for eid, fields in claimed if fields])
            if gone:  # trimmed away while pending: nothing left to apply
                self.room.redis.xack(self.stream_key, group_name(self.projection), *gone)
            if start == "0-0":
                return total

    def rewind(self) -> bool:
        """Deliver again from the view's checkpoint if the group is ahead of it; whether
        it was.

        The view, not the group, knows what has been applied: after an interrupted
        rebuild or a view restored from a backup, reading resumes where it stands. What
        is pending is let go, not reclaimed: entries after the checkpoint come again in
        order (a pending batch applied first would move the checkpoint past the entries
        between), those at or before it are applied.
        """
        checkpoint = self.projection.checkpoint() or "0-0"
        group = group_name(self.projection)
        groups = self.room.redis.xinfo_groups(self.stream_key)
        delivered = next(g["last-delivered-id"] for g in groups if g["name"] == group)
        if id_tuple(checkpoint) >= id_tuple(delivered):
            return False
        while pending := self.room.redis.xpending_range(self.stream_key, group, "-", "+",
                                                        1000):
            self.room.redis.xack(self.stream_key, group, *[p["message_id"] for p in pending])
        self.room.redis.xgroup_setid(self.stream_key, group, checkpoint)
        log.warning("%s: rewound delivery from %s to the checkpoint %s",
                    self.projection.name, delivered, checkpoint)
        return True

    def read(self, block_ms: int | None) -> list[tuple[str, dict[str, str]]]:
        reply = self.room.redis.xreadgroup(
            group_name(self.projection), self.consumer, {self.stream_key: ">"},
            count=self.room.settings.batch_size, block=block_ms,
        )
        return reply[0][1] if reply else []

    def _process(self, raw: list[tuple[str, dict[str, str]]]) -> int:
        """Apply a batch until it sticks; acknowledge it only then. Returns its size."""
        if not raw:
            return 0
        entries = [Entry.of(eid, fields) for eid, fields in raw]
        delay = 0.2
        while True:
            try:
                self.projection.apply_new(entries)
                break
            except Exception as exc:
                longest = MAX_RETRY_SECONDS
                if isinstance(exc, ArchiveUnavailable):  # an outage, not a bad event
                    longest = MAX_RETRY_SECONDS_ARCHIVE_DOWN
                    delay = min(delay, longest)
                    log.warning("%s: archive unavailable; %d entries wait, retrying in "
                                "%.1fs", self.projection.name, len(entries), delay)
                else:
                    log.exception("%s: batch failed; retrying in %.1fs", self.projection.name,
                                  delay)
                if self.stop_event.wait(delay) or not self.acquire():
                    raise
                delay = min(delay * 2, longest)
        self.room.redis.xack(self.stream_key, group_name(self.projection), *[e.id for e in entries])
        return len(entries)

    def step(self, block_ms: int | None = None) -> int:
        """One round: hold the lease, read a batch, apply it. Returns entries read."""
        if not self.acquire():
            return 0
        read = self._process(self.read(block_ms))
        self.projection.tick()
        return read

    def drain(self) -> int:
        """Apply everything there is now (tests, rebuild, CLI); returns entries read."""
        total = 0
        try:
            while read := self.step():
                total += read
        finally:
            if self.holding:
                self.release()
        return total

    def run(self) -> None:
        """Loop until stopped; stand by while another worker holds the lease."""
        while not self.stop_event.is_set():
            try:
                if not self.acquire():
                    self.stop_event.wait(self.lease_ms / 3000)
                    continue
                self._process(self.read(block_ms=min(1000, self.lease_ms // 3)))
                self.projection.tick()
            except redis.ConnectionError:
                log.warning("%s: Redis unavailable; retrying", self.projection.name)
                self.holding = False
                self.stop_event.wait(1)
            except ArchiveUnavailable:
                log.warning("%s: archive unavailable; retrying", self.projection.name)
                self.stop_event.wait(2)
            except Exception:
                log.exception("%s: projector error", self.projection.name)
                self.stop_event.wait(1)
        if self.holding:
            self.release()


def trim_streams(room: LiveRoom, projections: list[Projection]) -> dict[str, str]:
    """Trim each stream behind the slowest projection reading it (the archive included).

    Only entries every projection has applied, and so the archive has durably
    stored, are removed; none while a backup is being taken (its archive copy may be
    older than the archive's checkpoints now, and must find the entries after its own).
    """
    trimmed: dict[str, str] = {}
    if room.redis.exists(room.keys.backup_running):
        return trimmed
    for stream in STREAMS:
        readers = [p for p in projections if p.stream == stream]
        checkpoints = [p.checkpoint() for p in readers]
        if not readers or any(cp is None for cp in checkpoints):
            continue
        oldest = min(checkpoints, key=id_tuple)
        room.redis.xtrim(room.keys.stream(stream), minid=oldest, approximate=False)
        trimmed[stream] = oldest
    return trimmed


class ProjectionService:
    """All projectors of one worker in background threads, plus periodic work: trimming,
    the policies' sweeps, and learning arrival speeds when missing and nightly; and the
    sender of citizens' messages (`notify.sender`)."""

    def __init__(self, room: LiveRoom) -> None:
        self.room = room
        self.policies = all_policies(room)
        self.projectors = [Projector(room, p) for p in [*all_projections(room), *self.policies]]
        self.threads: list[threading.Thread] = []
        self.stop_event = threading.Event()
        self._erased_at: float | None = None
        self.sender = Sender(room)
        self.sender.stop_event = self.stop_event

    def start(self) -> None:
        sender = threading.Thread(target=self.sender.run, name="notify-sender", daemon=True)
        sender.start()
        self.threads.append(sender)
        for projector in self.projectors:
            projector.stop_event = self.stop_event
            thread = threading.Thread(target=projector.run, name=projector.projection.name,
                                      daemon=True)
            thread.start()
            self.threads.append(thread)
        trimmer = threading.Thread(target=self._trim_loop, name="trim", daemon=True)
        trimmer.start()
        self.threads.append(trimmer)

    def _trim_loop(self) -> None:
        projections = [p.projection for p in self.projectors]
        self._learn()  # at start, if nothing is learned yet
        while not self.stop_event.wait(self.room.settings.trim_interval_seconds):
            try:  # (with the archive down nothing is trimmed: it has not stored the rest)
                trim_streams(self.room, projections)
            except ArchiveUnavailable:
                log.warning("streams not trimmed: archive unavailable")
            except Exception:
                log.exception("trimming failed")
            try:  # (the policies work on Redis: they sweep whether the archive is up or not)
                for policy in self.policies:
                    policy.sweep()
            except Exception:
                log.exception("sweeping failed")
            self._learn()
            self._erase()

    def _erase(self) -> None:
        """Reporters' contacts erased once their retention is over (`commands.erasure`),
        every `erase_interval_minutes` (the first time at the first round)."""
        every = self.room.settings.erase_interval_minutes * 60
        if self._erased_at is not None and time.monotonic() - self._erased_at < every:
            return
        self._erased_at = time.monotonic()
        try:
            erase_contacts(self.room)
        except ArchiveUnavailable:
            log.warning("contacts not erased: archive unavailable")
        except Exception:
            log.exception("erasing contacts failed")

    def _learn(self) -> None:
        try:
            refresh_if_due(self.room)
        except ArchiveUnavailable:
            log.warning("arrival speeds not learned: archive unavailable")
        except Exception:
            log.exception("learning arrival speeds failed")

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout)

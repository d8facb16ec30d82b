"""The sender: drains the outbox (a consumer group) and hands each message to its provider.

One sender at a time holds its lease (as a projection's). A message waits, unacknowledged,
while its channel has no provider configured (`waiting`) or until its next try after a
retryable failure (backoff doubling from `notify_retry_seconds`, or the provider's
`Retry-After`); it is given up after `notify_max_attempts` tries or a permanent refusal.
Each provider gets at most `notify_per_second` messages a second.

At most once: none of these providers takes an idempotency key, so a message is recorded
`sending` before its provider is called. A sender that finds a message `sending` (its
sender died between the call and recording the answer) never sends it again: it is marked
`unknown` (not confirmed), shown as failed on the incident's panel and counted failed.
"""

from __future__ import annotations

import heapq
import logging
import os
import socket
import threading
import time
from types import ModuleType

import httpx
import redis
from pydantic import ValidationError

from liveroom.domain.errors import NotReplicated
from liveroom.notify import mail, outcomes, sms, telegram, whatsapp
from liveroom.notify.errors import SendError
from liveroom.notify.outbox import Outgoing, outbox_stream
from liveroom.room import LiveRoom

log = logging.getLogger("liveroom.notify")
GROUP = "notify-sender"
PROVIDERS: dict[str, ModuleType] = {"whatsapp": whatsapp, "telegram": telegram, "sms": sms,
                                    "email": mail}
MAX_BACKOFF = 600.0
_HOLD = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) and 1 or 0
"""


class Pace:
    """At most `rate` a second per channel, in this process (the one holding the lease): a
    token bucket holding a second's worth, so a short burst goes at once."""

    def __init__(self, rates: dict[str, float]) -> None:
        self.rates = rates
        self.buckets: dict[str, tuple[float, float]] = {}  # channel: (tokens, when)

    def wait(self, channel: str, stop: threading.Event) -> None:
        rate = self.rates.get(channel, 1.0)
        now = time.monotonic()
        tokens, then = self.buckets.get(channel, (max(rate, 1.0), now))
        tokens = min(max(rate, 1.0), tokens + (now - then) * rate) - 1
        self.buckets[channel] = (tokens, now)
        if tokens < 0:
            stop.wait(-tokens / rate)


class Sender:
    def __init__(self, room: LiveRoom, consumer: str | None = None) -> None:
        self.room = room
        self.stream = outbox_stream(room)
        self.consumer = consumer or f"{socket.gethostname()}-{os.getpid()}-{id(self):x}"
        self.lease_key = room.keys.lease(GROUP)
        self.lease_ms = int(room.settings.lease_seconds * 1000)
        self.client = httpx.Client(timeout=httpx.Timeout(20.0, connect=5.0))
        self.pace = Pace(room.settings.notify_per_second)
        self.stop_event = threading.Event()
        self.holding = False
        self._hold = room.redis.register_script(_HOLD)
        self.taken = False  # the lease just taken: what was left pending is looked at
        #: messages to try again, by when (`heapq`): this sender's, or found at a takeover
        self.due: list[tuple[float, str, dict[str, str]]] = []

    def acquire(self) -> bool:
        held = bool(self._hold(keys=[self.lease_key], args=[self.consumer, self.lease_ms]))
        if held and not self.holding:
            try:
                self.room.redis.xgroup_create(self.stream, GROUP, "0", mkstream=True)
            except redis.ResponseError as exc:
                if "BUSYGROUP" not in str(exc):
                    raise
            self.taken = True
        self.holding = held
        return held

    def step(self, block_ms: int | None = None) -> int:
        """One round: at a takeover what was left pending (a dead sender's, retries, those
        waiting for their channel), then new messages and the retries now due.
        (Settings are read at start: a channel configured since is a restart, and so a
        takeover.)"""
        if not self.acquire():
            self.due.clear()
            return 0
        entries = []
        if self.taken:
            self.taken = False
            self.due.clear()
            entries += self.pending()
        entries += self.new(block_ms)
        now = time.time()
        while self.due and self.due[0][0] <= now:
            _, entry_id, fields = heapq.heappop(self.due)
            entries.append((entry_id, fields))
        self.handle_all(entries)
        return len(entries)

    def new(self, block_ms: int | None) -> list[tuple[str, dict[str, str]]]:
        reply = self.room.redis.xreadgroup(GROUP, self.consumer, {self.stream: ">"},
                                           count=100, block=block_ms)
        return reply[0][1] if reply else []

    def handle_all(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        for entry_id, fields in entries:
            if self.stop_event.is_set() or not self.acquire():
                return
            self.handle(entry_id, fields)

    def pending(self) -> list[tuple[str, dict[str, str]]]:
        """Every message read but not finished (by this sender or a dead one), now ours."""
        start, found = "0-0", []
        while True:
            reply = self.room.redis.xautoclaim(self.stream, GROUP, self.consumer,
                                               min_idle_time=0, start_id=start, count=500)
            start = reply[0]
            found += [(eid, fields) for eid, fields in reply[1] if fields]
            deleted = reply[2] if len(reply) > 2 else []  # Redis 7 lists trimmed ids apart
            gone = [eid for eid, fields in reply[1] if not fields] + list(deleted)
            if gone:  # trimmed away
                self.room.redis.xack(self.stream, GROUP, *gone)
            if start == "0-0":
                return found

    def handle(self, entry_id: str, fields: dict[str, str]) -> None:
        try:
            message = Outgoing.model_validate_json(fields.get("message", ""))
        except ValidationError as exc:
            log.error("outbox entry %s is no message (%s): dropped", entry_id, exc)
            self.room.redis.xack(self.stream, GROUP, entry_id)
            return
        known = outcomes.state(self.room, entry_id)
        status, attempts = known.get("state"), int(known.get("attempts") or 0)
        if status == "sending":  # its sender died between the call and the answer
            log.warning("message %s was being sent when its sender stopped: not sent "
                        "again (at most once), marked unknown", entry_id)
            outcomes.record(self.room, entry_id, message, "unknown", expect="sending",
                            error="sender stopped while sending: not confirmed")
            status = "unknown"
        if status in outcomes.FINAL:
            self.room.redis.xack(self.stream, GROUP, entry_id)
            return
        if status == "retry" and (at := float(known.get("next_at") or 0)) > time.time():
            heapq.heappush(self.due, (at, entry_id, fields))
            return
        provider = PROVIDERS[message.channel]
        if not provider.configured(self.room):
            if status != "waiting":
                outcomes.record(self.room, entry_id, message, "waiting")
            return
        self.pace.wait(message.channel, self.stop_event)
        attempts += 1
        outcomes.record(self.room, entry_id, message, "sending", attempts=attempts)
        try:
            outcomes.confirm(self.room, entry_id)  # (a failover must not forget it)
            provider_id = provider.send(self.room, self.client, message)
        except NotReplicated as exc:
            self.failed(entry_id, fields, message, attempts, SendError(
                f"not replicated before sending: {exc}", retryable=True))
            return
        except SendError as exc:
            self.failed(entry_id, fields, message, attempts, exc)
            return
        except Exception as exc:  # (a bug): as if no answer came
            log.exception("message %s: sending failed unexpectedly", entry_id)
            self.failed(entry_id, fields, message, attempts, SendError(
                f"{type(exc).__name__}: {exc}", retryable=False, unknown=True))
            return
        outcomes.record(self.room, entry_id, message, "sent", expect="sending",
                        provider_id=provider_id)
        self.room.redis.xack(self.stream, GROUP, entry_id)

    def failed(self, entry_id: str, fields: dict[str, str], message: Outgoing, attempts: int,
               exc: SendError) -> None:
        settings = self.room.settings
        if exc.unknown:
            log.error("message %s sent, maybe: %s; not tried again (at most once)", entry_id,
                      exc)
            outcomes.record(self.room, entry_id, message, "unknown", expect="sending",
                            error=str(exc)[:500])
            self.room.redis.xack(self.stream, GROUP, entry_id)
            return
        if exc.retryable and attempts < settings.notify_max_attempts:
            delay = exc.retry_after or min(
                settings.notify_retry_seconds * 2 ** (attempts - 1), MAX_BACKOFF)
            log.warning("message %s not sent (%s); try %d again in %.1fs", entry_id, exc,
                        attempts + 1, delay)
            at = time.time() + delay
            outcomes.record(self.room, entry_id, message, "retry", expect="sending",
                            error=str(exc)[:500], next_at=at)
            heapq.heappush(self.due, (at, entry_id, fields))
            return
        log.error("message %s given up after %d tries: %s", entry_id, attempts, exc)
        outcomes.record(self.room, entry_id, message, "failed", expect="sending",
                        error=str(exc)[:500])
        self.room.redis.xack(self.stream, GROUP, entry_id)

    def drain(self) -> int:
        """Look at everything left pending and new, and the retries due meanwhile, then let
        go of the lease (tests, benchmarks); how many were looked at."""
        self.holding = False  # (a takeover: pending ones first)
        total = 0
        while read := self.step():
            total += read
        self.release()
        return total

    def release(self) -> None:
        if self.room.redis.get(self.lease_key) == self.consumer:
            self.room.redis.delete(self.lease_key)
        self.holding = False

    def run(self) -> None:
        """Loop until stopped; stand by while another sender holds the lease."""
        while not self.stop_event.is_set():
            try:
                if not self.step(block_ms=min(1000, self.lease_ms // 3)) and not self.holding:
                    self.stop_event.wait(self.lease_ms / 3000)
            except redis.ConnectionError:
                log.warning("notify sender: Redis unavailable; retrying")
                self.holding = False
                self.stop_event.wait(1)
            except Exception:
                log.exception("notify sender error")
                self.stop_event.wait(1)
        if self.holding:
            self.release()
        self.client.close()

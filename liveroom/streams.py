"""Redis streams as the system of record: key names and the event store.

Commands append through one Lua script that checks the aggregate's version,
`XADD`s the events and stores the aggregate's new state in one atomic step, so
two operators racing on one incident cannot both win. Location fixes, which
change no aggregate, are appended in pipelined batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import redis

from liveroom.connections import slot_node, slot_pipeline
from liveroom.domain.errors import ConcurrencyConflict, NotReplicated
from liveroom.domain.events import INCIDENTS, OFFICERS, Event, encode

STREAMS = (INCIDENTS, OFFICERS)
#: within `deferred_confirmation()`: the appends no replica confirmed in time
_unconfirmed: ContextVar[list[NotReplicated] | None] = ContextVar("unconfirmed", default=None)


@contextmanager
def deferred_confirmation() -> Iterator[list[NotReplicated]]:
    """Within it, an append no replica confirms in time does not raise NotReplicated at
    once: the refusal is listed here, so the caller can first keep what was done (an
    idempotent retry must find it, not append it again), then refuse."""
    token = _unconfirmed.set([])
    try:
        yield _unconfirmed.get()  # type: ignore[misc]
    finally:
        _unconfirmed.reset(token)


@dataclass(frozen=True)
class Keys:
    """Every Redis key of one deployment, under one namespace (one Cluster slot)."""

    ns: str

    def stream(self, name: str) -> str:
        return f"{self.ns}:stream:{name}"

    def aggregate(self, kind: str, aggregate_id: str) -> str:
        return f"{self.ns}:agg:{kind}:{aggregate_id}"

    def checkpoint(self, projection: str) -> str:
        return f"{self.ns}:checkpoint:{projection}"

    def claim(self, name: str) -> str:
        """String: what holds a named thing that only one may hold at a time (a unit: the
        task it is on), set and freed with the events that take and give it up."""
        return f"{self.ns}:claim:{name}"

    def lease(self, projection: str) -> str:
        return f"{self.ns}:lease:{projection}"

    def handling(self, incident_id: str) -> str:
        """Hash: who has an incident open on a screen, each holder until when (`live.handling`)."""
        return f"{self.ns}:handling:{incident_id}"

    def conversation(self, channel: str, sender: str) -> str:
        """Hash, with a TTL: where a citizen's chat report stands (`channels.conversation`)."""
        return f"{self.ns}:chat:{channel}:{sender}"

    def feedback_asked(self, channel: str, sender: str) -> str:
        """String, with a TTL: the report a chat's sender was last asked to rate
        (`channels.feedback`)."""
        return f"{self.ns}:chat-feedback:{channel}:{sender}"

    def inbound_seen(self, channel: str, message_id: str) -> str:
        """String, with a TTL: a provider's message handled already (its retries do nothing)."""
        return f"{self.ns}:inbound:{channel}:{message_id}"

    def notify(self, *parts: str) -> str:
        """A key of citizens' messages (`notify.outcomes`, `notify.whatsapp`): `message`
        (hash: one outbox entry's state), `incident` (hash: entry -> state), `counts` (hash
        per day: sent/failed per channel), `window` (string with a TTL: a WhatsApp
        customer's 24-hour window is open)."""
        return ":".join((self.ns, "notify", *parts))

    @property
    def config_version(self) -> str:
        return f"{self.ns}:config:version"

    @property
    def credentials_version(self) -> str:
        """Bumped whenever a credential or user changes: cached principals are re-read."""
        return f"{self.ns}:credentials:version"

    @property
    def backup_running(self) -> str:
        """String, with a TTL: a backup is being taken; streams are not trimmed meanwhile."""
        return f"{self.ns}:backup:running"

    @property
    def dead_letters(self) -> str:
        return f"{self.ns}:stream:dead"

    def view(self, *parts: str) -> str:
        """A key of the live read model (the `live` projections own these)."""
        return ":".join((self.ns, "live", *parts))

    def pattern(self, *parts: str) -> str:
        """A SCAN pattern under the namespace (braces escaped)."""
        escaped = self.ns.replace("{", "\\{").replace("}", "\\}")
        return ":".join((escaped, *parts))


_APPEND = """
local current = tonumber(redis.call('HGET', KEYS[2], 'version') or '0')
if current ~= tonumber(ARGV[1]) then
  return redis.error_reply('CONFLICT ' .. current)
end
local n, nc, nf = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local freed = {}
for i = 1, nf do
  local key = KEYS[2 + nc + i]
  if redis.call('GET', key) == ARGV[5 + nc + i] then freed[key] = true end
end
for i = 1, nc do
  local held = redis.call('GET', KEYS[2 + i])
  if held and held ~= ARGV[5 + i] and not freed[KEYS[2 + i]] then
    return redis.error_reply('CLAIMED ' .. i .. ' ' .. held)
  end
end
for key in pairs(freed) do redis.call('DEL', key) end
for i = 1, nc do redis.call('SET', KEYS[2 + i], ARGV[5 + i]) end
local ids = {}
local base = 6 + nc + nf
for i = 0, n - 1 do
  local b = base + i * 4
  ids[#ids + 1] = redis.call('XADD', KEYS[1], '*', 'type', ARGV[b], 'v', ARGV[b + 1],
                             'agg', ARGV[b + 2], 'data', ARGV[b + 3])
end
redis.call('HSET', KEYS[2], 'version', current + n, 'state', ARGV[2])
return ids
"""


class Claimed(Exception):
    """A claim the append needed is held by something else (`holder`): nothing appended."""

    def __init__(self, name: str, holder: str) -> None:
        super().__init__(f"{name} is held by {holder}")
        self.name, self.holder = name, holder


@dataclass(frozen=True)
class Loaded:
    """An aggregate's stored state and the version it is valid at (0: never existed)."""

    version: int
    state: str | None


class EventStore:
    """Append events and load aggregate states."""

    def __init__(self, client: redis.Redis, keys: Keys, min_replicas: int = 0,
                 wait_ms: int = 1000) -> None:
        self.redis = client
        self.keys = keys
        self.min_replicas, self.wait_ms = min_replicas, wait_ms
        self._append = client.register_script(_APPEND)

    def _sent(self, pipe: redis.client.Pipeline) -> list:
        """Run `pipe` (on one connection), then with `min_replicas` wait for that many
        replicas to have its writes (`WAIT`, which counts this connection's writes: hence
        in the same pipeline); NotReplicated when they do not within `wait_ms`."""
        if self.min_replicas:
            pipe.wait(self.min_replicas, self.wait_ms)
        replies = pipe.execute(raise_on_error=False)
        if self.min_replicas:
            replicas = replies.pop()
            if not isinstance(replies[0], Exception) and replicas < self.min_replicas:
                refusal = NotReplicated(f"{replicas} of {self.min_replicas} replica(s) "
                                        f"confirmed the write within {self.wait_ms} ms",
                                        replicas=self.min_replicas)
                if (deferred := _unconfirmed.get()) is None:
                    raise refusal
                deferred.append(refusal)
        return replies

    def confirm(self, key: str, seconds: int) -> None:
        """Give `key` `seconds` more to live and, with `min_replicas`, wait until that many
        replicas have it, and so everything written before it (NotReplicated if not)."""
        with slot_pipeline(self.redis, key, transaction=False) as pipe:
            pipe.expire(key, seconds)
            self._sent(pipe)

    def load(self, kind: str, aggregate_id: str) -> Loaded:
        version, state = self.redis.hmget(self.keys.aggregate(kind, aggregate_id),
                                          ["version", "state"])
        return Loaded(int(version or 0), state)

    def append(
        self, kind: str, aggregate_id: str, expected_version: int, events: Sequence[Event],
        state_json: str, *, claims: Mapping[str, str] | None = None,
        frees: Mapping[str, str] | None = None,
    ) -> list[str]:
        """Append atomically if the aggregate is still at `expected_version`, taking the named
        `claims` (name -> holder; Claimed if another holds one) and letting go of `frees` (those
        still held by the holder given)."""
        stream = events[0].stream
        claims, frees = dict(claims or {}), dict(frees or {})
        args: list[str | int] = [expected_version, state_json, len(events), len(claims),
                                 len(frees), *claims.values(), *frees.values()]
        for event in events:
            if event.stream != stream or event.aggregate_id != aggregate_id:
                raise ValueError("one append is one aggregate on one stream")
            fields = encode(event)
            args += [fields["type"], fields["v"], fields["agg"], fields["data"]]
        keys = [self.keys.stream(stream), self.keys.aggregate(kind, aggregate_id),
                *map(self.keys.claim, claims), *map(self.keys.claim, frees)]
        try:
            with slot_pipeline(self.redis, keys[0], transaction=False) as pipe:
                self._append(keys=keys, args=args, client=pipe)
                [ids] = self._sent(pipe)
                if isinstance(ids, Exception):
                    raise ids
        except redis.ResponseError as exc:
            message = str(exc)
            if message.startswith("CONFLICT"):
                raise ConcurrencyConflict(
                    f"{kind} {aggregate_id} changed meanwhile (now at version "
                    f"{message.split()[-1]}, expected {expected_version})"
                ) from None
            if message.startswith("CLAIMED"):
                _, index, holder = message.split(maxsplit=2)
                raise Claimed(list(claims)[int(index) - 1], holder) from None
            raise
        return list(ids)

    def append_many(self, events: Iterable[Event]) -> list[str]:
        """Append events that change no aggregate state (location fixes), pipelined."""
        events = list(events)
        if not events:
            return []
        with slot_pipeline(self.redis, self.keys.stream(events[0].stream),
                           transaction=False) as pipe:
            for event in events:
                pipe.xadd(self.keys.stream(event.stream), encode(event))
            replies = self._sent(pipe)
        for reply in replies:
            if isinstance(reply, Exception):
                raise reply
        return list(replies)


def matching(client: redis.Redis, pattern: str) -> list[str]:
    """Every key matching a SCAN pattern of `Keys.pattern`: one namespace, so one slot, so
    on a cluster one server's scan (never every primary's, which other cities share)."""
    return list(client.scan_iter(match=pattern, count=1000,
                                 **slot_node(client, pattern.replace("\\", ""))))


def delete_matching(client: redis.Redis, pattern: str) -> int:
    """Delete every key matching a SCAN pattern of `Keys.pattern`, in chunks; returns how
    many."""
    keys = matching(client, pattern)
    for start in range(0, len(keys), 500):
        client.delete(*keys[start:start + 500])
    return len(keys)


def id_tuple(entry_id: str | None) -> tuple[int, int]:
    """A stream id as a comparable tuple; None sorts first."""
    if not entry_id:
        return (-1, -1)
    ms, _, seq = entry_id.partition("-")
    return (int(ms), int(seq or 0))


__all__ = ["INCIDENTS", "OFFICERS", "STREAMS", "Claimed", "EventStore", "Keys", "Loaded",
           "deferred_confirmation", "delete_matching", "id_tuple", "matching"]

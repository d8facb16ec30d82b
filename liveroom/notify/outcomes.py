"""What became of each message in the outbox, one owner for its keys (`Keys.notify`).

A message's state: `waiting` (no provider configured for its channel), `sending` (recorded
before the provider is called), `retry` (failed for now; `next_at`), and at the end `sent`,
`failed` (permanent, or dead after `notify_max_attempts`) or `unknown` (found `sending`
after a crash: never sent again, at most once). Per incident a hash of its messages' states
for the wall's panel; per day and channel the counts sent and failed for the KPIs.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import redis

from liveroom.connections import slot_pipeline
from liveroom.notify.outbox import MARKER_DAYS, Outgoing
from liveroom.room import LiveRoom

FINAL = frozenset({"sent", "failed", "unknown"})
COUNTS_DAYS = 400


def state(room: LiveRoom, entry_id: str) -> dict[str, str]:
    return room.redis.hgetall(room.keys.notify("message", entry_id))


def record(room: LiveRoom, entry_id: str, message: Outgoing, new_state: str, *,
           expect: str | None = None, **fields: str | int | float) -> bool:
    """Set a message's state (and `fields`: attempts, error, provider_id, next_at) and its
    incident's view of it, in one transaction; a final state counts once per day. With
    `expect`, only if the state still is that (a sender whose lease ran out mid-call finds
    its message marked `unknown` by the next: that stays); whether it was set."""
    keys, ttl = room.keys, MARKER_DAYS * 86400
    key = keys.notify("message", entry_id)
    with slot_pipeline(room.redis, key, transaction=True) as pipe:
        if expect is not None:
            pipe.watch(key)
            if pipe.hget(key, "state") != expect:
                return False
            pipe.multi()
        pipe.hset(key, mapping={"state": new_state, "channel": message.channel,
                                **{name: str(value) for name, value in fields.items()}})
        pipe.expire(key, ttl)
        if message.incident_id:
            pipe.hset(keys.notify("incident", message.incident_id), entry_id, new_state)
            pipe.expire(keys.notify("incident", message.incident_id), ttl)
        if new_state in FINAL:
            today = room.clock().astimezone(room.city.timezone).date()
            day = keys.notify("counts", today.isoformat())
            outcome = "sent" if new_state == "sent" else "failed"
            pipe.hincrby(day, f"{outcome}:{message.channel}", 1)
            pipe.expire(day, COUNTS_DAYS * 86400)
        try:
            pipe.execute()
        except redis.WatchError:
            return False
    return True


def confirm(room: LiveRoom, entry_id: str) -> None:
    """With `redis_min_replicas`, wait until that many replicas have the message's state
    (NotReplicated if not): a `sending` a failover forgot would let it be sent twice."""
    if room.settings.redis_min_replicas:
        room.store.confirm(room.keys.notify("message", entry_id), MARKER_DAYS * 86400)


def of_incident(room: LiveRoom, incident_id: str) -> Counter[str]:
    """How many of an incident's messages are sent, waiting, failed (`unknown` counts as
    failed: not confirmed) and on their way (`pending`)."""
    states = room.redis.hvals(room.keys.notify("incident", incident_id))
    named = {"sent": "sent", "waiting": "waiting", "failed": "failed", "unknown": "failed"}
    return Counter(named.get(s, "pending") for s in states)


def per_channel(room: LiveRoom, first: date, last: date) -> dict[str, dict[str, int]]:
    """Messages sent and failed per channel from `first` to `last` (the city's days)."""
    days = [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]
    with slot_pipeline(room.redis, room.keys.notify("counts"), transaction=False) as pipe:
        for day in days:
            pipe.hgetall(room.keys.notify("counts", day))
        replies = pipe.execute()
    totals: dict[str, dict[str, int]] = {}
    for reply in replies:
        for name, value in reply.items():
            outcome, _, channel = name.partition(":")
            row = totals.setdefault(channel, {"sent": 0, "failed": 0})
            row[outcome] = row.get(outcome, 0) + int(value)
    return totals

"""Commands sent again are done once: a phone that queued actions while offline replays
them with the key it gave each (`Idempotency-Key`), and a replay gets the first outcome
back — the same result or the same refusal — without appending anything again.

With `LIVEROOM_REDIS_MIN_REPLICAS`, a command done on the primary but not confirmed by a
replica keeps its outcome and is refused (503): the replay does not do it again, it waits
for the replicas to confirm it and then answers with it. A first attempt that never ended
(its process killed, its Redis failed over) frees its key after `PENDING_SECONDS`."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import orjson

from liveroom.access import Principal
from liveroom.domain.errors import InvalidCommand, TryAgain
from liveroom.room import LiveRoom
from liveroom.streams import deferred_confirmation

#: how long an outcome is kept for replays (a phone offline for a shift and then some)
KEPT_SECONDS = 2 * 24 * 3600
#: how long a first attempt may run before a replay may run it instead (commands take
#: milliseconds; one that takes this long died with its process)
PENDING_SECONDS = 15
PENDING = "pending"
KEY = re.compile(r"^[A-Za-z0-9_.:-]{8,128}$")


class StillRunning(TryAgain):
    """The first attempt with this key has not finished yet."""

    code = "still_running"


def once(room: LiveRoom, by: Principal, key: str,
         command: Callable[[], tuple[int, object]], *, action: str = "") -> tuple[int, object]:
    """(status, body) of `command`, run at most once for this principal, key and `action`
    (what the command is: its method and path; a key sent again for another action is
    not a replay of the first, whose outcome would be no answer to it)."""
    if not KEY.match(key):
        raise InvalidCommand("Idempotency-Key must be 8 to 128 letters, digits or . _ : -")
    slot = room.live.idempotency(by.actor, key, action)
    if room.redis.set(slot, PENDING, nx=True, ex=PENDING_SECONDS):
        try:
            with deferred_confirmation() as unconfirmed:
                status, body = command()
        except BaseException:
            room.redis.delete(slot)  # not done: the next attempt runs it
            raise
        room.redis.set(slot, orjson.dumps([status, body]), ex=KEPT_SECONDS)
        if unconfirmed:  # done, kept, not yet confirmed: confirmed now, or refused
            room.store.confirm(slot, KEPT_SECONDS)
        return status, body
    for _ in range(50):  # a first attempt in flight: wait for its outcome
        stored = room.redis.get(slot)
        if stored is None:  # it failed and let go: run now
            return once(room, by, key, command, action=action)
        if stored != PENDING:
            room.store.confirm(slot, KEPT_SECONDS)  # (on the replicas, if they are asked)
            status, body = orjson.loads(stored)
            return status, body
        time.sleep(0.1)
    raise StillRunning(f"the action {key!r} is still being carried out; send it again")

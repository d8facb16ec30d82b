"""Who is on it: a short lease on an incident while an operator has it open on a screen.

Each incident with someone on it has one hash (`Keys.handling`): per holder (their actor),
when they took it, until when it runs and their name. A lease runs
`handling_lease_seconds` and is renewed by taking it again; a second operator taking it
becomes a co-holder and is told who was there first (a warning, not a refusal: the
version check refuses a second write, the lease only saves the wasted work). Releasing
frees one's own lease, nobody else's. Times are Redis's own (`TIME`), so nothing here
hands Redis a moment of this process's clock.

A take that makes someone a holder, and every release (even of a lease that ran out
meanwhile), append the incident to the live model's `changes` stream in the same script:
every screen's push learns of it as of any change. An expiry alone is not announced:
screens drop it with their next refresh of the queue (at the latest, the minute's).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

import redis

from liveroom.access import Action, Principal
from liveroom.domain.errors import DomainError, NotFound
from liveroom.live.projection import CHANGES_KEPT
from liveroom.room import LiveRoom

log = logging.getLogger(__name__)

# a holder's value: "<taken ms> <until ms> <name>"; expired holders are dropped on the way
_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
"""
_TAKE = _NOW + """
local ttl = tonumber(ARGV[3])
local fields = redis.call('HGETALL', KEYS[1])
local others, mine, dropped, latest = {}, nil, false, now + ttl
for i = 1, #fields, 2 do
  local taken, til, name = string.match(fields[i + 1], '^(%d+) (%d+) (.*)$')
  if not taken or tonumber(til) <= now then
    redis.call('HDEL', KEYS[1], fields[i])
    dropped = true
  elseif fields[i] == ARGV[1] then
    mine = taken
  else
    others[#others + 1] = taken
    others[#others + 1] = fields[i]
    others[#others + 1] = name
    latest = math.max(latest, tonumber(til))
  end
end
redis.call('HSET', KEYS[1], ARGV[1], (mine or now) .. ' ' .. (now + ttl) .. ' ' .. ARGV[2])
redis.call('PEXPIRE', KEYS[1], latest - now)
if dropped or not mine then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'incidents', ARGV[4], 'officers', '')
end
return others
"""
# announced even when the lease ran out first: expiries are not, and screens may still show it
_RELEASE = """
local had = redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'incidents', ARGV[2], 'officers', '')
return had
"""
_HOLDERS = _NOW + """
local found = {}
for k = 1, #KEYS do
  local fields, held = redis.call('HGETALL', KEYS[k]), {}
  for i = 1, #fields, 2 do
    local taken, til, name = string.match(fields[i + 1], '^(%d+) (%d+) (.*)$')
    if taken and tonumber(til) > now then
      held[#held + 1] = taken
      held[#held + 1] = fields[i]
      held[#held + 1] = name
    end
  end
  found[k] = held
end
return found
"""


@dataclass(frozen=True)
class Holder:
    """Someone with the incident open: how screens name them, and their actor."""

    name: str
    actor: str


def _holders(flat: Sequence[str]) -> list[Holder]:
    """From the scripts' (taken, actor, name) triples: the first to take it first."""
    triples = sorted(zip(flat[0::3], flat[1::3], flat[2::3], strict=True),
                     key=lambda t: (int(t[0]), t[1]))
    return [Holder(name=name, actor=actor) for _, actor, name in triples]


def take(room: LiveRoom, incident_id: str, by: Principal) -> list[Holder]:
    """Take (or renew) `by`'s lease on the incident; the others holding it, first first
    (empty: nobody else is on it). NotFound once the incident left the live model."""
    agency = room.redis.hget(room.live.incident(incident_id), "agency")
    if agency is None:
        raise NotFound(f"no live incident {incident_id!r}")
    by.check(Action.VIEW_LIVE, agency)
    ttl_ms = max(1, round(room.settings.handling_lease_seconds * 1000))
    others = room.redis.register_script(_TAKE)(
        keys=[room.keys.handling(incident_id), room.live.changes],
        args=[by.actor, by.name, ttl_ms, incident_id, CHANGES_KEPT])
    return _holders(others)


def release(room: LiveRoom, incident_id: str, by: Principal) -> bool:
    """Give up `by`'s own lease (others keep theirs); whether there was one."""
    return bool(room.redis.register_script(_RELEASE)(
        keys=[room.keys.handling(incident_id), room.live.changes],
        args=[by.actor, incident_id, CHANGES_KEPT]))


def holders(room: LiveRoom, incident_ids: Sequence[str]) -> dict[str, list[Holder]]:
    """Who holds each of these incidents now (one round trip); those nobody holds left out."""
    if not incident_ids:
        return {}
    found = room.redis.register_script(_HOLDERS)(
        keys=[room.keys.handling(i) for i in incident_ids])
    return {i: _holders(flat) for i, flat in zip(incident_ids, found, strict=True) if flat}


#: what a screen's `selected` answers when it cannot tell (a browser too busy to answer)
UNKNOWN = "\0unknown"
#: unanswered renewals in a row after which the screen's lease is let go
SILENT_ROUNDS = 2


async def keep(room: LiveRoom, by: Principal, selected: Callable[[], Awaitable[str | None]],
               closed: Callable[[], bool], every: float | None = None) -> None:
    """A screen's heartbeat: every `every` seconds (a third of the lease), renew the lease on
    the incident the screen has open (`selected`; None: none, or another page); release
    one it no longer has open, and the last one when the screen goes away or stops
    answering (`SILENT_ROUNDS` unanswered questions in a row)."""
    every = every or room.settings.handling_lease_seconds / 3
    held: str | None = None
    taking: asyncio.Future | None = None  # the last take, in its thread
    silent = 0  # renewals in a row the screen did not answer
    try:
        while not closed():
            current = await selected()
            silent = silent + 1 if current == UNKNOWN else 0
            if current == UNKNOWN:  # busy: unchanged, once; silent twice: gone (a socket
                current = held if silent < SILENT_ROUNDS else None  # not yet seen closed)
            try:
                if held and current != held:
                    await asyncio.to_thread(release, room, held, by)
                held = current  # (before taking: a take cut short by the screen going
                if current:  # away still completes in its thread, then is let go below)
                    taking = asyncio.ensure_future(asyncio.to_thread(take, room, current, by))
                    try:
                        await asyncio.shield(taking)
                    except DomainError:  # gone meanwhile, or not theirs to see
                        held = None
            except redis.RedisError as exc:  # away (failing over): the next round tries again
                log.warning("renewing a screen's handling lease failed: %s", exc)
            await asyncio.sleep(every)
    finally:
        if taking is not None:
            await asyncio.wait([taking])  # (its outcome was read above, or does not matter)
        if held:
            await asyncio.to_thread(release, room, held, by)

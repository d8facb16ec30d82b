"""Server-side sessions, login throttling and per-key rate limits, all in Redis.

A session is a random token in an HttpOnly cookie; Redis holds who it is, with
a sliding expiry. Sessions are indexed by user and by credential so that a
password change, a disabled user or a revoked kiosk link ends them at once.
Signed-in screens need no archive; bearer secrets (API tokens and keys, kiosk links,
devices) live in the archive, and what it said of them is kept here for while it is down.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import orjson

from liveroom.access.roles import Principal, Role
from liveroom.access.secrets import digest, new_secret
from liveroom.connections import slot_pipeline
from liveroom.room import LiveRoom

USER_SESSION_SECONDS = 12 * 3600
KIOSK_SESSION_SECONDS = 30 * 24 * 3600
FREE_ATTEMPTS = 5  # wrong passwords for one username from one address
FREE_ATTEMPTS_PER_ADDRESS = 20  # for any usernames from one address (password spraying)
MAX_LOCK_SECONDS = 15 * 60


def _key(room: LiveRoom, *parts: str) -> str:
    return ":".join((room.keys.ns, *parts))


def start_session(room: LiveRoom, principal: Principal, *, seconds: int,
                  username: str | None = None, credential_id: str | None = None) -> str:
    token = new_secret("session")
    key = _key(room, "session", digest(token))
    data = {**_principal_data(principal), "seconds": seconds}
    with slot_pipeline(room.redis, key) as pipe:
        pipe.set(key, orjson.dumps(data), ex=seconds)
        for owner in _owners(username, credential_id):
            pipe.sadd(_key(room, "sessions", owner), digest(token))
            pipe.expire(_key(room, "sessions", owner), KIOSK_SESSION_SECONDS)
        pipe.execute()
    return token


def session_principal(room: LiveRoom, token: str | None) -> Principal | None:
    """Who holds this session token (and keep it alive), or None."""
    if not token:
        return None
    key = _key(room, "session", digest(token))
    raw = room.redis.get(key)
    if raw is None:
        return None
    data = orjson.loads(raw)
    room.redis.expire(key, data["seconds"])
    return _principal_of(data)


def end_session(room: LiveRoom, token: str | None) -> None:
    if token:
        room.redis.delete(_key(room, "session", digest(token)))


def end_sessions_of(room: LiveRoom, *, username: str | None = None,
                    credential_id: str | None = None) -> int:
    """End every session of a user or of a credential (kiosk link); returns how many."""
    ended = 0
    for owner in _owners(username, credential_id):
        index = _key(room, "sessions", owner)
        hashes = room.redis.smembers(index)
        if hashes:
            ended += room.redis.delete(*(_key(room, "session", h) for h in hashes))
        room.redis.delete(index)
    return ended


def _principal_data(principal: Principal) -> dict:
    return {"kind": principal.kind, "name": principal.name, "roles": sorted(principal.roles),
            "agencies": sorted(principal.agencies), "officer_id": principal.officer_id}


def _principal_of(data: dict) -> Principal:
    return Principal(kind=data["kind"], name=data["name"],
                     roles=frozenset(Role(r) for r in data["roles"]),
                     agencies=frozenset(data["agencies"]), officer_id=data["officer_id"])


# --- bearer secrets' principals, for while the archive is down -----------------------------

#: what the archive said a secret (by its digest) stands for: (kind, principal, credential id)
Found = tuple[str, Principal, str]


def remember_principals(room: LiveRoom, version: str | None, found: Mapping[str, Found]
                        ) -> None:
    """Keep in Redis what the archive said these secrets stand for, under the credentials'
    version read before asking it (`credentials_version`): any credential or user change
    bumps the version, so a secret revoked since is never found here."""
    if not found:
        return
    key = _key(room, "principals", version or "0")
    pipe = room.redis.pipeline(transaction=False)
    pipe.hset(key, mapping={digested: orjson.dumps({**_principal_data(principal), "as": kind,
                                                    "id": credential_id})
                            for digested, (kind, principal, credential_id) in found.items()})
    pipe.expire(key, KIOSK_SESSION_SECONDS)
    pipe.execute()


def remembered_principal(room: LiveRoom, version: str | None, digested: str) -> Found | None:
    """What `remember_principals` kept for this secret's digest at this version, or None."""
    raw = room.redis.hget(_key(room, "principals", version or "0"), digested)
    if raw is None:
        return None
    data = orjson.loads(raw)
    return data["as"], _principal_of(data), data["id"]


def forget_principals(room: LiveRoom, version: str | None) -> None:
    """Drop what was kept at a version that no longer holds."""
    room.redis.delete(_key(room, "principals", version or "0"))


def _owners(username: str | None, credential_id: str | None) -> Iterable[str]:
    if username:
        yield f"user:{username}"
    if credential_id:
        yield f"credential:{credential_id}"


# --- throttling --------------------------------------------------------------------------

def locked_for(room: LiveRoom, *subjects: str) -> int:
    """Seconds until any of these subjects (a username, a client address) may try again."""
    ttls = [room.redis.pttl(_key(room, "throttle", "lock", s)) for s in subjects]
    return max([math.ceil(ttl / 1000) for ttl in ttls if ttl > 0], default=0)


def record_failure(room: LiveRoom, subject: str, free_attempts: int = FREE_ATTEMPTS) -> int:
    """After `free_attempts` failures, each further one doubles the subject's wait (up to
    15 min); failures are forgotten a day after the last. The wait it now has (0: none)."""
    failures = room.redis.incr(_key(room, "throttle", "count", subject))
    room.redis.expire(_key(room, "throttle", "count", subject), 24 * 3600)
    if failures < free_attempts:
        return 0
    seconds = min(2 ** (failures - free_attempts), MAX_LOCK_SECONDS)
    room.redis.set(_key(room, "throttle", "lock", subject), 1, ex=seconds)
    return seconds


def record_success(room: LiveRoom, *subjects: str) -> None:
    for subject in subjects:
        room.redis.delete(_key(room, "throttle", "count", subject),
                          _key(room, "throttle", "lock", subject))


# --- rate limits -------------------------------------------------------------------------

def lookups_refused(room: LiveRoom, client: str, count: int = 1) -> int:
    """Count `count` look-ups of reports by tracking number from a client address (the
    citizen page and Open311 share the budget); seconds to wait, or 0."""
    return rate_limited(room, f"lookup:{client}", room.settings.lookups_per_minute, 60, count)


def rate_limited(room: LiveRoom, subject: str, limit: int, window_seconds: int,
                 cost: int = 1) -> int:
    """Count a request (`cost` for one asking for several things); 0 if within `limit` per
    window, else seconds until the next window."""
    key = _key(room, "rate", subject)
    with slot_pipeline(room.redis, key) as pipe:
        pipe.set(key, 0, ex=window_seconds, nx=True)  # the window starts with its first request
        pipe.incrby(key, cost)
        pipe.ttl(key)
        _, count, ttl = pipe.execute()
    return 0 if count <= limit else max(int(ttl), 1)

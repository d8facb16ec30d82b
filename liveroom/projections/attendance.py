"""The attendance policy: what happens because of a fix (a reactor, not a view).

For each location fix, in stream order, it
- checks it for signs of spoofing (`domain.integrity`) and appends a `FixFlagged`
  event per sign, with the evidence;
- on a clean, fresh fix inside the officer's own post, checks the officer in (within
  their shift's window) or, once the shift is over, out.
`sweep` checks out whoever is still on duty an hour after their shift ended.

It runs under the same lease and consumer group as the projections. It is never
replayed by a rebuild, and it acts only on fixes younger than `FRESH`, so re-reading
old entries (after a crash) cannot check anyone in or out late; the domain refuses
duplicate check-ins, and repeated flags are stored once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import orjson

from liveroom.access import SYSTEM
from liveroom.domain.errors import DomainError
from liveroom.domain.events import FixFlagged, OfficerLocated
from liveroom.domain.integrity import LastFix, check_fix
from liveroom.domain.officer import Officer, shift_of
from liveroom.projections.base import CheckpointMoved, DeadLetter, Entry, Projection
from liveroom.services.officers import check_in, check_out, get_officer

log = logging.getLogger("liveroom.attendance")
FRESH = timedelta(minutes=10)
CHECK_OUT_AFTER = timedelta(hours=1)  # still on duty this long after the shift: checked out


class AttendancePolicy(Projection):
    name = "attendance-policy"
    stream = "officers"

    def checkpoint(self) -> str | None:
        return self.room.redis.get(self.room.keys.checkpoint(self.name))

    @property
    def memory_key(self) -> str:
        return self.room.keys.view("policy", "last-fix")

    def reset(self) -> None:
        self.room.redis.delete(self.room.keys.checkpoint(self.name), self.memory_key)

    def apply(self, entries: list[Entry], expected: str | None) -> list[DeadLetter]:
        room = self.room
        fixes = [(e.id, e.event) for e in entries if isinstance(e.event, OfficerLocated)]
        officer_ids = sorted({fix.officer_id for _, fix in fixes})
        stored = room.redis.hmget(self.memory_key, officer_ids) if officer_ids else []
        memory = {oid: _load(raw) for oid, raw in zip(officer_ids, stored, strict=True)}
        officers: dict[str, Officer] = {}
        flagged: list[FixFlagged] = []
        for entry_id, fix in fixes:
            flags, memory[fix.officer_id] = check_fix(memory[fix.officer_id], fix,
                                                      room.settings.max_speed_kmh)
            flagged.extend(FixFlagged(
                officer_id=fix.officer_id, occurred_at=room.clock(), actor=SYSTEM.actor,
                fix_id=entry_id, rule=flag.rule, lat=fix.lat, lon=fix.lon,
                fix_at=fix.occurred_at, evidence=flag.evidence) for flag in flags)
            if not flags and room.clock() - fix.occurred_at <= FRESH:
                self._attend(fix, officers)
        if flagged:
            room.store.append_many(flagged)
        key = room.keys.checkpoint(self.name)
        with room.redis.pipeline() as pipe:
            pipe.watch(key)
            if pipe.get(key) != expected:
                raise CheckpointMoved(self.name)
            pipe.multi()
            if memory:
                pipe.hset(self.memory_key, mapping={
                    oid: _dump(last) for oid, last in memory.items() if last is not None})
            pipe.set(key, entries[-1].id)
            pipe.execute()
        return []

    def _attend(self, fix: OfficerLocated, officers: dict[str, Officer]) -> None:
        room = self.room
        officer = officers.get(fix.officer_id)
        if officer is None:
            officer = officers[fix.officer_id] = get_officer(room, fix.officer_id)
        post = room.city.posts.get(officer.post_id or "")
        if post is None or not officer.active or not post.contains(fix.lat, fix.lon):
            return
        try:
            if officer.on_duty_post is None:
                left = officer.left_early_until and fix.occurred_at < officer.left_early_until
                if not left and shift_of(room.city, officer).instance_at(fix.occurred_at,
                                                                         room.city.timezone):
                    officers[officer.id] = check_in(
                        room, officer.id, post_id=post.id, lat=fix.lat, lon=fix.lon,
                        accuracy=fix.accuracy, method="fix", at=fix.occurred_at, by=SYSTEM)
            elif officer.shift_end and fix.occurred_at >= officer.shift_end:
                officers[officer.id] = check_out(
                    room, officer.id, method="fix", lat=fix.lat, lon=fix.lon,
                    at=fix.occurred_at, by=SYSTEM)
        except DomainError as exc:  # e.g. checked in meanwhile from the phone
            log.info("attendance for %s not changed: %s", officer.id, exc)
            officers.pop(officer.id, None)

    def sweep(self) -> list[str]:
        """Check out, at their shift's end, officers still on duty an hour after it."""
        room = self.room
        on_duty = set()
        for agency in room.city.agencies:
            on_duty |= room.redis.smembers(room.keys.view("on_duty", agency))
        done = []
        for officer_id in sorted(on_duty):
            try:
                officer = get_officer(room, officer_id)
                if officer.shift_end and room.clock() >= officer.shift_end + CHECK_OUT_AFTER:
                    check_out(room, officer_id, method="shift_end", at=officer.shift_end,
                              by=SYSTEM)
                    done.append(officer_id)
            except DomainError as exc:
                log.info("shift-end check-out of %s skipped: %s", officer_id, exc)
        return done


def _load(raw: str | None) -> LastFix | None:
    if not raw:
        return None
    data = orjson.loads(raw)
    return LastFix(datetime.fromisoformat(data["at"]), data["lat"], data["lon"],
                   data["repeats"], data["same_place"])


def _dump(last: LastFix) -> str:
    return orjson.dumps({"at": last.at.isoformat(), "lat": last.lat, "lon": last.lon,
                         "repeats": last.repeats, "same_place": last.same_place}).decode()

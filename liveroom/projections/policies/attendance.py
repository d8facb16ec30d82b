"""The attendance policy: what happens because of a fix (a reactor, not a view).

For each location fix, in stream order, it
- checks it for signs of spoofing (`domain.integrity`) and appends a `FixFlagged`
  event per sign, with the evidence;
- follows each clean fix into the officer's trail (where the day began, who sent);
- on a clean, fresh fix inside the officer's own post, checks the officer in (within
  their shift's window) or, once the shift is over, out;
- marks a check-in for review when the officer's fixes showed no approach or came from
  two addresses (`domain.check_in_review`), with the evidence.
`sweep` checks out whoever is still on duty an hour after their shift ended.

It runs under the same lease and consumer group as the projections. It is never
replayed by a rebuild, and it acts only on fixes younger than `FRESH`, so re-reading
old entries (after a crash) cannot check anyone in or out late; the domain refuses
duplicate check-ins, and repeated flags are stored once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

import orjson
from pydantic import TypeAdapter

from liveroom.access import SYSTEM
from liveroom.commands.officers import check_in, check_out, get_officer
from liveroom.domain.check_in_review import Trail, follow, marked, review_marks
from liveroom.domain.errors import DomainError
from liveroom.domain.events import CheckInMarkedForReview, Event, FixFlagged, OfficerLocated
from liveroom.domain.integrity import LastFix, check_fix
from liveroom.domain.officer import Officer, shift_of
from liveroom.projections.base import DeadLetter, Entry, Policy

log = logging.getLogger("liveroom.attendance")
FRESH = timedelta(minutes=10)
CHECK_OUT_AFTER = timedelta(hours=1)  # still on duty this long after the shift: checked out


class AttendancePolicy(Policy):
    name = "attendance-policy"
    stream = "officers"

    @property
    def memory_key(self) -> str:
        return self.room.live.policy_memory

    def reset(self) -> None:
        self.room.redis.delete(self.room.keys.checkpoint(self.name), self.memory_key)

    def apply(self, entries: list[Entry], expected: str | None) -> list[DeadLetter]:
        room = self.room
        fixes = [(e.id, e.event) for e in entries if isinstance(e.event, OfficerLocated)]
        officer_ids = sorted({fix.officer_id for _, fix in fixes})
        stored = room.redis.hmget(self.memory_key, officer_ids) if officer_ids else []
        memory = {oid: Memory.load(raw) for oid, raw in zip(officer_ids, stored, strict=True)}
        officers: dict[str, Officer] = {}
        appended: list[Event] = []
        for entry_id, fix in fixes:
            remembered = memory[fix.officer_id]
            flags, last = check_fix(remembered.last, fix, room.settings.max_speed_kmh)
            remembered.last = last
            appended.extend(FixFlagged(
                officer_id=fix.officer_id, occurred_at=room.clock(), actor=SYSTEM.actor,
                fix_id=entry_id, rule=flag.rule, lat=fix.lat, lon=fix.lon,
                fix_at=fix.occurred_at, evidence=flag.evidence) for flag in flags)
            if not flags:
                appended.extend(self._attend(fix, officers, remembered))
        if appended:
            room.store.append_many(appended)
        kept = {oid: m.dump() for oid, m in memory.items() if m.last is not None}
        self.advance(expected, entries[-1].id,
                     lambda pipe: pipe.hset(self.memory_key, mapping=kept) if kept else None)
        return []

    def _attend(self, fix: OfficerLocated, officers: dict[str, Officer],
                remembered: Memory) -> list[CheckInMarkedForReview]:
        """Follow the officer's trail with this clean fix; if it is fresh, check in or out
        on it. Returns the marks for review it earns."""
        room = self.room
        officer = officers.get(fix.officer_id)
        if officer is None:
            officer = officers[fix.officer_id] = get_officer(room, fix.officer_id)
        post = room.city.posts.get(officer.post_id or "")
        if post is None or not officer.active:
            return []
        inside = post.contains(fix.lat, fix.lon)
        day = fix.occurred_at.astimezone(room.city.timezone).date()
        remembered.trail = trail = follow(remembered.trail, fix, inside, day)
        if room.clock() - fix.occurred_at > FRESH:  # evidence of the way, but too old to act on
            return []
        try:
            if officer.on_duty_post is None and inside:
                left = officer.left_early_until and fix.occurred_at < officer.left_early_until
                if not left and shift_of(room.city, officer).instance_at(fix.occurred_at,
                                                                         room.city.timezone):
                    officer = officers[officer.id] = check_in(
                        room, officer.id, post_id=post.id, lat=fix.lat, lon=fix.lon,
                        accuracy=fix.accuracy, method="fix", at=fix.occurred_at, by=SYSTEM)
            elif inside and officer.shift_end and fix.occurred_at >= officer.shift_end:
                officers[officer.id] = check_out(
                    room, officer.id, method="fix", lat=fix.lat, lon=fix.lon,
                    at=fix.occurred_at, by=SYSTEM)
                return []
        except DomainError as exc:  # e.g. checked in meanwhile from the phone
            log.info("attendance for %s not changed: %s", officer.id, exc)
            officers.pop(officer.id, None)
            return []
        if officer.on_duty_post is None or officer.checked_in_at is None:
            return []
        marks = review_marks(trail, officer.checked_in_at, fix.occurred_at)
        remembered.trail = marked(trail, officer.checked_in_at, marks)
        return [CheckInMarkedForReview(
            officer_id=officer.id, occurred_at=room.clock(), actor=SYSTEM.actor,
            checked_in_at=officer.checked_in_at, rule=mark.rule, evidence=mark.evidence)
            for mark in marks]

    def sweep(self) -> list[str]:
        """Check out, at their shift's end, officers still on duty an hour after it."""
        room = self.room
        on_duty = set()
        for agency in room.city.agencies:
            on_duty |= room.redis.smembers(room.live.on_duty(agency))
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


@dataclass
class Memory:
    """What the policy remembers of an officer between fixes (one hash field each)."""

    last: LastFix | None = None  # for the spoofing checks
    trail: Trail | None = None  # for the review marks

    @classmethod
    def load(cls, raw: str | None) -> Memory:
        if not raw:
            return cls()
        data = orjson.loads(raw)
        return _MEMORY.validate_python(data if "last" in data else {"last": data})
        # (before trails, the field held the last fix alone)

    def dump(self) -> str:
        return _MEMORY.dump_json(self).decode()


_MEMORY = TypeAdapter(Memory)

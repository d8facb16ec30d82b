"""Should a supervisor look at a check-in? Pure checks of what an officer's fixes showed.

A check-in by fix that passes the spoofing checks (`domain.integrity`) counts. It is
also *marked for review*, with the evidence, when
- `no_approach`: the officer's first fix of the day (in the city's time) was already
  inside the post, so nothing showed them arriving (a phone switched on at the post does
  this too; so does a fix forged with the post's coordinates);
- `two_addresses`: fixes for the officer came from two client addresses within
  `ADDRESS_WINDOW`: the device's id used by two senders (or one phone changing networks).
  Checked at the check-in and for as long as the officer is on duty.
Each rule marks a check-in once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from liveroom.domain.events import OfficerLocated
from liveroom.domain.integrity import Flag

ADDRESS_WINDOW = timedelta(minutes=10)
KEPT_SENDERS = 4  # the latest fixes' senders remembered, within the window


@dataclass(frozen=True)
class Sender:
    address: str
    at: datetime
    actor: str


@dataclass(frozen=True)
class Trail:
    """What the checks remember of an officer's day."""

    day: date
    first_at: datetime  # the day's first fix
    first_lat: float
    first_lon: float
    first_inside: bool  # ... was already inside the post
    senders: tuple[Sender, ...] = ()  # the latest fixes that said where they came from
    marked: tuple[str, ...] = ()  # rules already marked for the check-in below
    marked_for: datetime | None = None  # that check-in's time


def follow(trail: Trail | None, fix: OfficerLocated, inside: bool, day: date) -> Trail:
    """The trail after a clean fix; `inside` says whether it is inside the officer's post,
    `day` is its day in the city's time."""
    if trail is None:
        trail = Trail(day, fix.occurred_at, fix.lat, fix.lon, inside)
    elif day > trail.day:  # (what was marked, and who sent, carry over midnight)
        trail = replace(trail, day=day, first_at=fix.occurred_at, first_lat=fix.lat,
                        first_lon=fix.lon, first_inside=inside)
    if fix.client:
        recent = tuple(s for s in trail.senders if fix.occurred_at - s.at <= ADDRESS_WINDOW)
        trail = replace(trail, senders=(*recent, Sender(fix.client, fix.occurred_at,
                                                        fix.actor))[-KEPT_SENDERS:])
    return trail


def review_marks(trail: Trail, checked_in_at: datetime, at: datetime) -> list[Flag]:
    """The marks the check-in of `checked_in_at` earns by a fix at `at` (the check-in's
    own fix, or a later one while on duty) and has not had yet."""
    marks = []
    if at == checked_in_at and trail.first_inside:
        marks.append(Flag("no_approach", {
            "first_fix_at": trail.first_at.isoformat(), "lat": trail.first_lat,
            "lon": trail.first_lon}))
    senders = [s for s in trail.senders if abs(at - s.at) <= ADDRESS_WINDOW]
    if len({s.address for s in senders}) > 1:
        marks.append(Flag("two_addresses", {"fixes": [
            {"address": s.address, "at": s.at.isoformat(), "actor": s.actor}
            for s in senders]}))
    done = trail.marked if trail.marked_for == checked_in_at else ()
    return [mark for mark in marks if mark.rule not in done]


def marked(trail: Trail, checked_in_at: datetime, marks: list[Flag]) -> Trail:
    """The trail once `marks` are appended for that check-in."""
    done = trail.marked if trail.marked_for == checked_in_at else ()
    return replace(trail, marked=(*done, *(m.rule for m in marks)), marked_for=checked_in_at)

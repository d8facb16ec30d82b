"""The city at a glance, read from the live model: what the home page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liveroom.domain.lifecycle import TERMINAL, Status
from liveroom.room import LiveRoom

OPEN_STATUSES = tuple(status for status in Status if status not in TERMINAL)


@dataclass(frozen=True)
class Overview:
    at: datetime
    open_by_status: dict[str, int]
    closed_recently: int
    officers_on_duty: int

    @property
    def open_total(self) -> int:
        return sum(self.open_by_status.values())


def changes_channel(room: LiveRoom) -> str:
    """Pub/sub channel on which live projections announce each applied batch."""
    return room.keys.view("changed")


def overview(room: LiveRoom) -> Overview:
    pipe = room.redis.pipeline(transaction=False)
    for status in OPEN_STATUSES:
        pipe.zcard(room.keys.view("status", status.value))
    pipe.zcard(room.keys.view("recent"))
    for agency in room.city.agencies:
        pipe.scard(room.keys.view("on_duty", agency))
    counts = pipe.execute()
    open_counts = counts[: len(OPEN_STATUSES)]
    return Overview(
        at=room.clock().astimezone(room.city.timezone),
        open_by_status={s.value: n for s, n in zip(OPEN_STATUSES, open_counts, strict=True)},
        closed_recently=counts[len(OPEN_STATUSES)],
        officers_on_duty=sum(counts[len(OPEN_STATUSES) + 1:]),
    )

"""The city at a glance, read from the live model: what the home page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liveroom.access import Action, Principal
from liveroom.domain.lifecycle import TERMINAL, Status
from liveroom.room import LiveRoom

LATEST = 6
OPEN_STATUSES = tuple(status for status in Status if status not in TERMINAL)


@dataclass(frozen=True)
class FeedItem:
    """A report as the public sees it on a screen: its words stay the citizen's."""

    id: str
    category: str
    status: str
    district: str
    description: str
    reported_at: datetime


@dataclass(frozen=True)
class Overview:
    at: datetime
    open_by_status: dict[str, int]
    officers_on_duty: int
    latest: tuple[FeedItem, ...] = ()

    @property
    def open_total(self) -> int:
        return sum(self.open_by_status.values())


def changes_channel(room: LiveRoom) -> str:
    """Pub/sub channel on which live projections announce each applied batch."""
    return room.keys.view("changed")


def overview(room: LiveRoom, *, by: Principal) -> Overview:
    by.check(Action.VIEW_LIVE)
    pipe = room.redis.pipeline(transaction=False)
    for status in OPEN_STATUSES:
        pipe.zcard(room.keys.view("status", status.value))
    for agency in room.city.agencies:
        pipe.scard(room.keys.view("on_duty", agency))
    pipe.zrevrange(room.keys.view("feed"), 0, LATEST - 1)
    *counts, newest = pipe.execute()
    open_counts = counts[: len(OPEN_STATUSES)]
    return Overview(
        at=room.clock().astimezone(room.city.timezone),
        open_by_status={s.value: n for s, n in zip(OPEN_STATUSES, open_counts, strict=True)},
        officers_on_duty=sum(counts[len(OPEN_STATUSES):]),
        latest=latest_reports(room, newest),
    )


def latest_reports(room: LiveRoom, incident_ids: list[str]) -> tuple[FeedItem, ...]:
    pipe = room.redis.pipeline(transaction=False)
    for incident_id in incident_ids:
        pipe.hgetall(room.keys.view("incident", incident_id))
    items = []
    for data in pipe.execute():
        if not data:
            continue  # closed and expired from the live model
        district = room.city.districts.get(data.get("district", ""))
        items.append(FeedItem(
            id=data["id"], category=data["category"], status=data["status"],
            district=district.name if district else "", description=data["description"],
            reported_at=datetime.fromisoformat(data["reported_at"]).astimezone(
                room.city.timezone),
        ))
    return tuple(items)

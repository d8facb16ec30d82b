"""The city at a glance, read from the live model: what the home page shows."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime

from liveroom.access import Action, Principal
from liveroom.domain.lifecycle import TERMINAL, Status
from liveroom.live.screen_filter import EVERYTHING, ScreenFilter
from liveroom.room import LiveRoom

LATEST = 6
FILTERED_FIELDS = ["status", "agency", "district", "category"]
NO_AGENCY = frozenset({"-"})  # what a screen shows none of its principal's agencies with
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
class AgencyFigures:
    """One agency's headline: open incidents, unassigned, past an SLA deadline, on duty."""

    agency: str
    open: int
    unassigned: int
    breaching: int
    on_duty: int


@dataclass(frozen=True)
class Overview:
    at: datetime
    open_by_status: dict[str, int]
    officers_on_duty: int
    latest: tuple[FeedItem, ...] = ()
    agencies: tuple[AgencyFigures, ...] = ()
    #: incidents whose supervisors an escalation rule alerted, not yet acknowledged
    escalated: tuple[dict, ...] = ()

    @property
    def breaching(self) -> int:
        return sum(a.breaching for a in self.agencies)

    @property
    def open_total(self) -> int:
        return sum(self.open_by_status.values())


def visible(screen: ScreenFilter, by: Principal) -> ScreenFilter:
    """The screen's filter narrowed to the agencies the principal may see."""
    if not by.agencies:
        return screen
    allowed = screen.agency & by.agencies if screen.agency else frozenset(by.agencies)
    return replace(screen, agency=allowed or NO_AGENCY)


def overview(room: LiveRoom, *, by: Principal,
             screen: ScreenFilter = EVERYTHING) -> Overview:
    by.check(Action.VIEW_LIVE)
    screen = visible(screen, by)
    if screen.active:
        return _filtered_overview(room, screen)
    pipe = room.redis.pipeline(transaction=False)
    for status in OPEN_STATUSES:
        pipe.zcard(room.live.status(status.value))
    for agency in room.city.agencies:
        pipe.scard(room.live.on_duty(agency))
    pipe.zrevrange(room.live.feed, 0, LATEST - 1)
    *counts, newest = pipe.execute()
    open_counts = counts[: len(OPEN_STATUSES)]
    return Overview(
        at=room.clock().astimezone(room.city.timezone),
        open_by_status={s.value: n for s, n in zip(OPEN_STATUSES, open_counts, strict=True)},
        officers_on_duty=sum(counts[len(OPEN_STATUSES):]),
        latest=latest_reports(room, newest),
        agencies=agency_figures(room, list(room.city.agencies)),
        escalated=escalated(room, screen),
    )


def escalated(room: LiveRoom, screen: ScreenFilter, limit: int = 20, *,
              newest_first: bool = False) -> tuple[dict, ...]:
    """The incidents on the screen whose supervisors were alerted (`live.escalated`),
    the longest waiting first (or the latest alerted first); `screen` already narrowed to
    the principal's agencies."""
    pipe = room.redis.pipeline(transaction=False)
    for incident_id in room.redis.zrange(room.live.escalated, 0, -1, desc=newest_first):
        pipe.hgetall(room.live.incident(incident_id))
    found = [data for data in pipe.execute() if data and screen.admits(data)]
    return tuple(found[:limit])


def agency_figures(room: LiveRoom, agencies: list[str]) -> tuple[AgencyFigures, ...]:
    """Per agency: open, unassigned, past their acknowledge or resolve deadline, on duty."""
    now = int(room.clock().timestamp() * 1000)
    pipe = room.redis.pipeline(transaction=False)
    for agency in agencies:
        pipe.zcard(room.live.agency(agency))
        pipe.zcard(room.live.queue(agency))
        pipe.scard(room.live.on_duty(agency))
    for deadline in ("acknowledge", "resolve"):
        pipe.zrangebyscore(room.live.due(deadline), "-inf", now)
    *counts, late_ack, late_resolve = pipe.execute()
    late = sorted(set(late_ack) | set(late_resolve))
    pipe = room.redis.pipeline(transaction=False)
    for incident_id in late:
        pipe.hget(room.live.incident(incident_id), "agency")
    breaching = Counter(pipe.execute() if late else [])
    return tuple(AgencyFigures(agency, *counts[3 * n: 3 * n + 2], breaching[agency],
                               counts[3 * n + 2]) for n, agency in enumerate(agencies))


def _filtered_overview(room: LiveRoom, screen: ScreenFilter) -> Overview:
    """The same figures, counting only what the screen shows (reads each open incident)."""
    pipe = room.redis.pipeline(transaction=False)
    for status in OPEN_STATUSES:
        pipe.zrange(room.live.status(status.value), 0, -1)
    ids = [i for group in pipe.execute() for i in group]
    pipe = room.redis.pipeline(transaction=False)
    for incident_id in ids:
        pipe.hmget(room.live.incident(incident_id), FILTERED_FIELDS)
    counts = dict.fromkeys((s.value for s in OPEN_STATUSES), 0)
    for values in pipe.execute():
        fields = dict(zip(FILTERED_FIELDS, values, strict=True))
        if fields["status"] in counts and screen.admits(fields):
            counts[fields["status"]] += 1
    agencies = [a for a in room.city.agencies if screen.admits_agency(a)]
    pipe = room.redis.pipeline(transaction=False)
    for agency in agencies:
        pipe.scard(room.live.on_duty(agency))
    pipe.zrevrange(room.live.feed, 0, -1)
    *on_duty, newest = pipe.execute()
    return Overview(at=room.clock().astimezone(room.city.timezone), open_by_status=counts,
                    officers_on_duty=sum(on_duty),
                    latest=latest_reports(room, newest, screen)[:LATEST],
                    agencies=agency_figures(room, agencies),
                    escalated=escalated(room, screen))


def latest_reports(room: LiveRoom, incident_ids: list[str],
                   screen: ScreenFilter = EVERYTHING) -> tuple[FeedItem, ...]:
    pipe = room.redis.pipeline(transaction=False)
    for incident_id in incident_ids:
        pipe.hgetall(room.live.incident(incident_id))
    items = []
    for data in pipe.execute():
        if not data or not screen.admits(data):
            continue  # closed and expired from the live model, or not on this screen
        district = room.city.districts.get(data.get("district", ""))
        items.append(FeedItem(
            id=data["id"], category=data["category"], status=data["status"],
            district=district.name if district else "", description=data["description"],
            reported_at=datetime.fromisoformat(data["reported_at"]).astimezone(
                room.city.timezone),
        ))
    return tuple(items)

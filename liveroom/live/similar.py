"""Possible duplicates of a report being entered at the desk: the open incidents of its
category, or of its category's family (banjir, genangan, saluran tersumbat), within the
duplicate radius of where the caller is, nearest first. The operator adds the caller to
one of them (`commands.desk.add_reporter`) instead of creating a second incident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liveroom.access import Action, Principal
from liveroom.domain.errors import InvalidCommand
from liveroom.room import LiveRoom

FIELDS = ("category", "agency", "status", "reported_at", "reporters", "description")
#: nearby open incidents looked at, of any category, before filtering by family
LOOKED_AT = 50


@dataclass(frozen=True)
class Similar:
    id: str
    category: str
    status: str
    distance_m: float
    age_minutes: int
    reporters: int
    description: str


def similar_open_incidents(room: LiveRoom, category: str, lat: float, lon: float, *,
                           by: Principal, limit: int = 5) -> list[Similar]:
    """Open incidents of `category`'s family within the duplicate radius of (lat, lon) that
    `by` may see, nearest first."""
    by.check(Action.VIEW_LIVE)
    if category not in room.city.categories:
        raise InvalidCommand(f"unknown category {category[:64]!r}")
    related = room.city.related_categories(category)
    nearby = room.redis.geosearch(room.live.incidents_geo, longitude=lon, latitude=lat,
                                  radius=room.settings.duplicate_radius_m, unit="m",
                                  sort="ASC", withdist=True, count=LOOKED_AT)
    pipe = room.redis.pipeline(transaction=False)
    for incident_id, _ in nearby:
        pipe.hmget(room.live.incident(incident_id), FIELDS)
    now = room.clock()
    found = []
    for (incident_id, distance), values in zip(nearby, pipe.execute(), strict=True):
        fields = dict(zip(FIELDS, values, strict=True))
        if fields["category"] not in related or not fields["reported_at"]:
            continue
        if not by.can(Action.VIEW_LIVE, fields["agency"] or None):
            continue
        age = now - datetime.fromisoformat(fields["reported_at"])
        found.append(Similar(
            id=incident_id, category=fields["category"], status=fields["status"] or "",
            distance_m=round(float(distance)), age_minutes=max(0, int(age.total_seconds() // 60)),
            reporters=int(fields["reporters"] or 1), description=fields["description"] or ""))
    return found[:limit]

"""Possible duplicates of a report being entered at the desk: the open incidents of its
category, or of its category's family (banjir, genangan, saluran tersumbat), within the
duplicate radius of where the caller is, nearest first. The operator adds the caller to
one of them (`commands.desk.add_reporter`) instead of creating a second incident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liveroom.access import Action, Principal
from liveroom.domain.errors import InvalidCommand
from liveroom.live.dispatch import geo_searchable, live_incidents
from liveroom.room import LiveRoom

#: nearby open incidents looked at, of any category, before filtering by family
LOOKED_AT = 50
#: how far from a kecamatan's middle its incidents are looked for (wider than any kecamatan)
DISTRICT_WIDE_M = 15_000


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
                           by: Principal, district: str | None = None,
                           limit: int = 5) -> list[Similar]:
    """Open incidents of `category`'s family within the duplicate radius of (lat, lon), or
    anywhere in `district` when the caller could name only that, that `by` may see, nearest
    first."""
    by.check(Action.VIEW_LIVE)
    if category not in room.city.categories:
        raise InvalidCommand(f"unknown category {category[:64]!r}")
    related = room.city.related_categories(category)
    if not geo_searchable(lat):
        return []
    nearby = dict(room.redis.geosearch(
        room.live.incidents_geo, longitude=lon, latitude=lat,
        radius=DISTRICT_WIDE_M if district else room.settings.duplicate_radius_m, unit="m",
        sort="ASC", withdist=True, count=LOOKED_AT * (4 if district else 1)))
    now = room.clock()
    found = []
    for incident in live_incidents(room, list(nearby)):  # (nearest first, as asked)
        if incident.get("category") not in related or not incident.get("reported_at"):
            continue
        if district and incident.get("district") != district:
            continue
        if not by.can(Action.VIEW_LIVE, incident.get("agency") or None):
            continue
        age = now - datetime.fromisoformat(incident["reported_at"])
        found.append(Similar(
            id=incident["id"], category=incident["category"], status=incident.get("status", ""),
            distance_m=round(float(nearby[incident["id"]])),
            age_minutes=max(0, int(age.total_seconds() // 60)),
            reporters=int(incident.get("reporters") or 1),
            description=incident.get("description", "")))
    return found[:limit]

"""What the wall screen's map shows, from the live model: open incidents and the officers
who are on duty or have sent a fix lately, as GeoJSON points with what styles and filters
them. Read for the whole map, or for just the ids a change touched (None: off the map)."""

from __future__ import annotations

from liveroom.access import Action, Principal
from liveroom.domain.lifecycle import TERMINAL, Status
from liveroom.live.keys import LiveOfficer
from liveroom.live.overview import visible
from liveroom.live.screen_filter import EVERYTHING, ScreenFilter
from liveroom.room import LiveRoom

OPEN = [s for s in Status if s not in TERMINAL and s is not Status.RESOLVED]
ON_MAP = frozenset(s.value for s in OPEN)
MAX_INCIDENTS = 5000
INCIDENT_FIELDS = ["lat", "lon", "category", "status", "priority", "agency", "district"]


def _point(lat: float, lon: float, properties: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": properties}


def collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


def incidents_by_id(room: LiveRoom, ids: list[str]) -> dict[str, dict | None]:
    """Each incident's map point (id, category and its icon, status, priority, agency,
    district), or None once it is closed, resolved or gone."""
    categories = room.city.categories
    pipe = room.redis.pipeline(transaction=False)
    for incident_id in ids:
        pipe.hmget(room.live.incident(incident_id), INCIDENT_FIELDS)
    points: dict[str, dict | None] = {}
    for incident_id, values in zip(ids, pipe.execute(), strict=True):
        lat, lon, category, status, priority, agency, district = values
        points[incident_id] = None if lat is None or status not in ON_MAP else _point(
            float(lat), float(lon), {
                "id": incident_id, "category": category, "status": status,
                "icon": categories[category].icon if category in categories else "",
                "priority": int(priority) if priority else 4, "agency": agency or "",
                "district": district or ""})
    return points


def live_officers(room: LiveRoom, ids: list[str]) -> list[tuple[LiveOfficer | None, int]]:
    """Each officer as the live model holds them (None if it does not), and their open
    tasks, in one round trip."""
    pipe = room.redis.pipeline(transaction=False)
    for officer_id in ids:
        pipe.hmget(room.live.officer(officer_id), LiveOfficer.FIELDS)
        pipe.zcard(room.live.tasks(officer_id))
    replies = pipe.execute()
    return [(LiveOfficer.parse(officer_id, values), tasks)
            for officer_id, values, tasks in zip(ids, replies[::2], replies[1::2], strict=True)]


def officers_by_id(room: LiveRoom, ids: list[str]) -> dict[str, dict | None]:
    """Each officer's map point (agency, colour, presence, on duty, open tasks), or None when
    they have no position, or are offline and off duty."""
    settings, now = room.settings, room.clock()
    points: dict[str, dict | None] = {}
    for officer_id, (officer, tasks) in zip(ids, live_officers(room, ids), strict=True):
        if officer is None or officer.lat is None or officer.lon is None or not officer.fix_at:
            points[officer_id] = None
            continue
        state = officer.presence(now, settings.presence_stale_minutes,
                                 settings.presence_offline_minutes)
        if state == "offline" and not officer.on_duty:
            points[officer_id] = None
            continue
        agencies = room.city.agencies
        colour = agencies[officer.agency].colour if officer.agency in agencies else "#999"
        points[officer_id] = _point(officer.lat, officer.lon, {
            "id": officer_id, "name": officer.name, "agency": officer.agency,
            "colour": colour, "presence": state, "on_duty": officer.on_duty, "tasks": tasks})
    return points


def open_incident_ids(room: LiveRoom) -> list[str]:
    """The incidents on the map, newest first in each status (capped)."""
    pipe = room.redis.pipeline(transaction=False)
    for status in OPEN:
        pipe.zrevrange(room.live.status(status.value), 0, MAX_INCIDENTS - 1)
    return [i for group in pipe.execute() for i in group][:MAX_INCIDENTS]


def officer_ids(room: LiveRoom, screen: ScreenFilter = EVERYTHING) -> list[str]:
    """The registered officers of the agencies on the screen."""
    pipe = room.redis.pipeline(transaction=False)
    for agency in room.city.agencies:
        if screen.admits_agency(agency):
            pipe.smembers(room.live.officers(agency))
    return sorted(i for group in pipe.execute() for i in group)


def shows_incident(screen: ScreenFilter, point: dict | None) -> bool:
    return point is not None and screen.admits(point["properties"])


def shows_officer(screen: ScreenFilter, point: dict | None) -> bool:
    return point is not None and screen.admits_agency(point["properties"]["agency"])


def incident_features(room: LiveRoom, *, by: Principal,
                      screen: ScreenFilter = EVERYTHING) -> dict:
    """Open incidents on the screen (newest first, capped)."""
    by.check(Action.VIEW_LIVE)
    screen = visible(screen, by)
    points = incidents_by_id(room, open_incident_ids(room)).values()
    return collection([p for p in points if shows_incident(screen, p)])


def officer_features(room: LiveRoom, *, by: Principal,
                     screen: ScreenFilter = EVERYTHING) -> dict:
    """Officers on the screen with a position who are on duty or not yet offline."""
    by.check(Action.VIEW_LIVE)
    screen = visible(screen, by)
    points = officers_by_id(room, officer_ids(room, screen)).values()
    return collection([p for p in points if shows_officer(screen, p)])

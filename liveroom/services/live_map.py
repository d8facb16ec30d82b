"""What the wall screen's map shows, from the live model: open incidents and the officers
who are on duty or have sent a fix lately, as GeoJSON points with what styles them."""

from __future__ import annotations

from datetime import datetime, timedelta

from liveroom.access import Action, Principal
from liveroom.domain.lifecycle import TERMINAL, Status
from liveroom.domain.presence import presence
from liveroom.room import LiveRoom
from liveroom.services.overview import visible
from liveroom.services.screen_filter import EVERYTHING, ScreenFilter

OPEN = [s for s in Status if s not in TERMINAL and s is not Status.RESOLVED]
MAX_INCIDENTS = 5000


def _point(lat: float, lon: float, properties: dict) -> dict:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
            "properties": properties}


def incident_features(room: LiveRoom, *, by: Principal,
                      screen: ScreenFilter = EVERYTHING) -> dict:
    """Open incidents on the screen: id, category, status, priority, agency (newest first,
    capped)."""
    by.check(Action.VIEW_LIVE)
    screen = visible(screen, by)
    pipe = room.redis.pipeline(transaction=False)
    for status in OPEN:
        pipe.zrevrange(room.keys.view("status", status.value), 0, MAX_INCIDENTS - 1)
    ids = [i for group in pipe.execute() for i in group][:MAX_INCIDENTS]
    pipe = room.redis.pipeline(transaction=False)
    for incident_id in ids:
        pipe.hmget(room.keys.view("incident", incident_id),
                   ["lat", "lon", "category", "status", "priority", "agency", "district"])
    features = []
    for incident_id, (lat, lon, category, status, priority, agency, district) in zip(
            ids, pipe.execute(), strict=True):
        if lat is None or not screen.admits({"category": category, "status": status,
                                             "agency": agency, "district": district}):
            continue
        features.append(_point(float(lat), float(lon), {
            "id": incident_id, "category": category, "status": status,
            "priority": int(priority) if priority else 4, "agency": agency or ""}))
    return {"type": "FeatureCollection", "features": features}


def officer_features(room: LiveRoom, *, by: Principal,
                     screen: ScreenFilter = EVERYTHING) -> dict:
    """Officers with a position who are on duty or not yet offline: agency, colour,
    presence (online, stale) and whether they are on duty."""
    by.check(Action.VIEW_LIVE)
    screen = visible(screen, by)
    settings, now = room.settings, room.clock()
    stale = timedelta(minutes=settings.presence_stale_minutes)
    offline = timedelta(minutes=settings.presence_offline_minutes)
    agencies = [a for a in room.city.agencies if screen.admits_agency(a)]
    pipe = room.redis.pipeline(transaction=False)
    for agency in agencies:
        pipe.smembers(room.keys.view("officers", agency))
    ids = sorted(i for group in pipe.execute() for i in group)
    pipe = room.redis.pipeline(transaction=False)
    for officer_id in ids:
        pipe.hmget(room.keys.view("officer", officer_id),
                   ["lat", "lon", "fix_at", "agency", "on_duty_post", "name"])
    features = []
    for officer_id, (lat, lon, fix_at, agency, on_duty, name) in zip(
            ids, pipe.execute(), strict=True):
        if not (lat and fix_at):
            continue
        state = presence(datetime.fromisoformat(fix_at), now, stale, offline)
        if state == "offline" and not on_duty:
            continue
        colour = room.city.agencies[agency].colour if agency in room.city.agencies else "#999"
        features.append(_point(float(lat), float(lon), {
            "id": officer_id, "name": name, "agency": agency, "colour": colour,
            "presence": state, "on_duty": bool(on_duty)}))
    return {"type": "FeatureCollection", "features": features}

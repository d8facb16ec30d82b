"""Learn travel speeds from the archive's trips (`reporting.trips`): the median per agency
and per local hour of the day, with counts, stored for `live.eta` to estimate arrivals.

`python -m liveroom learn-eta` learns on demand; the projection service (`run`, `work`)
learns when nothing is stored and again every night (`refresh_if_due`).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, time, timedelta
from statistics import median
from zoneinfo import ZoneInfo

from liveroom.live.eta import (
    MIN_TRIPS,
    AgencySpeeds,
    Cell,
    SpeedTable,
    store_speeds,
    stored_speeds,
)
from liveroom.reporting.trips import Trip, trips
from liveroom.room import LiveRoom

log = logging.getLogger(__name__)

#: trips older than this say little about today's traffic
LOOKBACK = timedelta(days=90)
#: the local time after which the night's learning runs
NIGHTLY = time(2, 0)
#: how long one worker may hold the learning to itself
LOCK_SECONDS = 600


def fit(found: Iterable[Trip], zone: ZoneInfo, computed_at: datetime,
        min_trips: int = MIN_TRIPS) -> SpeedTable:
    """The median speed of each agency's trips, overall and per local hour of setting off."""
    speeds: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for trip in found:
        speeds[trip.agency][trip.set_off.astimezone(zone).hour].append(trip.kmh)
    agencies = {}
    for agency, hours in speeds.items():
        every = [kmh for values in hours.values() for kmh in values]
        agencies[agency] = AgencySpeeds(
            overall=Cell(round(median(every), 1), len(every)),
            hours={hour: Cell(round(median(values), 1), len(values))
                   for hour, values in sorted(hours.items())})
    return SpeedTable(computed_at=computed_at, agencies=agencies, min_trips=min_trips)


def learn(room: LiveRoom, min_trips: int = MIN_TRIPS) -> SpeedTable:
    """Fit the speeds from the last LOOKBACK's trips and store them."""
    now = room.clock()
    with room.engine.connect() as conn:
        table = fit(trips(conn, now - LOOKBACK, room.settings.max_speed_kmh),
                    room.city.timezone, now, min_trips)
    store_speeds(room, table)
    log.info("arrival speeds learned from %d trips", table.trips)
    return table


def due(table: SpeedTable | None, now: datetime, zone: ZoneInfo) -> bool:
    """Nothing learned yet, or last learned before the latest NIGHTLY hour (local)."""
    if table is None:
        return True
    local = now.astimezone(zone)
    night = datetime.combine(local.date(), NIGHTLY, zone)
    if night > local:
        night -= timedelta(days=1)
    return table.computed_at < night


def refresh_if_due(room: LiveRoom) -> bool:
    """Learn if `due`, in one worker at a time; True if this call learned."""
    if not due(stored_speeds(room), room.clock(), room.city.timezone):
        return False
    if not room.redis.set(room.live.eta_lock, "1", nx=True, ex=LOCK_SECONDS):
        return False
    try:
        learn(room)
    finally:
        room.redis.delete(room.live.eta_lock)
    return True

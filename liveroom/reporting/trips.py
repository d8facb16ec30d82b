"""Trips from the archive: an officer's way from where they were when they set off to the
scene, and how long it took (en route → on scene). What `reporting.eta` learns speeds from.

One officer per incident today; when incidents hold several tasks, this is the one query to
read them instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, select

from liveroom.archive import schema
from liveroom.domain.integrity import distance_m

#: a fix this long before setting off (or, without one, before the assignment) still says
#: where the officer started
FIX_WITHIN = timedelta(minutes=5)
#: shorter than this and the officer was there already: no speed to learn
SHORTEST_M = 200.0

INC, LOC = schema.incidents, schema.officer_locations


@dataclass(frozen=True)
class Trip:
    agency: str
    set_off: datetime  # (UTC) when the officer went en route
    distance_m: float  # straight line, from the officer's fix to the scene
    minutes: float  # en route → on scene

    @property
    def kmh(self) -> float:
        return self.distance_m / 1000 / (self.minutes / 60)


def _fix_before(moment) -> select:
    """The id of the officer's latest archived fix at or before `moment` (a column)."""
    return (select(LOC.c.id).where(LOC.c.officer_id == INC.c.officer_id, LOC.c.at <= moment)
            .order_by(LOC.c.at.desc()).limit(1).correlate(INC).scalar_subquery())


def trips(conn: Connection, since: datetime, max_kmh: float) -> Iterator[Trip]:
    """Every trip that set off since `since`, of at least SHORTEST_M, no faster than
    `max_kmh` (faster: a bad fix), whose start a fix tells (`FIX_WITHIN`)."""
    at_set_off, at_assigned = LOC.alias("at_set_off"), LOC.alias("at_assigned")
    query = (
        select(INC.c.agency, INC.c.lat, INC.c.lon, INC.c.assigned_at, INC.c.en_route_at,
               INC.c.on_scene_at,
               at_set_off.c.at.label("fix_at"), at_set_off.c.lat.label("fix_lat"),
               at_set_off.c.lon.label("fix_lon"), at_assigned.c.at.label("early_at"),
               at_assigned.c.lat.label("early_lat"), at_assigned.c.lon.label("early_lon"))
        .select_from(INC.outerjoin(at_set_off, at_set_off.c.id == _fix_before(INC.c.en_route_at))
                     .outerjoin(at_assigned, at_assigned.c.id == _fix_before(INC.c.assigned_at)))
        .where(INC.c.en_route_at >= since, INC.c.on_scene_at > INC.c.en_route_at,
               INC.c.officer_id.is_not(None), INC.c.agency.is_not(None)))
    for row in conn.execute(query):
        if row.fix_at is not None and row.en_route_at - row.fix_at <= FIX_WITHIN:
            start = (row.fix_lat, row.fix_lon)
        elif (row.early_at is not None and row.assigned_at is not None
              and row.assigned_at - row.early_at <= FIX_WITHIN):
            start = (row.early_lat, row.early_lon)
        else:
            continue
        trip = Trip(row.agency, row.en_route_at, distance_m(*start, row.lat, row.lon),
                    (row.on_scene_at - row.en_route_at).total_seconds() / 60)
        if trip.distance_m >= SHORTEST_M and trip.kmh <= max_kmh:
            yield trip

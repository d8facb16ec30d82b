"""Trips from the archive: a unit's or officer's way to the scene, one per task (`tasks`),
from where it was when it set off, and how long it took (en route → on scene). What
`reporting.eta` learns speeds from.

Where it set off from is its latest archived fix before setting off; else where it was
when dispatched (the dispatch's fix, `tasks.dispatched_lat`); else its latest archived fix
before the dispatch (a fix archived after the dispatch was). Each within FIX_WITHIN. A
unit's fixes are its tracker's, else its first crew member's (the task's officer).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from liveroom.archive import schema
from liveroom.domain.integrity import distance_m
from liveroom.domain.task import FIX_WITHIN

#: shorter than this and the unit or officer was there already: no speed to learn
SHORTEST_M = 200.0

TASK, INC, UNIT, LOC = schema.tasks, schema.incidents, schema.units, schema.officer_locations
#: whose fixes place the task's unit or officer
PLACED_BY = func.coalesce(UNIT.c.tracker, TASK.c.officer_id)


@dataclass(frozen=True)
class Trip:
    agency: str
    set_off: datetime  # (UTC) when the unit or officer went en route
    distance_m: float  # straight line, from where it set off to the scene
    minutes: float  # en route → on scene

    @property
    def kmh(self) -> float:
        return self.distance_m / 1000 / (self.minutes / 60)


def _fix_before(moment) -> select:
    """The id of the task's latest archived fix at or before `moment` (a column)."""
    return (select(LOC.c.id).where(LOC.c.officer_id == PLACED_BY, LOC.c.at <= moment)
            .order_by(LOC.c.at.desc()).limit(1).correlate(TASK, UNIT).scalar_subquery())


def trips(conn: Connection, since: datetime, max_kmh: float) -> Iterator[Trip]:
    """Every task's trip that set off since `since`, of at least SHORTEST_M, no faster than
    `max_kmh` (faster: a bad fix), whose start is known (`FIX_WITHIN`)."""
    at_set_off, at_assigned = LOC.alias("at_set_off"), LOC.alias("at_assigned")
    query = (
        select(TASK.c.agency, INC.c.lat, INC.c.lon, TASK.c.assigned_at, TASK.c.en_route_at,
               TASK.c.on_scene_at, TASK.c.dispatched_lat, TASK.c.dispatched_lon,
               at_set_off.c.at.label("fix_at"), at_set_off.c.lat.label("fix_lat"),
               at_set_off.c.lon.label("fix_lon"), at_assigned.c.at.label("early_at"),
               at_assigned.c.lat.label("early_lat"), at_assigned.c.lon.label("early_lon"))
        .select_from(
            TASK.join(INC, INC.c.id == TASK.c.incident_id)
            .outerjoin(UNIT, UNIT.c.id == TASK.c.unit_id)
            .outerjoin(at_set_off, at_set_off.c.id == _fix_before(TASK.c.en_route_at))
            .outerjoin(at_assigned, at_assigned.c.id == _fix_before(TASK.c.assigned_at)))
        .where(TASK.c.en_route_at >= since, TASK.c.on_scene_at > TASK.c.en_route_at))
    for row in conn.execute(query):
        if row.fix_at is not None and row.en_route_at - row.fix_at <= FIX_WITHIN:
            start = (row.fix_lat, row.fix_lon)
        elif row.dispatched_lat is not None and row.dispatched_lon is not None:
            start = (row.dispatched_lat, row.dispatched_lon)
        elif row.early_at is not None and row.assigned_at - row.early_at <= FIX_WITHIN:
            start = (row.early_lat, row.early_lon)
        else:
            continue
        trip = Trip(row.agency, row.en_route_at, distance_m(*start, row.lat, row.lon),
                    (row.on_scene_at - row.en_route_at).total_seconds() / 60)
        if trip.distance_m >= SHORTEST_M and trip.kmh <= max_kmh:
            yield trip

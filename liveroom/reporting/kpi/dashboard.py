"""Every panel of the KPI page at once, measured at one moment, so that they agree."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from liveroom.access import Principal
from liveroom.reporting.kpi.figures import (
    Scope,
    Times,
    backlog,
    hexbins,
    recurring,
    response_times,
    volumes,
)
from liveroom.reporting.kpi.officers import OfficerPerformance, officer_performance
from liveroom.room import LiveRoom


@dataclass(frozen=True)
class Dashboard:
    """Every panel of the KPI page for one scope, measured at one moment."""

    scope: Scope
    at: datetime
    volumes: list[tuple[date, str, int]]
    dimension: str
    overall: Times | None
    by_agency: list[Times]
    by_district: list[Times]
    backlog: list[tuple[str, str, int]]
    cells: list[tuple[float, float, int]]
    recurring: list[tuple[str, str, int]]
    officers: list[OfficerPerformance]

    @property
    def open_now(self) -> int:
        return sum(n for _, _, n in self.backlog)


def dashboard(room: LiveRoom, scope: Scope, *, by: Principal, dimension: str = "category",
              at: datetime | None = None) -> Dashboard:
    """All panels at once, as of `at` (default now): they agree with each other."""
    at = at or room.clock()
    return Dashboard(
        scope=scope, at=at, dimension=dimension,
        volumes=volumes(room, scope, by=by, dimension=dimension),
        overall=next(iter(response_times(room, scope, by=by, group="city", at=at)), None),
        by_agency=response_times(room, scope, by=by, at=at),
        by_district=response_times(room, scope, by=by, group="district", at=at),
        backlog=backlog(room, scope, by=by, at=at),
        cells=hexbins(room, scope, by=by, cell_m=1000.0),
        recurring=recurring(room, scope, by=by),
        officers=officer_performance(room, scope, by=by, at=at),
    )

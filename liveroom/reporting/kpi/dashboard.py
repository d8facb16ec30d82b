"""Every panel of the KPI page at once, measured at one moment, so that they agree."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial

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


#: panels queried at once on PostgreSQL, each on its own connection: the page waits for the
#: slowest, not for their sum (a year at 100k: 1.0 s one by one, 0.6 s four at once). On
#: SQLite, one by one: threads made it slower (`bench/kpi.py`, "dashboard")
PANELS_AT_ONCE = 4


def dashboard(room: LiveRoom, scope: Scope, *, by: Principal, dimension: str = "category",
              at: datetime | None = None, workers: int | None = None) -> Dashboard:
    """All panels at once, as of `at` (default now): they agree with each other."""
    at = at or room.clock()
    if workers is None:
        workers = 1 if room.engine.dialect.name == "sqlite" else PANELS_AT_ONCE
    panels = {
        "volumes": partial(volumes, room, scope, by=by, dimension=dimension),
        "overall": partial(response_times, room, scope, by=by, group="city", at=at),
        "by_agency": partial(response_times, room, scope, by=by, at=at),
        "by_district": partial(response_times, room, scope, by=by, group="district", at=at),
        "backlog": partial(backlog, room, scope, by=by, at=at),
        "cells": partial(hexbins, room, scope, by=by, cell_m=1000.0),
        "recurring": partial(recurring, room, scope, by=by),
        "officers": partial(officer_performance, room, scope, by=by, at=at),
    }
    if workers == 1:  # (no thread to start)
        found = {name: query() for name, query in panels.items()}
    else:
        with ThreadPoolExecutor(workers) as pool:
            running = {name: pool.submit(query) for name, query in panels.items()}
            found = {name: future.result() for name, future in running.items()}
    found["overall"] = next(iter(found["overall"]), None)
    return Dashboard(scope=scope, at=at, dimension=dimension, **found)

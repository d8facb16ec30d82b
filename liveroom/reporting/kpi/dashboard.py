"""Every panel of the KPI page at once, measured at one moment, so that they agree."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial

from liveroom.access import Principal
from liveroom.notify import outcomes
from liveroom.reporting.kpi.figures import (
    Scope,
    Times,
    backlog,
    flagged,
    hexbins,
    recurring,
    response_times_by,
    volumes,
)
from liveroom.reporting.kpi.nfpa import UnitTimes, nfpa_times
from liveroom.reporting.kpi.officers import OfficerPerformance, officer_performance
from liveroom.reporting.kpi.satisfaction import Satisfaction, satisfaction_by
from liveroom.room import LiveRoom


@dataclass(frozen=True)
class Dashboard:
    """Every panel of the KPI page for one scope, measured at one moment."""

    scope: Scope
    at: datetime
    volumes: list[tuple[date, str, int, int]]
    dimension: str
    overall: Times | None
    by_agency: list[Times]
    by_district: list[Times]
    backlog: list[tuple[str, str, int]]
    cells: list[tuple[float, float, int]]
    recurring: list[tuple[str, str, int]]
    officers: list[OfficerPerformance]
    ready: bool = True  # False: no figures yet (`nothing_yet`)
    #: fire agencies' units against NFPA 1710 (none: no agency of the scope has targets)
    nfpa: list[UnitTimes] = field(default_factory=list)
    #: incidents flagged by escalation (a deadline missed), per agency and per district
    flagged: dict[str, dict[str, int]] = field(default_factory=dict)
    #: reporters' ratings per agency (with its reopen rate), district and officer
    satisfaction: dict[str, list[Satisfaction]] = field(default_factory=dict)
    #: messages to citizens sent and failed, per channel (the whole city's)
    messages: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def nothing_yet(cls, scope: Scope, at: datetime, dimension: str = "category") -> Dashboard:
        """No figures: what a page shows while they are worked out."""
        return cls(scope=scope, at=at, volumes=[], dimension=dimension, overall=None,
                   by_agency=[], by_district=[], backlog=[], cells=[], recurring=[],
                   officers=[], ready=False)

    @property
    def open_now(self) -> int:
        return sum(n for _, _, n in self.backlog)


#: panels queried at once on PostgreSQL, each on its own connection: the page waits for the
#: slowest, not for their sum (a year at 100k: 1.0 s one by one, 0.6 s four at once). On
#: SQLite, one by one: threads made it slower (`bench/kpi.py`, "dashboard")
PANELS_AT_ONCE = 4

#: the groups whose response times the page shows
TIMES = ("city", "agency", "district", "officer")


def dashboard(room: LiveRoom, scope: Scope, *, by: Principal, dimension: str = "category",
              at: datetime | None = None, workers: int | None = None) -> Dashboard:
    """All panels at once, as of `at` (default now): they agree with each other."""
    at = at or room.clock()
    if workers is None:
        workers = 1 if room.engine.dialect.name == "sqlite" else PANELS_AT_ONCE
    times = partial(response_times_by, room, scope, by=by, at=at)
    panels = {
        "volumes": partial(volumes, room, scope, by=by, dimension=dimension),
        "backlog": partial(backlog, room, scope, by=by, at=at),
        "cells": partial(hexbins, room, scope, by=by, cell_m=1000.0),
        "recurring": partial(recurring, room, scope, by=by),
        "nfpa": partial(nfpa_times, room, scope, by=by),
        "flagged": partial(flagged, room, scope, by=by),
        "satisfaction": partial(satisfaction_by, room, scope, by=by),
    }
    if workers == 1:  # one pass for every group's times, and no thread to start
        found = {name: query() for name, query in panels.items()} | times(groups=TIMES)
    else:  # each group's times a panel of its own
        panels |= {group: partial(times, groups=(group,)) for group in TIMES}
        with ThreadPoolExecutor(workers) as pool:
            running = {name: pool.submit(query) for name, query in panels.items()}
            found = {name: future.result() for name, future in running.items()}
            found |= {group: found[group][group] for group in TIMES}
    return Dashboard(
        scope=scope, at=at, dimension=dimension, volumes=found["volumes"],
        overall=next(iter(found["city"]), None), by_agency=found["agency"],
        by_district=found["district"], backlog=found["backlog"], cells=found["cells"],
        recurring=found["recurring"], nfpa=found["nfpa"], flagged=found["flagged"],
        satisfaction=found["satisfaction"],
        officers=officer_performance(room, scope, by=by, at=at, times=found["officer"]),
        messages=outcomes.per_channel(room, scope.period.first, scope.period.last))

"""A fire agency in NFPA 1710's terms: per unit and overall, how many responses reached
call processing (received → dispatched), turnout (dispatched → en route) and travel (en
route → on scene), the 90th percentile of each and the share within the agency's target
(`nfpa:` in the city pack's `agencies.yaml`). A target is met when at least its share
(0.9) of the responses are within it: the same as the 90th percentile being within it.

A unit is, for now, the officer dispatched: an incident has one (`incidents.officer_id`,
who holds it last). Each step is defined once, in STEPS, by the two moments it runs
between; when incidents get several units' tasks, these are what changes to read them:

- processing: from the report to the first dispatch (the earliest assignment), the
  call-taker's time, whichever unit went;
- turnout: from the unit's dispatch (its assignment, the latest) to en route;
- travel: from en route to on scene (one unit per incident: the first unit's travel).

A step counts where both its moments are known and in order (a reassignment after the crew
set off leaves that incident's turnout out). Percentiles are nearest-rank, as elsewhere.

Exact, on SQLite and PostgreSQL alike, whatever the period: one query reads the scope's
responses of the agencies with targets (agency, unit, the three durations: nothing more)
and they are sorted here per unit and agency. The rollups keep no histogram of these steps:
fire is a small share of a city's incidents (a year of a fire brigade is thousands of
responses, not a million), and sorting them costs little (README, KPIs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select

from liveroom.access import Action, Principal
from liveroom.archive import schema
from liveroom.archive.sql import seconds_between
from liveroom.cities import City
from liveroom.reporting.kpi.figures import Scope, _where, percent
from liveroom.room import LiveRoom

I = schema.incidents  # noqa: E741
A = schema.assignments
#: the first dispatch of an incident (the earliest assignment)
FIRST_DISPATCH = (select(func.min(A.c.assigned_at)).where(A.c.incident_id == I.c.id)
                  .correlate(I).scalar_subquery())
#: who responded: the unit (for now the officer dispatched)
UNIT = I.c.officer_id
#: each step as the two moments it runs between, in the order they happen
STEPS = {"processing": (I.c.reported_at, FIRST_DISPATCH),
         "turnout": (I.c.assigned_at, I.c.en_route_at),
         "travel": (I.c.en_route_at, I.c.on_scene_at)}


def rank(share: float, n: int) -> int:
    """The nearest rank of `share` among `n` (1-based; 0.9 × 70 is 63, not 64)."""
    return max(math.ceil(round(share * n, 9)), 1)


@dataclass(frozen=True)
class StepTimes:
    """One step of one unit's (or all units') responses against its target."""

    count: int  # the responses that reached it
    within: int  # of them, how many within the target
    percentile: float | None  # seconds: nearest rank at the target's share (its p90)
    target: int  # seconds
    share: float  # of the responses that must be within it

    @property
    def within_share(self) -> float | None:
        """% of the responses within the target."""
        return percent(self.within, self.count)

    @property
    def met(self) -> bool | None:
        """Whether at least `share` of the responses were within it (None: no response)."""
        return None if not self.count else self.within >= rank(self.share, self.count)


@dataclass(frozen=True)
class UnitTimes:
    """A unit's responses in the scope (`unit` None: all the agency's units)."""

    agency: str
    unit: str | None
    name: str  # the unit's ("" for all)
    responses: int  # incidents dispatched to it
    steps: dict[str, StepTimes]


def nfpa_agencies(city: City, scope: Scope, by: Principal) -> list[str]:
    """The agencies with NFPA targets that the scope includes and `by` may see."""
    chosen = [scope.agency] if scope.agency else sorted(by.agencies) or list(city.agencies)
    return [key for key in chosen if key in city.agencies and city.agencies[key].nfpa]


def nfpa_times(room: LiveRoom, scope: Scope, *, by: Principal) -> list[UnitTimes]:
    """Per agency with targets in the scope: all its units first, then each unit by name."""
    by.check(Action.VIEW_KPI, scope.agency)
    agencies = nfpa_agencies(room.city, scope, by)
    if not agencies:
        return []
    officers = schema.officers
    query = (select(I.c.agency, UNIT, officers.c.name,
                    *[seconds_between(start, end) for start, end in STEPS.values()])
             .select_from(I.outerjoin(officers, officers.c.id == UNIT))
             .where(*_where(room, scope, by), I.c.agency.in_(agencies), UNIT.isnot(None)))
    with room.engine.connect() as conn:
        responses = conn.execute(query).all()
    groups: dict[tuple[str, str | None], list] = {(agency, None): [] for agency in agencies}
    names: dict[str | None, str] = {None: ""}
    for agency, unit, name, *durations in responses:
        names[unit] = name or unit
        for key in ((agency, None), (agency, unit)):
            groups.setdefault(key, []).append(durations)
    ordered = sorted(groups, key=lambda key: (key[0], key[1] is not None, names[key[1]]))
    return [_unit(room.city, agency, unit, names[unit], groups[(agency, unit)])
            for agency, unit in ordered]


def _unit(city: City, agency: str, unit: str | None, name: str, found: list) -> UnitTimes:
    targets = city.agencies[agency].nfpa
    columns = list(zip(*found, strict=True)) if found else [()] * len(STEPS)
    steps = {}
    for step, column in zip(STEPS, columns, strict=True):
        # (SQLite's julianday arithmetic is off by microseconds: events are in ms)
        seconds = sorted(s for v in column if v is not None and (s := round(float(v), 3)) >= 0)
        target = targets.target(step)
        steps[step] = StepTimes(
            count=len(seconds), within=sum(1 for v in seconds if v <= target),
            percentile=seconds[rank(targets.share, len(seconds)) - 1] if seconds else None,
            target=target, share=targets.share)
    return UnitTimes(agency=agency, unit=unit, name=name, responses=len(found), steps=steps)

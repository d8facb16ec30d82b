"""A fire agency in NFPA 1710's terms: per unit and overall, how many responses reached
call processing, turnout, travel and first-engine travel, the 90th percentile of each and
the share within the agency's target (`nfpa:` in the city pack's `agencies.yaml`). A
target is met when at least its share (0.9) of the responses are within it: the same as
the 90th percentile being within it.

A response is one task of the agency's (`tasks`): a unit's (named by its call sign), or an
officer's sent alone (named). Each step is defined once, in `_durations`:

- processing: from the report to the incident's first dispatch (any agency's unit or
  officer), the call-taker's time: once per incident (and once per unit that went);
- turnout: from the task's assignment to its unit (a reassignment starts it over) to en
  route, per task;
- travel: from en route to on scene, per task;
- first engine: the travel of the incident's first of the agency's tasks to arrive, once
  per incident (NFPA 1710's travel target is the first engine's), on that unit's row.

A step counts where both its moments are known and in order. Percentiles are nearest-rank,
as elsewhere.

Exact, on SQLite and PostgreSQL alike, whatever the period: one query reads the scope's
tasks of the agencies with targets (their unit, agency and moments: nothing more) and they
are sorted here per unit and agency. The rollups keep no histogram of these steps: fire is
a small share of a city's incidents (a year of a fire brigade is thousands of responses,
not a million), and sorting them costs little (README, KPIs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from liveroom.access import Action, Principal
from liveroom.archive import schema
from liveroom.cities import City
from liveroom.reporting.kpi.figures import Scope, percent
from liveroom.room import LiveRoom

I, T = schema.incidents, schema.tasks  # noqa: E741
_FIRST = T.alias("first")
#: the first dispatch of an incident: its earliest task sent to a unit or officer
FIRST_DISPATCH = (select(func.min(_FIRST.c.dispatched_at))
                  .where(_FIRST.c.incident_id == I.c.id, _FIRST.c.body.is_(None))
                  .correlate(I).scalar_subquery())
#: the steps, each with the target it is held to (the first engine's travel: travel's)
STEPS = {"processing": "processing", "turnout": "turnout", "travel": "travel",
         "first_engine": "travel"}


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
    responses: int  # its tasks (a unit dispatched twice to one incident: two)
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
    units, officers = schema.units, schema.officers
    start, end = scope.period.bounds(room.city.timezone)
    narrowed = [I.c[name] == value for name in ("district", "category")
                if (value := getattr(scope, name))]
    query = (select(I.c.id, I.c.reported_at, FIRST_DISPATCH.label("first_dispatch"),
                    T.c.agency, T.c.unit_id, T.c.officer_id, units.c.call_sign,
                    officers.c.name, T.c.assigned_at, T.c.en_route_at, T.c.on_scene_at)
             .select_from(T.join(I, I.c.id == T.c.incident_id)
                          .outerjoin(units, units.c.id == T.c.unit_id)
                          .outerjoin(officers, officers.c.id == T.c.officer_id))
             .where(I.c.reported_at >= start, I.c.reported_at < end, *narrowed,
                    T.c.agency.in_(agencies), T.c.body.is_(None),
                    or_(T.c.unit_id.isnot(None), T.c.officer_id.isnot(None)))
             .order_by(I.c.id, T.c.task_id))
    with room.engine.connect() as conn:
        tasks = conn.execute(query).all()
    return _grouped(room.city, agencies, tasks)


Key = tuple[str, str | None]  # (agency, unit or officer id; None: all the agency's)


def _grouped(city: City, agencies: list[str], tasks: list) -> list[UnitTimes]:
    """Each task's durations into its unit's group and its agency's (`_durations`)."""
    groups: dict[Key, dict[str, list[float]]] = {
        (agency, None): {step: [] for step in STEPS} for agency in agencies}
    responses: dict[Key, int] = dict.fromkeys(groups, 0)
    names: dict[str | None, str] = {None: ""}
    counted: set[tuple[Key, str, str]] = set()  # (group, incident, step) once-per-incident
    for task, step, seconds in _durations(tasks):
        unit = task.unit_id or task.officer_id
        names[unit] = task.call_sign or task.name or unit
        for key in ((task.agency, None), (task.agency, unit)):
            found = groups.setdefault(key, {s: [] for s in STEPS})
            if step is None:
                responses[key] = responses.get(key, 0) + 1
            elif step in ("turnout", "travel") or (key, task.id, step) not in counted:
                counted.add((key, task.id, step))
                found[step].append(seconds)
    ordered = sorted(groups, key=lambda key: (key[0], key[1] is not None, names[key[1]]))
    return [_unit(city, agency, unit, names[unit], responses.get((agency, unit), 0),
                  groups[(agency, unit)]) for agency, unit in ordered]


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    """From one moment to a later one; None when either is unknown or out of order."""
    if start is None or end is None or end < start:
        return None
    return round((end - start).total_seconds(), 3)


def _durations(tasks: list):
    """(task, step, seconds) for each step a task reached, and (task, None, 0) once per
    task (a response); the first engine's travel on the task that arrived first of its
    agency's on the incident."""
    first: dict[tuple[str, str], object] = {}
    for task in tasks:
        yield task, None, 0.0
        moments = {"processing": (task.reported_at, task.first_dispatch),
                   "turnout": (task.assigned_at, task.en_route_at),
                   "travel": (task.en_route_at, task.on_scene_at)}
        for step, (start, end) in moments.items():
            if (seconds := _seconds(start, end)) is not None:
                yield task, step, seconds
        arrived = first.get((task.id, task.agency))
        if _seconds(task.en_route_at, task.on_scene_at) is not None and (
                arrived is None or task.on_scene_at < arrived.on_scene_at):  # type: ignore
            first[(task.id, task.agency)] = task
    for task in first.values():
        yield task, "first_engine", _seconds(task.en_route_at, task.on_scene_at)  # type: ignore


def _unit(city: City, agency: str, unit: str | None, name: str, responses: int,
          found: dict[str, list[float]]) -> UnitTimes:
    targets = city.agencies[agency].nfpa
    steps = {}
    for step, held_to in STEPS.items():
        seconds = sorted(found[step])
        target = targets.target(held_to)
        steps[step] = StepTimes(
            count=len(seconds), within=sum(1 for v in seconds if v <= target),
            percentile=seconds[rank(targets.share, len(seconds)) - 1] if seconds else None,
            target=target, share=targets.share)
    return UnitTimes(agency=agency, unit=unit, name=name, responses=responses, steps=steps)

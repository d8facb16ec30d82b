"""The incident figures of the mayor's KPIs, computed in the archive (SQL, on SQLite and
PostgreSQL alike), never by loading whole incidents into Python. (SQLite has no
ordered-set aggregates: its exact percentiles sort, here, the durations of one pass over the
period, for every grouping at once.)

Definitions (shown beside the figures):
- an incident belongs to the period in which it was reported (local dates, the city's zone);
- its reports are the people who reported it (`incidents.reporters`: one incident may have
  several callers); a duplicate's callers count on the incident it duplicates, not on it
  (`rollups.REPORTS`);
- time to acknowledge, to arrive (on scene) and to resolve run from the report;
- median and 90th percentile are nearest-rank: the smallest time at least half (nine tenths)
  of the incidents took no longer than;
- SLA compliance: of the incidents whose deadline has passed or that were done, the share
  done by the deadline (acknowledged by `acknowledge_due`, resolved by `resolve_due`);
  rejected incidents and duplicates owe nothing and are not counted;
- flagged: the incidents an escalation rule flagged (`flag`: in the Tangerang pack, the
  resolve deadline missed), counted from `incidents.flagged_at` (exact: only flagged
  incidents are read, through its index).

Volumes and recurring problems are read from the daily rollups (`archive.rollups`), exactly.
Response times over periods longer than EXACT_PERCENTILE_DAYS, or holding more than
EXACT_PERCENTILE_INCIDENTS incidents (a metropolis's month), read them too: the counts and
SLA compliance stay exact (days whose deadlines have not all passed are read from the
incidents), the median and 90th percentile come from the duration histograms (within 5%).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Float,
    and_,
    case,
    func,
    literal,
    literal_column,
    or_,
    select,
    type_coerce,
    union,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql.elements import ColumnElement

from liveroom.access import Action, Principal
from liveroom.archive import rollups, schema
from liveroom.archive.sql import seconds_between
from liveroom.cities import City
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.lifecycle import Status
from liveroom.room import LiveRoom

I = schema.incidents  # noqa: E741 (the table every query reads)
D = schema.incident_days  # its daily counts (`archive.rollups`)
#: what volume can be broken down by, and the rollup's column that says it
DIMENSIONS = {"category": D.c.category, "agency": D.c.agency, "channel": D.c.source,
              "district": D.c.district}
def names(city, kind: str, lang: str) -> dict[str, str]:
    """What to call each agency, category or district in `lang` (others: as they are)."""
    if kind == "agency":
        return {k: a.name.get(lang) for k, a in city.agencies.items()}
    if kind == "category":
        return {k: c.name.get(lang) for k, c in city.categories.items()}
    if kind == "district":
        return {k: d.name for k, d in city.districts.items()}
    if kind == "channel":  # the desk's channels (the apps' sources stay as they are)
        return {k: c.get(lang) for k, c in city.channels.items()}
    return {}


#: the rollups' column for each group ("city": none)
GROUP_COLUMNS = {"agency": "agency", "district": "district", "category": "category",
                 "officer": "officer_id"}
#: what response times can be grouped by (officer: who held the incident last)
GROUPS = {"agency": I.c.agency, "district": I.c.district, "category": I.c.category,
          "officer": I.c.officer_id, "city": literal_column("'city'")}
#: the ages an open incident's backlog is counted in, in hours (the last: and older)
AGE_BUCKETS = (1, 4, 24, 72)
STEPS = {"acknowledge": I.c.acknowledged_at, "arrive": I.c.on_scene_at,
         "resolve": I.c.resolved_at}
#: the deadlines SLA compliance is measured against: (name, step done, its deadline)
DEADLINES = tuple((name, I.c[done], I.c[due]) for name, done, due in rollups.DEADLINES)
MAX_DAYS = 400
#: periods up to this long get exact percentiles; longer ones, the histograms'
EXACT_PERCENTILE_DAYS = 31
#: and so do periods holding up to this many incidents: sorting more costs more than a
#: page may wait (PostgreSQL, 82k incidents: 160-230 ms of CPU per grouping; `bench/kpi.py`)
EXACT_PERCENTILE_INCIDENTS = 25_000


@dataclass(frozen=True)
class Period:
    """Local dates `first` to `last`, both included."""

    first: date
    last: date

    def __post_init__(self) -> None:
        if self.last < self.first:
            raise InvalidCommand("the period ends before it starts", rule="period_backwards")
        if (self.last - self.first).days >= MAX_DAYS:
            raise InvalidCommand(f"a period is at most {MAX_DAYS} days",
                                 rule="period_too_long", days=MAX_DAYS)

    @classmethod
    def named(cls, name: str, today: date) -> Period:
        """`today`, `7d` or `30d` (ending today)."""
        days = {"today": 1, "7d": 7, "30d": 30}.get(name)
        if days is None:
            raise InvalidCommand(f"unknown period {name[:40]!r}: today, 7d or 30d")
        return cls(today - timedelta(days=days - 1), today)

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """[start, end) as aware instants: local midnight of `first` to that after `last`."""
        return (datetime.combine(self.first, time(), zone),
                datetime.combine(self.last + timedelta(days=1), time(), zone))

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]


#: the city's collection each narrowing filter must name one of
KNOWN = {"agency": "agencies", "district": "districts", "category": "categories"}


@dataclass(frozen=True)
class Scope:
    """Which incidents: the period's, narrowed to an agency, district or category."""

    period: Period
    agency: str | None = None
    district: str | None = None
    category: str | None = None

    @classmethod
    def chosen(cls, city: City, today: date, period: str | None = "30d", first: str | None = None,
               last: str | None = None, agency: str | None = None,
               district: str | None = None, category: str | None = None) -> Scope:
        """From the page's filters (or a download's query): a named period, or `first` and
        `last` as YYYY-MM-DD when the period is `custom`; agency, district and category
        one of `city`'s (the browser sends them: anything else is refused)."""
        narrowed = {"agency": agency or None, "district": district or None,
                    "category": category or None}
        for name, value in narrowed.items():
            if value is not None and value not in getattr(city, KNOWN[name]):
                raise InvalidCommand(f"no {name} {value[:40]!r} in this city",
                                     rule="unknown_filter")
        if period != "custom":
            return cls(Period.named(period or "30d", today), **narrowed)
        try:
            dates = date.fromisoformat(first or ""), date.fromisoformat(last or "")
        except ValueError as exc:
            raise InvalidCommand(f"a custom period needs two dates: {exc}",
                                 rule="period_dates") from None
        return cls(Period(*dates), **narrowed)

    @classmethod
    def from_query(cls, city: City, today: date, query: Mapping[str, str]) -> Scope:
        """From a page's or a download's query (`period`, `from`, `to`, `agency`, …)."""
        return cls.chosen(city, today, query.get("period"), query.get("from"),
                          query.get("to"), query.get("agency"), query.get("district"),
                          query.get("category"))

    def query(self) -> dict[str, str]:
        """This scope as a download's query."""
        return {"period": "custom", "from": self.period.first.isoformat(),
                "to": self.period.last.isoformat(),
                **{name: value for name in ("agency", "district", "category")
                   if (value := getattr(self, name))}}


def _where(room: LiveRoom, scope: Scope, by: Principal,
           within_period: bool = True) -> list[ColumnElement]:
    """The period's incidents (or, not `within_period`, any time's) the principal may see,
    narrowed by the scope."""
    clauses = _narrowed(I, scope, by)
    if within_period:
        start, end = scope.period.bounds(room.city.timezone)
        clauses += [I.c.reported_at >= start, I.c.reported_at < end]
    return clauses


def _rolled_where(table, scope: Scope, by: Principal) -> list[ColumnElement]:
    """The same for a rollup table (`incident_days`, `incident_day_durations`)."""
    return [*_narrowed(table, scope, by), table.c.day >= scope.period.first,
            table.c.day <= scope.period.last]


def _narrowed(table, scope: Scope, by: Principal) -> list[ColumnElement]:
    """The scope's agency, district and category, and the agencies `by` may see."""
    by.check(Action.VIEW_KPI, scope.agency)
    clauses = []
    if scope.agency:
        clauses.append(table.c.agency == scope.agency)
    elif by.agencies:
        clauses.append(table.c.agency.in_(sorted(by.agencies)))
    if scope.district:
        clauses.append(table.c.district == scope.district)
    if scope.category:
        clauses.append(table.c.category == scope.category)
    return clauses


def volumes(room: LiveRoom, scope: Scope, *, by: Principal,
            dimension: str = "category") -> list[tuple[date, str, int, int]]:
    """Incidents and their reports per local day and `dimension` (category, agency,
    channel, district): (day, key, incidents, reports)."""
    if dimension not in DIMENSIONS:
        raise InvalidCommand(f"volume by {dimension!r}? one of {', '.join(DIMENSIONS)}")
    key = DIMENSIONS[dimension].label("key")
    query = (select(D.c.day, key, func.sum(D.c.reported), func.sum(D.c.reports))
             .where(*_rolled_where(D, scope, by)).group_by(D.c.day, key)
             .order_by(D.c.day, key))
    with room.engine.connect() as conn:
        return [(_date(d), k or "", int(n), int(r)) for d, k, n, r in conn.execute(query)]


def backlog(room: LiveRoom, scope: Scope, *, by: Principal,
            at: datetime | None = None) -> list[tuple[str, str, int]]:
    """Incidents still open at `at` (default now), whenever reported, per agency and age:
    (agency, age bucket such as "<1h", "1-4h", …, ">72h", count)."""
    at = at or room.clock()
    moment = literal(at, schema.UTCDateTime())
    age = seconds_between(I.c.reported_at, moment) / 3600.0
    bucket = case(*[(age < hours, bucket_name(i)) for i, hours in enumerate(AGE_BUCKETS)],
                  else_=bucket_name(len(AGE_BUCKETS))).label("bucket")
    query = (select(I.c.agency, bucket, func.count()).select_from(_maybe_open_at(at))
             .where(*_where(room, scope, by, within_period=False), I.c.reported_at <= moment,
                    _open_at(at))
             .group_by(I.c.agency, bucket).order_by(I.c.agency, bucket))
    with room.engine.connect() as conn:
        return [(agency or "", name, n) for agency, name, n in conn.execute(query)]


def bucket_name(index: int) -> str:
    edges = (0, *AGE_BUCKETS)
    if index == 0:
        return f"<{AGE_BUCKETS[0]}h"
    if index == len(AGE_BUCKETS):
        return f">{AGE_BUCKETS[-1]}h"
    return f"{edges[index]}-{edges[index + 1]}h"


#: the statuses that end an incident, each with its `<status>_at` column
ENDS = (Status.RESOLVED, Status.CLOSED, Status.REJECTED, Status.DUPLICATE)


def _maybe_open_at(at: datetime):
    """The incidents open now or changed since `at`, joined to the table: every incident
    open at `at` is among them, found through the indexes on status and updated_at rather
    than by reading every incident (SQLite and PostgreSQL both start from these few)."""
    moment = literal(at, schema.UTCDateTime())
    candidates = union(
        select(I.c.id).where(I.c.status.in_([s.value for s in Status if s not in ENDS])),
        select(I.c.id).where(I.c.updated_at > moment)).subquery("maybe_open")
    return candidates.join(I, I.c.id == candidates.c.id)


def _open_at(at: datetime) -> ColumnElement:
    """Not resolved, closed, rejected or marked duplicate by `at`."""
    moment = literal(at, schema.UTCDateTime())
    return and_(*[or_(end.is_(None), end > moment)
                  for end in (I.c[f"{status.value}_at"] for status in ENDS)])


def _date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


@dataclass(frozen=True)
class Times:
    """One group's response: how many incidents were reported and how many reports they had
    (people who reported), and per step (acknowledge, arrive, resolve) how many reached it,
    median and 90th percentile in minutes; SLA compliance in %."""

    key: str
    reported: int
    reports: int
    reached: dict[str, int]
    median: dict[str, float | None]
    p90: dict[str, float | None]
    acknowledge_sla: float | None
    resolve_sla: float | None


def response_times(room: LiveRoom, scope: Scope, *, by: Principal, group: str = "agency",
                   at: datetime | None = None, exact: bool = False) -> list[Times]:
    """Per agency or district: times to acknowledge, arrive and resolve, and SLA compliance
    as of `at` (default now). Long or busy periods (`reads_histograms`) read the daily
    rollups (percentiles within 5%) unless `exact` (or by officer within a district or
    category: the officers' rollup has neither)."""
    return response_times_by(room, scope, by=by, groups=(group,), at=at, exact=exact)[group]


def response_times_by(room: LiveRoom, scope: Scope, *, by: Principal, groups: Sequence[str],
                      at: datetime | None = None, exact: bool = False
                      ) -> dict[str, list[Times]]:
    """`response_times` for several groups, as of one moment; on SQLite the exact ones
    come from one pass over the period's incidents."""
    if unknown := [group for group in groups if group not in GROUPS]:
        raise InvalidCommand(f"response times by {unknown[0]!r}? one of {', '.join(GROUPS)}")
    at = at or room.clock()
    found: dict[str, list[Times]] = {}
    rolled = not exact and reads_histograms(room, scope, by)
    for group in groups:
        officers_rolled = group != "officer" or not (scope.district or scope.category)
        if rolled and officers_rolled:
            found[group] = _rolled_up_times(room, scope, by, group, at)
    if precise := [group for group in groups if group not in found]:
        where = _where(room, scope, by)
        with room.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                found.update({group: _ordered_set_times(conn, group, where, at)
                              for group in precise})
            else:
                found.update(_sorted_times(conn, precise, where, at))
    return {group: found[group] for group in groups}


def reads_histograms(room: LiveRoom, scope: Scope, by: Principal) -> bool:
    """Whether the scope's percentiles come from the histograms: a period longer than
    EXACT_PERCENTILE_DAYS, or one holding more than EXACT_PERCENTILE_INCIDENTS incidents
    (counted in the daily rollup)."""
    if len(scope.period.days) > EXACT_PERCENTILE_DAYS:
        return True
    with room.engine.connect() as conn:
        reported = conn.execute(select(func.sum(D.c.reported)).where(
            *_rolled_where(D, scope, by))).scalar()
    return int(reported or 0) > EXACT_PERCENTILE_INCIDENTS


def _ordered_set_times(conn, group: str, where: list, at: datetime) -> list[Times]:
    """PostgreSQL, one group in one pass: ordered-set aggregates."""
    key = GROUPS[group].label("key")
    compliance = [total for _, done, due in DEADLINES for total in _compliance(done, due, at)]
    steps = [part for column in STEPS.values() for part in _ordered(column)]
    query = select(key, func.count(), func.sum(rollups.REPORTS), *compliance, *steps
                   ).where(*where)
    query = query.group_by(key) if group != "city" else query  # (no constant groups)
    rows = {}
    for k, reported, reports, *sums, ack_n, ack, arrive_n, arrive, resolve_n, resolve in (
            conn.execute(query)):
        found = {"acknowledge": (ack_n, ack), "arrive": (arrive_n, arrive),
                 "resolve": (resolve_n, resolve)}
        rows[k or ""] = _row(reported, int(reports or 0), sums, {
            step: (n, *(ranks or (None, None))) for step, (n, ranks) in found.items()})
    return _times(rows)


def _sorted_times(conn, groups: list[str], where: list, at: datetime
                  ) -> dict[str, list[Times]]:
    """SQLite (no ordered-set aggregates), every group in one pass: each incident's keys,
    SLA flags and step durations, counted and sorted here (nearest rank, as PostgreSQL's
    `percentile_disc`)."""
    flags = [case((condition, 1), else_=0) for _, done, due in DEADLINES
             for condition in _sla_conditions(done, due, at)]
    seconds = [seconds_between(I.c.reported_at, column) for column in STEPS.values()]
    keys = [GROUPS[group] for group in groups]
    incidents = conn.execute(select(*keys, rollups.REPORTS, *flags, *seconds).where(*where)
                             ).all()
    found = {}
    for index, group in enumerate(groups):
        members: dict[str, list] = {}
        for incident in incidents:
            members.setdefault(incident[index], []).append(incident[len(keys):])
        rows = {}
        for k, its in members.items():
            reports, *columns = list(zip(*its, strict=True))
            durations = [sorted(v for v in column if v is not None)
                         for column in columns[len(flags):]]
            rows[k or ""] = _row(len(its), sum(reports),
                                 [sum(column) for column in columns[:len(flags)]], {
                step: (len(values), _nearest_rank(values, 0.5), _nearest_rank(values, 0.9))
                for step, values in zip(STEPS, durations, strict=True) if values})
        found[group] = _times(rows)
    return found


def _nearest_rank(ordered: list[float], share: float) -> float:
    """The smallest value at least `share` of `ordered` are no larger than."""
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def _times(rows: dict[str, dict]) -> list[Times]:
    return [Times(key=k, reported=r["reported"], reports=r["reports"],
                  reached={s: r["steps"].get(s, (0,))[0] for s in STEPS},
                  median={s: _minutes(r["steps"].get(s, (0, None))[1]) for s in STEPS},
                  p90={s: _minutes(r["steps"].get(s, (0, None, None))[2]) for s in STEPS},
                  acknowledge_sla=r["acknowledge_sla"], resolve_sla=r["resolve_sla"])
            for k, r in sorted(rows.items())]


def _rolled_up_times(room: LiveRoom, scope: Scope, by: Principal, group: str,
                     at: datetime) -> list[Times]:
    """`response_times` from the rollups: counts (incidents and reports) and SLA sums of
    the days settled by `at` (every deadline and step of theirs is past), the other days'
    SLA sums from the incidents, and percentiles from the duration histograms (whole
    months' and the other days')."""
    rollup = rollups.OFFICERS if group == "officer" else rollups.INCIDENTS
    counts, column = rollup.days, GROUP_COLUMNS.get(group)

    def key(table):
        return (table.c[column] if column else literal_column("'city'")).label("key")

    def grouped(query, table, *more):
        """Grouped by the key (none for the city: a constant is no group) and `more`."""
        return query.group_by(*([key(table)] if column else []), *more)

    where, moment = _rolled_where(counts, scope, by), literal(at, schema.UTCDateTime())
    with room.engine.connect() as conn:
        unsettled = list(conn.execute(select(counts.c.day).distinct().where(
            *where, counts.c.settled_at > moment)).scalars())
        settled = counts.c.day.not_in(unsettled) if unsettled else literal(True)
        sums = [func.sum(case((settled, counts.c[f"{name}_{part}"]), else_=0))
                for name, _, _ in rollups.DEADLINES for part in ("on_time", "counted")]
        totals = {k: [int(n or 0) for n in found] for k, *found in conn.execute(
            grouped(select(key(counts), func.sum(counts.c.reported), func.sum(counts.c.reports),
                           *sums).where(*where), counts))}
        if unsettled:
            zone = room.city.timezone
            days = or_(*[and_(I.c.reported_at >= start, I.c.reported_at < end)
                         for start, end in (rollups.day_bounds(d, zone) for d in unsettled)])
            compliance = [part for _, done, due in DEADLINES
                          for part in _compliance(done, due, at)]
            held = [I.c.officer_id.isnot(None)] if group == "officer" else []
            for k, *found in conn.execute(grouped(select(key(I), *compliance).where(
                    *_narrowed(I, scope, by), days, *held), I)):
                before = totals.get(k)
                if before:  # (each of these days has its counts in the rollup)
                    totals[k] = before[:2] + [a + int(b or 0)
                                              for a, b in zip(before[2:], found, strict=True)]
        histograms: dict[str, dict[str, dict[int, int]]] = {}
        for table, clauses in _histogram_spans(rollup, scope, by):
            query = select(key(table), table.c.step, table.c.bucket, func.sum(table.c.n))
            for k, step, index, n in conn.execute(grouped(query.where(*clauses), table,
                                                          table.c.step, table.c.bucket)):
                found = histograms.setdefault(k, {}).setdefault(step, {})
                found[index] = found.get(index, 0) + int(n)
    rows = {}
    for k, (reported, reports, *sla) in totals.items():
        steps = {step: (sum(found.values()), rollups.percentile(found, 0.5),
                        rollups.percentile(found, 0.9))
                 for step, found in histograms.get(k, {}).items()}
        rows[k or ""] = _row(reported, reports, sla, steps)
    return _times(rows)


def _histogram_spans(rollup, scope: Scope, by: Principal) -> list[tuple]:
    """Where the period's histograms are, as (table, clauses), each one range of days (an
    index reads it): the months lying wholly within it, and its days before and after."""
    first, last = scope.period.first, scope.period.last
    months = rollups.whole_months(first, last)
    if months is None:
        return [(rollup.durations, _rolled_where(rollup.durations, scope, by))]
    after = rollups.month_of(months[1] + timedelta(days=32))  # (the day after the months)
    spans = [(rollup.months, months[0], months[1]), (rollup.durations, first,
                                                     months[0] - timedelta(days=1)),
             (rollup.durations, after, last)]
    return [(table, [*_narrowed(table, scope, by), table.c.day >= start, table.c.day <= end])
            for table, start, end in spans if start <= end]


def _row(reported: int, reports: int, sums: list, steps: dict) -> dict:
    ack_on_time, ack_counted, on_time, counted = sums
    return {"reported": reported, "reports": reports, "steps": steps,
            "acknowledge_sla": percent(ack_on_time, ack_counted),
            "resolve_sla": percent(on_time, counted)}


def _sla_conditions(done, due, at: datetime) -> tuple:
    """(done by the deadline, counted): counted are those done by `at` or whose deadline
    passed by then, unless rejected or marked a duplicate (nothing was owed)."""
    moment = literal(at, schema.UTCDateTime())
    finished = and_(done.isnot(None), done <= moment)
    counted = and_(or_(finished, and_(due.isnot(None), due <= moment)),
                   I.c.rejected_at.is_(None), I.c.duplicate_at.is_(None))
    return and_(counted, finished, due.isnot(None), done <= due), counted


def _compliance(done, due, at: datetime) -> tuple:
    """The sums of `_sla_conditions`."""
    return tuple(func.sum(case((condition, 1), else_=0))
                 for condition in _sla_conditions(done, due, at))


def percent(part, whole) -> float | None:
    return round(100.0 * part / whole, 1) if whole else None


def _ordered(column) -> tuple:
    """How many reached the step, and [median, p90] seconds: PostgreSQL's ordered-set
    aggregate, one sort for both (`percentile_disc` is the nearest rank)."""
    seconds = seconds_between(I.c.reported_at, column)
    ranks = func.percentile_disc(postgresql.array([0.5, 0.9])).within_group(seconds)
    return func.count(column), type_coerce(ranks, postgresql.ARRAY(Float))


def _minutes(seconds) -> float | None:
    return None if seconds is None else round(float(seconds) / 60.0, 1)


def flagged(room: LiveRoom, scope: Scope, *, by: Principal,
            groups: Sequence[str] = ("agency", "district")) -> dict[str, dict[str, int]]:
    """Per group (agency, district, …), how many of the scope's incidents were flagged by
    an escalation rule: {group: {key: count}} (keys with none left out)."""
    found: dict[str, dict[str, int]] = {}
    with room.engine.connect() as conn:
        for group in groups:
            key = GROUPS[group].label("key")
            query = select(key, func.count()).where(
                *_where(room, scope, by), I.c.flagged_at.isnot(None))
            query = query.group_by(key) if group != "city" else query
            found[group] = {k or "": n for k, n in conn.execute(query) if n}
    return found


def hexbins(room: LiveRoom, scope: Scope, *, by: Principal,
            cell_m: float = 500.0) -> list[tuple[float, float, int]]:
    """Where reports come from: counts on a square grid of `cell_m` metres (the cells'
    centres), for a heat map; computed in SQL."""
    size = cell_m / 111_320.0  # degrees of latitude; longitude cells are as many degrees
    row = func.floor(I.c.lat / size).label("row")
    col = func.floor(I.c.lon / size).label("col")
    query = (select(row, col, func.count()).where(*_where(room, scope, by))
             .group_by(row, col).order_by(func.count().desc()))
    with room.engine.connect() as conn:
        return [((r + 0.5) * size, (c + 0.5) * size, n) for r, c, n in conn.execute(query)]


def recurring(room: LiveRoom, scope: Scope, *, by: Principal,
              limit: int = 10) -> list[tuple[str, str, int]]:
    """The top recurring problems: (category, district, reports), most first."""
    n = func.sum(D.c.reported)
    query = (select(D.c.category, D.c.district, n)
             .where(*_rolled_where(D, scope, by)).group_by(D.c.category, D.c.district)
             .order_by(n.desc(), D.c.category, D.c.district).limit(limit))
    with room.engine.connect() as conn:
        return [(c, d or "", int(n)) for c, d, n in conn.execute(query)]

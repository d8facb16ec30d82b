"""Daily rollups of the incidents table, so that long periods read thousands of rows, not a
million. Two of them, each a `Rollup`:

- INCIDENTS, per local day × agency × district × category: the count reported (also per
  channel), the reports they had (`REPORTS`) and the SLA counts, and per step a histogram
  of durations;
- OFFICERS, the same per day × officer (who held the incident last) × agency.

Histograms are kept per day and per month (the month's rows are the sum of its days'), so
a year reads twelve months' rows and the days of the months it only partly covers.

The archive projection recomputes the days a batch touched from the incidents table, in the
batch's transaction (`recompute`), so a rollup always says what the rows say; a rebuild
recomputes every day. Readers: `liveroom.reporting.kpi.figures`.

Durations fall in buckets growing by BUCKET_GROWTH: a percentile read from them is the
bucket's geometric middle, within ±(√BUCKET_GROWTH − 1) ≈ 4.9% of the exact value.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, Table, and_, case, delete, exists, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from liveroom.archive import schema

I = schema.incidents  # noqa: E741
#: the steps whose durations (from the report) are kept, and the column that dates each
STEPS = {"acknowledge": "acknowledged_at", "arrive": "on_scene_at", "resolve": "resolved_at"}
#: the SLA counts kept: (name, the step's column, its deadline's column)
DEADLINES = (("acknowledge", "acknowledged_at", "acknowledge_due"),
             ("resolve", "resolved_at", "resolve_due"))
#: an incident's reports: its callers (`incidents.reporters`), none for a duplicate (its
#: callers count on the incident it duplicates)
REPORTS = case((I.c.duplicate_at.is_(None), I.c.reporters), else_=0)
BUCKET_GROWTH = 1.1
_LOG_GROWTH = math.log(BUCKET_GROWTH)
_READ = (I.c.reported_at, REPORTS.label("reports"), I.c.agency, I.c.district, I.c.category,
         I.c.source, I.c.officer_id, I.c.rejected_at, I.c.duplicate_at, I.c.acknowledge_due,
         I.c.resolve_due,
         *(I.c[column] for column in STEPS.values()))


@dataclass(frozen=True)
class Rollup:
    """One rollup's tables and the incident columns that key it (`counted_by`: more keys of
    the counts only; `required`: incidents without it are left out)."""

    days: Table
    durations: Table
    months: Table
    key: tuple[str, ...]
    counted_by: tuple[str, ...] = ()
    required: str | None = None

    def key_of(self, row: Mapping) -> tuple[str, ...] | None:
        """The row's key ('' for no value), or None when the rollup leaves it out."""
        if self.required and not row[self.required]:
            return None
        return tuple(row[name] or "" for name in self.key)


INCIDENTS = Rollup(schema.incident_days, schema.incident_day_durations,
                   schema.incident_month_durations, ("agency", "district", "category"),
                   ("source",))
OFFICERS = Rollup(schema.officer_days, schema.officer_day_durations,
                  schema.officer_month_durations, ("officer_id", "agency"),
                  required="officer_id")  # (nobody held it: no officer's figure)
ROLLUPS = (INCIDENTS, OFFICERS)


def bucket(seconds: float) -> int:
    """The bucket a duration falls in: 0 under a second, then BUCKET_GROWTH-fold wider."""
    return 0 if seconds < 1 else 1 + int(math.log(seconds) / _LOG_GROWTH)


def bucket_seconds(index: int) -> float:
    """The duration a bucket stands for: its geometric middle (0 for bucket 0)."""
    return 0.0 if index <= 0 else BUCKET_GROWTH ** (index - 0.5)


def percentile(histogram: Mapping[int, int], share: float) -> float | None:
    """Nearest rank over a histogram {bucket: n}: the smallest bucket at least `share` of
    the durations fall in or under, as seconds."""
    total = sum(histogram.values())
    if not total:
        return None
    rank, seen = math.ceil(share * total), 0
    for index in sorted(histogram):
        seen += histogram[index]
        if seen >= rank:
            return bucket_seconds(index)
    return None  # (unreachable: seen ends at total)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    return datetime.combine(day, time(), zone), datetime.combine(day + timedelta(1), time(), zone)


def month_of(day: date) -> date:
    return day.replace(day=1)


def whole_months(first: date, last: date) -> tuple[date, date] | None:
    """The first days of the first and the last month lying wholly within [first, last]."""
    start = first if first.day == 1 else month_of(first + timedelta(days=32))
    end = month_of(last + timedelta(days=1))  # (the month after the last whole one)
    if start >= end:
        return None
    return start, month_of(end - timedelta(days=1))


def recompute(conn: Connection, zone: ZoneInfo, days: Iterable[date] | None = None) -> None:
    """Rewrite the rollups of `days` (None: every day) from the incidents table."""
    days = None if days is None else sorted(set(days))
    if days == []:
        return
    query = select(*_READ)
    if days is not None:
        query = query.where(or_(*[and_(I.c.reported_at >= start, I.c.reported_at < end)
                                  for start, end in (day_bounds(d, zone) for d in days)]))
    counts: dict[Rollup, dict[tuple, list]] = {r: defaultdict(_zero) for r in ROLLUPS}
    durations: dict[Rollup, Counter[tuple]] = {r: Counter() for r in ROLLUPS}
    for row in conn.execute(query).mappings():
        day = row["reported_at"].astimezone(zone).date()
        for rollup in ROLLUPS:
            key = rollup.key_of(row)
            if key is not None:
                counted = (day, *key, *(row[name] for name in rollup.counted_by))
                _count(counts[rollup][counted], row)
                for step, column in STEPS.items():
                    if row[column] is not None:
                        seconds = (row[column] - row["reported_at"]).total_seconds()
                        durations[rollup][(day, *key, step, bucket(max(seconds, 0.0)))] += 1
    for rollup in ROLLUPS:
        _write(conn, rollup, days, counts[rollup], durations[rollup])


def _zero() -> list:
    return [0, 0, 0, 0, 0, 0, None]


def _count(summed: list, row: Mapping) -> None:
    """Add one incident to a counts row: [reported, reports, ack on time, ack counted,
    resolve on time, resolve counted, settled at]."""
    summed[0] += 1
    summed[1] += row["reports"]
    owed = row["rejected_at"] is None and row["duplicate_at"] is None
    for i, (_, done_column, due_column) in enumerate(DEADLINES):
        done, due = row[done_column], row[due_column]
        if owed and (done is not None or due is not None):
            summed[3 + 2 * i] += 1
            summed[2 + 2 * i] += done is not None and due is not None and done <= due
    moments = [row[c] for c in (*STEPS.values(), "acknowledge_due", "resolve_due") if row[c]]
    if moments and (summed[6] is None or max(moments) > summed[6]):
        summed[6] = max(moments)


def _write(conn: Connection, rollup: Rollup, days: list[date] | None,
           counts: Mapping[tuple, list], durations: Counter[tuple]) -> None:
    months = rollup.months
    if days is None:
        old = None
        for table in (rollup.days, rollup.durations, months):
            conn.execute(delete(table))
    else:
        old = _stored(conn, rollup.durations, days)
        for table in (rollup.days, rollup.durations):
            conn.execute(delete(table).where(table.c.day.in_(days)))
    keys = ("day", *rollup.key)
    if counts:
        conn.execute(insert(rollup.days), [
            {**dict(zip((*keys, *rollup.counted_by), key, strict=True)), "reported": c[0],
             "reports": c[1], "acknowledge_on_time": c[2], "acknowledge_counted": c[3],
             "resolve_on_time": c[4], "resolve_counted": c[5], "settled_at": c[6]}
            for key, c in counts.items()])
    names = (*keys, "step", "bucket")
    if durations:
        conn.execute(insert(rollup.durations), [
            {**dict(zip(names, key, strict=True)), "n": n} for key, n in durations.items()])
    change: Counter[tuple] = Counter()  # the months' rows move by what their days did
    for key, n in durations.items():
        change[(month_of(key[0]), *key[1:])] += n
    for key, n in (old or {}).items():
        change[(month_of(key[0]), *key[1:])] -= n
    moved = [{**dict(zip(names, key, strict=True)), "n": n} for key, n in change.items() if n]
    if moved:
        dialect = sqlite_insert if conn.dialect.name == "sqlite" else pg_insert
        statement = dialect(months)
        conn.execute(statement.on_conflict_do_update(
            index_elements=list(names), set_={"n": months.c.n + statement.excluded.n}), moved)
        if old:
            conn.execute(delete(months).where(months.c.n <= 0, months.c.day.in_(
                sorted({month_of(d) for d in days or ()}))))


def _stored(conn: Connection, table: Table, days: list[date]) -> Counter[tuple]:
    """The duration rows of `days` as they are (before they are rewritten)."""
    columns = [c for c in table.c if c.name != "n"]
    return Counter({tuple(row[:-1]): row[-1] for row in conn.execute(
        select(*columns, table.c.n).where(table.c.day.in_(days)))})


def days_of(conn: Connection, zone: ZoneInfo, incident_ids: Iterable[str]) -> set[date]:
    """The local days these incidents were reported on (what their changes touch)."""
    ids, found = sorted(set(incident_ids)), set()
    for start in range(0, len(ids), 500):
        query = select(I.c.reported_at).where(I.c.id.in_(ids[start:start + 500]))
        found |= {at.astimezone(zone).date() for at in conn.execute(query).scalars()}
    return found


def fill_if_empty(engine: Engine, zone: ZoneInfo) -> None:
    """Fill the rollups of an archive that has incidents but none (e.g. just migrated)."""
    with engine.begin() as conn:
        if conn.execute(select(exists().where(I.c.id.isnot(None)))).scalar() and not (
                conn.execute(select(exists().where(INCIDENTS.days.c.day.isnot(None)))).scalar()):
            recompute(conn, zone)

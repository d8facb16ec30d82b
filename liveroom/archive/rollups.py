"""Daily rollups of the incidents table, so that long periods read hundreds of rows, not a
million: per local day × agency × district × category (× channel), the count reported and
the SLA counts, and per step a histogram of durations.

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
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, and_, delete, exists, insert, or_, select
from sqlalchemy.engine import Connection

from liveroom.archive import schema

I = schema.incidents  # noqa: E741
DAYS, DURATIONS = schema.incident_days, schema.incident_day_durations
#: the steps whose durations (from the report) are kept, and the column that dates each
STEPS = {"acknowledge": "acknowledged_at", "arrive": "on_scene_at", "resolve": "resolved_at"}
#: the SLA counts kept: (name, the step's column, its deadline's column)
DEADLINES = (("acknowledge", "acknowledged_at", "acknowledge_due"),
             ("resolve", "resolved_at", "resolve_due"))
BUCKET_GROWTH = 1.1
_LOG_GROWTH = math.log(BUCKET_GROWTH)
_READ = (I.c.reported_at, I.c.agency, I.c.district, I.c.category, I.c.source,
         I.c.rejected_at, I.c.duplicate_at, I.c.acknowledge_due, I.c.resolve_due,
         *(I.c[column] for column in STEPS.values()))


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


def recompute(conn: Connection, zone: ZoneInfo, days: Iterable[date] | None = None) -> None:
    """Rewrite the rollups of `days` (None: every day) from the incidents table."""
    days = None if days is None else sorted(set(days))
    if days == []:
        return
    query = select(*_READ)
    if days is not None:
        query = query.where(or_(*[and_(I.c.reported_at >= start, I.c.reported_at < end)
                                  for start, end in (day_bounds(d, zone) for d in days)]))
    counts: dict[tuple, list] = defaultdict(lambda: [0, 0, 0, 0, 0, None])
    durations: Counter[tuple] = Counter()
    for row in conn.execute(query).mappings():
        key = (row["reported_at"].astimezone(zone).date(), row["agency"] or "",
               row["district"] or "", row["category"])
        summed = counts[(*key, row["source"])]
        summed[0] += 1
        owed = row["rejected_at"] is None and row["duplicate_at"] is None
        for i, (_, done_column, due_column) in enumerate(DEADLINES):
            done, due = row[done_column], row[due_column]
            if owed and (done is not None or due is not None):
                summed[2 + 2 * i] += 1
                summed[1 + 2 * i] += done is not None and due is not None and done <= due
        moments = [row[c] for c in (*STEPS.values(), "acknowledge_due", "resolve_due") if row[c]]
        if moments and (summed[5] is None or max(moments) > summed[5]):
            summed[5] = max(moments)
        for step, column in STEPS.items():
            if row[column] is not None:
                seconds = (row[column] - row["reported_at"]).total_seconds()
                durations[(*key, step, bucket(max(seconds, 0.0)))] += 1
    conn.execute(delete(DAYS).where(DAYS.c.day.in_(days)) if days else delete(DAYS))
    conn.execute(delete(DURATIONS).where(DURATIONS.c.day.in_(days)) if days else
                 delete(DURATIONS))
    names = ("day", "agency", "district", "category")
    if counts:
        conn.execute(insert(DAYS), [
            {**dict(zip((*names, "source"), key, strict=True)), "reported": c[0],
             "acknowledge_on_time": c[1], "acknowledge_counted": c[2],
             "resolve_on_time": c[3], "resolve_counted": c[4], "settled_at": c[5]}
            for key, c in counts.items()])
    if durations:
        conn.execute(insert(DURATIONS), [
            {**dict(zip(names, key[:4], strict=True)), "step": key[4], "bucket": key[5], "n": n}
            for key, n in durations.items()])


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
                conn.execute(select(exists().where(DAYS.c.day.isnot(None)))).scalar()):
            recompute(conn, zone)

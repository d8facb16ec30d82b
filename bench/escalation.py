"""The escalation pass over many open incidents with due times, against a naive scan.

    .venv/bin/python bench/escalation.py [--incidents 10000] [--due 100]

Reports `--incidents` incidents whose acknowledge deadlines are spread over the next ten
hours, lets the escalation policy index them, then moves the room's clock on until about
`--due` have fallen due and times one pass (`EscalationPolicy.tick`: the index read, and
an `incident.escalated` appended for each), then a pass with nothing due. The baseline, in
the same run: the naive way of finding what is due, reading every open incident's hash and
comparing its deadline in Python. Uses `LIVEROOM_REDIS_URL` / `LIVEROOM_DATABASE_URL` when
set, else the embedded defaults; a fresh namespace, cleaned up after.
"""

from __future__ import annotations

import argparse
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
from liveroom.config import Settings
from liveroom.demo.seed import random_point
from liveroom.live.projection import LiveIncidents
from liveroom.projections.policies.escalation import EscalationPolicy
from liveroom.projections.runner import Projector
from liveroom.room import LiveRoom
from liveroom.streams import delete_matching

SPREAD = timedelta(hours=10)
CATEGORY = "sampah-menumpuk"  # acknowledge within 60 minutes


def naive_due(room: LiveRoom, now: datetime) -> list[str]:
    """Baseline: every open incident's hash read, its deadline compared in Python."""
    ids = room.redis.zrange(room.live.status("triaged"), 0, -1)
    pipe = room.redis.pipeline(transaction=False)
    for incident_id in ids:
        pipe.hgetall(room.live.incident(incident_id))
    return [data["id"] for data in pipe.execute()
            if data.get("acknowledge_due")
            and datetime.fromisoformat(data["acknowledge_due"]) <= now]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--incidents", type=int, default=10_000)
    parser.add_argument("--due", type=int, default=100)
    run_on_a_fresh_archive(run, parser.parse_args())


def run(args: argparse.Namespace, database_url: str | None) -> None:
    import random

    data_dir = Path(tempfile.mkdtemp(prefix="liveroom-bench-"))
    settings = Settings(data_dir=data_dir, redis_namespace="{bench-" + uuid.uuid4().hex[:8] + "}",
                        projections=False, database_url=database_url, duplicate_radius_m=0)
    room = LiveRoom.open(settings)
    migrate(room.engine)
    rng = random.Random(1)
    start = datetime.now(UTC)
    moment = {"now": start}
    room.clock = lambda: moment["now"]
    try:
        step = SPREAD / args.incidents
        began = time.perf_counter()
        for n in range(args.incidents):  # reported an hour before its deadline, spread out
            moment["now"] = start - timedelta(hours=1) + step * n
            lat, lon = random_point(room.city, rng)
            report_incident(room, category=CATEGORY, lat=lat, lon=lon, source="bench",
                            by=SYSTEM)
        moment["now"] = start
        for reader in (LiveIncidents(room), EscalationPolicy(room)):
            Projector(room, reader, consumer="bench").drain()
        print(f"{args.incidents} incidents reported and indexed in "
              f"{time.perf_counter() - began:.1f} s")

        moment["now"] = start + step * args.due
        began = time.perf_counter()
        found = naive_due(room, moment["now"])
        naive = time.perf_counter() - began
        policy = EscalationPolicy(room)
        began = time.perf_counter()
        escalated = policy.tick()
        one_pass = time.perf_counter() - began
        began = time.perf_counter()
        policy.tick()
        quiet = time.perf_counter() - began
        print(f"naive scan of every open incident: {naive * 1000:.1f} ms "
              f"({len(found)} due found, none escalated)")
        print(f"escalation pass, {escalated} escalated: {one_pass * 1000:.1f} ms "
              f"({naive / one_pass:.1f}x the naive scan's speed, escalating included)")
        print(f"escalation pass, nothing due: {quiet * 1000:.2f} ms "
              f"({naive / quiet:.0f}x faster than the naive scan)")
        if one_pass >= 1:
            sys.exit(1)
    finally:
        delete_matching(room.redis, room.keys.pattern("*"))
        room.close()


if __name__ == "__main__":
    main()

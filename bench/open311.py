"""Citizen reports accepted per second through the Open311 HTTP endpoint, as a ratio to
raw pipelined XADD into the same Redis in the same run.

    .venv/bin/python bench/open311.py [--reports 2000] [--clients 8]

Starts the real app (`python -m liveroom run`, projections on) on a free port with
a fresh data dir and namespace; uses LIVEROOM_REDIS_URL / LIVEROOM_DATABASE_URL
when set. Each report is two events (received, triaged).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.app import bench_app, run_on_a_fresh_archive
from bench.events import raw_xadd
from liveroom.access import SYSTEM
from liveroom.commands.accounts import create_api_key
from liveroom.demo.seed import random_point, sample_answers
from liveroom.domain.events import ReportReceived, encode


async def post_all(url: str, key: str, points: list[tuple[float, float]], clients: int,
                   services: list[dict[str, str]]) -> list[int]:
    statuses: list[int] = []
    queue: asyncio.Queue = asyncio.Queue()
    for item in points:
        queue.put_nowait(item)

    async def worker(client: httpx.AsyncClient) -> None:
        while not queue.empty():
            lat, lon = queue.get_nowait()
            response = await client.post(url, data={
                "api_key": key, **random.choice(services), "lat": lat, "long": lon,
                "description": "Laporan uji beban"})
            statuses.append(response.status_code)

    async with httpx.AsyncClient(timeout=30) as client:
        await asyncio.gather(*(worker(client) for _ in range(clients)))
    return statuses


def run(args: argparse.Namespace, database_url: str | None) -> None:
    with bench_app(database_url, LIVEROOM_OPEN311_POSTS_PER_MINUTE=str(10**9)) as (room, app):
        key = create_api_key(room, "bench", by=SYSTEM).secret
        rng = random.Random(3)
        points = [random_point(room.city, rng) for _ in range(args.reports)]
        sample = encode(ReportReceived(incident_id="000000-AAAAA", occurred_at=datetime.now(UTC),
                                       actor="b", category="banjir", lat=points[0][0],
                                       lon=points[0][1], source="bench",
                                       description="Laporan uji beban"))
        baseline = raw_xadd(room, sample, args.reports * 2)
        started = time.perf_counter()
        services = [{"service_code": c.code, **{f"attribute[{k}]": v for k, v in
                                                sample_answers(c, rng).items()}}
                    for c in room.city.categories.values()]
        statuses = asyncio.run(post_all(f"{app.url}/open311/v2/requests.json", key, points,
                                        args.clients, services))
        elapsed = time.perf_counter() - started
    accepted = statuses.count(201)
    reports_per_s = accepted / elapsed
    print(f"# {args.reports} Open311 POSTs from {args.clients} concurrent clients, one app "
          f"process; archive on {'postgresql' if database_url else 'sqlite'}")
    print(f"accepted {accepted}/{len(statuses)} (others: {sorted(set(statuses) - {201})})")
    print(f"{'raw pipelined XADD (events/s)':44} {baseline:>10,.0f} {1:>11.2f}x")
    print(f"{'Open311 POST (reports/s)':44} {reports_per_s:>10,.0f}")
    print(f"{'Open311 POST (events/s, 2 per report)':44} {2 * reports_per_s:>10,.0f} "
          f"{2 * reports_per_s / baseline:>11.4f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    run_on_a_fresh_archive(run, args)


if __name__ == "__main__":
    main()

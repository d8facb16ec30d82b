"""Citizen reports accepted per second through the Open311 HTTP endpoint, as a ratio to
raw pipelined XADD into the same Redis in the same run.

    .venv/bin/python bench/open311.py [--reports 2000] [--clients 8] [--workers 1 2 4] [--profile]

Starts the real app (`python -m liveroom run`, projections on) on a free port with
a fresh data dir and namespace; uses LIVEROOM_REDIS_URL / LIVEROOM_DATABASE_URL
when set. Each report is two events (received, triaged). With `--workers`, each count is
also run as deployed: `uvicorn app:server --workers N` beside one `liveroom work`
process for the projections, on the same Redis and archive. `--profile` samples the
1-worker run with py-spy and prints its CPU per report and where it went.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import subprocess
import sys
import time
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cpu
from bench.app import bench_app, projections_worker, run_on_a_fresh_archive
from bench.events import raw_xadd
from liveroom.access import SYSTEM
from liveroom.commands.accounts import create_api_key
from liveroom.demo.seed import random_point, sample_answers
from liveroom.domain.events import ReportReceived, encode
from tests.app_process import free_port


def uvicorn_workers(app, workers: int) -> tuple[subprocess.Popen, str]:
    """`uvicorn app:server --workers N` on the bench app's settings, projections off (they
    run in `liveroom work`); (process, its URL) once it answers."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:server", "--host", "127.0.0.1", "--port",
         str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        cwd=Path(__file__).resolve().parent.parent, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env={**app.env, "LIVEROOM_PROJECTIONS": "off"})
    url, deadline = f"http://127.0.0.1:{port}", time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    process.terminate()
    raise TimeoutError("uvicorn did not start")


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
        scaled, cpu_per_report = {}, 0.0
        profile = Path(app.log).with_name("worker-profile.txt")
        app.stop()  # (its projections would compete with the worker's)
        with projections_worker(app):
            for workers in args.workers:
                process, url = uvicorn_workers(app, workers)
                sample = args.profile and workers == 1  # (one process: uvicorn's own)
                try:
                    begun, used = time.perf_counter(), cpu.cpu_seconds(process.pid)
                    with cpu.sampled(process.pid, profile) if sample else nullcontext():
                        got = asyncio.run(post_all(f"{url}/open311/v2/requests.json", key,
                                                   points, args.clients * workers, services))
                    scaled[workers] = got.count(201) / (time.perf_counter() - begun)
                    if sample:
                        cpu_per_report = (cpu.cpu_seconds(process.pid) - used) / got.count(201)
                finally:
                    process.terminate()
                    process.wait(30)
    accepted = statuses.count(201)
    reports_per_s = accepted / elapsed
    print(f"# {args.reports} Open311 POSTs from {args.clients} concurrent clients, one app "
          f"process; archive on {'postgresql' if database_url else 'sqlite'}")
    print(f"accepted {accepted}/{len(statuses)} (others: {sorted(set(statuses) - {201})})")
    print(f"{'raw pipelined XADD (events/s)':44} {baseline:>10,.0f} {1:>11.2f}x")
    print(f"{'Open311 POST (reports/s)':44} {reports_per_s:>10,.0f}")
    print(f"{'Open311 POST (events/s, 2 per report)':44} {2 * reports_per_s:>10,.0f} "
          f"{2 * reports_per_s / baseline:>11.4f}x")
    for workers, rate in scaled.items():
        name = f"Open311 POST, {workers} uvicorn worker(s) (reports/s)"
        print(f"{name:44} {rate:>10,.0f} {2 * rate / baseline:>11.4f}x  "
              f"({args.clients * workers} clients; events/s vs raw XADD)")
    if cpu_per_report:
        print(f"1 uvicorn worker's CPU per report: {1000 * cpu_per_report:.2f} ms")
        cpu.print_profile(profile)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, nargs="*", default=[],
                        help="also run as deployed with these numbers of uvicorn workers")
    parser.add_argument("--profile", action="store_true",
                        help="sample the 1-worker run with py-spy; print where its CPU went")
    args = parser.parse_args()
    run_on_a_fresh_archive(run, args)


if __name__ == "__main__":
    main()

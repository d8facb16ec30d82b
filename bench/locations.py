"""Location fixes ingested per second over HTTP (OsmAnd protocol, concurrent trackers), as a
ratio to raw pipelined XADD into the same Redis in the same run; and the attendance
recap's query time for 1,000 officers x 30 days.

    .venv/bin/python bench/locations.py [--fixes 40000] [--senders 64] [--officers 1000]

Starts the real app (`python -m liveroom run`, projections on) with a fresh data dir
and namespace; uses LIVEROOM_REDIS_URL / LIVEROOM_DATABASE_URL when set. The senders are
a minimal HTTP/1.1 keep-alive client on asyncio (one request at a time per connection,
as a tracker sends), so that the client spends as little as possible of the machine's
two cores.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import orjson
import uvloop
from sqlalchemy import insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.app import bench_app, projections_worker, run_on_a_fresh_archive
from bench.events import raw_xadd
from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands import accounts
from liveroom.domain.events import OfficerLocated, encode
from liveroom.reporting.attendance import daily_recap
from liveroom.room import LiveRoom
from liveroom.streams import id_tuple


async def send_all(port: int, requests: list[bytes], senders: int) -> list[int]:
    """Send each request on one of `senders` keep-alive connections; the status codes."""
    statuses: list[int] = []
    queue = iter(requests)

    async def sender() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for request in queue:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            statuses.append(int(head[9:12]))
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if length:
                await reader.readexactly(length)
        writer.close()

    await asyncio.gather(*(sender() for _ in range(senders)))
    return statuses


def osmand_requests(devices: list[str], count: int, room: LiveRoom,
                    batch: int = 1) -> list[bytes]:
    """`count` fixes as OsmAnd GETs (batch 1) or Traccar Client JSON POSTs of `batch`."""
    rng = random.Random(5)
    start = int(time.time()) - count
    (south, west), (north, east) = room.city.bounds
    where = {d: [rng.uniform(south, north), rng.uniform(west, east)] for d in devices}

    def step(device: str) -> tuple[float, float]:  # ~10 m a fix: a vehicle in traffic
        point = where[device]
        point[0] += rng.uniform(-9e-5, 9e-5)
        point[1] += rng.uniform(-9e-5, 9e-5)
        return point[0], point[1]

    out = []
    for n in range(0, count, batch):
        device = devices[(n // batch) % len(devices)]
        if batch == 1:
            lat, lon = step(device)
            query = urlencode({"id": device, "timestamp": start + n, "lat": f"{lat:.6f}",
                               "lon": f"{lon:.6f}", "speed": "12.5", "bearing": "90",
                               "accuracy": "8", "batt": "77"})
            out.append(f"GET /?{query} HTTP/1.1\r\nHost: bench\r\n\r\n".encode())
            continue
        locations = []
        for i in range(batch):
            lat, lon = step(device)
            locations.append({
                "timestamp": datetime.fromtimestamp(start + n + i, UTC).isoformat(),
                "coords": {"latitude": lat, "longitude": lon, "speed": 6.4, "heading": 90,
                           "accuracy": 8}, "battery": {"level": 0.77}})
        body = orjson.dumps({"device_id": device, "location": locations})
        out.append(b"POST / HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                   + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
    return out


def wait_for_projection(room: LiveRoom, name: str, timeout: float = 120) -> float:
    started = time.perf_counter()
    stream = room.keys.stream("officers")
    last = room.redis.xrevrange(stream, count=1)[0][0]
    while time.perf_counter() - started < timeout:
        checkpoint = room.redis.get(room.keys.checkpoint(name))
        if id_tuple(checkpoint) >= id_tuple(last):
            break
        time.sleep(0.05)
    return time.perf_counter() - started


def fill_attendance(room: LiveRoom, officers: int, days: int) -> date:
    """1,000 officers x 30 days of check-ins straight into the archive (the query's input)."""
    zone, rng = room.city.timezone, random.Random(9)
    last = datetime.now(zone).date() - timedelta(days=1)
    first = last - timedelta(days=days - 1)
    posts = list(room.city.posts.values())
    officer_rows, sessions = [], []
    for n in range(officers):
        post = posts[n % len(posts)]
        officer_rows.append({"id": f"b-{n:04d}", "name": f"Petugas {n}", "agency": post.agency,
                             "post_id": post.id, "shift": "pagi", "active": True,
                             "registered_at": datetime(2026, 1, 1, tzinfo=UTC)})
        for d in range(days):
            day = first + timedelta(days=d)
            if rng.random() < 0.08:
                continue  # absent
            start = datetime.combine(day, datetime.min.time(), zone) + timedelta(hours=7)
            came = start + timedelta(minutes=rng.gauss(5, 12))
            sessions.append({
                "officer_id": f"b-{n:04d}", "post_id": post.id, "day": day,
                "checked_in_at": came, "check_in_method": "fix", "lat": post.centre[0],
                "lon": post.centre[1], "checked_out_at": start + timedelta(
                    hours=8, minutes=rng.gauss(0, 20)), "check_out_method": "fix",
                "shift": "pagi", "shift_start": start, "shift_end": start + timedelta(hours=8),
                "event_id": f"bench-{n}-{d}"})
    with room.engine.begin() as conn:
        conn.execute(insert(schema.officers), officer_rows)
        for chunk in range(0, len(sessions), 5000):
            conn.execute(insert(schema.attendance), sessions[chunk:chunk + 5000])
    return first


def run(args: argparse.Namespace, database_url: str | None) -> None:
    projections = "on" if args.projections == "in-process" else "off"
    with (bench_app(database_url, LIVEROOM_PROJECTIONS=projections) as (room, app),
          projections_worker(app) if args.projections == "worker" else nullcontext()):
        devices = [accounts.add_device(room, f"Bench {n}", agency="dishub", by=SYSTEM).secret
                   for n in range(args.officers)]
        sample = encode(OfficerLocated(officer_id=devices[0], occurred_at=datetime.now(UTC),
                                       actor="b", lat=-6.17, lon=106.63, speed=6.4,
                                       bearing=90, accuracy=8, battery=77))
        baseline = raw_xadd(room, sample, args.fixes)
        requests = osmand_requests(devices, args.fixes, room, args.batch)
        warm = max(1, 2000 // args.batch)
        asyncio.run(send_all(app.osmand_port, requests[:warm], args.senders))  # warm up
        started = time.perf_counter()
        statuses = asyncio.run(send_all(app.osmand_port, requests[warm:], args.senders))
        elapsed = time.perf_counter() - started
        catch_up = (wait_for_projection(room, "live-officers") if args.projections != "off"
                    else None)
        first = fill_attendance(room, 1000, 30)
        timings = []
        for _ in range(3):
            t = time.perf_counter()
            rows = daily_recap(room, first, first + timedelta(days=29), by=SYSTEM)
            timings.append(time.perf_counter() - t)
        t = time.perf_counter()
        one_day = daily_recap(room, first, first, by=SYSTEM)
        one_day_s = time.perf_counter() - t
    sent = len(statuses) * args.batch
    rate = sent / elapsed
    backend = (database_url or "sqlite").split(":")[0]
    kind = "OsmAnd GETs" if args.batch == 1 else f"JSON POSTs of {args.batch} locations"
    print(f"# {len(statuses)} {kind} over {args.senders} keep-alive connections from "
          f"{args.officers} devices; one app process, projections {args.projections}; "
          f"archive on {backend}")
    print(f"accepted {statuses.count(200)}/{len(statuses)} requests")
    print(f"{'raw pipelined XADD (fixes/s)':40} {baseline:>12,.0f}   1.00x")
    print(f"{'fixes over HTTP (fixes/s)':40} {rate:>12,.0f}   {rate / baseline:.3f}x")
    if catch_up is not None:
        print(f"live-officers caught up {catch_up:.2f} s after the last fix was accepted")
    print(f"recap 1,000 officers x 30 days ({len(rows):,} rows): best of 3 "
          f"{min(timings) * 1000:,.0f} ms; one day ({len(one_day):,} rows) "
          f"{one_day_s * 1000:,.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fixes", type=int, default=40_000)
    parser.add_argument("--senders", type=int, default=64)
    parser.add_argument("--officers", type=int, default=1000)
    parser.add_argument("--projections", default="worker",
                        choices=["worker", "in-process", "off"],
                        help="projections in a `liveroom work` process beside the app (as "
                             "deployed), in the app process's threads, or not at all")
    parser.add_argument("--batch", type=int, default=1,
                        help="locations per request: 1 = OsmAnd GET; more = the Traccar "
                             "Client's JSON batch")
    args = parser.parse_args()
    uvloop.install()
    run_on_a_fresh_archive(run, args)


if __name__ == "__main__":
    main()

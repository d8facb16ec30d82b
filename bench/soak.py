"""Soak: the deployed shape (`uvicorn app:server --workers 2`, two `liveroom work`) under
30 wall screens at the websocket level, tracker fixes in Traccar Client batches (5,000 a
second by default) and 60 Open311 reports a minute, for 10 minutes. Checks that every screen
stays live (no silence over `--silence` seconds, no error, not closed), every report reaches
every screen, the memory (RSS) of every process grows less than 10 % after the first minute,
and the streams stay bounded; prints a line of figures every `--every` seconds and a summary.

    .venv/bin/python bench/soak.py [--duration 600] [--screens 30] [--fixes 5000]
                                   [--devices 1000] [--batch 50] [--reports-per-minute 60]

Every report is its own incident (duplicate linking off: a report linked to an open one
nearby is no new point on the wall, and random points collide now and then). Fixes go to
`/osmand` on the workers' port (as trackers do in that shape) over keep-alive
connections; each device sends a batch of its last `--batch` fixes, moving a few metres a
fix. When the app cannot take them at the rate asked, the senders fall behind and the
figures say what was sustained. Uses LIVEROOM_REDIS_URL / LIVEROOM_DATABASE_URL when set
(embedded Redis and SQLite otherwise). Exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
import orjson
import psutil
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.app import bench_deployment, run_on_a_fresh_archive
from bench.screen import percentile
from bench.ws_screen import WsScreen, persistent_callbacks
from bench.ws_screen import sign_in as ws_sign_in
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.demo.seed import random_point
from liveroom.live.projection import CHANGES_KEPT
from liveroom.projections.health import projection_lag
from liveroom.projections.runner import all_policies, all_projections

PASSWORD = "kata-sandi-soak"
STREAMS = ("incidents", "officers")
GROWTH = 0.10  # RSS may grow this much after the first minute
#: bounded streams: trimmed behind the projections every 30 s (LIVEROOM_TRIM_INTERVAL_SECONDS),
#: so their oldest entry is never much older than that (while the projections keep up)
OLDEST = 120.0


@dataclass
class Figures:
    """What the load did, and what was seen of it."""

    fixes: int = 0  # accepted
    refused: dict[int, int] = field(default_factory=dict)  # status -> requests
    behind: float = 0.0  # how far the fix senders trail their schedule (s)
    reports: dict[str, float] = field(default_factory=dict)  # id -> sent (epoch s)
    report_errors: list[str] = field(default_factory=list)
    samples: list[dict] = field(default_factory=list)


class Devices:
    """Trackers moving about the city; each request one device's batch of fixes."""

    def __init__(self, room, secrets: list[str], batch: int, fixes_per_second: float) -> None:
        self.rng = random.Random(11)
        self.secrets, self.batch = secrets, batch
        self.spacing = len(secrets) / fixes_per_second  # seconds between one device's fixes
        self.where = {s: list(random_point(room.city, self.rng)) for s in secrets}
        self.next = 0

    def request(self, host: str) -> bytes:
        device = self.secrets[self.next % len(self.secrets)]
        self.next += 1
        point, now, locations = self.where[device], time.time(), []
        for i in range(self.batch):  # ~10 m a fix
            point[0] += self.rng.uniform(-9e-5, 9e-5)
            point[1] += self.rng.uniform(-9e-5, 9e-5)
            at = now - (self.batch - 1 - i) * self.spacing
            locations.append({"timestamp": datetime.fromtimestamp(at, UTC).isoformat(),
                              "coords": {"latitude": point[0], "longitude": point[1],
                                         "speed": 6.4, "heading": 90, "accuracy": 8},
                              "battery": {"level": 0.77}, "is_moving": True})
        body = orjson.dumps({"device_id": device, "location": locations})
        return (f"POST /osmand HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode() + body


async def send_fixes(port: int, devices: Devices, rate: float, until: float,
                     figures: Figures, connections: int) -> None:
    """Requests of `devices.batch` fixes at `rate` requests a second until `until`, over
    `connections` keep-alive connections (one request at a time each)."""
    start = time.monotonic()
    sent = 0

    async def sender() -> None:
        nonlocal sent
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while (now := time.monotonic()) < until:
                due = start + sent / rate
                if due > now:
                    await asyncio.sleep(due - now)
                figures.behind = max(0.0, time.monotonic() - (start + sent / rate))
                sent += 1
                writer.write(devices.request(f"127.0.0.1:{port}"))
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                if length:
                    await reader.readexactly(length)
                if status == 200:
                    figures.fixes += devices.batch
                else:
                    figures.refused[status] = figures.refused.get(status, 0) + 1
        finally:
            writer.close()

    await asyncio.gather(*(sender() for _ in range(connections)))


async def send_reports(url: str, key: str, room, per_minute: float, until: float,
                       figures: Figures) -> None:
    rng = random.Random(12)
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        while time.monotonic() < until:
            lat, lon = random_point(room.city, rng)
            sent = time.time()
            try:
                reply = await client.post("/open311/v2/requests.json", data={
                    "api_key": key, "service_code": "sampah-menumpuk", "lat": lat,
                    "long": lon, "description": "uji ketahanan"})
                if reply.status_code == 201:
                    figures.reports[reply.json()[0]["service_request_id"]] = sent
                else:
                    figures.report_errors.append(f"{reply.status_code} {reply.text[:100]}")
            except httpx.HTTPError as exc:
                figures.report_errors.append(repr(exc))
            await asyncio.sleep(max(0.0, 60 / per_minute - (time.time() - sent)))


def processes(deployment, room) -> dict[str, psutil.Process]:
    """Every process of the deployment by a name, and the Redis server if ours."""
    assert deployment.server is not None
    found = {"uvicorn": psutil.Process(deployment.server.pid)}
    found.update({f"worker-{n}": psutil.Process(pid)
                  for n, pid in enumerate(deployment.worker_pids())})
    found.update({f"work-{n}": psutil.Process(w.pid) for n, w in enumerate(deployment.work)})
    if not os.environ.get("LIVEROOM_REDIS_URL"):
        found["redis"] = psutil.Process(room.redis.info("server")["process_id"])
    found["soak"] = psutil.Process()  # the screens and the load, for the CPU they take
    return found


def sample(room, procs: dict[str, psutil.Process], started: float, figures: Figures,
           screens: list[WsScreen]) -> dict:
    lags = {p.name: projection_lag(room, p)
            for p in (*all_projections(room), *all_policies(room))}
    pipe = room.redis.pipeline(transaction=False)
    for stream in STREAMS:
        pipe.xlen(room.keys.stream(stream))
        pipe.xrange(room.keys.stream(stream), count=1)
    pipe.xlen(room.live.changes)
    pipe.info("memory")
    pipe.time()
    *found, changes, memory, (seconds, micros) = pipe.execute()
    now_ms = seconds * 1000 + micros // 1000
    lengths = found[0::2]
    oldest = {stream: (now_ms - int(first[0][0].split("-")[0])) / 1000 if first else 0.0
              for stream, first in zip(STREAMS, found[1::2], strict=True)}
    return {"t": time.monotonic() - started, "fixes": figures.fixes,
            "reports": len(figures.reports), "behind": figures.behind,
            "rss": {name: p.memory_info().rss for name, p in procs.items()},
            "cpu": {name: sum(p.cpu_times()[:2]) for name, p in procs.items()},
            "machine": psutil.cpu_times(),
            "xlen": dict(zip((*STREAMS, "changes"), (*lengths, changes), strict=True)),
            "oldest_s": oldest,
            "redis_mb": memory["used_memory"] / 2**20,
            "lag_ms": max(lag["lag_ms"] for lag in lags.values()),
            "slowest": max(lags, key=lambda name: lags[name]["lag_ms"]),
            "lags": {name: lag["lag_ms"] for name, lag in lags.items()},
            "live": sum(not (s.closed or s.errors) for s in screens)}


def busy(before: dict, after: dict) -> tuple[float, float]:
    """The machine's CPUs busy between two samples, and ours of it (shares of all CPUs)."""
    total = sum(after["machine"]) - sum(before["machine"])
    idle = (after["machine"].idle + after["machine"].iowait
            - before["machine"].idle - before["machine"].iowait)
    ours = sum(after["cpu"].values()) - sum(before["cpu"].values())
    seconds = total / (os.cpu_count() or 1)
    return 1 - idle / total, ours / (seconds * (os.cpu_count() or 1))


def show(s: dict, previous: dict | None) -> str:
    span = s["t"] - (previous["t"] if previous else 0)
    rate = (s["fixes"] - (previous["fixes"] if previous else 0)) / span
    rss = " ".join(f"{name}={v / 2**20:.0f}" for name, v in s["rss"].items())
    cpu = ""
    if previous:  # arriving steadily, the slowest projection applies what its lag lets by
        falling = (s["lag_ms"] - previous["lag_ms"]) / 1000 / span
        cpu += f"  slowest applies ~{rate * min(1.0, max(0.0, 1 - falling)):,.0f} fixes/s"
        machine, ours = busy(previous, s)
        cpu += f"  CPUs busy {machine:.0%} (ours {ours:.0%}) " + " ".join(
            f"{name}={(s['cpu'][name] - previous['cpu'][name]) / span:.0%}"
            for name in s["cpu"])
    return (f"{s['t']:6.0f} s  fixes/s {rate:6,.0f}  reports {s['reports']:4}  "
            f"behind {s['behind']:5.1f} s  lag {s['lag_ms']:6,} ms ({s['slowest']})  XLEN "
            + " ".join(f"{k}={v:,}" for k, v in s["xlen"].items())
            + f"  redis {s['redis_mb']:.0f} MB  live {s['live']}  RSS MB {rss}{cpu}")


async def soak(args: argparse.Namespace, room, deployment) -> int:
    accounts.add_user(room, "soak-operator", PASSWORD, roles=["operator"], by=SYSTEM)
    key = accounts.create_api_key(room, "soak", by=SYSTEM).secret
    agencies = list(room.city.agencies)
    secrets = [accounts.add_device(room, f"Soak {n}", agency=agencies[n % len(agencies)],
                                   by=SYSTEM).secret for n in range(args.devices)]
    devices = Devices(room, secrets, args.batch, args.fixes)
    cookies = await ws_sign_in(deployment.url, "soak-operator", PASSWORD)
    callbacks = await persistent_callbacks(deployment.url, cookies)
    screens = [WsScreen(deployment.url, cookies, callbacks=callbacks)
               for _ in range(args.screens)]
    for screen in screens:
        await screen.connect()
    while not all(s.ready_at for s in screens):
        await asyncio.sleep(0.1)
    on = {deployment.serving(s._ws.local_address[1]) for s in screens}
    procs = processes(deployment, room)
    figures = Figures()
    started = time.monotonic()
    until = started + args.duration
    load = [asyncio.create_task(send_fixes(deployment.port, devices, args.fixes / args.batch,
                                           until, figures, args.connections)),
            asyncio.create_task(send_reports(deployment.url, key, room,
                                             args.reports_per_minute, until, figures))]
    print(f"# soak: {args.duration:.0f} s; {args.screens} screens (on {len(on)} workers); "
          f"{args.fixes:,} fixes/s asked from {args.devices:,} devices in batches of "
          f"{args.batch}; {args.reports_per_minute} reports/min; 2 uvicorn workers, "
          f"{len(deployment.work)} work; archive on "
          f"{(os.environ.get('LIVEROOM_DATABASE_URL') or 'sqlite').split(':')[0]}; "
          f"Redis {'external' if os.environ.get('LIVEROOM_REDIS_URL') else 'embedded'}; "
          f"{os.cpu_count()} CPUs", flush=True)
    previous = None
    while time.monotonic() < until:
        await asyncio.sleep(min(args.every, max(0.0, until - time.monotonic())))
        s = await asyncio.to_thread(sample, room, procs, started, figures, screens)
        figures.samples.append(s)
        print(show(s, previous), flush=True)
        previous = s
    await asyncio.gather(*load)
    deadline = time.monotonic() + 60  # the last reports' way to the screens
    while time.monotonic() < deadline and not all(
            set(figures.reports) <= set(s.first_seen) for s in screens):
        await asyncio.sleep(0.5)
    ended = await asyncio.to_thread(sample, room, procs, started, figures, screens)
    missing = [i for i in figures.reports if any(i not in s.first_seen for s in screens)]
    ended["found"] = sum(bool(room.redis.exists(room.live.incident(i))) for i in missing)
    print("lag at the end, ms: " + ", ".join(f"{name} {lag:,}" for name, lag in
                                              ended["lags"].items()))
    broken = [s.errors or ["closed"] for s in screens if s.errors or s.closed]
    await asyncio.gather(*(s.close() for s in screens))
    return summarise(args, figures, screens, broken, ended)


def summarise(args, figures: Figures, screens: list[WsScreen], broken: list[list[str]],
              ended: dict) -> int:
    problems = []
    samples = figures.samples
    print(f"fixes accepted: {figures.fixes:,} ({figures.fixes / args.duration:,.0f}/s over "
          f"the run; asked {args.fixes:,}/s); requests refused: {figures.refused or 'none'}; "
          f"senders behind schedule at the end: {figures.behind:.1f} s")
    seen = [len(set(figures.reports) & set(s.first_seen)) for s in screens]
    latencies = [(s.first_seen[i] - sent) * 1000 for s in screens
                 for i, sent in figures.reports.items() if i in s.first_seen]
    print(f"reports acknowledged: {len(figures.reports)}; errors: "
          f"{len(figures.report_errors)} {figures.report_errors[:3]}; seen by every screen: "
          f"{sum(n == len(figures.reports) for n in seen)}/{len(screens)} screens (fewest "
          f"{min(seen)}); report to screen ms p50 {statistics.median(latencies):,.0f}, p95 "
          f"{percentile(latencies, 0.95):,.0f}, max {max(latencies):,.0f}")
    if any(n < len(figures.reports) for n in seen):
        problems.append("a report did not reach every screen")
        missing = {i: sent for i, sent in figures.reports.items()
                   if any(i not in s.first_seen for s in screens)}
        ends = max(figures.reports.values())
        print(f"  missed by some screen: {len(missing)}, sent "
              + ", ".join(f"{ends - t:.0f}" for t in sorted(missing.values()))
              + f" s before the last; in the live model at the end: {ended['found']}")
    silent = max(s.longest_silence for s in screens)
    print(f"screens live at the end: {len(screens) - len(broken)}/{len(screens)}; longest "
          f"silence on any screen {silent:.1f} s; pushes per screen "
          f"{min(s.pushes for s in screens)}–{max(s.pushes for s in screens)}, resets "
          f"{max(s.resets for s in screens)} at most")
    if broken or silent > args.silence:
        problems.append(f"a screen was not live: {broken[:2]}, silence {silent:.1f} s")
    machine, ours = busy(samples[0], ended)
    print(f"the machine's {os.cpu_count()} CPUs were {machine:.0%} busy from the first sample "
          f"on, {ours:.0%} of them with this deployment and this process (the rest: others')")
    minute = next((s for s in samples if s["t"] >= 60), samples[0])
    later = [s for s in samples if s["t"] >= minute["t"]] + [ended]
    print("RSS after the first minute -> end (highest), MB:")
    for name, first in minute["rss"].items():
        end, top = ended["rss"][name], max(s["rss"][name] for s in later)
        cpu = (ended["cpu"][name] - samples[0]["cpu"][name]) / (ended["t"] - samples[0]["t"])
        growth = end / first - 1
        print(f"  {name:9} {first / 2**20:7.1f} -> {end / 2**20:7.1f} ({top / 2**20:7.1f}) "
              f"{growth:+6.1%}   CPU {cpu:.0%} of a core")
        if growth >= GROWTH:
            problems.append(f"{name}'s RSS grew {growth:.0%}")
    for stream in (*STREAMS, "changes"):
        values = [s["xlen"][stream] for s in later]
        age = max(s["oldest_s"].get(stream, 0.0) for s in later)
        print(f"XLEN {stream}: {min(values):,}–{max(values):,} after the first minute "
              f"(end {ended['xlen'][stream]:,})" + (
                  f"; its oldest entry at most {age:.0f} s old" if stream in STREAMS else ""))
        if stream in STREAMS and age > OLDEST:
            problems.append(f"the {stream} stream keeps entries {age:.0f} s old")
        if stream == "changes" and max(values) > 2 * CHANGES_KEPT:
            problems.append(f"the changes stream holds {max(values):,} entries")
    lags = [s["lag_ms"] for s in later]
    last = samples[-1]
    falling = (last["lag_ms"] - minute["lag_ms"]) / 1000 / max(1.0, last["t"] - minute["t"])
    arriving = (last["fixes"] - minute["fixes"]) / max(1.0, last["t"] - minute["t"])
    print(f"projections' lag after the first minute: max {max(lags):,} ms ({last['slowest']} "
          f"at the end of the load); it grew {falling:.2f} s a second: the slowest applied "
          f"~{arriving * min(1.0, max(0.0, 1 - falling)):,.0f} of {arriving:,.0f} fixes/s; "
          f"Redis used {minute['redis_mb']:.0f} -> {ended['redis_mb']:.0f} MB")
    print("FAILED: " + "; ".join(problems) if problems else "all checks passed")
    return 1 if problems else 0


def run(args: argparse.Namespace, database_url: str | None) -> None:
    with bench_deployment(database_url, works=2, LIVEROOM_OPEN311_POSTS_PER_MINUTE="100000",
                          LIVEROOM_DUPLICATE_RADIUS_M="0") as (room, deployment):
        code = uvloop.run(soak(args, room, deployment))
    sys.exit(code)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=600.0)
    parser.add_argument("--screens", type=int, default=30)
    parser.add_argument("--fixes", type=float, default=5000.0, help="fixes a second asked")
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=50, help="fixes per request")
    parser.add_argument("--connections", type=int, default=16,
                        help="keep-alive connections the fixes go over")
    parser.add_argument("--reports-per-minute", type=float, default=60.0)
    parser.add_argument("--every", type=float, default=30.0, help="seconds between samples")
    parser.add_argument("--silence", type=float, default=15.0,
                        help="a screen silent this long is not live")
    with contextlib.suppress(KeyboardInterrupt):
        run_on_a_fresh_archive(run, parser.parse_args())


if __name__ == "__main__":
    main()

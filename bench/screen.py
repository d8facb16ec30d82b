"""Report-to-screen latency on the wall screen, in real browsers, under load: ours (pushed
over the websocket, deltas) against the naive baseline (`dcc.Interval` every second
regenerating the whole figure, `bench/naive_screen.py`) in the same run, with the simulator
sending 60 reports a minute and moving 1,000 officers, and N more screens held open at the
websocket level (`bench/ws_screen.py`).

    .venv/bin/python bench/screen.py [--probes 30] [--officers 1000] [--screens 30]
                                     [--cpus 1] [--profile]

Exits 1 when ours skips an update or leads the naive page by less than 3x at p95. It also
prints the app process's CPU time while probing (per update, and per update and screen);
`--cpus N` pins the app to N cores (taskset), `--profile` samples it with py-spy and prints
the functions of ours that hold the largest share of the samples, and samples our page's
JavaScript (Chromium's profiler) and prints where its main thread went.

Each probe is three updates an operator would see: a report posted through Open311
(priority 3), then escalated twice, `--step` seconds apart (priority 2, then 1). A
MutationObserver in each page stamps the first time each (incident, priority) is on the
map with the page's clock, which shares the epoch with this process's clock. An update
never seen was dropped: the poll misses states that last less than its interval.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from contextlib import ExitStack, nullcontext
from datetime import datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cpu
from bench.app import bench_app, projections_worker, run_on_a_fresh_archive
from bench.naive_screen import naive_app, serve
from bench.ws_screen import WsScreen, persistent_callbacks
from bench.ws_screen import sign_in as ws_sign_in
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import escalate_incident
from liveroom.demo.seed import random_point
from liveroom.live.changes import changes_key, current_version
from liveroom.live.overview import overview
from tests.app_process import free_port
from tests.browser.conftest import chromium
from tests.browser.helpers import PASSWORD, sign_in, text_of

WATCH = """
window.seen = {};
function liveroomScan() {
  var now = performance.timeOrigin + performance.now();
  document.querySelectorAll(".incident-marker").forEach(function (el) {
    var names = el.getAttribute("class");
    var id = (names.match(/incident-(\\d{6}-[0-9A-Z]{5})/) || [])[1];
    var priority = (names.match(/priority-(\\d)/) || [])[1];
    if (id && priority && !((id + "|" + priority) in window.seen)) {
      window.seen[id + "|" + priority] = now;
    }
  });
}
new MutationObserver(liveroomScan).observe(document.body,
  {subtree: true, childList: true, attributes: true});
"""


#: the lead over the naive page below which the run fails (exit 1), as does any update of
#: ours never seen: a loss of headroom shows the day it lands
LEAD = 3.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(name: str, sent: dict[str, float], seen: dict[str, float]) -> str:
    latencies = [seen[k] - t for k, t in sent.items() if k in seen]
    if not latencies:
        return f"{name}: nothing seen of {len(sent)} updates"
    return (f"{name}: seen {len(latencies)}/{len(sent)} updates; latency ms p50 "
            f"{statistics.median(latencies):.0f}, p95 {percentile(latencies, 0.95):.0f}, "
            f"max {max(latencies):.0f}")


def applied_at(room, sent: dict[str, float]) -> dict[str, float]:
    """When the live projection applied each update: the id (ms) of the first `changes`
    entry touching the incident at or after the update was sent."""
    touched: dict[str, list[float]] = {}
    for entry_id, fields in room.redis.xrange(changes_key(room)):
        for incident_id in fields.get("incidents", "").split(","):
            touched.setdefault(incident_id, []).append(float(entry_id.split("-")[0]))
    return {key: next((ms for ms in touched.get(key.split("|")[0], []) if ms >= sent_ms), 0)
            for key, sent_ms in sent.items()}


def start_simulator(app, room, args) -> subprocess.Popen:
    """The simulator as a separate process: every officer on the shift running now, and
    reports at the same rate whatever the hour (the city's daily rhythm would make the load
    depend on when the bench runs)."""
    now = datetime.now(room.city.timezone)
    shift = next(code for code, s in room.city.shifts.items()  # (begun: an officer of a
                 if s.instance_at(now, room.city.timezone, early_minutes=0))  # shift yet to
    # begin stays home, and a bench run at 06:10 WIB would have had no one moving)
    process = subprocess.Popen(
        [sys.executable, "-m", "liveroom", "simulate", "--url", app.url, "--osmand-url",
         app.osmand_url, "--officers", str(args.officers), "--reports-per-minute",
         str(args.reports_per_minute), "--steady", "--no-dispatch", "--shift", shift,
         "--seed", "7"],
        env=app.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    line = process.stdout.readline()  # after provisioning
    if not line.startswith("simulating"):
        raise RuntimeError(f"simulator: {line}{process.stdout.read()}")
    threading.Thread(target=process.stdout.read, daemon=True).start()
    return process


class Screens:
    """N websocket-level screens on their own event loop in a thread."""

    def __init__(self, room, url: str, username: str, count: int) -> None:
        self.room = room
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.screens: list[WsScreen] = self._run(self._open(url, username, count))

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(120)

    async def _open(self, url: str, username: str, count: int) -> list[WsScreen]:
        cookies = await ws_sign_in(url, username, PASSWORD)
        callbacks = await persistent_callbacks(url, cookies)
        version = current_version(self.room)  # as a page rendered now would carry
        screens = [WsScreen(url, cookies, version=version, callbacks=callbacks)
                   for _ in range(count)]
        for screen in screens:
            await screen.connect()
        return screens

    def close(self) -> None:
        async def close_all() -> None:
            await asyncio.gather(*(s.close() for s in self.screens))

        self._run(close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)


def probe(room, client: httpx.Client, url: str, key: str, rng: random.Random, step: float,
          sent: dict[str, float]) -> str:
    lat, lon = random_point(room.city, rng)
    started = time.time() * 1000
    response = client.post(f"{url}/open311/v2/requests.json", data={
        "api_key": key, "service_code": "sampah-menumpuk", "lat": lat, "long": lon,
        "description": "uji layar"})
    incident_id = response.json()[0]["service_request_id"]
    sent[f"{incident_id}|3"] = started
    for priority in (2, 1):
        time.sleep(step)
        sent[f"{incident_id}|{priority}"] = time.time() * 1000
        escalate_incident(room, incident_id, by=SYSTEM)
    return incident_id


def run(args: argparse.Namespace, database_url: str | None) -> None:
    with ExitStack() as stack:  # everything started is stopped, whatever fails
        room, app = stack.enter_context(bench_app(
            database_url, LIVEROOM_OPEN311_POSTS_PER_MINUTE=str(10**9),
            LIVEROOM_PROJECTIONS="on" if args.projections == "in-process" else "off"))
        if args.projections == "worker":
            stack.enter_context(projections_worker(app))
        if args.cpus:
            cpu.pin(app.process.pid, args.cpus)
        accounts.add_user(room, "bench-operator", PASSWORD, roles=["operator"], by=SYSTEM)
        key = accounts.create_api_key(room, "bench", by=SYSTEM).secret
        if args.officers:
            stack.callback(start_simulator(app, room, args).terminate)
        naive_port = free_port()
        serve(naive_app(room, args.poll_ms), naive_port)
        ours, naive = chromium(), chromium()
        stack.callback(ours.quit)
        stack.callback(naive.quit)
        screens = Screens(room, app.url, "bench-operator", args.screens) if args.screens else None
        if screens:
            stack.callback(screens.close)
        sign_in(ours, app, "bench-operator")
        text_of(ours, "count-open")
        naive.get(f"http://127.0.0.1:{naive_port}/")
        time.sleep(args.warmup)  # every officer moving (towards their post), pushes flowing
        for browser in (ours, naive):
            browser.execute_script(WATCH)
        rng, sent, ids = random.Random(4), {}, []
        profile = Path(app.log).with_name("app-profile.txt")
        used, wall = cpu.cpu_seconds(app.process.pid), time.monotonic()
        browser_profile: list[dict] = []
        with httpx.Client(timeout=10) as client, (
                cpu.sampled(app.process.pid, profile) if args.profile else nullcontext()), (
                cpu.browser_sampled(ours, browser_profile) if args.profile else nullcontext()):
            for _ in range(args.probes):
                ids.append(probe(room, client, app.url, key, rng, args.step, sent))
                time.sleep(args.gap)
            time.sleep(5)
        used, wall = cpu.cpu_seconds(app.process.pid) - used, time.monotonic() - wall
        seen = {name: browser.execute_script("return window.seen")
                for name, browser in (("ours", ours), ("naive", naive))}
        on_duty = overview(room, by=SYSTEM).officers_on_duty
        applied = applied_at(room, sent)
        broken = sum(bool(s.errors) or s.closed for s in screens.screens) if screens else 0
    backend = (database_url or "sqlite").split(":")[0]
    print(f"# {args.probes} probes (report, then two escalations {args.step} s apart) every "
          f"{args.gap + 2 * args.step:.1f} s; " + (
              f"simulator: {args.officers} officers moving, {args.reports_per_minute} "
              f"reports/min ({on_duty} on duty at the end); " if args.officers else
              "no simulator (no load); ") +
          f"one app process{f' pinned to {args.cpus} core(s)' if args.cpus else ''}, "
          f"projections {args.projections}; archive on {backend}; {os.cpu_count()} CPUs")
    print(summary("projection (sent -> applied to the live model)", sent,
                  {k: v for k, v in applied.items() if v}))
    print(summary("ours (websocket push, deltas)", sent, seen["ours"]))
    print(summary(f"naive (dcc.Interval {args.poll_ms} ms, whole figure)", sent, seen["naive"]))
    ours_p95 = percentile([seen["ours"][k] - t for k, t in sent.items() if k in seen["ours"]],
                          0.95)
    naive_lat = [seen["naive"][k] - t for k, t in sent.items() if k in seen["naive"]]
    ratio = percentile(naive_lat, 0.95) / ours_p95 if naive_lat else 0.0
    print(f"p95 ratio naive/ours: {ratio:.1f}x")
    shown = 2 + args.screens  # (our browser and the websocket-level screens)
    print(f"app process CPU while probing: {used:.1f} s in {wall:.1f} s ({used / wall:.0%} of "
          f"a core); per update {1000 * used / len(sent):.0f} ms, per update and screen "
          f"{1000 * used / len(sent) / shown:.1f} ms ({shown - 1} screens; this includes "
          f"Open311 intake and 1,000 officers' fixes)")
    if args.profile:
        cpu.print_profile(profile)
        cpu.print_browser_profile(browser_profile[0])
    if screens:
        firsts = [s.first_seen[i] * 1000 - sent[f"{i}|3"]
                  for s in screens.screens for i in ids if i in s.first_seen]
        print(f"screens closed or with errors before the end: {broken}")
        print(f"{args.screens} more screens (websocket level): {len(firsts)}/"
              f"{args.screens * len(ids)} reports arrived; latency ms p50 "
              f"{statistics.median(firsts):.0f}, p95 {percentile(firsts, 0.95):.0f}, "
              f"max {max(firsts):.0f}" if firsts else f"{args.screens} screens: nothing")
    skipped = sum(key not in seen["ours"] for key in sent)
    problems = ([f"ours skipped {skipped} update(s)"] if skipped else []) + (
        [f"ours is under {LEAD}x the naive page at p95"] if ratio < LEAD else [])
    if problems:
        print("FAILED: " + "; ".join(problems))
        sys.exit(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--probes", type=int, default=30)
    parser.add_argument("--gap", type=float, default=0.6)
    parser.add_argument("--step", type=float, default=0.5)
    parser.add_argument("--officers", type=int, default=1000)
    parser.add_argument("--reports-per-minute", type=float, default=60)
    parser.add_argument("--screens", type=int, default=30)
    parser.add_argument("--poll-ms", type=int, default=1000)
    parser.add_argument("--warmup", type=float, default=20)
    parser.add_argument("--projections", default="worker", choices=["worker", "in-process"],
                        help="projections in a `liveroom work` process beside the app (as "
                             "deployed) or in the app process's threads")
    parser.add_argument("--cpus", type=int, default=0,
                        help="pin the app process to this many cores (taskset)")
    parser.add_argument("--profile", action="store_true",
                        help="sample the app (py-spy) and our page (Chromium's profiler) "
                             "while probing; print where their time went")
    args = parser.parse_args()
    run_on_a_fresh_archive(run, args)


if __name__ == "__main__":
    main()

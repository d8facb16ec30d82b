"""A metropolis on one wall screen, in headless Chromium: 5,000 officers moving (a fix every
5 s each: 1,000 fixes a second) and 1,000 open incidents. Measured in the page with
`requestAnimationFrame`: frames a second while the operator drags the map and while it
stands, first with nothing moving (the baseline, same run), then under the load; and the
report-to-feed latency of new reports under it, and the app process's CPU (the push path;
the projections run in `liveroom work`, as deployed).

    .venv/bin/python bench/metropolis.py [--officers 5000] [--incidents 1000] [--seconds 15]
                                         [--screenshot PNG]

Fixes are recorded by this process (`record_locations`, the tracker's command) at the
rate asked; officers walk about 10 m per fix.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import sys
import threading
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import cpu
from bench.app import bench_app, projections_worker, run_on_a_fresh_archive
from bench.screen import percentile, summary
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import report_incident
from liveroom.commands.officers import record_locations, register_officer
from liveroom.demo.seed import random_point, sample_answers
from liveroom.domain.events import OfficerLocated
from tests.browser.conftest import chromium
from tests.browser.helpers import PASSWORD, sign_in, text_of

FRAMES = """
var done = arguments[arguments.length - 1], ms = arguments[0], drag = arguments[1];
var map = document.querySelector(".leaflet-container");
var pane = document.querySelector(".leaflet-map-pane");
var box = map.getBoundingClientRect();
var x0 = box.left + box.width / 2, y0 = box.top + box.height / 2;
function fire(target, type, x, y) {  // what a mouse does (Leaflet reads these events)
  target.dispatchEvent(new MouseEvent(type, {bubbles: true, cancelable: true, view: window,
    clientX: x, clientY: y, button: 0, buttons: type === "mouseup" ? 0 : 1}));
}
var frames = [], start = null, before = pane.style.transform, moved = false;
if (drag) { fire(map, "mousedown", x0, y0); }
function tick(t) {
  if (start === null) { start = t; }
  frames.push(t);
  var k = (t - start) / 1000;
  if (drag) {
    fire(document, "mousemove", x0 + 300 * Math.sin(k * 1.5), y0 + 150 * Math.sin(k * 0.9));
    moved = moved || pane.style.transform !== before;
  }
  if (t - start < ms) { requestAnimationFrame(tick); return; }
  if (drag) { fire(document, "mouseup", x0, y0); }
  done({frames: frames, moved: moved});
}
requestAnimationFrame(tick);
"""
#: the first time each probe's words are in the feed (a new incident at a metropolis's
#: density lands inside a cluster on the map, so the feed is where it is seen first)
WATCH_FEED = """
window.seen = {};
new MutationObserver(function () {
  var now = performance.timeOrigin + performance.now();
  document.querySelectorAll(".feed-text").forEach(function (el) {
    var words = el.textContent;
    if (words.indexOf("uji metropolis ") === 0 && !(words in window.seen)) {
      window.seen[words] = now;
    }
  });
}).observe(document.body, {subtree: true, childList: true, characterData: true});
"""
OFFICERS_DRAWN = "return Object.keys(window.liveroom.map.officerMarkers || {}).length"


class Walkers:
    """Officers walking about, their fixes recorded at `per_second` in batches."""

    def __init__(self, room, officers: dict[str, list[float]], per_second: int) -> None:
        self.room, self.officers, self.per_second = room, officers, per_second
        self.sent, self.stopped = 0, threading.Event()
        self.thread = threading.Thread(target=self._walk, daemon=True)

    def _walk(self) -> None:
        ids, rng, at = list(self.officers), random.Random(9), 0
        batch = max(1, self.per_second // 10)
        while not self.stopped.is_set():
            started = time.monotonic()
            fixes = []
            for _ in range(batch):
                officer_id = ids[at % len(ids)]
                at += 1
                position = self.officers[officer_id]
                position[0] += rng.uniform(-1e-4, 1e-4)
                position[1] += rng.uniform(-1e-4, 1e-4)
                fixes.append(OfficerLocated(officer_id=officer_id, occurred_at=self.room.clock(),
                                            actor="bench", lat=position[0], lon=position[1],
                                            accuracy=8.0))
            record_locations(self.room, fixes, by=SYSTEM)
            self.sent += len(fixes)
            self.stopped.wait(max(0.0, 0.1 - (time.monotonic() - started)))

    def __enter__(self) -> Walkers:
        self.began = time.monotonic()
        self.thread.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.stopped.set()
        self.thread.join(10)

    @property
    def rate(self) -> float:
        return self.sent / (time.monotonic() - self.began)


def frames(browser, seconds: float, drag: bool) -> dict[str, float]:
    """Frames a second, and the p95 and longest frame (ms), for `seconds`; `drag`: while the
    map is dragged to and fro with the mouse, as an operator pans across the city."""
    browser.set_script_timeout(seconds + 30)
    found = browser.execute_async_script(FRAMES, seconds * 1000, drag)
    if drag and not found["moved"]:
        raise RuntimeError("the map did not move under the drag")
    times = found["frames"]
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return {"fps": len(gaps) / ((times[-1] - times[0]) / 1000), "p95": percentile(gaps, 0.95),
            "max": max(gaps)}


def line(name: str, measured: dict[str, float], baseline: dict[str, float]) -> str:
    return (f"{name:38} {measured['fps']:6.1f} fps  p95 frame {measured['p95']:5.0f} ms  "
            f"longest {measured['max']:5.0f} ms  ({measured['fps'] / baseline['fps']:.2f}x "
            f"the baseline's fps)")


def run(args: argparse.Namespace, database_url: str | None) -> None:
    rng = random.Random(5)
    with ExitStack() as stack:
        room, app = stack.enter_context(bench_app(
            database_url, LIVEROOM_OPEN311_POSTS_PER_MINUTE=str(10**9),
            LIVEROOM_PROJECTIONS="off"))
        stack.enter_context(projections_worker(app))
        accounts.add_user(room, "bench-operator", PASSWORD, roles=["operator"], by=SYSTEM)
        key = accounts.create_api_key(room, "bench", by=SYSTEM).secret
        agencies = list(room.city.agencies)
        started = time.perf_counter()
        officers = {}
        for n in range(args.officers):
            officer_id = f"m{n:05d}"
            register_officer(room, officer_id, name=f"Petugas {n}", by=SYSTEM,
                             agency=agencies[n % len(agencies)])
            officers[officer_id] = list(random_point(room.city, rng))
        categories = list(room.city.categories.values())
        for _ in range(args.incidents):
            category = rng.choice(categories)
            lat, lon = random_point(room.city, rng)
            report_incident(room, category=category.code, lat=lat, lon=lon, source="bench",
                            by=SYSTEM, attributes=sample_answers(category, rng))
        print(f"# {args.officers:,} officers, {args.incidents:,} incidents written in "
              f"{time.perf_counter() - started:.0f} s; {os.cpu_count()} CPUs; archive on "
              f"{(database_url or 'sqlite').split(':')[0]}")
        browser = chromium()
        stack.callback(browser.quit)
        browser.set_window_size(1920, 1080)
        sign_in(browser, app, "bench-operator")
        text_of(browser, "count-open")
        WebDriverWait(browser, 60).until(lambda d: int(text_of(d, "count-open") or 0)
                                         >= args.incidents * 0.95)
        time.sleep(3)
        still = frames(browser, args.seconds, drag=False)
        dragged = frames(browser, args.seconds, drag=True)
        print(line("baseline: nothing moving, standing", still, still))
        print(line("baseline: nothing moving, dragged", dragged, still))
        with Walkers(room, officers, args.fixes_per_second) as walkers:
            WebDriverWait(browser, 120, poll_frequency=1).until(
                lambda d: d.execute_script(OFFICERS_DRAWN) >= args.officers * 0.95,
                message="the officers never all appeared on the map")
            used, wall = cpu.cpu_seconds(app.process.pid), time.monotonic()
            loaded = frames(browser, args.seconds, drag=False)
            panned = frames(browser, args.seconds, drag=True)
            used, wall = cpu.cpu_seconds(app.process.pid) - used, time.monotonic() - wall
            browser.execute_script(WATCH_FEED)
            sent: dict[str, float] = {}
            with httpx.Client(timeout=10) as client:
                for n in range(args.probes):
                    lat, lon = random_point(room.city, rng)
                    words = f"uji metropolis {n}"
                    sent[words] = time.time() * 1000
                    client.post(f"{app.url}/open311/v2/requests.json", data={
                        "api_key": key, "service_code": "sampah-menumpuk", "lat": lat,
                        "long": lon, "description": words}).raise_for_status()
                    time.sleep(1.5)
                time.sleep(4)
            seen = browser.execute_script("return window.seen")
            drawn = browser.execute_script(OFFICERS_DRAWN)
            rate = walkers.rate
            if args.screenshot:
                browser.save_screenshot(args.screenshot)
        print(line(f"{rate:,.0f} fixes/s, standing", loaded, still))
        print(line(f"{rate:,.0f} fixes/s, dragged", panned, dragged))
        print(f"officers drawn: {drawn:,}; app process CPU while moving: {used:.1f} s in "
              f"{wall:.1f} s ({used / wall:.0%} of a core; the push path and intake)")
        print(summary("report to the feed under the load", sent, seen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--officers", type=int, default=5000)
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--fixes-per-second", type=int, default=1000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--probes", type=int, default=10)
    parser.add_argument("--screenshot", help="save the wall screen under load as this PNG")
    args = parser.parse_args()
    run_on_a_fresh_archive(run, args)


if __name__ == "__main__":
    main()

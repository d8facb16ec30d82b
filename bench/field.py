"""The officer's phone page over a slow mobile network, in headless Chromium with Chrome's
own throttling: how many bytes and how long until the officer sees their task, against the
same moment on the Dash wall screen (the baseline, measured in the same run: what the phone
page would cost built as a Dash page), then how long a new task takes to arrive by push.

    .venv/bin/python bench/field.py [--runs 3]

Each load is cold (a fresh browser; after signing in, its cache and service workers are
cleared), and the phone page once more reopened with what its service worker keeps.
Networks are Chrome DevTools' presets: "Slow 3G" (2 s round trip, 400 kbit/s) and "Fast
3G" (563 ms, 1.6 Mbit/s down, 750 kbit/s up).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from selenium.common.exceptions import TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from bench.app import bench_app
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import assign_incident, report_incident
from liveroom.commands.officers import register_officer
from tests.browser.conftest import chromium
from tests.browser.helpers import PASSWORD, sign_in

LOAD_LIMIT = 600  # seconds; a page not ready by then counts as never
NETWORKS = {"Slow 3G": (2000, 400_000, 400_000), "Fast 3G": (563, 1_600_000, 750_000)}
BYTES = """return performance.getEntriesByType("navigation").concat(
  performance.getEntriesByType("resource")).reduce(function (n, e) {
    return n + (e.transferSize || 0); }, 0);"""
WATCH = """
window.arrived = {};
new MutationObserver(function () {
  document.querySelectorAll("li.task").forEach(function (card) {
    if (!(card.id in window.arrived)) { window.arrived[card.id] = Date.now(); }
  });
}).observe(document.body, {childList: true, subtree: true});
"""


def throttle(driver, app, network: str, cold: bool = True) -> None:
    """Slow the network down; `cold`: forget every cached file and the service worker
    first (the session cookie stays)."""
    latency, down, up = NETWORKS[network]
    driver.execute_cdp_cmd("Network.enable", {})
    if cold:
        driver.execute_cdp_cmd("Network.clearBrowserCache", {})
        driver.execute_cdp_cmd("Storage.clearDataForOrigin", {
            "origin": app.url, "storageTypes": "service_workers,cache_storage"})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": False, "latency": latency, "downloadThroughput": down / 8,
        "uploadThroughput": up / 8})


def load(app, username: str, path: str, ready: str, network: str,
         cold: bool = True) -> tuple[float, int]:
    """(seconds until `ready` is on screen, bytes transferred) loading `path`: cold, or
    reopened with what the page keeps (its service worker's cache)."""
    driver = chromium()  # the wall screen at its own 1920 x 1080, the phone page phone-sized
    try:
        if path == "/field":
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
                "width": 412, "height": 915, "deviceScaleFactor": 1, "mobile": True})
        sign_in(driver, app, username)
        time.sleep(1)  # the phone page's service worker has kept its files
        throttle(driver, app, network, cold)
        driver.set_page_load_timeout(LOAD_LIMIT)
        started = time.monotonic()
        try:
            driver.get(app.url + path)
            WebDriverWait(driver, LOAD_LIMIT).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, ready))
        except TimeoutException:
            return math.inf, driver.execute_script(BYTES)
        return time.monotonic() - started, driver.execute_script(BYTES)
    finally:
        driver.quit()


def push_latency(app, room, username: str, officer_id: str, point, count: int) -> list[float]:
    """Seconds from assigning a task to its card on the phone (Fast 3G), `count` times."""
    driver = chromium()
    found = []
    try:
        sign_in(driver, app, username)
        throttle(driver, app, "Fast 3G")
        driver.get(app.url + "/field")
        WebDriverWait(driver, 120).until(
            lambda d: "Tersambung" in d.find_element(By.TAG_NAME, "header").text)
        driver.execute_script(WATCH)
        districts = list(room.city.districts.values())
        for n in range(count):
            spot = districts[(n + 1) % len(districts)].geometry.representative_point()
            incident = report_incident(room, category="sampah-menumpuk", lat=spot.y,
                                       lon=spot.x, source="bench", by=SYSTEM)
            time.sleep(1.0)  # triaged by the app's projections and policies
            sent = time.time()
            assign_incident(room, incident.id, officer_id, by=SYSTEM)
            card = f"task-{incident.id}"
            WebDriverWait(driver, 60).until(
                lambda d, c=card: d.execute_script(f"return window.arrived['{c}']"))
            found.append(driver.execute_script(f"return window.arrived['{card}']") / 1000 - sent)
    finally:
        driver.quit()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pushes", type=int, default=10)
    args = parser.parse_args()
    with bench_app(None, LIVEROOM_SIMULATOR="off") as (room, app):
        post = next(iter(room.city.posts.values()))
        register_officer(room, "bench-officer", name="Petugas Bench", agency=post.agency,
                         post_id=post.id, by=SYSTEM)
        accounts.add_user(room, "bench-petugas", PASSWORD, roles=["officer"], by=SYSTEM,
                          officer_id="bench-officer")
        accounts.add_user(room, "bench-opi", PASSWORD, roles=["operator"], by=SYSTEM)
        task = report_incident(room, category="sampah-menumpuk", lat=post.centre[0] + 0.003,
                               lon=post.centre[1], source="bench", by=SYSTEM)
        time.sleep(1.5)
        assign_incident(room, task.id, "bench-officer", by=SYSTEM)
        pages = {"phone page /field": ("bench-petugas", "/field", f"#task-{task.id}"),
                 "Dash wall screen /": ("bench-opi", "/", f".incident-{task.id}")}
        print(f"{'network':9} {'page':20} {'seconds to the task (median)':>30} {'bytes':>10}")
        results = {}
        for network in NETWORKS:
            for page, (user, path, ready) in pages.items():
                loads = [load(app, user, path, ready, network) for _ in range(args.runs)]
                seconds = statistics.median(s for s, _ in loads)
                results[network, page] = seconds
                shown = f"over {LOAD_LIMIT}" if math.isinf(seconds) else f"{seconds:.1f}"
                print(f"{network:9} {page:20} {shown:>30} {loads[0][1]:10,}")
            ratio = results[network, "Dash wall screen /"] / results[network, "phone page /field"]
            print(f"{network:9} " + (f"the Dash page was not ready within {LOAD_LIMIT} s"
                                     if math.isinf(ratio) else
                                     f"the phone page is ready {ratio:.1f}x sooner"))
            seconds, sent = load(app, "bench-petugas", "/field", pages["phone page /field"][2],
                                 network, cold=False)
            print(f"{network:9} {'/field reopened':20} {seconds:30.1f} {sent:10,}")
        pushes = sorted(push_latency(app, room, "bench-petugas", "bench-officer", post.centre,
                                     args.pushes))
        print(f"new task to the phone (Fast 3G): median {statistics.median(pushes):.2f} s, "
              f"max {pushes[-1]:.2f} s over {len(pushes)}")


if __name__ == "__main__":
    main()

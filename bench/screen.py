"""Report-to-screen latency on the wall screen, in a real browser: from the Open311 POST
leaving the client to the incident's marker appearing on the map, pushed.

    .venv/bin/python bench/screen.py [--reports 40] [--gap 0.5]

Starts the real app (`python -m liveroom run`, projections in-process) with a fresh data dir
and namespace (LIVEROOM_REDIS_URL / LIVEROOM_DATABASE_URL when set), signs an operator in
from headless Chromium, and watches the map with a MutationObserver in the page: each
marker's first appearance is stamped with the page's clock, which shares the epoch with
this process's clock on the same machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.app import bench_app
from liveroom.access import SYSTEM
from liveroom.archive import temporary_schema
from liveroom.services import accounts
from liveroom.services.seed import random_point
from tests.browser.conftest import chromium
from tests.browser.helpers import PASSWORD, sign_in, text_of

WATCH = """
window.seen = {};
new MutationObserver(function (changes) {
  var now = performance.timeOrigin + performance.now();
  document.querySelectorAll(".incident-marker").forEach(function (path) {
    var id = (path.getAttribute("class").match(/incident-(\\d{6}-[0-9A-Z]{5})/) || [])[1];
    if (id && !(id in window.seen)) { window.seen[id] = now; }
  });
}).observe(document.body, {subtree: true, childList: true, attributes: true});
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run(args: argparse.Namespace, database_url: str | None) -> None:
    with bench_app(database_url, LIVEROOM_OPEN311_POSTS_PER_MINUTE=str(10**9)) as (room, app):
        browser = chromium()
        try:
            accounts.add_user(room, "bench-operator", PASSWORD, roles=["operator"], by=SYSTEM)
            key = accounts.create_api_key(room, "bench", by=SYSTEM).secret
            sign_in(browser, app, "bench-operator")
            text_of(browser, "count-open")
            browser.execute_script(WATCH)
            rng, sent = random.Random(4), {}
            with httpx.Client(timeout=10) as client:
                for _ in range(args.reports):
                    lat, lon = random_point(room.city, rng)
                    started = time.time() * 1000
                    response = client.post(f"{app.url}/open311/v2/requests.json", data={
                        "api_key": key, "service_code": "sampah-menumpuk", "lat": lat,
                        "long": lon, "description": "uji layar"})
                    sent[response.json()[0]["service_request_id"]] = started
                    time.sleep(args.gap)
            deadline = time.monotonic() + 30
            seen: dict[str, float] = {}
            while time.monotonic() < deadline and len(seen) < len(sent):
                seen = browser.execute_script("return window.seen")
                time.sleep(0.2)
        finally:
            browser.quit()
    latencies = [seen[i] - t for i, t in sent.items() if i in seen]
    backend = (database_url or "sqlite").split(":")[0]
    print(f"# {len(sent)} Open311 reports {args.gap} s apart, one wall screen in headless "
          f"Chromium, one app process; archive on {backend}")
    print(f"on screen {len(latencies)}/{len(sent)}; report-to-screen latency ms: "
          f"p50 {statistics.median(latencies):.0f}, p95 {percentile(latencies, 0.95):.0f}, "
          f"max {max(latencies):.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=40)
    parser.add_argument("--gap", type=float, default=0.5)
    args = parser.parse_args()
    external = os.environ.get("LIVEROOM_DATABASE_URL")
    with temporary_schema(external) if external else nullcontext(None) as url:
        run(args, url)


if __name__ == "__main__":
    main()

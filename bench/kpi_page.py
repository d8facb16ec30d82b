"""The mayor's `/kpi` page in headless Chromium over a seeded history: the time from
navigation until every panel shows (both charts drawn, the tables there, the heat map's cells
on the map), against the same page with the heat map as one component per cell (how it was
built before: a `dl.CircleMarker` with a `dl.Tooltip` each), served from the same archive in
the same run.

    .venv/bin/python bench/kpi_page.py [--incidents 100000] [--days 365] [--runs 5]
                                       [--shown 30 365]

`--shown N …`: each period on the page, the N days to today (30, the page's default; 365
for a year, opened by its address: `/kpi?period=custom&from=…&to=…`).

The app is the real one (`python -m liveroom run`, signed in as a mayor); the baseline is a
plain Dash page with the same layout but that heat map. LIVEROOM_DATABASE_URL: PostgreSQL.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import dash_leaflet as dl
from dash import Dash, html

from bench.app import bench_app, run_on_a_fresh_archive
from bench.naive_screen import serve
from layouts import kpi as layout
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.demo.history import seed_history
from liveroom.reporting.kpi import Period, Scope, dashboard
from tests.app_process import free_port
from tests.browser.conftest import chromium
from tests.browser.helpers import PASSWORD, sign_in

ASSETS = Path(__file__).resolve().parent.parent / "assets"

#: every panel is there: the charts drawn, the grids filled, heat cells on the map (on its
#: canvas, or as SVG paths for the baseline)
READY = """
// (the backlog of a finished history is empty: its chart drawn is enough)
if (!document.getElementById("kpi-open")?.textContent) return false;
if (!document.querySelector("#kpi-volume .bars .point")) return false;
if (!document.querySelector("#kpi-backlog .main-svg .xaxislayer-above")) return false;
if (!document.querySelector("#kpi-officers .ag-row")) return false;
if (document.querySelectorAll("#kpi-map path.leaflet-interactive").length > 10) return true;
for (const canvas of document.querySelectorAll("#kpi-map canvas")) {
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 0; i < pixels.length; i += 4 * 7) {
    if (pixels[i] > 180 && pixels[i + 1] < 160 && pixels[i + 2] < 120) return true;
  }
}
return false;
"""


def components_heat_map(cells: dict, city):
    """The baseline's heat map: one component per cell, each with a tooltip component."""
    return dl.Map([
        dl.GeoJSON(data=city.districts_geojson(), zoomToBounds=True, interactive=False),
        *[dl.CircleMarker(center=feature["geometry"]["coordinates"][::-1],
                          radius=feature["properties"]["radius"], color="#ff7a45", weight=0,
                          fillOpacity=feature["properties"]["opacity"],
                          children=dl.Tooltip(feature["properties"]["count"]))
          for feature in cells["features"]],
    ], center=list(city.centre), zoom=city.default_zoom, className="kpi-map", id="kpi-map",
        zoomAnimation=False)


def shown(room, days: int) -> Scope:
    """The page's period: the `days` days to today."""
    today = room.clock().astimezone(room.city.timezone).date()
    return Scope(Period(today - timedelta(days=days - 1), today))


def baseline_app(room, scope: Scope) -> Dash:
    data = dashboard(room, scope, by=SYSTEM)
    app = Dash(__name__, assets_folder=str(ASSETS),
               assets_path_ignore=["^citizen$", "^field$", "^light$", "^vendor$"])
    own, layout.heat_map = layout.heat_map, components_heat_map
    try:
        app.layout = html.Div(layout.kpi_layout(room.city, data, "id", SYSTEM, ""),
                              className="page")
    finally:
        layout.heat_map = own
    return app


def time_to_panels(browser, url: str, timeout: float = 60) -> float:
    started = time.perf_counter()
    browser.get(url)
    while time.perf_counter() - started < timeout:
        if browser.execute_script(READY):
            return time.perf_counter() - started
        time.sleep(0.02)
    raise TimeoutError(f"{url}: panels not shown in {timeout} s")


def timed_visits(url: str, runs: int, before=None) -> list[float]:
    """Each page in a browser of its own, as a person returns to it (from a blank page):
    a first visit (the browser's caches cold), then `runs` more: [first, *runs].
    (Alternating the two pages in one browser made each visit slower for both.)"""
    browser = chromium()
    try:
        if before:
            before(browser)
        times = []
        for _ in range(runs + 1):
            browser.get("about:blank")
            times.append(time_to_panels(browser, url))
        return times
    finally:
        browser.quit()


def run(args, database_url) -> None:
    with bench_app(database_url) as (room, app):
        started = time.perf_counter()
        written = seed_history(room, args.incidents, days=args.days)
        print(f"# {written['incidents']:,} incidents over {args.days} days seeded in "
              f"{time.perf_counter() - started:.0f} s; archive on {room.engine.dialect.name}")
        accounts.add_user(room, "wali-kota", PASSWORD, roles=["mayor"], by=SYSTEM)
        for days in args.shown:
            scope = shown(room, days)
            cells = len(dashboard(room, scope, by=SYSTEM).cells)
            print(f"## {days} days on the page; heat map: {cells:,} cells "
                  f"(drawn: {min(cells, layout.HEAT_CELLS):,})")
            port = free_port()
            serve(baseline_app(room, scope), port)
            address = "/kpi" if days == 30 else f"/kpi?{urlencode(scope.query())}"
            report(timed_visits(app.url + address, args.runs,
                                lambda b: sign_in(b, app, "wali-kota")),
                   timed_visits(f"http://127.0.0.1:{port}/", args.runs))


def report(ours: list[float], naive: list[float]) -> None:
    for name, (first, *times) in (("ours (one canvas layer)", ours),
                                   ("baseline (a component per cell)", naive)):
        print(f"{name:34} median {statistics.median(times):5.2f} s · max {max(times):5.2f} s "
              f"· runs {' '.join(f'{t:.2f}' for t in times)} · first visit {first:.2f} s",
              flush=True)
    print(f"median ratio baseline/ours: "
          f"{statistics.median(naive[1:]) / statistics.median(ours[1:]):.1f}x", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shown", type=int, nargs="+", default=[30])
    run_on_a_fresh_archive(run, parser.parse_args())


if __name__ == "__main__":
    main()

"""The mayor's `/kpi` page in headless Chromium over a seeded history: the time from
navigation until every panel shows (both charts drawn, the tables there, the heat map's cells
on the map), against the same page with the heat map as one component per cell (how it was
built before: a `dl.CircleMarker` with a `dl.Tooltip` each), served from the same archive in
the same run.

    .venv/bin/python bench/kpi_page.py [--incidents 100000] [--days 365] [--runs 5]

The app is the real one (`python -m liveroom run`, signed in as a mayor); the baseline is a
plain Dash page with the same layout but that heat map. LIVEROOM_DATABASE_URL: PostgreSQL.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

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


def components_heat_map(data, city, _lang):
    """The baseline's heat map: one component per cell, each with a tooltip component."""
    top = max((n for _, _, n in data.cells), default=1)
    return dl.Map([
        dl.GeoJSON(data=city.districts_geojson(), zoomToBounds=True, interactive=False),
        *[dl.CircleMarker(center=[lat, lon], radius=2 + 9 * (n / top) ** 0.5, color="#ff7a45",
                          weight=0, fillOpacity=0.15 + 0.7 * n / top,
                          children=dl.Tooltip(str(n)))
          for lat, lon, n in data.cells[:layout.HEAT_CELLS]],
    ], center=list(city.centre), zoom=city.default_zoom, className="kpi-map", id="kpi-map",
        zoomAnimation=False)


def baseline_app(room) -> Dash:
    data = dashboard(room, Scope(Period.named("30d", room.clock().astimezone(
        room.city.timezone).date())), by=SYSTEM)
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


def run(args, database_url) -> None:
    with bench_app(database_url) as (room, app):
        started = time.perf_counter()
        written = seed_history(room, args.incidents, days=args.days)
        cells = len(dashboard(room, Scope(Period.named("30d", room.clock().astimezone(
            room.city.timezone).date())), by=SYSTEM).cells)
        print(f"# {written['incidents']:,} incidents over {args.days} days seeded in "
              f"{time.perf_counter() - started:.0f} s; archive on {room.engine.dialect.name}; "
              f"30-day heat map: {cells:,} cells (drawn: {min(cells, layout.HEAT_CELLS):,})")
        accounts.add_user(room, "wali-kota", PASSWORD, roles=["mayor"], by=SYSTEM)
        port = free_port()
        serve(baseline_app(room), port)
        browser = chromium()
        try:
            sign_in(browser, app, "wali-kota")
            ours, naive = [], []
            for _ in range(args.runs):  # alternating, each after a blank page
                for times, url in ((ours, f"{app.url}/kpi"),
                                   (naive, f"http://127.0.0.1:{port}/")):
                    browser.get("about:blank")
                    times.append(time_to_panels(browser, url))
        finally:
            browser.quit()
    for name, times in (("ours (one canvas layer)", ours),
                        ("baseline (a component per cell)", naive)):
        print(f"{name:34} median {statistics.median(times):5.2f} s · max {max(times):5.2f} s "
              f"· runs {' '.join(f'{t:.2f}' for t in times)}")
    print(f"median ratio baseline/ours: {statistics.median(naive) / statistics.median(ours):.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--runs", type=int, default=5)
    run_on_a_fresh_archive(run, parser.parse_args())


if __name__ == "__main__":
    main()

"""The baseline the wall screen is measured against: the naive way to make a live Dash map,
a `dcc.Interval` that regenerates the whole figure every second. Same data (the live model),
same markers (`assets/map.js`), no websocket, no deltas."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import dash_leaflet as dl
from dash import Dash, Input, Output, dcc, html
from werkzeug.serving import make_server

from layouts.home import INCIDENT_POINT
from liveroom.access import SYSTEM
from liveroom.live.live_map import incident_features
from liveroom.room import LiveRoom

ASSETS = Path(__file__).resolve().parent.parent / "assets"


def naive_app(room: LiveRoom, interval_ms: int = 1000) -> Dash:
    app = Dash(__name__, assets_folder=str(ASSETS), assets_path_ignore=["^citizen$", "^vendor$"])
    app.layout = html.Div([
        dcc.Interval(id="tick", interval=interval_ms),
        dl.Map([dl.GeoJSON(id="incidents-layer", pointToLayer=INCIDENT_POINT)],
               center=list(room.city.centre), zoom=room.city.default_zoom, maxZoom=18,
               style={"height": "100vh"}),
    ])

    @app.callback(Output("incidents-layer", "data"), Input("tick", "n_intervals"))
    def redraw(_ticks):
        return incident_features(room, by=SYSTEM)

    return app


def serve(app: Dash, port: int) -> threading.Thread:
    """The baseline on its own threaded WSGI server, in the background (quietly)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return thread

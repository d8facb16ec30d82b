"""The wall screen's map: the bundled basemap alone by default, a tile server with its
credit when one is configured."""

from __future__ import annotations

import dash_leaflet as dl

from layouts import ids
from layouts.home import DENSE_INCIDENTS, MAX_ZOOM, district_map
from liveroom.room import LiveRoom

EMPTY = {"type": "FeatureCollection", "features": []}
TILES = "https://tiles.example.id/{z}/{x}/{y}.png"


def tile_layers(city) -> list[dl.TileLayer]:
    return [layer for layer in district_map(city, EMPTY, EMPTY).children
            if isinstance(layer, dl.TileLayer)]


def test_without_configuration_the_map_asks_no_tile_server(room):
    assert tile_layers(room.city) == []
    assert district_map(room.city, EMPTY, EMPTY).attributionControl is False


def test_a_configured_tile_server_is_drawn_with_its_credit(settings):
    room = LiveRoom.open(settings.model_copy(update={
        "tile_url": TILES, "tile_attribution": "© Pemkot Tangerang"}))
    try:
        [layer] = tile_layers(room.city)
        assert (layer.url, layer.attribution) == (TILES, "© Pemkot Tangerang")
        assert district_map(room.city, EMPTY, EMPTY).attributionControl is True
        assert room.city.districts == room.pack.districts  # the rest of the pack is kept
    finally:
        room.close()


def incident_clusters_up_to(room, count: int) -> int:
    """The zoom up to which `count` open incidents are clustered where they overlap."""
    point = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [106.63, -6.18]},
             "properties": {}}
    incidents = {"type": "FeatureCollection", "features": [point] * count}
    (layer,) = [layer for layer in district_map(room.city, incidents, EMPTY).children
                if getattr(layer, "id", None) == ids.INCIDENTS_LAYER]
    return layer.superClusterOptions["maxZoom"]


def test_a_metropolis_incidents_cluster_at_every_zoom_a_citys_only_zoomed_out(room):
    assert incident_clusters_up_to(room, 40) < room.city.default_zoom  # each icon on its own
    assert incident_clusters_up_to(room, DENSE_INCIDENTS + 1) >= MAX_ZOOM - 1

"""The wall screen's map: the bundled basemap alone by default, a tile server with its
credit when one is configured."""

from __future__ import annotations

import dash_leaflet as dl

from layouts.home import district_map
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

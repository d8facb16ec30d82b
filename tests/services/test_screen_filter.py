"""A wall screen configured by its link shows only what its filter admits, everywhere."""

from __future__ import annotations

from liveroom.access import SYSTEM
from liveroom.commands.incidents import report_incident
from liveroom.live.dispatch import queue
from liveroom.live.live_map import incident_features
from liveroom.live.overview import overview
from liveroom.live.screen_filter import ScreenFilter
from tests.conftest import drain, person

OPERATOR = person("opi", "operator")


def test_the_link_s_filters_narrow_counts_queue_map_and_feed(room):
    cipondoh = room.city.districts["36.71.05"].geometry.representative_point()
    benda = room.city.districts["36.71.04"].geometry.representative_point()
    fire = report_incident(room, category="kebakaran", lat=cipondoh.y, lon=cipondoh.x,
                           source="t", by=SYSTEM, attributes={"orang-terjebak": "ya"})
    report_incident(room, category="kebakaran", lat=benda.y, lon=benda.x, source="t",
                    by=SYSTEM, attributes={"orang-terjebak": "tidak"})
    report_incident(room, category="parkir-liar", lat=cipondoh.y + 0.002, lon=cipondoh.x,
                    source="t", by=SYSTEM)
    drain(room)
    screen = ScreenFilter.from_query("?agency=damkar&district=36.71.05,36.71.99&lang=en")
    assert screen.active and screen.agency == {"damkar"}
    counts = overview(room, by=OPERATOR, screen=screen)
    assert counts.open_total == 1 and [i.id for i in counts.latest] == [fire.id]
    assert overview(room, by=OPERATOR).open_total == 3  # unfiltered: the whole city
    assert [i["id"] for i in queue(room, by=OPERATOR, screen=screen)] == [fire.id]
    assert [f["properties"]["id"] for f in incident_features(
        room, by=OPERATOR, screen=screen)["features"]] == [fire.id]
    limited = person("spv", "supervisor", agencies=("dishub",))
    assert overview(room, by=limited).open_total == 1  # a supervisor's own agencies only
    assert overview(room, by=limited, screen=screen).open_total == 0

"""The tracker decoders alone, on literal payloads as the apps send them."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qsl

import pytest

from liveroom.trackers.osmand import BadFix, from_json, from_query

#: OsmAnd's tracking URL as its settings page builds it (and Traccar documents it)
OSMAND = ("id=lr_device_abc&timestamp=1795420800&lat=-6.178&lon=106.63&speed=10"
          "&bearing=90&altitude=12&accuracy=8&batt=76&hdop=0.9")
#: a Traccar Client (transistorsoft background geolocation) body, one location
TRACCAR_CLIENT = {
    "device_id": "lr_device_abc",
    "location": {"timestamp": "2026-11-23T08:00:00.000Z", "is_moving": False,
                 "event": "heartbeat", "odometer": 1203.4,
                 "coords": {"latitude": -6.2, "longitude": 106.6, "accuracy": 4.5,
                            "speed": -1, "heading": -1, "altitude": 20},
                 "battery": {"level": 0.42, "is_charging": True}}}


def test_an_osmand_query_decodes_with_knots_and_extras():
    device, (fix,) = from_query(dict(parse_qsl(OSMAND)))
    assert device == "lr_device_abc"
    assert fix["occurred_at"] == datetime.fromtimestamp(1795420800, UTC)
    assert fix["speed"] == pytest.approx(5.14444) and fix["battery"] == 76
    assert fix["attributes"] == {"hdop": "0.9"}


def test_a_traccar_client_body_decodes_with_unknowns_as_none():
    device, (fix,) = from_json(TRACCAR_CLIENT)
    assert device == "lr_device_abc" and (fix["lat"], fix["lon"]) == (-6.2, 106.6)
    assert (fix["speed"], fix["bearing"], fix["battery"]) == (None, None, 42)
    assert fix["moving"] is False and fix["attributes"]["event"] == "heartbeat"


@pytest.mark.parametrize(("query", "said"), [
    ("lat=-6.1&lon=106.6", "id (or deviceid) is required"),
    ("id=x&lat=utara&lon=106.6", "lat must be a number"),
    ("id=x&location=-6.1", "lat and lon"),
])
def test_a_malformed_query_says_why(query, said):
    with pytest.raises(BadFix, match=re.escape(said)):
        from_query(dict(parse_qsl(query)))

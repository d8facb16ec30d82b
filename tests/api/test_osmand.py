"""Locations from trackers: the OsmAnd protocol and the Traccar Client's JSON, units and all."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect

from liveroom.access import SYSTEM
from liveroom.api.osmand import osmand_app
from liveroom.archive import schema
from liveroom.commands import accounts
from liveroom.commands.locations import FREE_UNKNOWN_IDS, DeviceDirectory, unknown_devices
from liveroom.domain.errors import NotFound
from liveroom.domain.events import decode
from tests.conftest import MORNING, device_registered_before_secrets, drain


@pytest.fixture
def device(room):
    post = next(p for p in room.city.posts.values() if p.agency == "dishub")
    return accounts.add_device(room, "Rudi", agency="dishub", post_id=post.id, by=SYSTEM)


def fixes(room) -> list:
    return [decode(fields) for _, fields in room.redis.xrange(room.keys.stream("officers"))
            if fields["type"] == "officer.located"]


def test_an_osmand_get_moves_the_officer_with_units_converted(room, client, device):
    response = client.get("/osmand", params={
        "id": device.secret, "lat": "-6.178", "lon": "106.63", "timestamp": "1795420800",
        "speed": "10", "bearing": "90", "altitude": "12", "accuracy": "8", "batt": "76",
        "hdop": "0.9", "charge": "true"})
    assert response.status_code == 200
    (fix,) = fixes(room)
    assert fix.officer_id == device.officer_id and (fix.lat, fix.lon) == (-6.178, 106.63)
    assert fix.occurred_at == datetime.fromtimestamp(1795420800, UTC)
    assert fix.speed == pytest.approx(5.14444)  # 10 knots
    assert (fix.bearing, fix.altitude, fix.accuracy, fix.battery) == (90, 12, 8, 76)
    assert fix.attributes == {"hdop": "0.9", "charge": "true"}
    drain(room)
    lon, lat = room.redis.geopos(room.keys.view("geo", "officers"), device.officer_id)[0]
    assert (round(lat, 4), round(lon, 4)) == (-6.178, 106.63)


@pytest.mark.parametrize(("timestamp", "expected"), [
    ("1795420800", datetime(2026, 11, 23, 8, 0, tzinfo=UTC)),
    ("1795420800000", datetime(2026, 11, 23, 8, 0, tzinfo=UTC)),
    ("2026-11-23T15:00:00+07:00", datetime(2026, 11, 23, 8, 0, tzinfo=UTC)),
    ("2026-11-23T08:00:00Z", datetime(2026, 11, 23, 8, 0, tzinfo=UTC)),
    ("2026-11-23 08:00:00", datetime(2026, 11, 23, 8, 0, tzinfo=UTC)),
])
def test_every_timestamp_form_traccar_takes(room, client, device, timestamp, expected):
    client.post("/osmand", data={"deviceid": device.secret, "location": "-6.17,106.64",
                                 "timestamp": timestamp})
    (fix,) = fixes(room)
    assert fix.occurred_at == expected and (fix.lat, fix.lon) == (-6.17, 106.64)


def test_the_traccar_client_json_with_its_own_units(room, client, device):
    body = {"device_id": device.secret, "location": {
        "timestamp": "2026-11-23T08:00:00.000Z", "is_moving": True, "event": "motionchange",
        "coords": {"latitude": -6.2, "longitude": 106.6, "accuracy": 4.5, "speed": 3.5,
                   "heading": 181.2, "altitude": 20},
        "battery": {"level": 0.42, "is_charging": False}}}
    assert client.post("/osmand", json=body).status_code == 200
    (fix,) = fixes(room)
    assert fix.speed == 3.5 and fix.battery == 42 and fix.bearing == 181.2  # m/s, percent
    assert fix.moving is True and fix.attributes["event"] == "motionchange"
    batch = {"device_id": device.secret, "location": [
        {"timestamp": f"2026-11-23T08:0{i}:00Z", "coords": {"latitude": -6.2, "longitude": 106.6,
                                                           "speed": -1}} for i in range(3)]}
    assert client.post("/osmand", json=batch).status_code == 200
    assert [f.speed for f in fixes(room)[1:]] == [None, None, None]  # -1 means unknown


@pytest.mark.parametrize(("params", "reason"), [
    ({"lat": "-6.1", "lon": "106.6"}, "id (or deviceid) is required"),
    ({"lat": "north", "lon": "106.6"}, "lat must be a number"),
    ({"lon": "106.6"}, "lat and lon"),
    ({"lat": "95", "lon": "106.6"}, "lat"),
    ({"lat": "89", "lon": "106.6"}, "lat"),  # (no map, and no geo set, goes that far)
    ({"lat": "-6.1", "lon": "106.6", "timestamp": "kemarin"}, "timestamp"),
    ({"lat": "-6.1", "lon": "106.6", "batt": "250"}, "battery"),
    ({"lat": "-6.1", "lon": "nan"}, "finite"),
    ({"lat": "-6.1", "lon": "106.6", "driver": "Rudi\x00"},
     "attributes.driver contains the control character U+0000"),
])
def test_malformed_fixes_get_400_with_the_reason(room, client, device, params, reason):
    params = {"id": device.secret, **params} if "id (or" not in reason else params
    response = client.get("/osmand", params=params)
    assert response.status_code == 400 and reason in response.text
    assert fixes(room) == []


def test_an_unknown_or_revoked_device_is_refused_and_counted(room, client, device):
    response = client.get("/osmand", params={"id": "hp-curian", "lat": "-6.1", "lon": "106.6"})
    assert response.status_code == 400 and "unknown device" in response.text
    assert unknown_devices(room)["unknown"] == 1
    accounts.revoke_credential(room, device.id, by=SYSTEM)
    ingest = client.app.state.ingest
    ingest.devices._loaded = float("-inf")  # as if its cache had expired
    assert client.get("/osmand", params={"id": device.secret, "lat": "-6.1",
                                         "lon": "106.6"}).status_code == 400
    assert fixes(room) == [] and unknown_devices(room)["unknown"] == 2


def test_a_tracker_is_known_by_its_secret_never_by_the_officer_id_screens_show(
        room, client, device):
    assert len(device.secret.removeprefix("lr_device_")) >= 22  # 128+ random bits
    assert device.officer_id not in device.secret and device.id != device.officer_id
    forged = client.get("/osmand", params={"id": device.officer_id, "lat": "-6.1",
                                           "lon": "106.6"})
    assert forged.status_code == 400 and fixes(room) == []
    assert client.get("/osmand", params={"id": device.secret, "lat": "-6.1",
                                         "lon": "106.6"}).status_code == 200
    (fix,) = fixes(room)
    assert (fix.officer_id, fix.actor) == (device.officer_id, f"device:{device.id}")
    stored = str(room.redis.xrange(room.keys.stream("officers")))
    with room.engine.connect() as conn:
        stored += str(conn.execute(select(schema.credentials)).all())
    assert device.secret not in stored  # only its digest


def test_each_fix_says_which_address_sent_it_for_attendance_review(room, client, device):
    elsewhere = TestClient(client.app, client=("203.0.113.9", 40000))
    for sender in (client, elsewhere):
        assert sender.get("/osmand", params={"id": device.secret, "lat": "-6.1",
                                             "lon": "106.6"}).status_code == 200
    with client.websocket_connect("/ws/device") as socket:
        socket.send_json({"token": device.secret})
        socket.receive_json()
        socket.send_text('{"coords": {"latitude": -6.2, "longitude": 106.6}}')
        assert socket.receive_json() == {"ok": 1}
    assert [f.client for f in fixes(room)] == ["testclient", "203.0.113.9", "testclient"]


def test_a_rotated_device_sends_its_new_secret_and_the_old_one_stops(room, client, device):
    new = accounts.rotate_device(room, device.id, by=SYSTEM)
    client.app.state.ingest.devices._loaded = float("-inf")  # as if its cache had expired
    assert client.get("/osmand", params={"id": device.secret, "lat": "-6.1",
                                         "lon": "106.6"}).status_code == 400
    assert client.get("/osmand", params={"id": new.secret, "lat": "-6.1",
                                         "lon": "106.6"}).status_code == 200
    (fix,) = fixes(room)
    assert (fix.officer_id, fix.actor) == (device.officer_id, f"device:{new.id}")
    assert new.officer_id == device.officer_id and new.name == device.name
    with pytest.raises(NotFound):
        accounts.rotate_device(room, device.id, by=SYSTEM)  # it is revoked


def test_a_device_registered_before_secrets_keeps_working_until_rotated(room, client):
    officer_id = device_registered_before_secrets(room, "dishub", "Pak Lama")
    point = {"lat": "-6.1", "lon": "106.6"}
    assert client.get("/osmand", params={"id": officer_id, **point}).status_code == 200
    (row,) = accounts.list_credentials(room, kind="device", by=SYSTEM)
    assert row["sends_officer_id"]  # (the admin page marks it)
    new = accounts.rotate_device(room, officer_id, by=SYSTEM)
    client.app.state.ingest.devices._loaded = float("-inf")
    assert client.get("/osmand", params={"id": officer_id, **point}).status_code == 400
    assert client.get("/osmand", params={"id": new.secret, **point}).status_code == 200
    assert [f.officer_id for f in fixes(room)] == [officer_id, officer_id]
    assert not any(r.get("sends_officer_id") for r in accounts.list_credentials(
        room, kind="device", by=SYSTEM) if r["revoked_at"] is None)


def test_an_address_guessing_device_ids_is_slowed_down_and_counted(room, client, device):
    guesses = [client.get("/osmand", params={"id": f"dishub-{n:06x}", "lat": "-6.1",
                                             "lon": "106.6"}).status_code
               for n in range(FREE_UNKNOWN_IDS)]
    assert guesses == [400] * FREE_UNKNOWN_IDS
    # now it waits (1 s, doubling with each further failure): even a right guess is refused
    right = client.get("/osmand", params={"id": device.secret, "lat": "-6.1", "lon": "106.6"})
    assert right.status_code == 429 and "retry in" in right.text and fixes(room) == []
    counted = client.get("/healthz").json()
    assert (counted["unknown_device_fixes"], counted["throttled_tracker_requests"]) == (
        FREE_UNKNOWN_IDS, 1)
    assert DeviceDirectory(room).throttled("testclient") >= 1  # another worker knows too


def test_the_osmand_port_speaks_the_same_protocol_at_its_root(room, client, device):
    with TestClient(osmand_app(client.app.state.ingest)) as port:
        assert port.get("/", params={"id": device.secret, "lat": "-6.1", "lon": "106.6"}
                        ).status_code == 200
        assert port.post("/", data={"id": device.secret, "lat": "-6.11", "lon": "106.61"}
                         ).status_code == 200
    assert [(f.lat, f.lon) for f in fixes(room)] == [(-6.1, 106.6), (-6.11, 106.61)]


def test_late_and_repeated_fixes_do_not_move_the_officer_back(room, client, device):
    for ts, lat in ((1795420900, "-6.20"), (1795420800, "-6.10"), (1795420900, "-6.30")):
        client.get("/osmand", params={"id": device.secret, "lat": lat, "lon": "106.6",
                                      "timestamp": str(ts)})
    drain(room)
    live = room.redis.hgetall(room.keys.view("officer", device.officer_id))
    assert float(live["lat"]) == -6.20  # the first fix of the newest time wins


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(
    st.sampled_from(["deviceid", "lat", "lon", "location", "timestamp", "speed",
                     "bearing", "accuracy", "batt", "altitude", "mock", "x"]),
    st.one_of(st.text(max_size=20), st.floats(allow_nan=True).map(str),
              st.integers().map(str)), max_size=8))
def test_random_tracker_input_never_breaks_the_server(room, client, device, params):
    for sent in (params, {**params, "id": device.secret}):  # (after 10 unknown ids in one
        # run, the client is slowed down: 429, also a clear answer)
        assert client.get("/osmand", params=sent).status_code in (200, 400, 429)


def test_the_phone_channel_takes_fixes_after_the_device_token(room, client, device):
    with client.websocket_connect("/ws/device") as socket:
        socket.send_json({"token": "lr_device_forged"})
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
        assert closed.value.code == 4401
    with client.websocket_connect("/ws/device") as socket:
        socket.send_json({"token": device.secret})
        assert socket.receive_json() == {"ok": 0, "device_id": device.id}
        socket.send_text(orjson.dumps({"timestamp": MORNING.isoformat(), "coords": {
            "latitude": -6.18, "longitude": 106.63, "accuracy": 6, "speed": 1.2}}).decode())
        assert socket.receive_json() == {"ok": 1}
        socket.send_text('{"coords": {"latitude": "utara"}}')
        assert "latitude must be a number" in socket.receive_json()["error"]
    (fix,) = fixes(room)
    assert (fix.officer_id, fix.lat, fix.speed, fix.accuracy) == (device.officer_id, -6.18, 1.2, 6)

"""The running app takes trackers' fixes on its OsmAnd port, and the simulator brings the
city to life through the same public interfaces."""

from __future__ import annotations

import socket
import time
from datetime import datetime

import httpx
import orjson
import psutil
import pytest
import websockets
import websockets.sync.client

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.domain.events import decode
from liveroom.room import LiveRoom
from liveroom.servers import WS_MAX_BYTES
from tests.app_process import AppProcess


@pytest.fixture
def room(app, settings):
    room = LiveRoom.open(settings.model_copy(update={
        "database_url": app.env["LIVEROOM_DATABASE_URL"]}))
    yield room
    room.close()


def position(room, officer_id: str, timeout: float = 10) -> tuple[float, float] | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = room.redis.geopos(room.keys.view("geo", "officers"), officer_id)[0]
        if found:
            return round(found[1], 5), round(found[0], 5)
        time.sleep(0.1)
    return None


def test_an_osmand_sender_moves_its_officer_and_strangers_get_400(app, room):
    device = accounts.add_device(room, "Rina", agency="satpolpp", by=SYSTEM)
    sent = httpx.get(app.osmand_url + "/", params={
        "id": device.secret, "lat": "-6.17812", "lon": "106.63101", "speed": "0"})
    assert sent.status_code == 200
    assert position(room, device.officer_id) == (-6.17812, 106.63101)
    stranger = httpx.get(app.osmand_url + "/", params={"id": "tak-dikenal", "lat": "-6.1",
                                                       "lon": "106.6"})
    assert stranger.status_code == 400
    assert httpx.get(f"{app.url}/healthz").json()["unknown_device_fixes"] == 1


def test_the_simulator_reports_and_moves_officers_through_the_public_doors(app, room):
    started = datetime.now(room.city.timezone)
    result = app.cli("simulate", "--duration", "8", "--reports-per-minute", "900",
                     "--officers", "30", "--fix-seconds", "1", "--seed", "7", "--url", app.url,
                     "--osmand-url", app.osmand_url)
    assert result.returncode == 0, result.stderr[-2000:]
    counts = orjson.loads(result.stdout.strip().splitlines()[-1])
    assert counts["reports"] > 10 and counts["fixes"] > 0 and counts["errors"] == 0
    events = [decode(fields) for stream in ("incidents", "officers")
              for _, fields in room.redis.xrange(room.keys.stream(stream))]
    reports = [e for e in events if e.type == "report.received"]
    fixes = [e for e in events if e.type == "officer.located"]
    assert len(reports) == counts["reports"] and len(fixes) == counts["fixes"]
    assert all(e.actor.startswith("apikey:Simulator") and e.source == "open311"
               for e in reports)
    fleet = orjson.loads((room.settings.data_dir / "simulator.json").read_bytes())["officers"]
    credential_of = {row["officer_id"]: row["id"] for row in accounts.list_credentials(
        room, kind="device", by=SYSTEM) if row["revoked_at"] is None}
    assert all(e.actor == f"device:{credential_of[e.officer_id]}" for e in fixes)
    secrets = {o["secret"] for o in fleet}  # (sent as the trackers' ids, stored nowhere)
    assert secrets.isdisjoint(o["id"] for o in fleet)
    assert not any(secret in raw for _, fields in room.redis.xrange(room.keys.stream("officers"))
                   for raw in fields.values() for secret in secrets)

    def on_shift(at: datetime) -> set[str]:
        return {o["id"] for o in fleet
                if room.city.shifts[o["shift"]].instance_at(at, room.city.timezone, 10)}

    # the others are off duty: silent (a shift may have begun or ended during the run)
    sent = {f.officer_id for f in fixes}
    ended = datetime.now(room.city.timezone)
    assert on_shift(started) & on_shift(ended) <= sent <= on_shift(started) | on_shift(ended)


def test_run_starts_the_simulator_and_it_never_outlives_the_app(settings, tmp_path):
    app = AppProcess.beside(settings, tmp_path, LIVEROOM_SIMULATOR="on").start()
    try:
        deadline = time.monotonic() + 20
        while not (children := [p for p in psutil.Process(app.process.pid).children()
                                if "simulate" in p.cmdline()]) and time.monotonic() < deadline:
            time.sleep(0.2)
        (simulator,) = children
        app.process.kill()  # not a clean stop: the simulator must notice by itself
        app.process.wait()
        simulator.wait(timeout=20)
    finally:
        app.stop()


def test_a_taken_osmand_port_does_not_take_the_control_room_down(settings, tmp_path):
    app = AppProcess.beside(settings, tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", app.osmand_port))
        taken.listen()
        app.start()
        try:
            assert httpx.get(f"{app.url}/healthz").status_code == 200
            time.sleep(1)
            assert app.process.poll() is None
            assert "OsmAnd listener did not start" in (tmp_path / "app.log").read_text()
        finally:
            app.stop()


def test_a_websocket_message_past_its_limit_closes_the_channel_and_stores_nothing(app, room):
    device = accounts.add_device(room, "Rudi", agency="dishub", by=SYSTEM)
    url = app.url.replace("http://", "ws://") + "/ws/device"
    with websockets.sync.client.connect(url, max_size=None) as socket:
        socket.send(orjson.dumps({"token": device.secret}).decode())
        assert orjson.loads(socket.recv())["device_id"] == device.id
        socket.send("x" * (WS_MAX_BYTES + 1))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            socket.recv()
    assert closed.value.rcvd.code == 1009  # message too big
    stored = [decode(fields).type for _, fields in room.redis.xrange(room.keys.stream("officers"))]
    assert "officer.located" not in stored

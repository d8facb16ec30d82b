"""PostgreSQL restarts, proven with a fault: a cluster of the test's own (never the machine's
shared one) stopped as in a crash (`pg_ctl -m immediate`) under the real app while citizens'
apps post reports. Meanwhile the live room works on from Redis (reports, tracker fixes, the
API's commands, screens signed in), what reads the archive answers 503 in its protocol's
format and `/healthz` is degraded with the reason; when PostgreSQL is back the archive
catches up by itself with every report once and nothing dead-lettered."""

from __future__ import annotations

import asyncio
import json
import threading
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import func, select
from websockets.sync.client import connect

from liveroom.access import SYSTEM
from liveroom.access import sessions as session_store
from liveroom.access.secrets import digest
from liveroom.api.access import SESSION_COOKIE
from liveroom.archive import migrate, schema, temporary_schema
from liveroom.commands import accounts
from liveroom.commands.locations import DeviceDirectory
from liveroom.domain.errors import ArchiveUnavailable
from liveroom.room import LiveRoom
from tests.app_process import AppProcess
from tests.faults import servers
from tests.faults.servers import wait_for

OPEN311 = "/open311/v2"
#: how long PostgreSQL stays down at least (the long outage is bench/faults.py's)
OUTAGE_SECONDS = 3


@pytest.fixture(scope="module")
def postgres():
    with servers.postgres() as server:
        yield server


@pytest.fixture
def room(settings, postgres):
    """The test's deployment on its own PostgreSQL (a fresh schema), migrated."""
    with temporary_schema(postgres.url) as url:
        room = LiveRoom.open(settings.model_copy(update={"database_url": url}))
        migrate(room.engine)
        yield room
        room.close()


def a_point(room: LiveRoom) -> dict[str, float]:
    point = next(iter(room.city.districts.values())).geometry.representative_point()
    return {"lat": point.y, "long": point.x}


class Flood(threading.Thread):
    """A citizens' app posting reports one after another until stopped: what it was
    answered, with when."""

    def __init__(self, url: str, key: str, point: dict[str, float]) -> None:
        super().__init__(daemon=True)
        self.url, self.key, self.point = url, key, point
        self.answers: list[tuple[float, int, str]] = []  # (monotonic, status, id or text)
        self.stopping = threading.Event()

    def run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            while not self.stopping.is_set():
                try:
                    response = client.post(f"{OPEN311}/requests.json", data={
                        "api_key": self.key, "service_code": "genangan", **self.point,
                        "description": "Genangan setinggi lutut"})
                    body = response.json()
                except (httpx.HTTPError, ValueError) as exc:  # (counted as refused)
                    self.answers.append((time.monotonic(), 0, repr(exc)))
                    continue
                self.answers.append((time.monotonic(), response.status_code,
                                     body[0].get("service_request_id") or str(body)))

    def acknowledged(self, since: float = 0.0) -> list[str]:
        return [found for at, status, found in self.answers if status == 201 and at >= since]


def test_the_room_works_through_a_postgres_crash_and_the_archive_catches_up(
        room, postgres, settings, tmp_path):
    admin = accounts.add_user(room, "admin", "sandi-rahasia-123", roles=["admin"], by=SYSTEM)
    accounts.add_user(room, "operator", "sandi-rahasia-123", roles=["operator"], by=SYSTEM)
    key = accounts.create_api_key(room, "Aplikasi Warga", by=SYSTEM).secret
    token = accounts.create_api_token(room, "operator", by=SYSTEM).secret
    post = next(iter(room.city.posts.values()))
    device = accounts.add_device(room, "Rudi", agency=post.agency, post_id=post.id, by=SYSTEM)
    rudi = accounts.add_user(room, "rudi", "sandi-rahasia-123", roles=["officer"], by=SYSTEM,
                             officer_id=device.officer_id)
    kiosk = accounts.create_kiosk_link(room, "Layar Dinas", by=SYSTEM).secret  # never used
    session = session_store.start_session(  # a wall screen signed in before the outage
        room, accounts.user_principal(admin), username="admin", seconds=3600)
    phone = session_store.start_session(room, accounts.user_principal(rudi), username="rudi",
                                        seconds=3600)
    app = AppProcess.beside(settings, tmp_path, LIVEROOM_DATABASE_URL=room.settings.database_url,
                            LIVEROOM_OPEN311_POSTS_PER_MINUTE="100000",
                            # (under `make test-ahead`'s libfaketime, a faked monotonic clock
                            # makes every timed wait of a thread endless: the projections'
                            # retries among them; the date stays 400 days ahead)
                            FAKETIME_DONT_FAKE_MONOTONIC="1").start()
    point = a_point(room)
    bearer = {"Authorization": f"Bearer {token}"}
    flood = Flood(app.url, key, point)
    try:
        web = httpx.Client(base_url=app.url, timeout=10, cookies={SESSION_COOKIE: session})
        fix = {"id": device.secret, "lat": point["lat"], "lon": point["long"]}
        assert web.get("/osmand", params={**fix, "timestamp": int(time.time())}
                       ).status_code == 200
        assert web.get("/api/v1/me", headers=bearer).status_code == 200
        flood.start()
        wait_for(lambda: len(flood.acknowledged()) >= 5)

        postgres.stop()  # -m immediate: as in a crash
        down = time.monotonic()
        try:
            wait_for(lambda: len(flood.acknowledged(since=down)) >= 5, 10)  # acknowledged
            fixed_at = int(time.time())
            assert web.get("/osmand", params={**fix, "timestamp": fixed_at}).status_code == 200
            assert httpx.get(app.osmand_url, params={**fix, "timestamp": fixed_at + 1}
                             ).status_code == 200  # the OsmAnd port too
            desk = web.post("/api/v1/reports", headers=bearer, json={
                "channel": "telepon", "category": "genangan", "lat": point["lat"],
                "lon": point["long"], "description": "Air masuk rumah warga"})
            assert desk.status_code == 200, desk.text  # an API command

            archive_reads_refused(web)
            one = flood.acknowledged(since=down)[0]  # asked for by id: from its aggregate
            assert web.get(f"{OPEN311}/requests/{one}.json").json()[0][
                "service_request_id"] == one
            assert web.get(f"/lapor/{one}").status_code == 200  # the citizen's page too
            assert "live-badge" in dash_page(web, "/")  # the wall screen, still signed in
            signing_in = web.post("/login", data={  # passwords are in the archive
                "username": "admin", "password": "sandi-rahasia-123",
                "csrf": web.get("/login").cookies["lr_login_csrf"]})
            assert signing_in.status_code == 503 and "basis data arsip" in signing_in.text
            link = httpx.get(f"{app.url}/?kiosk={kiosk}")  # cannot be checked: asks again
            assert link.status_code == 503 and link.headers["refresh"]
            assert officers_phone(app, phone, point, fixed_at + 2) == {"type": "fix", "ok": 1}

            health = web.get("/healthz")
            assert health.status_code == 200 and health.json()["status"] == "degraded"
            assert health.json()["reasons"][0].startswith("database: ")
            wait_for(lambda: time.monotonic() - down >= OUTAGE_SECONDS
                     and len(flood.acknowledged(since=down)) >= 50)
        finally:
            postgres.start()
        back = time.monotonic()
        wait_for(lambda: len(flood.acknowledged(since=back)) >= 3)
        flood.stopping.set()
        flood.join(15)

        refused = [(status, text) for _, status, text in flood.answers if status != 201]
        assert refused == []  # not one report refused, before, during or after
        reports = [*flood.acknowledged(), desk.json()["id"]]
        wait_for(lambda: archived(room, reports) == len(reports), 30)
        caught_up = time.monotonic() - back
        steps = doubled_steps(room, reports)
        health = wait_for(lambda: (body := web.get("/healthz").json())["status"] == "ok"
                          and body, 30)
        assert steps == [] and health["dead_letters"] == 0
        wait_for(lambda: latest_fix(room, device.officer_id) == fixed_at + 2)  # the
        # outage's fixes are in the archive too (the last, the phone's, over its socket)
        print(f"\nPostgreSQL down {back - down:.1f} s: {len(reports)} reports acknowledged, "
              f"{len(flood.acknowledged(down)) - len(flood.acknowledged(back))} of them while "
              f"down; all archived once {caught_up:.1f} s after it was back")
    finally:
        flood.stopping.set()
        flood.join(15)
        app.stop()


def archive_reads_refused(web: httpx.Client) -> None:
    """What reads the archive answers 503, each in its protocol's format."""
    listed = web.get(f"{OPEN311}/requests.json")  # Open311 lists: its errors list
    assert listed.status_code == 503
    assert listed.json()[0]["code"] == 503 and "unavailable" in listed.json()[0]["description"]
    as_xml = ET.fromstring(web.get(f"{OPEN311}/requests.xml").content)
    assert as_xml.tag == "errors" and as_xml.find("error/code").text == "503"
    export = web.get("/kpi/agencies.csv")  # the JSON refusal
    assert export.status_code == 503 and export.headers["retry-after"]
    assert export.json()["code"] == "archive_unavailable"
    for download in ("/attendance.csv", "/admin/audit.csv", "/kpi/recap.pdf"):
        assert web.get(download).json()["code"] == "archive_unavailable", download
    for path in ("/admin", "/attendance"):  # an archive page says so, translated
        page = dash_page(web, path)
        assert "page-unavailable" in page and "Basis data arsip" in page, path


def officers_phone(app: AppProcess, session: str, point: dict[str, float], at: int) -> dict:
    """The officer's phone page, then its socket: its state pushed, then a fix it sends;
    the answer to that."""
    page = httpx.get(f"{app.url}/field", cookies={SESSION_COOKIE: session})
    assert page.status_code == 200 and "Rudi" in page.text
    with connect(f"ws://127.0.0.1:{app.port}/ws/field",
                 additional_headers={"Cookie": f"{SESSION_COOKIE}={session}"}) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "state"
        socket.send(json.dumps({"location": [{
            "timestamp": datetime.fromtimestamp(at, UTC).isoformat(),
            "coords": {"latitude": point["lat"], "longitude": point["long"], "accuracy": 5}}]}))
        return json.loads(socket.recv(timeout=10))


def dash_page(client: httpx.Client, pathname: str) -> str:
    """What the browser is sent for this address (the router callback's answer)."""
    response = client.post("/_dash-update-component", json={
        "output": "page.children", "outputs": {"id": "page", "property": "children"},
        "inputs": [{"id": "url", "property": "pathname", "value": pathname},
                   {"id": "url", "property": "search", "value": ""}],
        "changedPropIds": []})
    assert response.status_code == 200, response.text
    return response.text


def archived(room: LiveRoom, ids: list[str]) -> int:
    """How many of these reports the archive holds (0 while it is down)."""
    table = schema.incidents
    try:
        with room.engine.connect() as conn:
            return conn.execute(select(func.count()).where(table.c.id.in_(ids))).scalar_one()
    except ArchiveUnavailable:
        return 0


def latest_fix(room: LiveRoom, officer_id: str) -> int | None:
    """When the officer's latest archived fix was taken (unix seconds)."""
    table = schema.officer_positions
    with room.engine.connect() as conn:
        at = conn.execute(select(table.c.at).where(table.c.officer_id == officer_id)
                          ).scalar_one_or_none()
    return int(at.timestamp()) if at else None


def doubled_steps(room: LiveRoom, ids: list[str]) -> list[tuple[str, str, int]]:
    """Any status step of these reports stored more than once."""
    table = schema.status_history
    with room.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(
            select(table.c.incident_id, table.c.to_status, func.count())
            .where(table.c.incident_id.in_(ids))
            .group_by(table.c.incident_id, table.c.to_status).having(func.count() > 1))]


def test_a_worker_knows_the_secrets_and_devices_any_worker_read_while_the_archive_is_down(
        room, postgres, settings):
    """Bearer secrets and trackers' ids live in the archive; what one worker read of them is
    kept in Redis for every worker (here a second room, as a worker started afresh), at the
    credentials' version: a secret revoked before the outage, or never read, is not let
    in."""
    key = accounts.create_api_key(room, "Aplikasi Warga", by=SYSTEM)
    gone = accounts.create_api_key(room, "Aplikasi Lama", by=SYSTEM)
    unread = accounts.create_api_key(room, "Belum Dipakai", by=SYSTEM)
    for secret in (key.secret, gone.secret):
        assert accounts.credential_principal(room, secret, ("api_key",)) is not None
    accounts.revoke_credential(room, gone.id, by=SYSTEM)
    assert accounts.credential_principal(room, key.secret, ("api_key",)) is not None
    post = next(iter(room.city.posts.values()))
    device = accounts.add_device(room, "Rudi", agency=post.agency, post_id=post.id, by=SYSTEM)
    assert asyncio.run(DeviceDirectory(room).lookup(device.secret)) is not None  # read
    other = LiveRoom.open(room.settings)
    postgres.stop()
    try:
        principal, key_id = accounts.credential_principal(other, key.secret, ("api_key",))
        assert key_id == key.id and principal.name == "Aplikasi Warga"
        for secret in (gone.secret, unread.secret):  # neither known nor refused: 503
            with pytest.raises(ArchiveUnavailable):
                accounts.credential_principal(other, secret, ("api_key",))
        assert session_store.remembered_principal(
            other, other.redis.get(other.keys.credentials_version), digest(gone.secret)) is None
        tracker = asyncio.run(DeviceDirectory(other).lookup(device.secret))
        assert tracker is not None and tracker.officer_id == device.officer_id
        with pytest.raises(ArchiveUnavailable):  # not "unknown": nothing counted or throttled
            asyncio.run(DeviceDirectory(other).lookup("made-up-tracker-id"))
    finally:
        postgres.start()
        other.close()

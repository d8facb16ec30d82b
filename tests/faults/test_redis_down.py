"""Redis gone under the app (a failover under way, the server down): every protocol answers
503 in its own format, with when to retry, never a 500; when Redis is back, the same
requests are taken. Redis is a redis-server of the test's own, killed with -9."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app import create_app
from liveroom.api.access import SESSION_COOKIE
from liveroom.api.osmand import osmand_app
from liveroom.archive import migrate
from liveroom.commands import accounts
from liveroom.config import Settings
from liveroom.room import LiveRoom
from tests.app_process import free_port
from tests.conftest import person
from tests.faults.servers import start_redis, wait_for

ADMIN = person("root", "admin")


@pytest.fixture
def deployment(tmp_path):
    """(the app's test client, a bearer header, an Open311 key, restart Redis)."""
    port = free_port()
    args = ("--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "yes")
    server = [start_redis(tmp_path, *args)]
    settings = Settings(env="test", data_dir=tmp_path / "data",
                        redis_url=f"redis://127.0.0.1:{port}/0",
                        database_url=f"sqlite:///{tmp_path}/a.db", simulator=False,
                        projections=False)
    room = wait_for(lambda: LiveRoom.open(settings))
    migrate(room.engine)
    accounts.add_user(room, "opi", "kata-sandi-rahasia", by=ADMIN, roles=["operator"])
    bearer = {"Authorization": f"Bearer {accounts.create_api_token(room, 'opi', by=ADMIN).secret}"}
    key = accounts.create_api_key(room, "Aplikasi Warga", by=ADMIN).secret

    def kill() -> None:
        server[0].kill()
        server[0].wait()

    def restart() -> None:
        server[0] = start_redis(tmp_path, *args)

    try:
        with TestClient(create_app(room).server) as client:
            yield client, bearer, key, kill, restart
    finally:
        room.close()
        server[0].kill()
        server[0].wait()


def test_with_redis_gone_every_protocol_says_503_in_its_format_and_then_works_again(
        deployment, tangerang_point):
    client, bearer, key, kill, restart = deployment
    lat, lon = tangerang_point
    report = {"channel": "telepon", "category": "genangan", "lat": lat, "lon": lon,
              "description": "banjir", "caller": {"name": "Bu Sri"}}
    citizen = {"api_key": key, "service_code": "genangan", "lat": str(lat), "long": str(lon)}
    assert client.post("/api/v1/reports", json=report, headers=bearer).status_code == 200
    kill()

    answer = client.post("/api/v1/reports", json=report, headers=bearer)
    assert answer.status_code == 503 and answer.json()["code"] == "live_unavailable"
    assert int(answer.headers["Retry-After"]) > 0
    as_json = client.post("/open311/v2/requests.json", data=citizen)
    assert as_json.status_code == 503 and as_json.json()[0]["code"] == 503
    as_xml = client.post("/open311/v2/requests.xml", data=citizen)
    assert as_xml.status_code == 503 and "<errors><error><code>503</code>" in as_xml.text
    assert client.get("/healthz").status_code == 503
    fix = {"id": "pelacak-1", "lat": str(lat), "lon": str(lon), "timestamp": "1700000000"}
    tracker = TestClient(osmand_app(client.app.state.ingest))  # (the OsmAnd port's listener)
    assert tracker.get("/", params=fix).status_code == 503
    assert client.get("/osmand", params=fix).status_code == 503
    client.cookies.set(SESSION_COOKIE, "lr_session_of-a-wall-screen")
    page = client.get("/", follow_redirects=False)  # a wall screen loading: told, and reloads
    assert page.status_code == 503 and "menyambung ulang" in page.text
    assert int(page.headers["Refresh"]) > 0

    restart()  # (the append-only file: what was acknowledged is back)
    taken = wait_for(lambda: client.post("/api/v1/reports", json=report,
                                         headers=bearer).status_code == 200)
    assert taken
    assert client.post("/open311/v2/requests.json", data=citizen).status_code == 201

"""HAProxy in front of two hosts, with `docs/haproxy.cfg` as it is (its addresses from the
environment; Debian's haproxy on loopback, TLS with a certificate of the test's own): a
wall screen's websocket through it gets pushes, a citizen's photo sent through it is served
by either host (a media dir they share, data dirs of their own), trackers that know only a
host and port reach `/osmand`; and when one host dies (kill -9), every request through
HAProxy still succeeds and its health check takes the host out."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import random
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from PIL import Image

from bench.ws_screen import WsScreen
from bench.ws_screen import sign_in as ws_sign_in
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import get_incident
from liveroom.demo.seed import random_point
from tests.app_process import ROOT, AppProcess, free_port
from tests.faults.servers import real_clock_env, wait_for

CONFIG = ROOT / "docs" / "haproxy.cfg"
HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
PASSWORD = "kata-sandi-dinding"

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0, reason="the configuration chroots and drops to the haproxy user")


@dataclass
class Proxied:
    """Two hosts' apps behind HAProxy: its addresses, and the hosts by name."""

    https: str
    http: str
    trackers: str
    stats: str
    hosts: dict[str, AppProcess]

    def server_status(self) -> dict[str, str]:
        """HAProxy's view of each server of the `app` backend (UP, DOWN, ...)."""
        rows = httpx.get(f"{self.stats}/;csv", timeout=5).text.lstrip("# ")
        return {row["svname"]: row["status"] for row in csv.DictReader(io.StringIO(rows))
                if row["pxname"] == "app" and row["svname"] in self.hosts}


def certificate(path: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 and its key, in one file (as HAProxy takes
    them)."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(path / "key.pem"), "-out", str(path / "cert.pem")],
                   check=True, capture_output=True)
    both = path / "liveroom.pem"
    both.write_bytes((path / "cert.pem").read_bytes() + (path / "key.pem").read_bytes())
    return path / "cert.pem"


@pytest.fixture
def proxied(settings, room, tmp_path, monkeypatch) -> Iterator[Proxied]:
    accounts.add_user(room, "opi", PASSWORD, roles=["operator"], by=SYSTEM)
    hosts = {}
    for name in ("a", "b"):  # each its own data dir; the photos on storage they share
        (tmp_path / name).mkdir()
        hosts[name] = AppProcess.beside(settings, tmp_path / name,
                                        LIVEROOM_MEDIA_DIR=str(tmp_path / "shared-media"),
                                        LIVEROOM_OPEN311_POSTS_PER_MINUTE="100000")
    ports = {name: free_port() for name in ("http", "https", "trackers", "stats")}
    env = {**real_clock_env(), "LR_CERT": str(tmp_path / "liveroom.pem"),
           **{f"LR_{name.upper()}": f"127.0.0.1:{port}" for name, port in ports.items()},
           **{f"LR_APP_{name.upper()}": f"127.0.0.1:{host.port}"
              for name, host in hosts.items()}}
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate(tmp_path)))  # trusted by httpx, ws
    log = (tmp_path / "haproxy.log").open("w")
    haproxy = None
    try:
        for host in hosts.values():
            host.start()
        haproxy = subprocess.Popen([HAPROXY, "-db", "-f", str(CONFIG)], env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
        running = Proxied(f"https://127.0.0.1:{ports['https']}",
                          f"http://127.0.0.1:{ports['http']}",
                          f"http://127.0.0.1:{ports['trackers']}",
                          f"http://127.0.0.1:{ports['stats']}", hosts)

        def both_up() -> bool:
            if haproxy.poll() is not None:
                raise RuntimeError(f"haproxy stopped: {(tmp_path / 'haproxy.log').read_text()}")
            try:
                return set(running.server_status().values()) == {"UP"}
            except httpx.TransportError:  # not listening yet
                return False

        wait_for(both_up, 30)
        yield running
    finally:
        if haproxy is not None:
            haproxy.terminate()
            haproxy.wait(10)
        for host in hosts.values():
            host.stop()
        log.close()


def report(client: httpx.Client, key: str, point: tuple[float, float]) -> httpx.Response:
    return client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "sampah-menumpuk", "lat": point[0],
        "long": point[1], "description": "lewat haproxy"})


def test_through_haproxy_screens_get_pushes_photos_and_trackers_arrive(proxied, room):
    key = accounts.create_api_key(room, "app", by=SYSTEM).secret
    device = accounts.add_device(room, "Truk 7", agency="kebersihan", by=SYSTEM)
    point = random_point(room.city, random.Random(5))
    plain = httpx.get(f"{proxied.http}/lapor", timeout=10)
    assert plain.status_code == 301 and plain.headers["location"].startswith("https://")

    async def screen_sees_a_report() -> None:
        cookies = await ws_sign_in(proxied.https, "opi", PASSWORD)
        screen = WsScreen(proxied.https, cookies)  # wss://, through HAProxy
        await screen.connect()
        try:
            await asyncio.to_thread(wait_for, lambda: screen.ready_at, 20)
            with httpx.Client(base_url=proxied.https, timeout=10) as client:
                sent = await asyncio.to_thread(report, client, key, point)
            incident_id = sent.json()[0]["service_request_id"]
            await asyncio.to_thread(wait_for, lambda: incident_id in screen.first_seen, 20)
            assert not screen.errors
        finally:
            await screen.close()

    asyncio.run(screen_sees_a_report())

    with httpx.Client(base_url=proxied.https, timeout=10) as client:
        login = client.get("/login")
        csrf = re.search(r'name="csrf" value="([^"]+)"', login.text).group(1)
        signed_in = client.post("/login", data={"username": "opi", "password": PASSWORD,
                                                "csrf": csrf})
        assert "secure" in signed_in.headers["set-cookie"].lower()  # (X-Forwarded-Proto)
        form = client.get("/lapor")
        image = io.BytesIO()
        Image.new("RGB", (800, 600), "#6b2e2e").save(image, "JPEG")
        sent = client.post("/lapor", data={
            "csrf": re.search(r'name="csrf" value="([^"]+)"', form.text).group(1),
            "category": "sampah-menumpuk", "lat": str(point[0]), "lon": str(point[1] + 0.01),
            "description": "Foto lewat haproxy"},
            files={"photo": ("foto.jpg", image.getvalue(), "image/jpeg")})
    assert sent.status_code == 303, sent.text[-300:]
    number = sent.headers["location"].split("/")[2].split("?")[0]
    media_url = get_incident(room, number).media_url
    for host in proxied.hosts.values():  # each host straight, past HAProxy
        served = httpx.get(host.url + media_url, timeout=10)
        assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"

    fix = httpx.get(f"{proxied.trackers}/", timeout=10, params={
        "id": device.secret, "lat": point[0], "lon": point[1], "timestamp": int(time.time())})
    assert fix.status_code == 200
    wait_for(lambda: room.redis.hget(room.live.officer(device.officer_id), "lat"))


def test_a_host_killed_loses_no_request_and_the_health_check_takes_it_out(proxied, room):
    key = accounts.create_api_key(room, "app", by=SYSTEM).secret
    rng = random.Random(8)
    with httpx.Client(base_url=proxied.https, timeout=10) as client:
        assert {report(client, key, random_point(room.city, rng)).status_code
                for _ in range(6)} == {201}  # round robin: both hosts answer
        proxied.hosts["b"].process.kill()  # kill -9
        killed, statuses, down = time.monotonic(), [], None
        # (a request on its way to B as it dies is lost with it, as in any crash: one sent
        # over a connection HAProxy kept open to B is closed unanswered, for its client to
        # repeat; the kernel tells HAProxy of those connections' end at once)
        time.sleep(0.2)
        while time.monotonic() - killed < 12:  # requests go on all the while
            statuses.append(report(client, key, random_point(room.city, rng)).status_code)
            statuses.append(client.get("/healthz").status_code)
            if down is None and proxied.server_status()["b"].startswith("DOWN"):
                down = time.monotonic() - killed
            time.sleep(0.02)
    print(f"{len(statuses)} requests through HAProxy after the kill: "
          f"{statuses.count(201) + statuses.count(200)} answered; host b DOWN after "
          f"{down:.1f} s" if down else "host b never DOWN")
    assert set(statuses) <= {200, 201}, statuses
    assert down is not None and down < 8  # two failed checks, 2 s apart
    status = proxied.server_status()
    assert status["a"] == "UP" and status["b"].startswith("DOWN")
    proxied.hosts["b"].process = None  # (killed: nothing to stop)


def test_the_configuration_in_the_deployment_guide_is_the_one_tried_here():
    guide = (ROOT / "docs" / "deploy.md").read_text()
    assert CONFIG.read_text() in guide

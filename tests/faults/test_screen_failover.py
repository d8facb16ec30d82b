"""A wall screen across a Redis Sentinel failover: the app's Redis is a sentinel set of the
test's own (spare ports); a websocket-level screen (what an open "/" tab does, without a
browser: `bench/ws_screen.py`) is connected when the primary is killed -9. Its pushes
resume by themselves on the same socket (the change hub's reader and the screen's push
loop find the promoted replica through the sentinels), and a report made after the
failover reaches it. The browser's side (the RECONNECTING badge, then LIVE) is
`tests/browser/test_failover.py`."""

from __future__ import annotations

import asyncio
import signal
import threading
import time

import pytest
import redis

from bench.ws_screen import WsScreen, sign_in
from liveroom.access import SYSTEM
from liveroom.commands.accounts import add_user
from liveroom.commands.incidents import report_incident
from tests.faults.servers import app_on_sentinels, wait_for

PASSWORD = "kata-sandi-layar"


@pytest.fixture
def deployment(tmp_path):
    with app_on_sentinels(tmp_path) as found:
        yield found


@pytest.fixture
def run():
    """Run a coroutine in an event loop of its own thread (the screen's receive loop goes
    on there while the test waits in its own)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield lambda coroutine: asyncio.run_coroutine_threadsafe(coroutine, loop).result(30)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def seen(screen: WsScreen, incident_id: str, seconds: float) -> None:
    """Wait until the incident was pushed to the screen."""
    started = time.monotonic()
    while incident_id not in screen.first_seen:
        assert time.monotonic() - started < seconds, (
            f"{incident_id} never reached the screen; its errors: {screen.errors}")
        time.sleep(0.1)


def test_a_screen_s_pushes_resume_after_the_primary_dies(deployment, run):
    app, room, redis_set = deployment
    add_user(room, "layar", PASSWORD, roles=["operator"], by=SYSTEM)
    screen = WsScreen(app.url, run(sign_in(app.url, "layar", PASSWORD)))
    run(screen.connect())
    point = next(iter(room.city.districts.values())).geometry.representative_point()

    def report(offset: float):
        return report_incident(room, category="genangan", lat=point.y, lon=point.x + offset,
                               source="t", by=SYSTEM)

    try:
        before = report(0)
        seen(screen, before.id, 20)
        redis.Redis(port=redis_set["primary"]).wait(1, 2000)  # (replicated before the fault)
        replica = redis_set["procs"]["replica"]
        replica.send_signal(signal.SIGSTOP)  # (hung a while: the push loop meets no primary)
        try:
            redis_set["procs"]["primary"].kill()  # kill -9
            redis_set["procs"]["primary"].wait()
            time.sleep(3)
        finally:
            replica.send_signal(signal.SIGCONT)
        after = wait_for(lambda: report(0.01), 60)  # (once the replica is promoted)
        assert redis.Redis(port=redis_set["replica"]).info("replication")["role"] == "master"
        seen(screen, after.id, 15)
        assert not screen.closed  # the same socket: its push loop carried on
        assert before.id in screen.first_seen
    finally:
        run(screen.close())

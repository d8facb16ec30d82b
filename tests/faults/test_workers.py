"""Several workers, as deployed: `uvicorn app:server --workers 2` behind one port (projections
off) and two `python -m liveroom work` processes, on the test's Redis namespace and database.
What users notice: a wall screen on either worker gets every report made through the other;
a citizen's photo is served by any worker; and a `work` process killed with kill -9 in the
middle of a batch, while reports and notes flood in, hands its projections to the other
within the lease time, with every acknowledged report and note in the archive and the live
model exactly once, and on every wall."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import random
import re
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from bench.ws_screen import WsScreen, persistent_callbacks
from bench.ws_screen import sign_in as ws_sign_in
from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands import accounts
from liveroom.commands.incidents import get_incident
from liveroom.demo.seed import random_point
from liveroom.projections.base import Entry
from liveroom.projections.health import projection_lag
from liveroom.projections.runner import all_policies, all_projections
from liveroom.streams import id_tuple
from tests.app_process import ROOT, AppProcess
from tests.faults.deployment import Deployment, client_on
from tests.faults.servers import wait_for

PASSWORD = "kata-sandi-dinding"
LEASE = 2.0  # LIVEROOM_LEASE_SECONDS: small, so a takeover is quick to see
#: a standby worker asks for a lease every third of it: it has one within this of a death
TAKEOVER = LEASE * 4 / 3


@pytest.fixture
def deployment(settings, room, tmp_path) -> Iterator[Deployment]:
    """Two workers and two `work` processes; every report its own incident (no duplicate
    linking), streams kept whole (no trimming) for the counts, no per-key limit."""
    env = AppProcess.beside(settings, tmp_path, LIVEROOM_LEASE_SECONDS=str(LEASE),
                            LIVEROOM_DUPLICATE_RADIUS_M="0",
                            LIVEROOM_TRIM_INTERVAL_SECONDS="3600",
                            LIVEROOM_OPEN311_POSTS_PER_MINUTE="1000000",
                            LIVEROOM_MEDIA_DIR=str(tmp_path / "shared-media")).env
    accounts.add_user(room, "opi", PASSWORD, roles=["operator"], by=SYSTEM)
    running = Deployment(env, tmp_path)
    try:
        yield running.start()
    finally:
        running.stop()


def report(client: httpx.Client, key: str, point: tuple[float, float]) -> str:
    reply = client.post("/open311/v2/requests.json", data={
        "api_key": key, "service_code": "sampah-menumpuk", "lat": point[0],
        "long": point[1], "description": "uji dua pekerja"})
    assert reply.status_code == 201, reply.text
    return reply.json()[0]["service_request_id"]


async def screens_on_each(deployment: Deployment, per_worker: int) -> dict[int, list[WsScreen]]:
    """Wall screens of a signed-in operator, `per_worker` on each worker (a screen lands
    where the kernel hands its connection: opened until each worker has its share)."""
    cookies = await ws_sign_in(deployment.url, "opi", PASSWORD)
    callbacks = await persistent_callbacks(deployment.url, cookies)
    on: dict[int, list[WsScreen]] = {pid: [] for pid in deployment.worker_pids()}
    for _ in range(40):
        if all(len(screens) >= per_worker for screens in on.values()):
            break
        screen = WsScreen(deployment.url, cookies, callbacks=callbacks)
        await screen.connect()
        pid = deployment.serving(screen._ws.local_address[1])
        if pid in on and len(on[pid]) < per_worker:
            on[pid].append(screen)
        else:
            await screen.close()
    assert all(len(s) >= per_worker for s in on.values()), "screens landed on one worker only"
    for screen in (s for screens in on.values() for s in screens):
        while not screen.ready_at:  # (its first push: what it missed since it opened)
            await asyncio.sleep(0.05)
    return on


async def until_seen(screens: dict[int, list[WsScreen]], ids: set[str],
                     seconds: float = 30) -> dict[str, set[str]]:
    """Wait for every screen to have every id; what each screen still misses."""
    deadline = time.monotonic() + seconds
    while True:
        missing = {f"worker {pid} screen {n}": ids - set(screen.first_seen)
                   for pid, on in screens.items() for n, screen in enumerate(on)}
        if not any(missing.values()) or time.monotonic() > deadline:
            return {name: ids for name, ids in missing.items() if ids}
        await asyncio.sleep(0.1)


def test_screens_on_either_worker_see_every_report_made_through_the_other(deployment, room):
    key = accounts.create_api_key(room, "app", by=SYSTEM).secret
    rng = random.Random(21)

    async def scenario() -> None:
        screens = await screens_on_each(deployment, per_worker=2)
        made: dict[int, set[str]] = {}
        for pid in screens:  # three reports through each worker's own connection
            with client_on(deployment, pid) as client:
                made[pid] = {await asyncio.to_thread(report, client, key,
                                                     random_point(room.city, rng))
                             for _ in range(3)}
        try:
            assert await until_seen(screens, set().union(*made.values())) == {}
            assert all(not s.errors for on in screens.values() for s in on)
        finally:
            await asyncio.gather(*(s.close() for on in screens.values() for s in on))

    asyncio.run(scenario())


def photo() -> bytes:
    data = io.BytesIO()
    Image.new("RGB", (1200, 900), "#2e6b55").save(data, "JPEG")
    return data.getvalue()


def test_a_photo_uploaded_through_one_worker_is_served_by_the_other(deployment, room):
    first, second = deployment.worker_pids()
    lat, lon = random_point(room.city, random.Random(3))
    with client_on(deployment, first) as one, client_on(deployment, second) as other:
        form = other.get("/lapor")  # the form from one worker, sent to the other
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
        one.cookies = other.cookies
        sent = one.post("/lapor", data={
            "csrf": csrf, "category": "sampah-menumpuk", "lat": str(lat), "lon": str(lon),
            "description": "Tumpukan sampah di depan pasar"},
            files={"photo": ("foto.jpg", photo(), "image/jpeg")})
        assert sent.status_code == 303, sent.text[-500:]
        number = re.fullmatch(r"/lapor/([0-9A-Z-]+)\?.*", sent.headers["location"]).group(1)
        media_url = get_incident(room, number).media_url
        assert media_url
        served = [client.get(media_url) for client in (one, other)]
        assert [r.status_code for r in served] == [200, 200]
        assert served[0].content == served[1].content
        assert Image.open(io.BytesIO(served[1].content)).size == (1200, 900)
        assert any((deployment.path / "shared-media").glob("*.jpg"))  # the shared dir


@pytest.mark.parametrize(("env", "said"), [
    ({"LIVEROOM_LEASE_SECONDS": "never"},
     "refusing to start: invalid configuration: LIVEROOM_LEASE_SECONDS='never'"),
    ({"LIVEROOM_ENV": "production"}, "refusing to start: demo accounts are active"),
])
def test_workers_refuse_to_start_as_run_does_in_one_line(settings, room, tmp_path, env, said):
    """Not a traceback, and not workers started again and again."""
    accounts.create_demo_accounts(room)
    workers = Deployment(AppProcess.beside(settings, tmp_path, **env).env, tmp_path)
    server = subprocess.Popen(workers.command(), cwd=ROOT, env=workers.env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        said_all = server.communicate(timeout=60)[0]
    finally:  # (uvicorn's workers too, were it still starting them)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGKILL)
    assert said in said_all and "Traceback" not in said_all
    assert "failed to start, stopping the parent process" in said_all


def lease_holders(room) -> dict[str, int | None]:
    """Which process holds each projection's lease (its consumer name ends in pid-id)."""
    names = [p.name for p in (*all_projections(room), *all_policies(room))]
    held = room.redis.mget([room.keys.lease(name) for name in names])
    return {name: int(h.rsplit("-", 2)[1]) if h else None
            for name, h in zip(names, held, strict=True)}


def held_by(room, pid: int) -> tuple[int, int]:
    """Entries the process `pid` has read and not acknowledged, over every projection; and
    how many of them the walls' model (`live-incidents`, which counts notes) has applied
    already (its checkpoint is past them)."""
    pending = applied = 0
    for projection in (*all_projections(room), *all_policies(room)):
        key = room.keys.stream(projection.stream)
        for consumer in room.redis.xinfo_consumers(key, projection.name):
            if consumer["pending"] and consumer["name"].rsplit("-", 2)[1] == str(pid):
                held = room.redis.xpending_range(key, projection.name, "-", "+", 10_000,
                                                 consumer["name"])
                pending += len(held)
                if projection.name == "live-incidents":
                    checkpoint = id_tuple(projection.checkpoint())
                    applied += sum(id_tuple(h["message_id"]) <= checkpoint for h in held)
    return pending, applied


def caught_up(room) -> bool:
    lags = [projection_lag(room, p) for p in (*all_projections(room), *all_policies(room))]
    return all(lag["behind"] == 0 and lag["pending"] == 0 for lag in lags)


def stop_mid_batch(process, room, seconds: float = 10) -> tuple[int, int]:
    """SIGSTOP the process at a moment it holds read but unacknowledged entries (checked
    while it is stopped: the kill that follows lands mid-batch), preferably entries it has
    applied but not acknowledged (the hardest case: they must not be applied again) for
    up to `seconds`; (entries held, of which applied)."""
    deadline = time.monotonic() + seconds
    while True:
        process.send_signal(signal.SIGSTOP)
        pending, applied = held_by(room, process.pid)
        if applied or (pending and time.monotonic() > deadline):
            return pending, applied
        process.send_signal(signal.SIGCONT)
        if time.monotonic() > deadline + seconds:
            raise TimeoutError("the work process never held a batch")
        time.sleep(0.005)


def test_a_work_process_killed_mid_batch_hands_over_within_the_lease(deployment, room):
    key = accounts.create_api_key(room, "app", by=SYSTEM).secret
    token = accounts.create_api_token(room, "opi", by=SYSTEM).secret
    works = {w.pid: w for w in deployment.work}
    holders = wait_for(lambda: (h := lease_holders(room)) and all(h.values()) and h)
    victim = works[holders["live-incidents"]]  # the one that keeps the walls' model
    survivor = next(w for w in deployment.work if w is not victim)
    reports: list[str] = []
    notes: Counter[str] = Counter()
    stop = asyncio.Event()

    async def flood(n: int) -> None:
        rng = random.Random(n)
        async with httpx.AsyncClient(base_url=deployment.url, timeout=30) as client:
            while not stop.is_set():
                lat, lon = random_point(room.city, rng)
                reply = await client.post("/open311/v2/requests.json", data={
                    "api_key": key, "service_code": "sampah-menumpuk", "lat": lat,
                    "long": lon, "description": f"banjir laporan {n}"})
                assert reply.status_code == 201, reply.text
                incident_id = reply.json()[0]["service_request_id"]
                reports.append(incident_id)
                if rng.random() < 0.5:
                    noted = await client.post(
                        f"/api/v1/incidents/{incident_id}/notes", json={"text": "dicek"},
                        headers={"Authorization": f"Bearer {token}"})
                    assert noted.status_code == 200, noted.text
                    notes[incident_id] += 1

    async def scenario() -> tuple[float, tuple[int, int]]:
        screens = await screens_on_each(deployment, per_worker=1)
        flooding = [asyncio.create_task(flood(n)) for n in range(6)]
        try:
            await asyncio.sleep(2)
            held = await asyncio.to_thread(stop_mid_batch, victim, room)
            victim.kill()  # kill -9
            killed = time.monotonic()
            await asyncio.to_thread(wait_for, lambda: set(lease_holders(room).values()) == {
                survivor.pid}, 30)
            took = time.monotonic() - killed
            await asyncio.sleep(2)  # reports go on arriving under the survivor
        finally:
            stop.set()
            await asyncio.gather(*flooding)
        try:
            await asyncio.to_thread(wait_for, lambda: caught_up(room), 60)
            assert await until_seen(screens, set(reports)) == {}  # every wall, every report
        finally:
            await asyncio.gather(*(s.close() for on in screens.values() for s in on))
        return took, held

    took, held = asyncio.run(scenario())
    victim.wait()
    print(f"{len(reports)} reports and {sum(notes.values())} notes acknowledged; killed "
          f"holding {held[0]} unacknowledged entries ({held[1]} of them applied); the "
          f"survivor held every lease {took:.2f} s later (lease {LEASE} s)")
    assert held[0] > 0 and len(reports) > 50
    assert took < TAKEOVER + 1.0, f"{took:.1f} s to take over"
    assert len(set(reports)) == len(reports)

    # the log: each acknowledged report's events (and notes) once in the archive's log
    acknowledged, logged = set(reports), Counter()
    for entry_id, fields in room.redis.xrange(room.keys.stream("incidents")):
        incident_id = getattr(Entry.of(entry_id, fields).event, "incident_id", None)
        if incident_id in acknowledged:
            logged[incident_id] += 1
    with room.engine.connect() as conn:
        archived = Counter(dict(conn.execute(
            select(schema.events.c.aggregate_id, func.count()).where(
                schema.events.c.aggregate_id.in_(reports)).group_by(
                schema.events.c.aggregate_id)).all()))
        rows = Counter(dict(conn.execute(
            select(schema.incidents.c.id, func.count()).where(
                schema.incidents.c.id.in_(reports)).group_by(schema.incidents.c.id)).all()))
        noted = Counter(dict(conn.execute(
            select(schema.incident_notes.c.incident_id, func.count()).where(
                schema.incident_notes.c.incident_id.in_(reports)).group_by(
                schema.incident_notes.c.incident_id)).all()))
    assert rows == Counter(set(reports))  # every report, one row each
    assert logged == Counter({i: 2 + notes[i] for i in reports})  # received, triaged, notes
    assert archived == logged
    assert noted == notes  # nothing applied twice or missed
    # the live model: every report open on the walls, its notes counted once
    pipe = room.redis.pipeline(transaction=False)
    for incident_id in reports:
        pipe.hmget(room.live.incident(incident_id), ["status", "notes"])
    live = dict(zip(reports, pipe.execute(), strict=True))
    assert {i: s for i, (s, _) in live.items() if s != "triaged"} == {}
    assert Counter({i: int(n) for i, (_, n) in live.items() if n}) == notes
    assert room.redis.xlen(room.keys.dead_letters) == 0

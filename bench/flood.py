"""The flood a fault is injected into, and the audit after it.

`Flood` runs in a thread of its own (its own asyncio loop), so a scenario injects faults
from the main thread while it goes on: Open311 reports (`POST /open311/v2/requests.json`
with an `Idempotency-Key`, from concurrent clients) and OsmAnd fixes (each device sends its
fixes in order, one at a time). Like a citizen app and a Traccar Client, each client sends
again what got no answer or a 5xx/429 until it is acknowledged, so what the room
acknowledged is exactly what a client was told it has. `audit` then counts, per kind,
what is present afterwards in the live model (reports) or the event stream (fixes) and in
the archive once caught up: lost is acknowledged but missing from either; doubled is one
report stored as two incidents, or one fix twice in the stream.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from datetime import datetime

import httpx
import orjson
from sqlalchemy import select

from bench.rig import Deployment
from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.accounts import add_device
from liveroom.demo.seed import random_point, sample_answers
from liveroom.domain.events import INCIDENTS, OFFICERS
from liveroom.projections.health import projection_lag
from liveroom.projections.runner import all_policies, all_projections
from liveroom.room import LiveRoom

RETRY_SECONDS = 0.5  # a client's pause before it sends again
PROBE_SECONDS = 180  # how long a probe is looked for
RETRIED = {408, 425, 429, 500, 502, 503, 504}  # statuses a client sends again after


@dataclass
class Sent:
    """One report or fix as its client saw it (monotonic seconds)."""

    key: str  # a report's marker (its description), or "officer ms" of a fix
    first_try: float  # when it was made (it may wait for a free client)
    sent_at: float = 0.0  # when a client first sent it
    tries: int = 0
    acked_at: float | None = None
    incident_id: str | None = None
    failed_at: list[float] = field(default_factory=list)  # attempts that got no answer
    answers: Counter = field(default_factory=Counter)  # statuses other than success
    refused: str = ""  # a 4xx no client sends again: its status and text
    shown_at: float | None = None  # a probe: when the live model and the archive had it


@dataclass
class Latency:
    """Acknowledged reports' latencies (first try to acknowledgement) and the rate."""

    p50_ms: float
    p95_ms: float
    per_second: float


class Flood:
    """Reports at `reports_per_second` from `clients` concurrent clients, fixes at
    `fixes_per_second` from `devices` trackers; `start`, inject, `stop`, then `audit`."""

    def __init__(self, rig: Deployment, name: str, reports_per_second: float = 20,
                 fixes_per_second: float = 100, clients: int = 8, devices: int = 20,
                 give_up_after: float = 90) -> None:
        self.rig, self.name = rig, name
        self.reports_per_second, self.fixes_per_second = reports_per_second, fixes_per_second
        self.clients, self.give_up_after = clients, give_up_after
        self.reports: list[Sent] = []
        self.fixes: list[Sent] = []
        self.probes: list[Sent] = []
        self.api_key = rig.cli("apikeys", "create", f"faults-{name}").split(
            "secret (shown once, keep it safe): ")[1].split()[0]
        self.devices = [add_device(rig.room, f"Pelacak {n}", agency="dishub", by=SYSTEM)
                        for n in range(devices)]
        rng = random.Random(21)
        self._services = [{"service_code": c.code, **{
            f"attribute[{k}]": v for k, v in sample_answers(c, rng).items()}}
            for c in rig.room.city.categories.values()]
        self._points = [random_point(rig.room.city, rng) for _ in range(500)]
        self._numbers = itertools.count()
        self._run = uuid.uuid4().hex[:6]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="flood")
        self._stopping = threading.Event()
        self._tasks: list[asyncio.Future] = []
        self.started = self.stopped = 0.0

    # --- running ---------------------------------------------------------------------

    def start(self) -> Flood:
        self._thread.start()
        self.started = time.monotonic()
        self.spawn(self._flood())
        return self

    def spawn(self, coroutine: Coroutine) -> asyncio.Future:
        """Run `coroutine` in the flood's loop (a screen, a probe)."""
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        self._tasks.append(future)
        return future

    def stop(self) -> None:
        """Start nothing new; wait for what is in flight (each retried until acknowledged,
        refused, or `give_up_after` seconds after now)."""
        self.stopped = time.monotonic()
        self._stopping.set()
        for task in list(self._tasks):
            try:
                task.result(self.give_up_after + 60)
            except Exception as exc:  # a scenario's coroutine: say so, audit the rest
                print(f"  ({self.name}: a flood task failed: {exc!r})")
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def probe(self) -> Sent:
        """One more report, sent now (and again until acknowledged); see `recovered`."""
        sent = self._report_sent(probe=True)
        self.spawn(self._probe(sent))
        return sent

    async def _probe(self, sent: Sent) -> None:
        async with httpx.AsyncClient(timeout=10) as client:
            await self._post_report(client, sent)
        while sent.incident_id and time.monotonic() - sent.first_try < PROBE_SECONDS:
            if await asyncio.to_thread(self._shown, sent.incident_id):
                sent.shown_at = time.monotonic()
                return
            await asyncio.sleep(0.1)

    def _shown(self, incident_id: str) -> bool:
        """Whether both the live model and the archive have the incident."""
        room = self.rig.room
        try:
            return bool(room.redis.exists(room.live.incident(incident_id))) and _archived(
                room, incident_id)
        except Exception:  # (Redis failing over under the bench's own reads)
            return False

    async def _flood(self) -> None:
        saturate = self.reports_per_second <= 0  # (as fast as the clients go)
        queue: asyncio.Queue[Sent | None] = asyncio.Queue(self.clients if saturate else 0)
        async with httpx.AsyncClient(timeout=10, limits=httpx.Limits(
                max_connections=self.clients + len(self.devices))) as client:
            workers = [asyncio.create_task(self._report_client(client, queue))
                       for _ in range(self.clients)]
            trackers = [asyncio.create_task(self._tracker(client, n, device.secret,
                                                          device.officer_id))
                        for n, device in enumerate(self.devices)
                        if self.fixes_per_second > 0]
            every = 0 if saturate else 1 / self.reports_per_second
            begun = time.monotonic()
            for n in itertools.count():
                if self._stopping.is_set():
                    break
                await queue.put(self._report_sent())
                await asyncio.sleep(max(0.0, begun + (n + 1) * every - time.monotonic()))
            for _ in workers:
                await queue.put(None)
            await asyncio.gather(*workers, *trackers)

    def _report_sent(self, probe: bool = False) -> Sent:
        n = next(self._numbers)
        sent = Sent(f"faults {self.name} {self._run} {'probe' if probe else 'r'}{n:06d}",
                    time.monotonic())
        (self.probes if probe else self.reports).append(sent)
        return sent

    async def _report_client(self, client: httpx.AsyncClient, queue: asyncio.Queue) -> None:
        while (sent := await queue.get()) is not None:
            await self._post_report(client, sent)

    async def _post_report(self, client: httpx.AsyncClient, sent: Sent) -> None:
        number = int(sent.key[-6:])
        lat, lon = self._points[number % len(self._points)]
        body = {"api_key": self.api_key, **self._services[number % len(self._services)],
                "lat": lat, "long": lon, "description": sent.key}
        headers = {"Idempotency-Key": f"fb-{self._run}-{sent.key[-7:]}"}
        url = f"{self.rig.app.url}/open311/v2/requests.json"

        def done(response: httpx.Response) -> bool:
            if response.status_code == 201:
                sent.incident_id = response.json()[0]["service_request_id"]
                return True
            return False

        await self._until_acknowledged(sent, lambda: client.post(url, data=body,
                                                                 headers=headers), done)

    async def _tracker(self, client: httpx.AsyncClient, n: int, secret: str,
                       officer_id: str) -> None:
        """One device: a fix every period, sent in order, each until acknowledged."""
        period = len(self.devices) / self.fixes_per_second
        await asyncio.sleep(period * n / len(self.devices))  # (spread over the period)
        lat, lon = self._points[n]
        url = self.rig.app.osmand_url + "/"
        while not self._stopping.is_set():
            at = time.monotonic()
            stamp = int(time.time() * 1000)
            lat += 0.000002
            sent = Sent(f"{officer_id} {stamp}", at)
            self.fixes.append(sent)
            params = {"id": secret, "lat": f"{lat:.6f}", "lon": f"{lon:.6f}",
                      "timestamp": str(stamp), "accuracy": "8", "speed": "0.5"}
            await self._until_acknowledged(sent, lambda p=params: client.get(url, params=p),
                                           lambda r: r.status_code == 200)
            await asyncio.sleep(max(0.0, at + period - time.monotonic()))

    async def _until_acknowledged(self, sent: Sent, attempt, done) -> None:
        sent.sent_at = time.monotonic()
        while True:
            sent.tries += 1
            try:
                response = await attempt()
            except httpx.HTTPError as exc:
                sent.failed_at.append(time.monotonic())
                sent.answers[type(exc).__name__] += 1
            else:
                if done(response):
                    sent.acked_at = time.monotonic()
                    return
                sent.answers[response.status_code] += 1
                if response.status_code not in RETRIED:
                    sent.refused = f"{response.status_code} {response.text[:120]}"
                    return
                sent.failed_at.append(time.monotonic())
            if self._stopping.is_set() and time.monotonic() - self.stopped > self.give_up_after:
                return
            await asyncio.sleep(RETRY_SECONDS)

    # --- measuring -------------------------------------------------------------------

    def recovered(self, probe: Sent, since: float) -> float:
        """Seconds from `since` until `probe` was acknowledged and shown by both the live
        model and the archive (nan: not within PROBE_SECONDS)."""
        while probe.shown_at is None and time.monotonic() - probe.first_try < PROBE_SECONDS:
            time.sleep(0.1)
        return probe.shown_at - since if probe.shown_at else float("nan")

    def latency(self, since: float = 0.0, until: float = float("inf")) -> Latency:
        """Of reports first sent between `since` and `until` (monotonic): from a client's
        first try to the acknowledgement."""
        window = [s for s in self.reports if since <= s.sent_at < until and s.acked_at]
        waits = sorted(1000 * (s.acked_at - s.sent_at) for s in window)  # type: ignore[operator]
        if not waits:
            return Latency(float("nan"), float("nan"), 0.0)
        spread = max(s.acked_at for s in window) - min(s.sent_at for s in window)  # type: ignore[type-var]
        return Latency(waits[len(waits) // 2], waits[int(len(waits) * 0.95)],
                       len(window) / spread if spread else 0.0)


@dataclass
class Tally:
    """One kind's figures in one scenario."""

    kind: str
    sent: int
    acked: int
    refused: int
    live: int  # acknowledged and in the live model (reports) or the stream (fixes)
    archive: int  # acknowledged and in the archive
    lost: int
    doubled: int
    unanswered: int  # neither acknowledged nor refused when the flood gave up


def _archived(room: LiveRoom, incident_id: str) -> bool:
    with room.engine.connect() as conn:
        return conn.execute(select(schema.incidents.c.id).where(
            schema.incidents.c.id == incident_id)).first() is not None


def caught_up(rig: Deployment, timeout: float = 180) -> bool:
    """Wait until every projection has applied its whole stream."""
    readers = [*all_projections(rig.room), *all_policies(rig.room)]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if all(projection_lag(rig.room, r)["behind"] == 0 for r in readers):
                return True
        except Exception:
            pass
        time.sleep(0.5)
    return False


def _stream(rig: Deployment, name: str, kind: str) -> list[dict]:
    """The data of every `kind` event in the stream `name`."""
    found: list[dict] = []
    start = "-"
    while batch := rig.room.redis.xrange(rig.room.keys.stream(name), min=start, count=5000):
        found += [orjson.loads(f["data"]) for _, f in batch if f.get("type") == kind]
        start = "(" + batch[-1][0]
    return found


def _ms(moment: datetime | str) -> int:
    moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return round(moment.timestamp() * 1000)


def audit(rig: Deployment, flood: Flood) -> list[Tally]:
    """Reports and fixes: acknowledged, present afterwards, lost, doubled."""
    return [_reports(rig, flood), _fixes(rig, flood)]


def _reports(rig: Deployment, flood: Flood) -> Tally:
    sent = flood.reports + flood.probes
    acked = {s.incident_id: s.key for s in sent if s.incident_id}
    prefix = f"faults {flood.name} "
    in_stream = Counter(e["description"] for e in _stream(rig, INCIDENTS, "report.received")
                        if e.get("description", "").startswith(prefix))
    pipe = rig.room.redis.pipeline(transaction=False)
    for incident_id in acked:
        pipe.exists(rig.room.live.incident(incident_id))
    live = {i for i, there in zip(acked, pipe.execute(), strict=True) if there}
    with rig.room.engine.connect() as conn:
        rows = conn.execute(select(schema.incidents.c.id, schema.incidents.c.description)
                            .where(schema.incidents.c.description.like(prefix + "%"))).all()
    archived = {row.id for row in rows}
    in_archive = Counter(row.description for row in rows)
    doubled = sum(max(in_stream[k], in_archive[k]) - 1 for k in {*in_stream, *in_archive}
                  if max(in_stream[k], in_archive[k]) > 1)
    return Tally("reports", len(sent), len(acked), sum(bool(s.refused) for s in sent), len(live),
                 len(archived & acked.keys()), len(acked.keys() - (live & archived)), doubled,
                 sum(not s.incident_id and not s.refused for s in sent))


def _fixes(rig: Deployment, flood: Flood) -> Tally:
    officers = {d.officer_id for d in flood.devices}
    acked = {s.key for s in flood.fixes if s.acked_at}
    in_stream = Counter(f"{e['officer_id']} {_ms(e['occurred_at'])}"
                        for e in _stream(rig, OFFICERS, "officer.located")
                        if e["officer_id"] in officers)
    with rig.room.engine.connect() as conn:
        rows = conn.execute(select(schema.officer_locations.c.officer_id,
                                   schema.officer_locations.c.at)
                            .where(schema.officer_locations.c.officer_id.in_(officers))).all()
    archived = {f"{row.officer_id} {_ms(row.at)}" for row in rows}
    return Tally("fixes", len(flood.fixes), len(acked), sum(bool(s.refused) for s in flood.fixes),
                 len(acked & in_stream.keys()), len(acked & archived),
                 len(acked - (in_stream.keys() & archived)),
                 sum(c - 1 for c in in_stream.values() if c > 1),
                 sum(not s.acked_at and not s.refused for s in flood.fixes))

"""`python -m liveroom simulate`: the demo city brought to life through the public doors.

Citizens' reports arrive as Open311 POSTs (category shares and a daily rhythm in the
city's time); officers of every agency report their positions as OsmAnd requests. They
go to their post when their shift starts (and so are checked in by the geofence),
patrol it, travel to the tasks they are given, work them through acknowledged → en
route → on scene → resolved, return, and fall silent when the shift ends. With
`dispatch` on, the simulator also plays the operator who assigns each unassigned
incident to the nearest available officer (through `/api/v1`, like any client).

Nothing is written into Redis behind the app's back: the only direct use of the
services is provisioning its own credentials (an API key, a bot operator's API token,
one tracker per officer), kept in `<data dir>/simulator.json` across restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import orjson
from shapely.geometry import Point

from liveroom.access import SYSTEM
from liveroom.access.secrets import digest
from liveroom.cities import City, Post
from liveroom.commands import accounts
from liveroom.commands.units import register_unit
from liveroom.demo.seed import FAMILY, GIVEN, random_point, sample_answers
from liveroom.domain.errors import InvalidCommand
from liveroom.live.keys import live_tasks, officer_task
from liveroom.room import LiveRoom

log = logging.getLogger("liveroom.demo.simulator")

#: an answer takes at most this long, or the request counts as an error
REQUEST_SECONDS = 10

#: shares of reports by category, after Qlue's Jakarta figures (rubbish and parking common,
#: fires rare); categories a pack adds get the smallest share
CATEGORY_SHARES = {
    "sampah-menumpuk": 22, "parkir-liar": 15, "kemacetan": 11, "pkl-liar": 8, "genangan": 8,
    "saluran-tersumbat": 7, "pembuangan-liar": 6, "lampu-lalu-lintas-mati": 5,
    "gangguan-ketertiban": 4, "banjir": 4, "reklame-liar": 3, "bangkai-hewan": 3,
    "kebakaran": 1.5, "penyelamatan": 0.5,
}
#: reports per hour of the local day, relative to the average (quiet nights, busy mornings)
HOURLY = [0.2, 0.15, 0.1, 0.1, 0.2, 0.5, 1.0, 1.6, 1.8, 1.6, 1.4, 1.3,
          1.2, 1.2, 1.3, 1.4, 1.6, 1.7, 1.5, 1.2, 0.9, 0.6, 0.4, 0.3]
SHIFT_SHARES = {"pagi": 0.45, "siang": 0.35, "malam": 0.2}
DESCRIPTIONS = ["Mohon segera ditindaklanjuti.", "Sudah sejak pagi.", "Mengganggu warga.",
                "Dekat sekolah.", "Di depan pasar.", "Sudah dua hari belum ditangani.", ""]
PATROL_MPS, DRIVE_MPS = 1.3, 9.0
#: the fleet's fixes go in this many slices of each interval, not all at once
FIX_SLICES = 10
ARRIVED_M = 30.0


@dataclass
class SimOfficer:
    id: str
    secret: str  # what its tracker sends as `id`
    agency: str
    post: Post
    shift: str
    lat: float = 0.0
    lon: float = 0.0
    target: tuple[float, float] | None = None
    task: dict | None = None
    on_scene_until: datetime | None = None
    active: bool = False
    polls: int = field(default_factory=lambda: random.randrange(10))


@dataclass(frozen=True)
class Credentials:
    api_keys: list[str]  # one per citizen app, each within the per-key rate limit
    token: str
    officers: list[dict]


def provision(room: LiveRoom, officers: int, reports_per_minute: float,
              rng: random.Random, shift: str | None = None) -> Credentials:
    """The simulator's own API keys, bot operator and trackers (reused when still valid).

    Reports come from several citizen apps, so that no key posts more than half of
    what the server lets one key post."""
    path = Path(room.settings.data_dir) / "simulator.json"
    stored = orjson.loads(path.read_bytes()) if path.exists() else {}
    apps = max(1, math.ceil(reports_per_minute * max(HOURLY) * 2
                            / room.settings.open311_posts_per_minute))
    keys = [k for k in stored.get("api_keys", [])
            if accounts.credential_principal(room, k, ("api_key",))]
    while len(keys) < apps:
        keys.append(accounts.create_api_key(room, f"Simulator {len(keys) + 1}",
                                            by=SYSTEM).secret)
    stored["api_keys"] = keys
    if not accounts.credential_principal(room, stored.get("token"), ("api_token",)):
        name = f"simulator-{secrets.token_hex(3)}"
        accounts.add_user(room, name, secrets.token_urlsafe(24), roles=["operator"], by=SYSTEM,
                          display_name="Simulator (operator bot)")
        stored["token"] = accounts.create_api_token(room, name, by=SYSTEM).secret
    fleet = list(live_fleet(room, stored.get("officers", [])))
    posts = [p for p in room.city.posts.values() if p.kind == "post"] or list(
        room.city.posts.values())
    shifts = [s for s in SHIFT_SHARES if s in room.city.shifts] or list(room.city.shifts)
    weights = [SHIFT_SHARES.get(s, 1.0) for s in shifts]
    while len(fleet) < officers:
        post = posts[len(fleet) % len(posts)]
        works = shift or rng.choices(shifts, weights)[0]
        name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
        issued = accounts.add_device(room, name, agency=post.agency, post_id=post.id,
                                     shift=works, by=SYSTEM)
        fleet.append({"id": issued.officer_id, "secret": issued.secret, "agency": post.agency,
                      "post": post.id, "shift": works})
    for number, officer in enumerate(fleet[:officers], 1):
        provide_unit(room, officer, number)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(orjson.dumps(stored | {"officers": fleet}, option=orjson.OPT_INDENT_2))
    return Credentials(keys[:apps], stored["token"], fleet[:officers])


#: agencies whose simulated officers drive a vehicle of their own (Satpol PP walk)
VEHICLES = {"damkar": "mobil pemadam", "dishub": "mobil patroli", "drainase": "truk pompa",
            "kebersihan": "truk sampah"}


def provide_unit(room: LiveRoom, officer: dict, number: int) -> None:
    """A simulated officer of a driving agency crews a unit of their own (its call sign the
    agency's short name, S for simulated and the officer's place in the fleet), so run cards
    have units to send."""
    kind = VEHICLES.get(officer["agency"])
    agency = room.city.agencies.get(officer["agency"])
    if kind is None or agency is None:
        return
    unit_id = f"sim-{officer['id']}"
    with contextlib.suppress(InvalidCommand):  # (registered by an earlier run)
        register_unit(room, unit_id, call_sign=f"{agency.short.get('id')} S{number:02d}",
                      agency=officer["agency"], post_id=officer["post"], kind=kind,
                      crew=[officer["id"]], by=SYSTEM)


def live_fleet(room: LiveRoom, stored: list[dict]) -> Iterator[dict]:
    """The stored trackers whose device is still live. One stored before tracker ids were
    secrets (it sent its officer id) is rotated onto a secret, as an admin would."""
    live = accounts.device_principals(room)
    for officer in stored:
        principal = live.get(digest(officer.get("secret") or officer["id"]))
        if principal is None:
            continue
        if "secret" not in officer:
            officer = {**officer, "secret": accounts.rotate_device(
                room, principal.name, by=SYSTEM).secret}
        yield officer


def point_in(post: Post, rng: random.Random) -> tuple[float, float]:
    west, south, east, north = post.geometry.bounds
    for _ in range(100):
        lon, lat = rng.uniform(west, east), rng.uniform(south, north)
        if post.geometry.contains(Point(lon, lat)):
            return lat, lon
    return post.centre


def approach_from(post: Post, rng: random.Random, metres: float = 1500) -> tuple[float, float]:
    """A point `metres` beyond the post's edge, whence an officer comes at the shift's
    start (so their trail shows the approach that attendance review looks for)."""
    west, south, east, north = post.geometry.bounds
    reach = max(north - south, (east - west) * math.cos(math.radians(post.centre[0]))) / 2
    angle = rng.uniform(0, 2 * math.pi)
    away = reach + metres / 111_320
    return (post.centre[0] + away * math.sin(angle),
            post.centre[1] + away * math.cos(angle) / math.cos(math.radians(post.centre[0])))


def step_towards(lat: float, lon: float, target: tuple[float, float],
                 metres: float) -> tuple[float, float, bool]:
    """Move up to `metres` towards target; returns the new point and whether it arrived."""
    dy = (target[0] - lat) * 111_320
    dx = (target[1] - lon) * 111_320 * math.cos(math.radians(lat))
    distance = math.hypot(dx, dy)
    if distance <= max(metres, ARRIVED_M):
        return target[0], target[1], True
    share = metres / distance
    return lat + (target[0] - lat) * share, lon + (target[1] - lon) * share, False


class Simulator:
    def __init__(self, city: City, credentials: Credentials, *, url: str, osmand_url: str,
                 reports_per_minute: float, fix_seconds: float, dispatch: bool,
                 seed: int | None = None, parent_pid: int | None = None,
                 steady: bool = False) -> None:
        self.city, self.credentials = city, credentials
        self.url, self.osmand_url = url.rstrip("/"), osmand_url.rstrip("/")
        self.reports_per_minute, self.fix_seconds = reports_per_minute, fix_seconds
        self.steady = steady  # the same report rate at every hour (a load test)
        self.dispatch = dispatch
        self.parent_pid = parent_pid  # stop when this process (the app) is gone
        self.rng = random.Random(seed)
        self.officers = [SimOfficer(o["id"], o["secret"], o["agency"], city.posts[o["post"]],
                                    o["shift"])
                         for o in credentials.officers if o["post"] in city.posts]
        self.counts = {"reports": 0, "fixes": 0, "assigned": 0, "resolved": 0, "errors": 0}
        self.stopping = asyncio.Event()  # the run is over: start no new request

    def now(self) -> datetime:
        return datetime.now(self.city.timezone)

    async def run(self, duration: float | None = None) -> dict[str, int]:
        """Run until `duration` is over (or forever), then let the requests in flight
        finish, so that `counts` says exactly what the app acknowledged."""
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=50)
        async with httpx.AsyncClient(timeout=REQUEST_SECONDS, limits=limits) as self.http:
            loops = [self._reports(), self._officers()]
            if self.dispatch:
                loops.append(self._dispatcher())
            tasks = [asyncio.create_task(loop) for loop in loops]
            try:
                await asyncio.wait(tasks, timeout=duration,
                                   return_when=asyncio.FIRST_EXCEPTION)
                self.stopping.set()  # no new requests; those in flight get their answer
                await asyncio.wait(tasks, timeout=2 * REQUEST_SECONDS)
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    if task.done() and not task.cancelled() and task.exception():
                        raise task.exception()
        return self.counts

    async def _pause(self, seconds: float) -> bool:
        """Sleep, or less if the run is ending; whether it is ending."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stopping.wait(), seconds)
        return self.stopping.is_set()

    # --- citizens -----------------------------------------------------------------------

    async def _reports(self) -> None:
        codes = list(self.city.categories)
        weights = [CATEGORY_SHARES.get(code, 0.5) for code in codes]
        while True:
            rhythm = 1.0 if self.steady else HOURLY[self.now().hour]
            rate = self.reports_per_minute * rhythm / 60  # per second
            if await self._pause(self.rng.expovariate(rate) if rate > 0 else 60):
                return
            if rate <= 0:
                continue
            category = self.city.categories[self.rng.choices(codes, weights)[0]]
            lat, lon = random_point(self.city, self.rng)
            form = {"api_key": self.rng.choice(self.credentials.api_keys),
                    "service_code": category.code,
                    "lat": f"{lat:.6f}", "long": f"{lon:.6f}",
                    "description": f"{category.name.id}. {self.rng.choice(DESCRIPTIONS)}"
                    .strip(),
                    **{f"attribute[{k}]": v for k, v in
                       sample_answers(category, self.rng).items()}}
            await self._call("POST", f"{self.url}/open311/v2/requests.json", "reports",
                             data=form)

    # --- officers -----------------------------------------------------------------------

    async def _officers(self) -> None:
        """Every officer moves and sends a fix once every `fix_seconds`, each at their
        own moment of it (phones keep no common beat): the fleet in FIX_SLICES slices, one
        slice after another; a slow app slows the fleet, never piles requests up."""
        loop = asyncio.get_running_loop()
        slices = max(1, min(FIX_SLICES, len(self.officers)))
        while not self.stopping.is_set():
            if self.parent_pid and os.getppid() != self.parent_pid:
                raise SystemExit("the app that started the simulator is gone")
            started = loop.time()
            for index in range(slices):
                now = self.now()
                sends = [self._fix(officer, now) for officer in self.officers[index::slices]
                         if await self._move(officer, now)]
                await asyncio.gather(*sends)
                due = started + (index + 1) * self.fix_seconds / slices
                if await self._pause(max(0.0, due - loop.time())):
                    return

    async def _move(self, officer: SimOfficer, now: datetime) -> bool:
        """Advance one officer by one tick; whether they send a fix."""
        shift = self.city.shifts[officer.shift]
        on_shift = shift.instance_at(now, self.city.timezone, early_minutes=10) is not None
        if not on_shift and officer.task is None:
            if officer.active and officer.post.contains(officer.lat, officer.lon):
                officer.active = False  # the last fix (on post) checks them out; then silence
                return True
            if not officer.active:
                return False
        if not officer.active:  # the shift begins: they come to their post from outside
            officer.active = True
            officer.lat, officer.lon = approach_from(officer.post, self.rng)
            officer.target = point_in(officer.post, self.rng)
        if officer.task is None and on_shift and officer.polls % 6 == 0:
            await self._take_task(officer)
        officer.polls += 1
        if officer.task is not None:
            await self._work(officer, now)
        elif officer.target is None or (officer.lat, officer.lon) == officer.target:
            officer.target = point_in(officer.post, self.rng)
        speed = DRIVE_MPS if officer.task or not officer.post.contains(
            officer.lat, officer.lon) else PATROL_MPS
        if officer.target and officer.on_scene_until is None:
            officer.lat, officer.lon, _ = step_towards(officer.lat, officer.lon,
                                                       officer.target,
                                                       speed * self.fix_seconds)
        return True

    async def _take_task(self, officer: SimOfficer) -> None:
        tasks = await self._call("GET", f"{self.url}/api/v1/officers/{officer.id}/tasks", None)
        if tasks:
            mine = officer_task(live_tasks(tasks[0]), officer.id)
            officer.task = {**tasks[0], "task_id": mine.id if mine else None}
            officer.target = (float(officer.task["lat"]), float(officer.task["lon"]))
            status = mine.status if mine else officer.task.get("status")
            if status == "assigned":  # (a task taken up again after a restart is further on)
                await self._status(officer, "acknowledged")
            if status in ("assigned", "acknowledged"):
                await self._status(officer, "en_route")

    async def _work(self, officer: SimOfficer, now: datetime) -> None:
        assert officer.task is not None
        if officer.on_scene_until is None and officer.target and step_towards(
                officer.lat, officer.lon, officer.target, 0)[2]:
            await self._status(officer, "on_scene")
            officer.on_scene_until = now + timedelta(minutes=self.rng.uniform(3, 12))
        elif officer.on_scene_until and now >= officer.on_scene_until:
            await self._status(officer, "resolved")
            self.counts["resolved"] += 1
            officer.task, officer.on_scene_until = None, None
            officer.target = point_in(officer.post, self.rng)  # back to the post

    async def _status(self, officer: SimOfficer, status: str) -> None:
        assert officer.task is not None
        await self._call("POST", f"{self.url}/api/v1/incidents/{officer.task['id']}/status",
                         None, json={"status": status, "task_id": officer.task.get("task_id")})

    async def _fix(self, officer: SimOfficer, now: datetime) -> None:
        jitter = self.rng.gauss(0, 3e-6)
        await self._call("GET", self.osmand_url + "/", "fixes", params={
            "id": officer.secret, "lat": f"{officer.lat + jitter:.7f}",
            "lon": f"{officer.lon - jitter:.7f}", "timestamp": str(int(now.timestamp())),
            "speed": f"{(DRIVE_MPS if officer.task else PATROL_MPS) / 0.514444:.1f}",
            "accuracy": f"{self.rng.uniform(4, 15):.1f}",
            "batt": str(self.rng.randint(30, 100))})

    # --- the operator bot ----------------------------------------------------------------

    async def _dispatcher(self) -> None:
        while not await self._pause(10):
            for agency in self.city.agencies:
                if self.stopping.is_set():
                    return
                queue = await self._call("GET", f"{self.url}/api/v1/queue/{agency}", None)
                for incident in (queue or [])[:5]:
                    if await self._send_card(incident["id"]):
                        continue
                    near = await self._call("GET", f"{self.url}/api/v1/officers/near", None,
                                            params={"lat": incident["lat"],
                                                    "lon": incident["lon"], "agency": agency})
                    if near:
                        assigned = await self._call(
                            "POST", f"{self.url}/api/v1/incidents/{incident['id']}/assign",
                            "assigned", json={"officer_id": near[0]["id"]})
                        if assigned is None:
                            break

    async def _send_card(self, incident_id: str) -> bool:
        """Send the incident's run card as recommended (what an operator does with one
        click), when it recommends a unit; whether it was sent."""
        card = await self._call("GET", f"{self.url}/api/v1/incidents/{incident_id}/runcard",
                                None)
        chosen = [c for line in (card or {}).get("lines", []) for c in line["candidates"]]
        if not any(c["kind"] == "unit" for c in chosen):
            return False
        sent = await self._call("POST", f"{self.url}/api/v1/incidents/{incident_id}/dispatch",
                                "assigned", json={
                                    "units": [c["id"] for c in chosen if c["kind"] == "unit"],
                                    "officers": [c["id"] for c in chosen
                                                 if c["kind"] == "officer"]})
        return sent is not None

    async def _call(self, method: str, url: str, counter: str | None, **kwargs):
        headers = {} if "osmand" in url or "open311" in url or url.startswith(
            self.osmand_url) else {"Authorization": f"Bearer {self.credentials.token}"}
        try:
            response = await self.http.request(method, url, headers=headers, **kwargs)
        except httpx.HTTPError as exc:
            self.counts["errors"] += 1
            log.warning("%s %s: %s", method, url, exc)
            return None
        if response.status_code >= 400:
            self.counts["errors"] += 1
            log.info("%s %s: %s %s", method, url, response.status_code, response.text[:200])
            return None
        if counter:
            self.counts[counter] += 1
        return response.json() if response.content and response.headers.get(
            "content-type", "").startswith("application/json") else {}

"""A deployment of a fault scenario's own: its Redis servers (one, or a sentinel set) on
spare ports, never the machine's shared ones; the real app as a child process; `liveroom
work` processes; a connection of the bench's own for setup and the audit; and a TCP proxy
that can cut a client's connections. A new topology is one more context manager beside
`own_redis`, `sentinel_redis` and `cluster_redis`."""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from liveroom.config import Settings
from liveroom.room import LiveRoom
from tests.app_process import ROOT, AppProcess, free_port
from tests.faults import servers
from tests.faults.servers import MASTER, start_redis, wait_for

#: what every scenario's app and workers run with: no rate limit and no duplicate linking
#: (each report is an incident of its own), no trimming during a run (the audit reads the
#: streams) and every fix archived (the audit finds each)
BENCH_ENV = {"LIVEROOM_SIMULATOR": "off", "LIVEROOM_OPEN311_POSTS_PER_MINUTE": str(10**9),
             "LIVEROOM_DUPLICATE_RADIUS_M": "0", "LIVEROOM_TRIM_INTERVAL_SECONDS": "3600",
             "LIVEROOM_LOCATION_SAMPLE_SECONDS": "0", "LIVEROOM_ENV": "test"}
#: keep each deployment's directory (logs, data) instead of removing it (`--keep`)
KEEP = False


@dataclass
class RedisServers:
    """redis-server processes by name, how to start each again (its `args`, or a function
    of `starters`), and how the room finds them (`env`: LIVEROOM_REDIS_URL, the sentinels,
    or the cluster's nodes)."""

    path: Path
    env: dict[str, str]
    procs: dict[str, subprocess.Popen]
    args: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    starters: dict[str, Callable[[], subprocess.Popen]] = field(default_factory=dict)

    def kill(self, name: str) -> None:
        """kill -9 the server `name`."""
        self.procs[name].kill()
        self.procs[name].wait()

    def restart(self, name: str) -> None:
        """Start `name` again as it was started (a supervisor's restart)."""
        self.procs[name] = (self.starters[name]() if name in self.starters
                            else start_redis(self.path, *self.args[name]))

    def client(self, name: str) -> redis.Redis:
        return redis.Redis(port=self.ports[name], socket_timeout=2)


@contextmanager
def own_redis(path: Path, appendonly: bool = True) -> Iterator[RedisServers]:
    """One redis-server (`redis`), with an append-only file fsynced every second."""
    port = free_port()
    args = ("--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "yes" if appendonly else "no", "--appendfsync", "everysec")
    found = RedisServers(path, {"LIVEROOM_REDIS_URL": f"redis://127.0.0.1:{port}/0"},
                         {"redis": start_redis(path, *args)}, {"redis": args}, {"redis": port})
    try:
        wait_for(lambda: found.client("redis").ping())
        yield found
    finally:
        for proc in found.procs.values():
            proc.kill()
            proc.wait()


@contextmanager
def sentinel_redis(path: Path, replicas: int = 1) -> Iterator[RedisServers]:
    """A primary, `replicas` replicas (`replica`, `replica-2`, …) and three sentinels
    (`tests.faults.servers.sentinel_set`)."""
    with servers.sentinel_set(path, replicas) as (primary, _replica, sentinels, procs):
        plain = ("--save", "", "--appendonly", "no", "--bind", "127.0.0.1")
        found = RedisServers(
            path, {"LIVEROOM_REDIS_SENTINELS": ",".join(f"127.0.0.1:{p}" for p in sentinels),
                   "LIVEROOM_REDIS_MASTER": MASTER}, procs,
            {"primary": ("--port", str(primary), *plain)},
            {"primary": primary, **{f"sentinel-{n}": p for n, p in enumerate(sentinels)}})
        for name, proc in procs.items():  # (each replica's port from its command line)
            if name.startswith("replica"):
                found.ports[name] = int(proc.args[proc.args.index("--port") + 1])
        yield found


@contextmanager
def cluster_redis(path: Path) -> Iterator[RedisServers]:
    """A Redis Cluster of 3 primaries with a replica each (`tests.faults.servers.
    redis_cluster`), its nodes named `node-<port>`; one started again rejoins from its
    `nodes.conf` (as a replica once its replica was promoted)."""
    with servers.redis_cluster(path) as (ports, procs, start):
        names = {f"node-{port}": port for port in ports}
        yield RedisServers(
            path, {"LIVEROOM_REDIS_CLUSTER": ",".join(f"127.0.0.1:{p}" for p in ports)},
            {name: procs[port] for name, port in names.items()}, ports=names,
            starters={name: partial(start, port) for name, port in names.items()})


def primary_port(found: RedisServers) -> int:
    """The port of the primary the sentinels name now."""
    sentinel = redis.Redis(port=found.ports["sentinel-0"], socket_timeout=2)
    return int(sentinel.sentinel_get_master_addr_by_name(MASTER)[1])


def settings_of(env: dict[str, str]) -> Settings:
    """The settings a process started with `env` reads."""
    return Settings(**{key.removeprefix("LIVEROOM_").lower(): value
                       for key, value in env.items() if key.startswith("LIVEROOM_")})


@dataclass
class Deployment:
    """One scenario's room: servers, app, workers, and the bench's own connection."""

    path: Path
    redis: RedisServers
    app: AppProcess
    room: LiveRoom
    workers: list[subprocess.Popen] = field(default_factory=list)

    @property
    def env(self) -> dict[str, str]:
        return self.app.env

    def cli(self, *args: str) -> str:
        """`python -m liveroom ARGS` on this deployment; its standard output."""
        done = self.app.cli(*args)
        if done.returncode:
            raise RuntimeError(f"liveroom {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout

    def start_worker(self) -> subprocess.Popen:
        """One more `python -m liveroom work` (projections and policies)."""
        log = (self.path / f"work-{len(self.workers)}.log").open("a")
        worker = subprocess.Popen([sys.executable, "-m", "liveroom", "work"], cwd=ROOT,
                                  env={**self.env, "LIVEROOM_PROJECTIONS": "on"},
                                  stdout=log, stderr=subprocess.STDOUT)
        self.workers.append(worker)
        return worker



@contextmanager
def deployment(redis_servers: Callable[[Path], AbstractContextManager[RedisServers]],
               workers: int = 0, database_url: str | None = None,
               **env: str) -> Iterator[Deployment]:
    """Servers from `redis_servers`, the app on them (projections in it unless `workers`),
    that many `liveroom work` processes; the archive in SQLite unless `database_url`."""
    path = Path(tempfile.mkdtemp(prefix="liveroom-faults-"))
    with redis_servers(path) as found:
        app_env = {**BENCH_ENV, **found.env, "LIVEROOM_DATA_DIR": str(path / "data"),
                   "LIVEROOM_DATABASE_URL": database_url or
                   f"sqlite:///{path / 'data' / 'archive.db'}",
                   "LIVEROOM_PROJECTIONS": "off" if workers else "on", **env}
        app = AppProcess(app_env, path / "app.log")
        app.start(60)
        found_room = LiveRoom.open(settings_of(app.env).model_copy(update={
            "projections": False}))
        rig = Deployment(path, found, app, found_room)
        try:
            for _ in range(workers):
                rig.start_worker()
            yield rig
        finally:
            for worker in rig.workers:
                if worker.poll() is None:
                    worker.send_signal(signal.SIGTERM)
            for worker in rig.workers:
                with suppress(subprocess.TimeoutExpired):
                    worker.wait(20)
                if worker.poll() is None:
                    worker.kill()
            app.stop()
            found_room.close()
    if KEEP:
        print(f"  (kept: {path})")
    else:
        shutil.rmtree(path, ignore_errors=True)


class CutProxy:
    """A TCP proxy in front of `target_port` (on 127.0.0.1) that can cut the network: close
    every connection through it from the server's side and refuse new ones for a while."""

    def __init__(self, target_port: int) -> None:
        self.target, self.port = target_port, free_port()
        self.cut_until = 0.0
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True, name="cut-proxy")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> CutProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *_exc) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def cut(self, seconds: float) -> None:
        """From now on, for `seconds`: no connection gets through."""
        self.cut_until = time.monotonic() + seconds
        self._loop.call_soon_threadsafe(self._close_all)

    def _close_all(self) -> None:
        for writer in list(self._writers):
            writer.transport.abort()  # (a reset, as a dropped link ends at the far side)
        self._writers.clear()

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1",
                                                           self.port))
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> None:
        if time.monotonic() < self.cut_until:
            writer.transport.abort()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._writers.difference_update((writer, up_writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()

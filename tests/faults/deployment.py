"""The deployed shape on one machine: `uvicorn app:server --workers N` behind one port (its
projections off) and `python -m liveroom work` processes beside it, on one Redis namespace,
database and media dir; and which worker serves a given connection."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil

from tests.app_process import ROOT, free_port

READY = "Application startup complete."


class Deployment:
    """`workers` uvicorn workers on one port and `works` projection processes."""

    def __init__(self, env: dict[str, str], path: Path, workers: int = 2, works: int = 2) -> None:
        self.port = free_port()
        # (under `make test-ahead`'s libfaketime: the date ahead, the monotonic clock not, or
        # a timed wait never wakes: a standby worker's, uvicorn's supervisor's)
        self.env = {**env, "LIVEROOM_PROJECTIONS": "off", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}
        self.path, self.workers, self.works = path, workers, works
        self.server: subprocess.Popen | None = None
        self.work: list[subprocess.Popen] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 90) -> Deployment:
        """Start everything; return once every worker has started up and every `work`
        process is projecting."""
        log = self.path / "uvicorn.log"
        with log.open("w") as out:
            self.server = subprocess.Popen(self.command(), cwd=ROOT, env=self.env, stdout=out,
                                           stderr=subprocess.STDOUT, start_new_session=True)
        for n in range(self.works):
            self.start_work(n)
        deadline = time.monotonic() + timeout
        while log.read_text().count(READY) < self.workers or not self._projecting():
            if self.server.poll() is not None or any(w.poll() is not None for w in self.work):
                raise RuntimeError(f"the deployment stopped:\n{self.logs()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the deployment did not start:\n{self.logs()}")
            time.sleep(0.2)
        httpx.get(f"{self.url}/healthz", timeout=10).raise_for_status()
        return self

    def command(self) -> list[str]:
        """The README's command, with the websocket settings `liveroom run` gives uvicorn."""
        return [sys.executable, "-m", "uvicorn", "app:server", "--workers", str(self.workers),
                "--host", "127.0.0.1", "--port", str(self.port), "--ws-max-size", "1000000",
                "--ws-per-message-deflate", "false", "--no-access-log"]

    def start_work(self, n: int) -> subprocess.Popen:
        with (self.path / f"work-{n}.log").open("w") as out:
            process = subprocess.Popen([sys.executable, "-m", "liveroom", "work"], cwd=ROOT,
                                       env={**self.env, "LIVEROOM_PROJECTIONS": "on"},
                                       stdout=out, stderr=subprocess.STDOUT)
        self.work.append(process)
        return process

    def _projecting(self) -> bool:
        return all((self.path / f"work-{n}.log").read_text().count("projecting")
                   for n in range(len(self.work)))

    def worker_pids(self) -> list[int]:
        assert self.server is not None
        return [child.pid for child in psutil.Process(self.server.pid).children()
                if child.status() != psutil.STATUS_ZOMBIE and _serves(child)]

    def serving(self, local_port: int) -> int | None:
        """The worker holding the server side of the connection from `local_port`."""
        for pid in self.worker_pids():
            for conn in psutil.Process(pid).net_connections("tcp"):
                if conn.raddr and conn.raddr.port == local_port and (
                        conn.laddr.port == self.port):
                    return pid
        return None

    def logs(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}"
                         for log in sorted(self.path.glob("*.log")))

    def stop(self) -> None:
        for process in [*self.work, self.server]:
            if process is not None and process.poll() is None:
                process.send_signal(signal.SIGINT)
        for process in [*self.work, self.server]:
            if process is None:
                continue
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self.server is not None:  # whatever uvicorn left behind (a worker it restarted)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.server.pid, signal.SIGKILL)


def _serves(process: psutil.Process) -> bool:
    """Whether a child of uvicorn is one of its workers (not multiprocessing's helper)."""
    try:
        return "multiprocessing.resource_tracker" not in " ".join(process.cmdline())
    except psutil.Error:
        return False


def local_port(response: httpx.Response) -> int:
    """The client's port of the connection a response came on (to ask who served it)."""
    return response.extensions["network_stream"].get_extra_info("client_addr")[1]


@contextmanager
def client_on(deployment: Deployment, pid: int, tries: int = 40) -> Iterator[httpx.Client]:
    """An HTTP client whose one keep-alive connection is served by worker `pid`."""
    for _ in range(tries):
        with httpx.Client(base_url=deployment.url, timeout=30,
                          limits=httpx.Limits(max_connections=1)) as client:
            if deployment.serving(local_port(client.get("/healthz"))) == pid:
                yield client
                return
    raise RuntimeError(f"no connection landed on worker {pid} in {tries} tries")

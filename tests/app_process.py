"""The real app, started as `python -m liveroom run` in a child process."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class AppProcess:
    """Start, stop and restart the app with the given `LIVEROOM_*` environment."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.port, self.osmand_port = free_port(), free_port()
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith("LIVEROOM_")}
        self.env.update({"LIVEROOM_SIMULATOR": "off"}, **env, LIVEROOM_PORT=str(self.port),
                        LIVEROOM_OSMAND_PORT=str(self.osmand_port), LIVEROOM_HOST="127.0.0.1")
        self.log = log
        self.process: subprocess.Popen | None = None

    @classmethod
    def beside(cls, settings, tmp_path: Path, **env: str) -> AppProcess:
        """An app (not started) on the test's own deployment: its Redis and namespace, its
        database (or SQLite in tmp_path), its data dir."""
        redis = {"LIVEROOM_REDIS_URL": settings.redis_url,
                 "LIVEROOM_REDIS_CLUSTER": settings.redis_cluster}
        return cls({"LIVEROOM_DATA_DIR": str(tmp_path),
                    **{name: value for name, value in redis.items() if value},
                    "LIVEROOM_REDIS_NAMESPACE": settings.namespace,
                    "LIVEROOM_DATABASE_URL": settings.database_url or
                    f"sqlite:///{tmp_path}/archive.db", **env}, tmp_path / "app.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def osmand_url(self) -> str:
        return f"http://127.0.0.1:{self.osmand_port}"

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "liveroom", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=120)

    def start(self, timeout: float = 30) -> AppProcess:
        with self.log.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "liveroom", "run"], cwd=ROOT, env=self.env,
                stdout=log, stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"app exited: {self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"app did not start: {self.log.read_text()[-3000:]}")

    def stop(self, sig: signal.Signals = signal.SIGINT) -> int | None:
        """Stop it with `sig` (SIGINT: what Ctrl-C under `make run` sends); its exit code."""
        code = None
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                code = self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        return code

"""The real app for a benchmark: its own process, a fresh data dir and Redis namespace (the
external Redis and database when LIVEROOM_REDIS_URL / LIVEROOM_DATABASE_URL are set), and a
room on the same deployment for the benchmark's own setup; all removed afterwards."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from liveroom.archive import migrate
from liveroom.config import Settings
from liveroom.room import LiveRoom
from liveroom.streams import delete_matching
from tests.app_process import AppProcess
from tests.faults.deployment import Deployment


@contextmanager
def bench_app(database_url: str | None, **env: str) -> Iterator[tuple[LiveRoom, AppProcess]]:
    """(room, started app); `env` adds LIVEROOM_* settings for the app."""
    data_dir = Path(tempfile.mkdtemp(prefix="liveroom-bench-"))
    settings = Settings(data_dir=data_dir, database_url=database_url, projections=False,
                        redis_namespace="{bench-" + uuid.uuid4().hex[:8] + "}")
    room = LiveRoom.open(settings)
    migrate(room.engine)
    app = AppProcess({
        "LIVEROOM_DATA_DIR": str(data_dir), "LIVEROOM_REDIS_NAMESPACE": settings.namespace,
        "LIVEROOM_REDIS_URL": os.environ.get("LIVEROOM_REDIS_URL") or
        f"unix://{room.redis.connection_pool.connection_kwargs['path']}",
        "LIVEROOM_DATABASE_URL": database_url or settings.sqlalchemy_url, **env,
    }, data_dir / "app.log").start()
    try:
        yield room, app
    finally:
        app.stop()
        delete_matching(room.redis, room.keys.pattern("*"))
        room.close()


@contextmanager
def bench_deployment(database_url: str | None, workers: int = 2, works: int = 2,
                     **env: str) -> Iterator[tuple[LiveRoom, Deployment]]:
    """(room, started deployment): `uvicorn app:server --workers N` and `works` `liveroom
    work` processes, as deployed (`docs/deploy.md`), on a fresh data dir and namespace."""
    data_dir = Path(tempfile.mkdtemp(prefix="liveroom-bench-"))
    settings = Settings(data_dir=data_dir, database_url=database_url, projections=False,
                        redis_namespace="{bench-" + uuid.uuid4().hex[:8] + "}")
    room = LiveRoom.open(settings)
    migrate(room.engine)
    deployment = Deployment({
        **AppProcess({}, data_dir / "app.log").env, "LIVEROOM_DATA_DIR": str(data_dir),
        "LIVEROOM_REDIS_NAMESPACE": settings.namespace,
        "LIVEROOM_REDIS_URL": os.environ.get("LIVEROOM_REDIS_URL") or
        f"unix://{room.redis.connection_pool.connection_kwargs['path']}",
        "LIVEROOM_DATABASE_URL": database_url or settings.sqlalchemy_url, **env,
    }, data_dir, workers=workers, works=works)
    try:
        yield room, deployment.start()
    finally:
        deployment.stop()
        delete_matching(room.redis, room.keys.pattern("*"))
        room.close()


@contextmanager
def projections_worker(app: AppProcess) -> Iterator[subprocess.Popen]:
    """`python -m liveroom work` beside the app (as deployed): the projections and policies
    in a process of their own."""
    worker = subprocess.Popen([sys.executable, "-m", "liveroom", "work"],
                              env={**app.env, "LIVEROOM_PROJECTIONS": "on"},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield worker
    finally:
        worker.terminate()
        worker.wait(20)


def run_on_a_fresh_archive(run, args) -> None:
    """`run(args, database_url)` on a schema of its own in LIVEROOM_DATABASE_URL, if set
    (dropped after), else on the bench app's own SQLite (None)."""
    from contextlib import nullcontext

    from liveroom.archive import temporary_schema

    external = os.environ.get("LIVEROOM_DATABASE_URL")
    with temporary_schema(external) if external else nullcontext(None) as database_url:
        run(args, database_url)

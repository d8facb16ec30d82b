"""The archive schema: migrations from scratch, and workers starting at the same time."""

from __future__ import annotations

import os
import threading
from contextlib import nullcontext

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from liveroom.archive import alembic_config, migrate, schema, temporary_schema
from tests.conftest import archive_engine


def fresh_database(tmp_path):
    external = os.environ.get("LIVEROOM_DATABASE_URL")
    return temporary_schema(external) if external else nullcontext(f"sqlite:///{tmp_path}/a.db")


def test_workers_migrating_at_once_build_one_schema(tmp_path):
    with fresh_database(tmp_path) as url:
        engines = [archive_engine(url) for _ in range(3)]
        errors: list[BaseException] = []

        def start_worker(engine) -> None:
            try:
                migrate(engine)
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=start_worker, args=(e,)) for e in engines]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert not any(thread.is_alive() for thread in threads), "migrations blocked each other"
        assert errors == []
        with engines[0].connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
            head = ScriptDirectory.from_config(alembic_config(conn)).get_current_head()
            tables = set(inspect(conn).get_table_names())
        assert version == head
        assert {table.name for table in schema.metadata.sorted_tables} <= tables
        for engine in engines:
            engine.dispose()

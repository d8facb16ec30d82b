"""The SQL archive: schema, Alembic migrations, and helpers shared by its writers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, Table, create_engine, make_url, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

MIGRATIONS = Path(__file__).parent / "migrations"
MIGRATION_LOCK = 0x11FE_2009  # any constant shared by every LIVE Room worker


def alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the archive schema up to `revision` (idempotent; workers starting together
    on PostgreSQL take turns under an advisory lock, SQLite's write lock does the same)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        command.upgrade(alembic_config(connection), revision)


@contextmanager
def temporary_schema(database_url: str) -> Iterator[str]:
    """A PostgreSQL URL confined to a fresh schema, dropped afterwards (tests, benchmarks)."""
    schema_name = f"tmp_{uuid.uuid4().hex[:12]}"
    url = make_url(database_url).set(drivername="postgresql+psycopg")
    admin = create_engine(url, pool_pre_ping=True)  # (a fault test restarts the server)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema_name}"))
    query = dict(url.query, options=f"-csearch_path={schema_name}")
    try:
        yield url.set(query=query).render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema_name} CASCADE"))
        admin.dispose()


def insert_ignoring_duplicates(connection: Connection, table: Table, rows: list[dict]) -> None:
    """INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL alike."""
    if not rows:
        return
    dialect = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
    connection.execute(dialect(table).on_conflict_do_nothing(), rows)


def upsert(connection: Connection, table: Table, rows: list[dict],
           key: str | tuple[str, ...] | None = None) -> None:
    """INSERT … ON CONFLICT (key, default: the primary key) DO UPDATE the other columns."""
    if not rows:
        return
    keys = (key,) if isinstance(key, str) else key or tuple(c.name for c in table.primary_key)
    dialect = sqlite_insert if connection.dialect.name == "sqlite" else pg_insert
    statement = dialect(table)
    updates = {name: statement.excluded[name] for name in rows[0] if name not in keys}
    connection.execute(
        statement.on_conflict_do_update(index_elements=list(keys), set_=updates), rows)

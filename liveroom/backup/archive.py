"""The archive's copy in a backup, with its row counts and checkpoints as of that copy.

SQLite through its online backup API (one read transaction: writers carry on); PostgreSQL
with `pg_dump` in custom format on a snapshot this module exports and counts in, so the
manifest says exactly what the dump holds. Restored with the same API, or `pg_restore
--clean --if-exists` in one transaction.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Engine, create_engine, func, inspect, select, text
from sqlalchemy.engine import Connection, make_url

from liveroom.archive import MIGRATIONS, schema

SQLITE_FILE = "archive.sqlite3"
PG_FILE = "archive.pgdump"


class CopyFailed(RuntimeError):
    """pg_dump or pg_restore missing, too old or failing, or SQLite's backup failing (the
    message says which)."""


@dataclass
class Copy:
    dialect: str
    file: str
    rows: dict[str, int]
    checkpoints: dict[str, str]
    revision: str | None
    versions: dict[str, str] = field(default_factory=dict)
    schema: str | None = None  # PostgreSQL: the schema the archive lives in

    def manifest(self) -> dict:
        return {"dialect": self.dialect, "file": self.file, "schema": self.schema,
                "revision": self.revision, "rows": self.rows, "checkpoints": self.checkpoints}


def contents(conn: Connection) -> tuple[dict[str, int], dict[str, str], str | None]:
    """Rows per archive table, the projections' checkpoints and the schema revision."""
    present = set(inspect(conn).get_table_names())
    rows = {str(t.name): conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in schema.metadata.sorted_tables if t.name in present}
    checkpoints = dict(conn.execute(select(schema.projection_checkpoints.c.name,
                                           schema.projection_checkpoints.c.position)).all()
                       ) if "projection_checkpoints" in present else {}
    revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar() \
        if "alembic_version" in present else None
    return rows, checkpoints, revision


def rows_of(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return contents(conn)[0]


def is_empty(engine: Engine) -> bool:
    """Whether no archive table holds a row (a migrated, unused archive is empty)."""
    if engine.dialect.name == "sqlite" and not Path(engine.url.database or "").exists():
        return True
    return not any(rows_of(engine).values())


def known_revision(revision: str | None) -> bool:
    """Whether this code's migrations know the revision (an older or the same schema)."""
    if revision is None:
        return True
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    try:
        return ScriptDirectory.from_config(config).get_revision(revision) is not None
    except CommandError:
        return False


def take(engine: Engine, directory: Path) -> Copy:
    if engine.dialect.name != "sqlite":
        return _pg_dump(engine, directory / PG_FILE)
    try:
        return _sqlite_copy(engine, directory / SQLITE_FILE)
    except sqlite3.Error as exc:
        raise CopyFailed(f"SQLite's backup failed: {exc}") from None


def restore(engine: Engine, directory: Path, manifest: dict) -> None:
    engine.dispose()  # (nothing of ours holds the file or the tables meanwhile)
    if engine.dialect.name != "sqlite":
        _pg_restore(engine, directory / manifest["file"])
        return
    try:
        with _sqlite(directory / manifest["file"]) as source, _sqlite(
                Path(engine.url.database)) as target:
            source.backup(target)
    except sqlite3.Error as exc:
        raise CopyFailed(f"SQLite's restore failed: {exc}") from None


def _sqlite(path: Path) -> closing[sqlite3.Connection]:
    """A plain sqlite3 connection, closed on leaving (sqlite3's own `with` only commits)."""
    return closing(sqlite3.connect(path))


def _sqlite_copy(engine: Engine, path: Path) -> Copy:
    with _sqlite(Path(engine.url.database)) as source, _sqlite(path) as target:
        source.backup(target)  # all pages in one step: one consistent read
    reader = create_engine(f"sqlite:///{path}")  # counted in the copy, not the live file
    try:
        with reader.connect() as conn:
            rows, checkpoints, revision = contents(conn)
    finally:
        reader.dispose()
    return Copy("sqlite", path.name, rows, checkpoints, revision,
                {"sqlite": sqlite3.sqlite_version})


def _libpq(engine: Engine) -> tuple[str, dict[str, str]]:
    """The archive's URL for libpq tools, and an environment with its password (never on
    a command line, where `ps` would show it)."""
    url = make_url(engine.url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(), env


def _tool(name: str) -> tuple[str, int]:
    """The PostgreSQL client tool on PATH and its major version."""
    path = shutil.which(name)
    if not path:
        raise CopyFailed(f"{name} is not on PATH: install PostgreSQL's client tools of the "
                        f"server's version or newer (Debian: postgresql-client)")
    said = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"\)\s*(\d+)", said)
    if not found:
        raise CopyFailed(f"cannot tell {name}'s version from {said.strip()!r}")
    return path, int(found.group(1))


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise CopyFailed(f"{Path(command[0]).name} failed: "
                        f"{lines[0] if lines else f'exit code {done.returncode}'}")


def _pg_dump(engine: Engine, path: Path) -> Copy:
    tool, tool_major = _tool("pg_dump")
    url, env = _libpq(engine)
    reading = engine.connect().execution_options(isolation_level="REPEATABLE READ")
    with reading as conn, conn.begin():
        server = conn.execute(text("SHOW server_version")).scalar_one()
        server_major = int(conn.execute(text("SHOW server_version_num")).scalar_one()
                           ) // 10000
        if tool_major < server_major:
            raise CopyFailed(f"pg_dump {tool_major} cannot dump PostgreSQL "
                            f"{server_major}: install pg_dump {server_major} or newer")
        snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
        archive_schema = conn.execute(text("SELECT current_schema()")).scalar_one()
        rows, checkpoints, revision = contents(conn)  # in the snapshot pg_dump reads
        _run([tool, "--format=custom", f"--snapshot={snapshot}",
              f"--schema={archive_schema}", f"--file={path}", url], env)
    return Copy("postgresql", path.name, rows, checkpoints, revision,
                {"postgresql": server, "pg_dump": str(tool_major)}, archive_schema)


def target_schema(engine: Engine) -> str:
    """The schema the archive goes to: the first of the search path (which may not exist
    yet in a new database)."""
    with engine.connect() as conn:
        current = conn.execute(text("SELECT current_schema()")).scalar()
        if current:
            return current
        path = conn.execute(text("SHOW search_path")).scalar_one()
    names = [p.strip().strip('"') for p in path.split(",") if p.strip() != '"$user"']
    return names[0] if names else "public"


def _pg_restore(engine: Engine, path: Path) -> None:
    tool, _ = _tool("pg_restore")
    url, env = _libpq(engine)
    _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", f"--dbname={url}", str(path)], env)

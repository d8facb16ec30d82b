"""SQL the archive's readers need that SQLite and PostgreSQL spell differently: the seconds
between two timestamps (local days come from the rollups, `archive.rollups`)."""

from __future__ import annotations

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement


class seconds_between(FunctionElement):
    """`seconds_between(start, end)`: end − start in seconds (NULL if either is)."""

    type = Float()
    inherit_cache = True


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler, **kw) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"EXTRACT(EPOCH FROM ({end} - {start}))"


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler, **kw) -> str:
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"

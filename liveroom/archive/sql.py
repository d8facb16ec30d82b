"""SQL the archive's readers need that SQLite and PostgreSQL spell differently: the local
date of a UTC timestamp, and the seconds between two timestamps."""

from __future__ import annotations

import re

from sqlalchemy import Date, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-/]{1,64}")


class local_day(FunctionElement):
    """`local_day(column, zone, offset_minutes)`: the date in `zone` of a UTC timestamp.
    PostgreSQL uses the zone itself; SQLite, which has no zones, the fixed offset (exact for
    Indonesia's WIB, WITA and WIT, which keep no summer time)."""

    type = Date()
    inherit_cache = True

    def __init__(self, column: ColumnElement, zone: str, offset_minutes: int) -> None:
        self.zone, self.offset_minutes = zone, offset_minutes
        super().__init__(column)


@compiles(local_day, "postgresql")
def _local_day_postgresql(element: local_day, compiler, **kw) -> str:
    column = compiler.process(next(iter(element.clauses)), **kw)
    if not ZONE_NAME.fullmatch(element.zone):
        raise ValueError(f"not a time zone name: {element.zone!r}")
    # written out, not bound: a GROUP BY must repeat the very same expression
    return f"CAST(({column} AT TIME ZONE '{element.zone}') AS DATE)"


@compiles(local_day, "sqlite")
def _local_day_sqlite(element: local_day, compiler, **kw) -> str:
    column = compiler.process(next(iter(element.clauses)), **kw)
    return f"date({column}, '{int(element.offset_minutes):+d} minutes')"


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

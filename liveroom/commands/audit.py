"""The audit trail: who did what, when, to what. Append-only; admins read and export it."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import orjson
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from liveroom.access import Action, Principal
from liveroom.archive import schema
from liveroom.room import LiveRoom

COLUMNS = ("at", "actor", "action", "target", "details")


def record(conn: Connection, at: datetime, actor: str, action: str, target: str,
           details: dict, event_id: str | None = None) -> None:
    """Append one entry, inside the caller's transaction (so it stands or falls with it)."""
    conn.execute(insert(schema.audit_log), {
        "at": at, "actor": actor, "action": action, "target": target,
        "details": orjson.dumps(details, default=str).decode(), "event_id": event_id,
    })


def recent(room: LiveRoom, *, by: Principal, limit: int = 200,
           actor: str | None = None) -> list[dict]:
    by.check(Action.VIEW_AUDIT)
    table = schema.audit_log
    query = select(*(table.c[name] for name in COLUMNS)).order_by(
        table.c.at.desc(), table.c.id.desc()).limit(limit)
    if actor:
        query = query.where(table.c.actor == actor)
    with room.engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]


def export_csv(room: LiveRoom, *, by: Principal) -> str:
    """The whole trail, oldest first, times in the city's zone (WIB)."""
    by.check(Action.VIEW_AUDIT)
    table = schema.audit_log
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    with room.engine.connect() as conn:
        rows = conn.execute(select(*(table.c[n] for n in COLUMNS))
                            .order_by(table.c.at, table.c.id))
        for row in rows:
            at = row.at.astimezone(room.city.timezone).isoformat()
            writer.writerow([at, row.actor, row.action, row.target, row.details])
    return out.getvalue()

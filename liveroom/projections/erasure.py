"""The archive's part of erasing reporters' personal data (`ReportersErased`): the incident's
row loses its `reporter`, and the event log and audit trail keep the incident's events that
carried a contact without it (`domain.erasure.scrubbed`). Idempotent: a replay nulls what is
null already."""

from __future__ import annotations

import orjson
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from liveroom.archive import schema
from liveroom.domain.erasure import CARRYING, scrubbed
from liveroom.domain.events import ReportersErased


def erase_rows(conn: Connection, e: ReportersErased) -> None:
    """(The archive projection's batch has written its buffered log rows first.)"""
    incidents = schema.incidents
    conn.execute(update(incidents).where(incidents.c.id == e.incident_id)
                 .values(reporter=None, contacts_erased_at=e.occurred_at))
    log, audit = schema.events, schema.audit_log
    for row in conn.execute(select(log.c.stream, log.c.id, log.c.data).where(
            log.c.aggregate_id == e.incident_id, log.c.type.in_(CARRYING))).all():
        data = _scrubbed(row.data)
        conn.execute(update(log).where(log.c.stream == row.stream, log.c.id == row.id)
                     .values(data=data))
    for row in conn.execute(select(audit.c.id, audit.c.details).where(
            audit.c.target == e.incident_id, audit.c.action.in_(CARRYING))).all():
        conn.execute(update(audit).where(audit.c.id == row.id)
                     .values(details=_scrubbed(row.details)))


def _scrubbed(text: str) -> str:
    return orjson.dumps(scrubbed(orjson.loads(text))).decode()

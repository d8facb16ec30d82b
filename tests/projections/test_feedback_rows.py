"""Ratings and reopenings in the archive: the rows the projection writes, the rows seeded
history would fold of the same events, and a rebuild that leaves the same state."""

from __future__ import annotations

from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.feedback import rate_incident, reopen_incident
from liveroom.commands.incidents import assign_incident, change_status, get_incident
from liveroom.domain.events import OfficerLocated, decode
from liveroom.projections.rebuild import rebuild
from liveroom.projections.rows import fold
from tests.conftest import drain
from tests.projections.helpers import archive_state, live_state
from tests.services.test_feedback import PHONE, SITI, resolved


def rows(room, table, order) -> list[dict]:
    with room.engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(table).order_by(order)).mappings()]


def test_a_rating_and_a_reopening_in_the_archive(room, clock, tangerang_point):
    incident_id = resolved(room, tangerang_point, clock)
    drain(room)
    first_due = rows(room, schema.incidents, schema.incidents.c.id)[0]["resolve_due"]
    clock.advance(days=1)
    rate_incident(room, incident_id, 2, by=SYSTEM, source="web", reporter={"phone": PHONE},
                  comment="Masih bau")
    drain(room)
    incident = get_incident(room, incident_id)
    row = rows(room, schema.incidents, schema.incidents.c.id)[0]
    assert (row["status"], row["reopened"], row["resolved_at"], row["officer_id"]) == (
        "triaged", 1, None, None)
    assert row["resolve_due"] == incident.resolve_due and row["resolve_due"] > first_due
    assert row["reopened_at"] == clock.now
    rated = rows(room, schema.incident_ratings, schema.incident_ratings.c.at)
    assert [(r["rating"], r["comment"], r["officers"], r["agency"], r["source"])
            for r in rated] == [(2, "Masih bau", ["dlh-1"], "kebersihan", "web")]
    history = rows(room, schema.status_history, schema.status_history.c.id)[-1]
    assert (history["from_status"], history["to_status"], history["reason"]) == (
        "resolved", "triaged", "Masih bau")


def test_the_projection_and_the_fold_agree_and_a_rebuild_changes_nothing(room, clock,
                                                                         tangerang_point):
    incident_id = resolved(room, tangerang_point, clock)
    change_status(room, incident_id, "closed", by=SYSTEM)
    clock.advance(hours=2)
    reopen_incident(room, incident_id, by=SYSTEM, source="whatsapp", reporter=SITI,
                    comment="Belum diangkut")
    for step in ("assigned", "acknowledged", "en_route", "on_scene", "resolved"):
        if step == "assigned":
            assign_incident(room, incident_id, "dlh-1", by=SYSTEM)
        else:
            change_status(room, incident_id, step, by=SYSTEM, reason="lagi")
    rate_incident(room, incident_id, 5, by=SYSTEM, source="whatsapp", reporter=SITI)
    drain(room)
    events = [(event, entry_id) for stream in ("incidents", "officers")
              for entry_id, fields in room.redis.xrange(room.keys.stream(stream))
              if not isinstance(event := decode(fields), OfficerLocated)]
    folded = fold(events, room.city.timezone)
    for table, order in (("incidents", "id"), ("status_history", "id"),
                         ("incident_ratings", "id")):
        mine = folded[table]
        stored = rows(room, getattr(schema, table), getattr(schema, table).c[order])
        assert [{k: r[k] for k in mine[0]} for r in stored] == mine, table
    assert folded["incidents"][0]["reopened"] == 1
    assert folded["incidents"][0]["resolved_at"] is not None  # (resolved again since)
    live, archive = live_state(room), archive_state(room)
    rebuild(room)
    rebuild(room)
    assert live_state(room) == live and archive_state(room) == archive

"""One event-to-row mapping: the rows the archive projection writes are the rows
`projections.rows.fold` makes of the same events (which is how seeded history is written)."""

from __future__ import annotations

from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.incidents import assign_incident, change_status, report_incident
from liveroom.commands.officers import check_in, check_out, register_officer
from liveroom.domain.events import OfficerLocated, decode
from liveroom.projections.rows import fold
from tests.conftest import drain
from tests.projections.helpers import units_day


def stored(room, table) -> list[dict]:
    """The table's rows in the order they were written (by key where it is the id)."""
    with room.engine.connect() as conn:
        return [dict(row) for row in conn.execute(
            select(table).order_by(*table.primary_key)).mappings()]


def test_the_projection_and_seeded_history_leave_the_same_rows(room, clock, tangerang_point):
    post = next(p for p in room.city.posts.values() if p.agency == "kebersihan")
    for name in ("Ani", "Budi"):
        register_officer(room, f"kb-{name.lower()}", name=name, agency="kebersihan",
                         post_id=post.id, by=SYSTEM)
    done = report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                           lon=tangerang_point[1], source="test", by=SYSTEM)
    refused = report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                              lon=tangerang_point[1] + 0.01, source="test", by=SYSTEM)
    drain(room)
    assign_incident(room, done.id, "kb-ani", by=SYSTEM)
    assign_incident(room, done.id, "kb-budi", by=SYSTEM, reason="lebih dekat")
    for status in ("acknowledged", "en_route", "on_scene", "resolved", "closed"):
        change_status(room, done.id, status, by=SYSTEM)
    change_status(room, refused.id, "rejected", reason="bukan sampah", by=SYSTEM)
    check_in(room, "kb-ani", post_id=post.id, lat=post.centre[0], lon=post.centre[1],
             accuracy=5, by=SYSTEM)
    check_out(room, "kb-ani", by=SYSTEM)
    units_day(room, clock, tangerang_point)
    drain(room)

    events = [(event, entry_id) for stream in ("incidents", "officers")
              for entry_id, fields in room.redis.xrange(room.keys.stream(stream))
              if not isinstance(event := decode(fields), OfficerLocated)]  # (sampled apart)
    folded = fold(events, room.city.timezone)
    for table in ("incidents", "status_history", "tasks", "officers", "units", "attendance"):
        mine = folded[table]
        if table in ("incidents", "officers", "units"):  # (keyed by their id: in its order)
            mine = sorted(mine, key=lambda row: row["id"])
        projected = [{k: row[k] for k in mine[0]} for row in stored(room, getattr(schema, table))]
        assert projected == mine, table

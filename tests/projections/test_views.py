"""What the projections make of the events: the live model in Redis and the SQL archive."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.incidents import assign_incident, report_incident
from liveroom.commands.officers import record_locations
from liveroom.domain.events import OfficerLocated
from liveroom.live.overview import overview
from tests.conftest import MORNING, drain
from tests.projections.helpers import busy_day


def test_the_live_model_shows_queues_tasks_and_counts(room, clock, tangerang_point):
    triaged, assigned, on_scene, closed, rejected = busy_day(room, clock, tangerang_point)
    drain(room)
    view = room.keys.view
    assert room.redis.zrange(view("queue", "kebersihan"), 0, -1) == [triaged]
    assert set(room.redis.zrange(view("tasks", "dlh-1"), 0, -1)) == {assigned, on_scene}
    assert room.redis.hget(view("incident", on_scene), "status") == "on_scene"
    assert set(room.redis.zrange(view("recent"), 0, -1)) == {closed, rejected}
    snapshot = overview(room, by=SYSTEM)
    assert snapshot.open_by_status["triaged"] == 1 and snapshot.open_total == 3
    assert snapshot.officers_on_duty == 1


def test_fire_is_ahead_of_older_trash_in_the_queue(room, clock, tangerang_point):
    lat, lon = tangerang_point
    trash = report_incident(room, category="sampah-menumpuk", lat=lat, lon=lon, source="t",
                            by=SYSTEM)
    clock.advance(minutes=5)
    report_incident(room, category="genangan", lat=lat, lon=lon, source="t", by=SYSTEM)
    clock.advance(minutes=5)
    fire = report_incident(room, category="kebakaran", lat=lat, lon=lon, source="t", by=SYSTEM,
                           attributes={"orang-terjebak": "tidak-tahu"})
    drain(room)
    scores = {
        incident.id: room.redis.zscore(room.keys.view("queue", incident.agency), incident.id)
        for incident in (trash, fire)
    }
    assert scores[fire.id] < scores[trash.id]


def test_the_archive_keeps_history_assignments_and_attendance(room, clock, tangerang_point):
    _, assigned, _, closed, _ = busy_day(room, clock, tangerang_point)
    assign_incident(room, assigned, "dlh-2", by=SYSTEM, reason="lebih dekat")
    drain(room)
    with room.engine.connect() as conn:
        history = conn.execute(
            select(schema.status_history.c.to_status)
            .where(schema.status_history.c.incident_id == closed)
            .order_by(schema.status_history.c.at, schema.status_history.c.id)
        ).scalars().all()
        moves = conn.execute(
            select(schema.assignments.c.officer_id, schema.assignments.c.ended_at)
            .where(schema.assignments.c.incident_id == assigned)
            .order_by(schema.assignments.c.id)
        ).all()
        row = conn.execute(select(schema.incidents).where(schema.incidents.c.id == closed)).one()
        attendance = conn.execute(select(schema.attendance)).one()
        logged = conn.execute(select(schema.events.c.type)).scalars().all()
    assert history == ["received", "triaged", "assigned", "acknowledged", "en_route",
                       "on_scene", "resolved", "closed"]
    assert [officer for officer, _ in moves] == ["dlh-1", "dlh-2"]
    assert moves[0].ended_at is not None and moves[1].ended_at is None
    assert row.status == "closed" and row.closed_at > row.reported_at
    assert row.agency == "kebersihan" and row.resolve_due > row.reported_at
    assert attendance.officer_id == "dlh-1" and attendance.day == MORNING.date()
    assert "officer.located" not in logged and "report.received" in logged


def fix(officer_id, at, lat, lon):
    return OfficerLocated(officer_id=officer_id, occurred_at=at, actor="device", lat=lat, lon=lon)


def test_late_fixes_do_not_move_an_officer_back_and_history_is_sampled(room, clock,
                                                                       tangerang_point):
    busy_day(room, clock, tangerang_point)
    lat, lon = tangerang_point
    start = clock.now
    # one fix every 10 s for 5 minutes, then one that arrives late from the past
    fixes = [fix("dlh-1", start + timedelta(seconds=10 * n), lat + n * 1e-5, lon)
             for n in range(31)]
    record_locations(room, fixes[:20], by=SYSTEM)
    drain(room)
    record_locations(room, [*fixes[20:], fix("dlh-1", start - timedelta(minutes=1), lat, lon)],
                     by=SYSTEM)
    drain(room)
    latest = room.redis.hgetall(room.keys.view("officer", "dlh-1"))
    assert float(latest["lat"]) == fixes[-1].lat
    (position,) = room.redis.geopos(room.keys.view("geo", "officers"), "dlh-1")
    assert abs(position[1] - fixes[-1].lat) < 1e-5
    with room.engine.connect() as conn:
        sampled = conn.execute(select(schema.officer_locations.c.at)
                               .order_by(schema.officer_locations.c.at)).scalars().all()
        kept = conn.execute(select(schema.officer_positions.c.at)).scalar_one()
    assert [(t - start).total_seconds() for t in sampled] == [0, 60, 120, 180, 240, 300]
    assert kept == fixes[-1].occurred_at

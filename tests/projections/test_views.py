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
from tests.projections.helpers import busy_day, units_day


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


def test_the_archive_keeps_history_tasks_and_attendance(room, clock, tangerang_point):
    _, assigned, _, closed, _ = busy_day(room, clock, tangerang_point)
    clock.advance(minutes=1)
    assign_incident(room, assigned, "dlh-2", by=SYSTEM, reason="lebih dekat")
    drain(room)
    with room.engine.connect() as conn:
        history = conn.execute(
            select(schema.status_history.c.to_status)
            .where(schema.status_history.c.incident_id == closed)
            .order_by(schema.status_history.c.at, schema.status_history.c.id)
        ).scalars().all()
        moved = conn.execute(select(schema.tasks).where(
            schema.tasks.c.incident_id == assigned)).one()
        done = conn.execute(select(schema.tasks).where(schema.tasks.c.incident_id == closed)
                            ).one()
        row = conn.execute(select(schema.incidents).where(schema.incidents.c.id == closed)).one()
        attendance = conn.execute(select(schema.attendance)).one()
        logged = conn.execute(select(schema.events.c.type)).scalars().all()
    assert history == ["received", "triaged", "assigned", "acknowledged", "en_route",
                       "on_scene", "resolved", "closed"]
    # one task, given to another officer: it starts over from then
    assert (moved.task_id, moved.officer_id, moved.crew, moved.status) == (
        "1", "dlh-2", ["dlh-2"], "assigned")
    assert moved.assigned_at > moved.dispatched_at
    assert (done.status, done.officer_id) == ("done", "dlh-1")
    assert done.dispatched_at < done.acknowledged_at < done.en_route_at < done.on_scene_at \
        < done.done_at == row.resolved_at
    assert row.status == "closed" and row.closed_at > row.reported_at
    assert row.agency == "kebersihan" and row.resolve_due > row.reported_at
    assert attendance.officer_id == "dlh-1" and attendance.day == MORNING.date()
    assert "officer.located" not in logged and "report.received" in logged


def test_the_archive_keeps_each_task_and_unit(room, clock, tangerang_point):
    fire, leak = units_day(room, clock, tangerang_point)
    with room.engine.connect() as conn:
        tasks = {(row.incident_id, row.task_id): row for row in conn.execute(
            select(schema.tasks))}
        units = {row.id: row for row in conn.execute(select(schema.units))}
    engine, tanker, dishub = (tasks[(fire, n)] for n in ("1", "2", "3"))
    assert (engine.unit_id, engine.officer_id, engine.crew, engine.status) == (
        "dmk-01", "dk-1", ["dk-1", "dk-2"], "on_scene")
    assert engine.en_route_at < engine.on_scene_at and engine.done_at is None
    # where its crew's fix put it a minute before the dispatch
    assert (engine.dispatched_lat, engine.dispatched_lon) == (
        tangerang_point[0] + 0.02, tangerang_point[1])
    assert (tanker.status, tanker.release_reason, tanker.agency) == (
        "released", "tidak diperlukan", "damkar")
    assert tanker.released_at is not None and tanker.acknowledged_at is None
    assert (dishub.agency, dishub.officer_id, dishub.unit_id, dishub.status) == (
        "dishub", "dh-1", None, "assigned")
    assert dishub.dispatched_lat is None  # no fix: not known
    water = tasks[(leak, "1")]
    assert (water.body, water.reference, water.status, water.officer_id) == (
        "pdam", "TB-0042", "forwarded", None)
    assert water.follow_up_due > water.dispatched_at
    assert (units["dmk-01"].call_sign, units["dmk-01"].kind, units["dmk-01"].active) == (
        "Damkar 01", "pumper", True)
    assert (units["dmk-02"].kind, units["dmk-02"].crew) == ("tanker", ["dk-3"])
    assert units["dmk-02"].updated_at > units["dmk-02"].registered_at


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

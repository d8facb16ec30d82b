"""Seeded history: finished lifecycles in order, before now, that the KPIs read."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.demo.history import seed_history
from liveroom.domain.errors import InvalidCommand
from liveroom.reporting.kpi import Period, Scope, response_times, volumes

ORDER = ("triaged_at", "assigned_at", "acknowledged_at", "en_route_at", "on_scene_at",
         "resolved_at", "closed_at")


def test_history_is_finished_ordered_and_read_by_the_kpis(room, clock):
    written = seed_history(room, 400, days=20, seed=3)
    assert 380 <= written["incidents"] <= 400
    with room.engine.connect() as conn:
        rows = conn.execute(select(schema.incidents)).mappings().all()
        history = conn.execute(select(func.count()).select_from(schema.status_history)).scalar()
        days = conn.execute(select(func.count(func.distinct(schema.attendance.c.day)))).scalar()
    assert len(rows) == written["incidents"] and history == written["status_history"]
    assert days == 20  # every day of the period has attendance
    for row in rows:
        assert re.fullmatch(r"\d{6}-H[0-9A-Z]{4}", row["id"])
        assert row["status"] in ("closed", "rejected", "duplicate")
        assert row["updated_at"] < clock.now
        times = [row[name] for name in ORDER if row[name] is not None]
        assert times == sorted(times) and times[0] >= row["reported_at"]
        # flagged as the resolve-missed rule would have (at the deadline) if resolved later
        late = row["resolved_at"] is not None and row["resolved_at"] > row["resolve_due"]
        assert row["flagged_at"] == (row["resolve_due"] if late else None)
    assert {r["status"] for r in rows} == {"closed", "rejected", "duplicate"}
    assert any(r["flagged_at"] for r in rows)
    today = clock.now.astimezone(room.city.timezone).date()
    scope = Scope(Period(today - timedelta(days=30), today))
    assert sum(row[2] for row in volumes(room, scope, by=SYSTEM)) == written["incidents"]
    times = response_times(room, scope, by=SYSTEM)
    assert sum(t.reported for t in times) == written["incidents"]
    assert all(t.median["resolve"] <= t.p90["resolve"] for t in times if t.reached["resolve"])
    with pytest.raises(InvalidCommand, match="already has seeded history"):
        seed_history(room, 10)


def test_history_leaves_trips_to_learn_arrival_speeds_from(room):
    from liveroom.reporting.eta import learn

    written = seed_history(room, 600, days=20, seed=5)
    assert written["officer_locations"] > 0
    table = learn(room, min_trips=5)
    assert table.trips == written["tasks"]  # every task's trip, from its fixes
    damkar, others = table.agencies["damkar"], table.agencies["kebersihan"]
    assert 25 < damkar.overall.kmh < 40 and 15 < others.overall.kmh < 28
    assert others.hours[17].kmh < others.hours[11].kmh  # the evening rush is slower
    with room.engine.connect() as conn:
        tasks = conn.execute(select(schema.tasks)).mappings().all()
        units = conn.execute(select(schema.units)).mappings().all()
    by_incident: dict[str, list] = {}
    for task in tasks:
        by_incident.setdefault(task["incident_id"], []).append(task)
    fires = [found for found in by_incident.values() if len(found) > 1]
    assert fires
    known = {unit["id"]: unit["agency"] for unit in units}
    for found in fires:  # two fire engines and a Dishub unit, each with its own times
        assert [known[t["unit_id"]] for t in found] == ["damkar", "damkar", "dishub"]
        for task in found:
            assert task["status"] == "done" and task["crew"][0] == task["officer_id"]
            assert (task["dispatched_at"] < task["acknowledged_at"] < task["en_route_at"]
                    < task["on_scene_at"] < task["done_at"])
        assert max(t["done_at"] for t in found) == found[0]["done_at"]  # the lead's last
    assert all(len(found) == 1 and found[0]["unit_id"] is None
               for found in by_incident.values() if found not in fires)

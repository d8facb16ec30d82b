"""Daily rollups: long periods read them, and they say what the incidents say (counts and
SLA exactly, percentiles within the histograms' 5%), whatever happened since."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import rollups, schema
from liveroom.commands.incidents import assign_incident, change_status, report_incident
from liveroom.commands.officers import register_officer
from liveroom.demo.history import seed_history
from liveroom.projections.rebuild import rebuild
from liveroom.reporting.kpi import Period, Scope, figures, response_times, volumes
from liveroom.reporting.kpi.figures import EXACT_PERCENTILE_DAYS
from tests.conftest import drain


def exact_nearest_rank(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return next(v for i, v in enumerate(ordered, 1) if i >= share * len(ordered))


def test_a_histogram_percentile_is_within_five_percent_of_the_exact_one():
    rng = random.Random(5)
    for _ in range(50):
        values = [rng.lognormvariate(7, 1.2) for _ in range(rng.randrange(1, 400))]
        histogram: dict[int, int] = {}
        for value in values:
            histogram[rollups.bucket(value)] = histogram.get(rollups.bucket(value), 0) + 1
        for share in (0.5, 0.9):
            exact = exact_nearest_rank(values, share)
            assert abs(rollups.percentile(histogram, share) - exact) <= 0.049 * exact
    assert rollups.percentile({}, 0.5) is None


def year_of(room, clock) -> Scope:
    today = clock.now.astimezone(room.city.timezone).date()
    return Scope(Period(today - timedelta(days=364), today))


def compare(room, scope: Scope, group: str) -> None:
    """The rolled-up figures against the exact query's, group by group."""
    rolled = response_times(room, scope, by=SYSTEM, group=group)
    exact = [t for t in response_times(room, scope, by=SYSTEM, group=group, exact=True)
             if t.key or group != "officer"]  # (no officer's: not rolled up)
    assert [t.key for t in rolled] == [t.key for t in exact] and exact
    for got, want in zip(rolled, exact, strict=True):
        assert (got.reported, got.reached) == (want.reported, want.reached)
        assert (got.acknowledge_sla, got.resolve_sla) == (want.acknowledge_sla,
                                                          want.resolve_sla)
        for step in want.median:
            for found, right in ((got.median[step], want.median[step]),
                                 (got.p90[step], want.p90[step])):
                assert (found is None) == (right is None)
                if right:
                    assert abs(found - right) <= 0.05 * right + 0.1  # (minutes, rounded)


def test_a_year_reads_the_rollups_and_agrees_with_the_incidents(room, clock,
                                                                 tangerang_point):
    seed_history(room, 3000, days=200, seed=7)
    register_officer(room, "dlh-9", name="Sari", agency="kebersihan", by=SYSTEM)
    # today's reports, one late, one still within its deadline: their day is not settled
    late = report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                           lon=tangerang_point[1], source="t", by=SYSTEM).id
    drain(room)
    assign_incident(room, late, "dlh-9", by=SYSTEM)
    clock.now += timedelta(hours=2)
    change_status(room, late, "acknowledged", by=SYSTEM)  # past its hour
    report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0] + 0.01,
                    lon=tangerang_point[1], source="t", by=SYSTEM)
    drain(room)
    scope = year_of(room, clock)
    for group in ("city", "agency", "district", "category", "officer"):
        compare(room, scope, group)
    end = scope.period.last.replace(day=1) - timedelta(days=1)  # last month's last day
    start = (end - timedelta(days=60)).replace(day=1)
    for first in (start, start + timedelta(days=14)):  # whole months, then parts of them too
        for last in (end, end - timedelta(days=9)):
            period = Period(first, last)
            assert len(period.days) > EXACT_PERCENTILE_DAYS
            compare(room, Scope(period), "agency")
    narrowed = Scope(scope.period, agency="kebersihan", district="36.71.01")
    compare(room, narrowed, "category")
    with room.engine.connect() as conn:
        rows = conn.execute(select(schema.incident_days)).all()
        incidents = conn.execute(select(schema.incidents.c.id)).all()
    assert sum(row.reported for row in rows) == len(incidents)


def test_a_busy_month_reads_the_rollups_and_agrees_with_the_incidents(room, clock,
                                                                      monkeypatch):
    seed_history(room, 3000, days=30, seed=11)
    today = clock.now.astimezone(room.city.timezone).date()
    month = Scope(Period(today - timedelta(days=29), today))
    assert not figures.reads_histograms(room, month, SYSTEM)  # (3,000: sorted exactly)
    monkeypatch.setattr(figures, "EXACT_PERCENTILE_INCIDENTS", 1000)  # a metropolis's month
    assert figures.reads_histograms(room, month, SYSTEM)
    assert not figures.reads_histograms(room, Scope(month.period, agency="damkar"), SYSTEM)
    for group in ("city", "agency", "district", "officer"):
        compare(room, month, group)


def test_the_archive_projection_keeps_the_rollups_and_a_rebuild_gives_them_back(
        room, clock, tangerang_point):
    scope = year_of(room, clock)
    register_officer(room, "dlh-9", name="Sari", agency="kebersihan", by=SYSTEM)
    incident = report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                               lon=tangerang_point[1], source="t", by=SYSTEM).id
    drain(room)
    assert sum(row[2] for row in volumes(room, scope, by=SYSTEM)) == 1
    (before,) = response_times(room, scope, by=SYSTEM, group="city")
    assert before.reached["resolve"] == 0 and before.resolve_sla is None
    assign_incident(room, incident, "dlh-9", by=SYSTEM)
    clock.now += timedelta(minutes=20)
    for status in ("acknowledged", "en_route", "on_scene", "resolved"):
        change_status(room, incident, status, by=SYSTEM)
    drain(room)
    (after,) = response_times(room, scope, by=SYSTEM, group="city")
    assert after.reached["resolve"] == 1 and after.resolve_sla == 100.0
    assert 19 <= after.median["resolve"] <= 21
    report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0] + 0.01,
                    lon=tangerang_point[1], source="t", by=SYSTEM)  # the same day again
    drain(room)
    kept = rolled_up(room)
    assert all(kept.values())  # (every rollup table has rows to compare)
    for rollup in rollups.ROLLUPS:  # a month's histogram is the sum of its days'
        summed: dict[tuple, int] = {}
        for day, *key, n in kept[rollup.durations.name]:
            summed[(day.replace(day=1), *key)] = summed.get((day.replace(day=1), *key), 0) + n
        assert {tuple(row[:-1]): row[-1] for row in kept[rollup.months.name]} == summed
    rebuild(room)
    assert rolled_up(room) == kept


def rolled_up(room) -> dict[str, list]:
    with room.engine.connect() as conn:
        return {table.name: sorted(conn.execute(select(table)).all())
                for table in schema.ROLLUP_TABLES}


def test_a_rejected_incident_owes_no_deadline_even_when_acknowledged_in_time(
        room, clock, tangerang_point):
    register_officer(room, "dlh-9", name="Sari", agency="kebersihan", by=SYSTEM)
    ids = []
    for offset in (0.0, 0.01):
        ids.append(report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                                   lon=tangerang_point[1] + offset, source="t",
                                   by=SYSTEM).id)
        drain(room)
        assign_incident(room, ids[-1], "dlh-9", by=SYSTEM)
    change_status(room, ids[0], "acknowledged", by=SYSTEM)  # in time, then rejected
    change_status(room, ids[0], "rejected", by=SYSTEM, reason="bukan wewenang")
    clock.now += timedelta(hours=2)
    change_status(room, ids[1], "acknowledged", by=SYSTEM)  # late
    drain(room)
    year = year_of(room, clock)
    for scope in (year, Scope(Period(year.period.last, year.period.last))):  # rolled, exact
        (city,) = response_times(room, scope, by=SYSTEM, group="city")
        assert city.acknowledge_sla == 0.0  # one counted (the late one), none in time

"""The KPIs against values worked out by hand on a small fixed history, with its edges:
reports a few minutes either side of midnight WIB (17:00 UTC), an incident that spans two
days, one late, one rejected, one still open.

    A  kebersihan  Tangerang  23 Nov 23:50  ack +30  arrive +90   resolve +1500 (late)
    B  kebersihan  Jatiuwung  24 Nov 00:10  ack +80 (late)  arrive +120  resolve +200
    C  kebersihan  Tangerang  24 Nov 10:00  ack +10  arrive +40   resolve +60
    D  damkar      Batuceper  24 Nov 23:59  ack +4   arrive +15   resolve +100
    E  kebersihan  Jatiuwung  24 Nov 12:00  rejected +30
    F  kebersihan  Tangerang  25 Nov 09:00  assigned, still open

Minutes after the report; times WIB; measured at 25 Nov 12:00 WIB. Rubbish (kebersihan):
acknowledge within 60 min, resolve within 1440; fire (damkar): 5 and 180. Agus (dlh-1)
held every rubbish task; his morning shift runs 07:00-15:00 with 15 minutes' grace:

    23 Nov  in 07:05 (on time)   out 15:00               475 min on post
    24 Nov  in 07:30 (late)      out 12:00 (left early)  270 min
    25 Nov  absent (the shift started at 07:00, so the day counts)

"Nov" is the month before the test clock's (MONTH): the history is in the past on any date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from liveroom.access import SYSTEM, Forbidden
from liveroom.commands.incidents import assign_incident, change_status, report_incident
from liveroom.commands.officers import check_in, check_out, register_officer
from liveroom.domain.errors import InvalidCommand
from liveroom.reporting.kpi import (
    Period,
    Scope,
    backlog,
    dashboard,
    hexbins,
    officer_performance,
    recurring,
    response_times,
    volumes,
)
from liveroom.reporting.kpi.exports import districts as district_table
from liveroom.reporting.kpi.figures import flagged
from liveroom.reporting.kpi.recap import month_of, monthly_recap
from tests.conftest import MORNING, drain, person

MAYOR = person("wali", "mayor")
STEPS = ("acknowledged", "en_route", "on_scene", "resolved")


#: The month of the hand-worked history: the one before the test clock's.
MONTH = (MORNING.date().replace(day=1) - timedelta(days=1)).replace(day=1)


def on(day: int) -> date:
    return MONTH.replace(day=day)


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(MONTH.year, MONTH.month, day, hour, minute, tzinfo=UTC) - timedelta(hours=7)


def happen(room, clock, category: str, district: str, reported: datetime, officer: str,
           **after: int) -> str:
    """Report at `reported`, assign a minute later, then each status `after` minutes."""
    point = room.city.districts[district].geometry.representative_point()
    clock.now = reported
    answers = {"orang-terjebak": "tidak"} if category == "kebakaran" else {}
    incident = report_incident(room, category=category, lat=point.y, lon=point.x, source="t",
                               by=SYSTEM, attributes=answers).id
    drain(room)  # triaged now
    clock.now = reported + timedelta(minutes=1)
    assign_incident(room, incident, officer, by=SYSTEM)
    for status, minutes in after.items():
        clock.now = reported + timedelta(minutes=minutes)
        reason = "bukan wewenang" if status == "rejected" else None
        if status == "on_scene":
            change_status(room, incident, "en_route", by=SYSTEM)
        change_status(room, incident, status, by=SYSTEM, reason=reason)
    drain(room)
    return incident


@pytest.fixture
def history(room, clock):
    clock.now = wib(23, 8)
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", by=SYSTEM)
    register_officer(room, "dk-1", name="Damar", agency="damkar", by=SYSTEM)
    rubbish, fire = "sampah-menumpuk", "kebakaran"
    ids = {
        "A": happen(room, clock, rubbish, "36.71.01", wib(23, 23, 50), "dlh-1",
                    acknowledged=30, on_scene=90, resolved=1500),
        "B": happen(room, clock, rubbish, "36.71.02", wib(24, 0, 10), "dlh-1",
                    acknowledged=80, on_scene=120, resolved=200),
        "C": happen(room, clock, rubbish, "36.71.01", wib(24, 10), "dlh-1",
                    acknowledged=10, on_scene=40, resolved=60),
        "E": happen(room, clock, rubbish, "36.71.02", wib(24, 12), "dlh-1", rejected=30),
        "D": happen(room, clock, fire, "36.71.03", wib(24, 23, 59), "dk-1",
                    acknowledged=4, on_scene=15, resolved=100),
        "F": happen(room, clock, rubbish, "36.71.01", wib(25, 9), "dlh-1"),
    }
    post = next(p for p in room.city.posts.values() if p.agency == "kebersihan")
    for (day, hour, minute), leave in (((23, 7, 5), (23, 15, 0)), ((24, 7, 30), (24, 12, 0))):
        clock.now = wib(day, hour, minute)
        check_in(room, "dlh-1", post_id=post.id, lat=post.centre[0], lon=post.centre[1],
                 accuracy=8, by=SYSTEM)
        clock.now = wib(*leave)
        check_out(room, "dlh-1", by=SYSTEM)
    drain(room)
    clock.now = wib(25, 12)
    return ids


WHOLE = Scope(Period(on(23), on(25)))


def test_volume_per_local_day_puts_reports_either_side_of_midnight_wib_right(room, history):
    assert volumes(room, WHOLE, by=MAYOR, dimension="category") == [
        (on(23), "sampah-menumpuk", 1, 1),  # A, 16:50 UTC
        (on(24), "kebakaran", 1, 1),  # D, 23:59 WIB
        (on(24), "sampah-menumpuk", 3, 3),  # B (17:10 UTC on the 23rd), C, E
        (on(25), "sampah-menumpuk", 1, 1),
    ]
    only_24 = Scope(Period(on(24), on(24)))
    assert volumes(room, only_24, by=MAYOR, dimension="district") == [
        (on(24), "36.71.01", 1, 1), (on(24), "36.71.02", 2, 2),
        (on(24), "36.71.03", 1, 1)]
    assert volumes(room, WHOLE, by=MAYOR, dimension="channel") == [
        (on(23), "t", 1, 1), (on(24), "t", 4, 4), (on(25), "t", 1, 1)]
    rubbish_only = Scope(WHOLE.period, agency="damkar")
    assert volumes(room, rubbish_only, by=MAYOR, dimension="agency") == [
        (on(24), "damkar", 1, 1)]


def test_times_are_nearest_rank_medians_and_p90_with_sla_compliance(room, history):
    times = {t.key: t for t in response_times(room, WHOLE, by=MAYOR)}
    kebersihan, damkar = times["kebersihan"], times["damkar"]
    assert kebersihan.reported == 5
    assert kebersihan.reached == {"acknowledge": 3, "arrive": 3, "resolve": 3}
    assert kebersihan.median == {"acknowledge": 30.0, "arrive": 90.0, "resolve": 200.0}
    assert kebersihan.p90 == {"acknowledge": 80.0, "arrive": 120.0, "resolve": 1500.0}
    # acknowledged on time: A, C of A, B, C and F (F's hour has passed; E was rejected)
    assert kebersihan.acknowledge_sla == 50.0
    # resolved on time: B, C of A, B, C (F's day has not passed yet)
    assert kebersihan.resolve_sla == 66.7
    assert (damkar.key, damkar.reported, damkar.median["acknowledge"],
            damkar.p90["resolve"], damkar.acknowledge_sla, damkar.resolve_sla) == (
        "damkar", 1, 4.0, 100.0, 100.0, 100.0)


def test_incidents_flagged_for_a_missed_resolve_per_agency_and_district(room, history):
    # A (Tangerang) was resolved after 1,500 minutes, past its 1,440: the resolve-missed
    # rule flagged it; F's deadline has not passed yet, the others were in time
    assert flagged(room, WHOLE, by=MAYOR) == {"agency": {"kebersihan": 1},
                                              "district": {"36.71.01": 1}}
    assert flagged(room, Scope(WHOLE.period, agency="damkar"), by=MAYOR) == {
        "agency": {}, "district": {}}
    assert flagged(room, Scope(Period(on(24), on(25))), by=MAYOR)["agency"] == {}  # A: 23rd
    headers, rows = district_table(dashboard(room, WHOLE, by=MAYOR), room.city, "id")
    assert headers[-1] == "Ditandai"
    assert {row[0]: row[-1] for row in rows} == {"Tangerang": 1, "Jatiuwung": 0,
                                                 "Batuceper": 0}


def test_times_per_district(room, history):
    by_district = {t.key: t for t in response_times(room, WHOLE, by=MAYOR, group="district")}
    assert by_district["36.71.01"].median["resolve"] == 60.0  # C; A is 1500: p90
    assert by_district["36.71.01"].p90["resolve"] == 1500.0
    assert by_district["36.71.02"].reached["resolve"] == 1  # B (E was rejected)


def test_the_backlog_is_what_was_open_at_the_moment_by_age(room, history):
    assert backlog(room, WHOLE, by=MAYOR, at=wib(25, 12)) == [("kebersihan", "1-4h", 1)]
    assert backlog(room, WHOLE, by=MAYOR, at=wib(24, 12)) == [  # A (12 h), E (just now)
        ("kebersihan", "4-24h", 1), ("kebersihan", "<1h", 1)]
    # F, open now and changed since (assigned a minute later): counted once
    assert backlog(room, WHOLE, by=MAYOR, at=wib(25, 9)) == [("kebersihan", "<1h", 1)]


def test_where_reports_come_from_and_what_recurs(room, history):
    cells = hexbins(room, WHOLE, by=MAYOR)
    assert sorted(n for _, _, n in cells) == [1, 2, 3]  # Tangerang 3, Jatiuwung 2, Batuceper 1
    lat, lon, _ = cells[0]
    tangerang = room.city.districts["36.71.01"].geometry.representative_point()
    assert abs(lat - tangerang.y) < 0.005 and abs(lon - tangerang.x) < 0.005
    assert recurring(room, WHOLE, by=MAYOR, limit=2) == [
        ("sampah-menumpuk", "36.71.01", 3), ("sampah-menumpuk", "36.71.02", 2)]


def test_who_may_see_what(room, history):
    with pytest.raises(Forbidden):
        volumes(room, WHOLE, by=person("opi", "operator"))
    spv = person("spv", "supervisor", agencies=("damkar",))
    assert {row[1] for row in volumes(room, WHOLE, by=spv, dimension="agency")} == {"damkar"}
    with pytest.raises(Forbidden):
        volumes(room, Scope(WHOLE.period, agency="kebersihan"), by=spv)


def test_periods(room):
    today = on(25)
    assert Period.named("7d", today) == Period(on(19), today)
    assert Period.named("today", today).bounds(room.city.timezone) == (
        wib(25, 0), wib(26, 0))
    for bad in (lambda: Period.named("year", today),
                lambda: Period(today, today - timedelta(days=1)),
                lambda: volumes(room, WHOLE, by=MAYOR, dimension="weather")):
        with pytest.raises(InvalidCommand):
            bad()


def test_each_officers_performance_and_the_score_the_city_formula_gives(room, history):
    found = {p.officer_id: p for p in officer_performance(room, WHOLE, by=MAYOR)}
    agus, damar = found["dlh-1"], found["dk-1"]
    assert (agus.expected_days, agus.present_days, agus.on_time_days) == (3, 2, 1)
    assert (agus.attendance, agus.punctuality, agus.minutes_on_post) == (66.7, 50.0, 745)
    assert agus.times.reached["resolve"] == 3 and agus.times.median["resolve"] == 200.0
    weights = room.city.performance.weights  # 0.3 attendance, 0.2 punctuality, 0.2 + 0.3 SLA
    # 0.3 x 66.7 + 0.2 x 50 + 0.2 x 50 (acknowledged on time) + 0.3 x 66.7 (resolved on time)
    assert agus.score(weights) == 60.0
    assert (damar.present_days, damar.attendance) == (0, 0.0)  # never checked in
    # 0.3 x 0 + 0.2 x (no days present: not counted) + 0.2 x 100 + 0.3 x 100, over 0.8
    assert damar.score(weights) == 62.5
    assert officer_performance(room, Scope(WHOLE.period, agency="damkar"), by=MAYOR)[0] \
        .officer_id == "dk-1"


def test_the_city_as_a_whole(room, history):
    (city,) = response_times(room, WHOLE, by=MAYOR, group="city")
    assert (city.reported, city.median["acknowledge"], city.p90["acknowledge"]) == (6, 10.0, 80.0)
    assert (city.median["resolve"], city.p90["resolve"]) == (100.0, 1500.0)  # 60 100 200 1500
    assert (city.acknowledge_sla, city.resolve_sla) == (60.0, 75.0)  # A C D of 5; B C D of 4


def test_the_monthly_recap_for_allowances(room, history):
    recap = monthly_recap(room, on(1), by=MAYOR)
    agus = next(o for o in recap.officers if o.officer_id == "dlh-1")
    # 1-25 November by 12:00 on the 25th (its shift has started): 25 working days
    assert (agus.expected_days, agus.present_days, agus.attendance) == (25, 2, 8.0)
    # 0.3 x 8 + 0.2 x 50 + 0.2 x 50 + 0.3 x 66.7
    assert agus.score(room.city.performance.weights) == 42.4
    rubbish = next(row for row in recap.agencies("id")
                   if row[0] == room.city.agencies["kebersihan"].name.id)
    assert rubbish[1:8] == [1, 25, 2, 1, 8.0, 50.0, 3]
    with pytest.raises(InvalidCommand, match="YYYY-MM"):
        month_of("November", on(25))


def test_checking_in_twice_a_day_counts_the_day_once(room, history, clock):
    post = next(p for p in room.city.posts.values() if p.agency == "kebersihan")
    for arrive, leave in (((7, 2), (7, 4)), ((7, 6), (8, 0))):  # both within the grace
        clock.now = wib(25, *arrive)
        check_in(room, "dlh-1", post_id=post.id, lat=post.centre[0], lon=post.centre[1],
                 accuracy=8, by=SYSTEM)
        clock.now = wib(25, *leave)
        check_out(room, "dlh-1", by=SYSTEM)
    drain(room)
    clock.now = wib(25, 12)
    agus = next(p for p in officer_performance(room, WHOLE, by=MAYOR) if p.officer_id == "dlh-1")
    assert (agus.present_days, agus.on_time_days, agus.punctuality) == (3, 2, 66.7)

"""Reporters' satisfaction and the reopen rate on the KPI page, against figures worked out by
hand on a small history made through the commands (this morning, WIB):

    X  kebersihan  Agus (dlh-1)   resolved, rated 5
    Y  kebersihan  Agus (dlh-1)   resolved, rated 2 (reopened); Budi (dlh-2) resolved it
                                  again, rated 4
    Z  damkar      Damar (dk-1)   resolved, not rated

kebersihan: 3 ratings, mean 11/3 = 3.67; 1 reopening of 3 resolutions (X, Y twice): 33.3%.
damkar: no rating; 0 reopenings of 1 resolution. Agus: 5 and 2 (mean 3.5); Budi: 4 (the
second resolution's work only).
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from liveroom.access import SYSTEM
from liveroom.commands.feedback import rate_incident
from liveroom.commands.incidents import assign_incident, change_status, report_incident
from liveroom.commands.officers import register_officer
from liveroom.reporting.kpi import Period, Scope, dashboard, officer_performance
from liveroom.reporting.kpi.satisfaction import satisfaction
from tests.conftest import drain, person

MAYOR = person("wali", "mayor")
DISTRICT = "36.71.01"


def work(room, clock, incident_id: str, officer: str) -> None:
    assign_incident(room, incident_id, officer, by=SYSTEM)
    for step in ("acknowledged", "en_route", "on_scene", "resolved"):
        clock.advance(minutes=10)
        change_status(room, incident_id, step, by=SYSTEM)


def reported(room, category: str, phone: str, shift: float) -> str:
    point = room.city.districts[DISTRICT].geometry.representative_point()
    answers = {"orang-terjebak": "tidak"} if category == "kebakaran" else {}
    return report_incident(room, category=category, lat=point.y, lon=point.x + shift,
                           source="whatsapp", by=SYSTEM, reporter={"phone": phone},
                           attributes=answers).id


def rate(room, incident_id, phone, rating):
    rate_incident(room, incident_id, rating, by=SYSTEM, source="whatsapp",
                  reporter={"phone": phone})


@pytest.fixture
def history(room, clock):
    for officer, name, agency in (("dlh-1", "Agus", "kebersihan"),
                                  ("dlh-2", "Budi", "kebersihan"),
                                  ("dk-1", "Damar", "damkar")):
        register_officer(room, officer, name=name, agency=agency, by=SYSTEM)
    x = reported(room, "sampah-menumpuk", "+6281200000001", 0)
    y = reported(room, "sampah-menumpuk", "+6281200000002", 0.002)
    z = reported(room, "kebakaran", "+6281200000003", 0.004)
    work(room, clock, x, "dlh-1")
    work(room, clock, y, "dlh-1")
    work(room, clock, z, "dk-1")
    rate(room, x, "+6281200000001", 5)
    rate(room, y, "+6281200000002", 2)  # reopens
    clock.advance(minutes=5)
    work(room, clock, y, "dlh-2")
    rate(room, y, "+6281200000002", 4)
    drain(room)
    return x, y, z


def today(room, clock) -> Scope:
    day = clock.now.astimezone(room.city.timezone).date()
    return Scope(Period(day, day))


def test_satisfaction_and_reopen_rate_per_agency(room, clock, history):
    found = {s.key: s for s in satisfaction(room, today(room, clock), by=MAYOR)}
    rubbish, fire = found["kebersihan"], found["damkar"]
    assert (rubbish.ratings, rubbish.mean, rubbish.reopened, rubbish.resolutions) == (
        3, 3.67, 1, 3)
    assert rubbish.reopen_rate == 33.3
    assert (fire.ratings, fire.mean, fire.reopen_rate) == (0, None, 0.0)


def test_satisfaction_per_district_and_officer(room, clock, history):
    scope = today(room, clock)
    (district,) = satisfaction(room, scope, by=MAYOR, group="district")
    assert (district.key, district.ratings, district.mean) == (DISTRICT, 3, 3.67)
    officers = {s.key: (s.ratings, s.mean) for s in satisfaction(room, scope, by=MAYOR,
                                                                   group="officer")}
    assert officers == {"dlh-1": (2, 3.5), "dlh-2": (1, 4.0)}
    narrowed = satisfaction(room, Scope(scope.period, agency="damkar"), by=MAYOR)
    assert [(s.key, s.ratings) for s in narrowed] == [("damkar", 0)]
    yesterday = scope.period.first - timedelta(days=1)
    assert satisfaction(room, Scope(Period(yesterday, yesterday)), by=MAYOR) == []


def test_the_officers_score_may_weigh_satisfaction(room, clock, history):
    scope = today(room, clock)
    found = {p.officer_id: p for p in officer_performance(room, scope, by=MAYOR)}
    budi = found["dlh-2"]
    assert (budi.ratings, budi.satisfaction) == (1, 75.0)  # 4 of 1-5 as 0-100
    default = room.city.performance.weights
    assert default["satisfaction"] == 0  # (the packs' default: the score as before)
    only = dict.fromkeys(default, 0.0) | {"satisfaction": 1.0}
    assert budi.score(only) == 75.0 and found["dlh-1"].score(only) == 62.5
    assert found["dk-1"].score(only) is None  # not rated: nothing to weigh


def test_the_kpi_page_panel_has_every_group(room, clock, history):
    from layouts.kpi_satisfaction import rows

    data = dashboard(room, today(room, clock), by=MAYOR)
    shown = {(r["group"], r["name"]): (r["ratings"], r["mean__text"], r["reopen_rate__text"])
             for r in rows(data, room.city, "id")}
    district = room.city.districts[DISTRICT].name
    assert shown[("Dinas", room.city.agencies["kebersihan"].name.id)] == (3, "3.67", "33.3%")
    assert shown[("Kecamatan", district)] == (3, "3.67", "–")
    assert shown[("Petugas", "Budi")] == (1, "4.00", "–")

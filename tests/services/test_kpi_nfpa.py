"""Damkar against NFPA 1710 (processing 60 s, turnout 80 s, travel 240 s, each for 90% of
responses), on fire responses driven through the real commands with known step times.

    Damar (dk-1), ten responses, seconds:
      processing  30 35 40 45 50 55 58 60 70 120    p90 70   8 of 10 within 60: missed
      turnout     40 50 60 60 65 70 75 78 80 100    p90 80   9 of 10 within 80: met
      travel     100 120 150 180 200 210 220 230 239 600   p90 239  9 of 10 within 240: met
    Bima (dk-2): two of his own and one taken over from Damar (dispatched to Damar at 45 s,
    to Bima at 100 s, en route at 160 s, on scene at 300 s): processing to the first
    dispatch (45), turnout from Bima's (60), travel 140:
      processing  20 45 61    p90 61   2 of 3
      turnout     60 85 90    p90 90   1 of 3
      travel     100 140 250  p90 250  2 of 3
    All of Damkar (13): processing p90 70 (10 within), turnout 90 (10), travel 250 (11).
    Each went alone: every incident's first engine is its one unit (first-engine travel is
    travel).

Beside them a rubbish incident and a fire reported the day after the period: not counted.
The units' own test (`engines`) has one fire with three units and one officer sent alone.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from liveroom.access import SYSTEM
from liveroom.commands.incidents import (
    assign_incident,
    change_status,
    dispatch_incident,
    report_incident,
)
from liveroom.commands.officers import register_officer
from liveroom.commands.units import register_unit
from liveroom.reporting.kpi import Period, Scope
from liveroom.reporting.kpi.nfpa import nfpa_times
from tests.conftest import drain, person
from tests.services.test_kpi import MONTH, on, wib

MAYOR = person("wali", "mayor")
DAMAR = {"processing": [30, 35, 40, 45, 50, 55, 58, 60, 70, 120],
         "turnout": [40, 50, 60, 60, 65, 70, 75, 78, 80, 100],
         "travel": [100, 120, 150, 180, 200, 210, 220, 230, 239, 600]}
BIMA = {"processing": [20, 61], "turnout": [90, 85], "travel": [250, 100]}
SCOPE = Scope(Period(on(10), on(11)))


def respond(room, clock, reported: datetime, *dispatches: tuple[str, float],
            en_route: float, on_scene: float, category: str = "kebakaran") -> str:
    """A report at `reported`, dispatched to each (officer, seconds after the report) in
    turn, en route and on scene at those seconds (acknowledged on the way), resolved a
    minute later."""
    point = room.city.districts["36.71.03"].geometry.representative_point()
    clock.now = reported
    answers = {"orang-terjebak": "tidak"} if category == "kebakaran" else {}
    incident = report_incident(room, category=category, lat=point.y, lon=point.x,
                               source="112", by=SYSTEM, attributes=answers).id
    drain(room)
    for officer, seconds in dispatches:
        clock.now = reported + timedelta(seconds=seconds)
        assign_incident(room, incident, officer, by=SYSTEM,
                        reason="unit lebih dekat" if officer != dispatches[0][0] else None)
    clock.now = reported + timedelta(seconds=(dispatches[-1][1] + en_route) / 2)
    change_status(room, incident, "acknowledged", by=SYSTEM)
    for status, seconds in (("en_route", en_route), ("on_scene", on_scene),
                            ("resolved", on_scene + 60)):
        clock.now = reported + timedelta(seconds=seconds)
        change_status(room, incident, status, by=SYSTEM)
    drain(room)
    return incident


@pytest.fixture
def fires(room, clock):
    clock.now = wib(9, 8)
    for officer, name in (("dk-1", "Damar"), ("dk-2", "Bima")):
        register_officer(room, officer, name=name, agency="damkar", by=SYSTEM)
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", by=SYSTEM)
    start = wib(10, 0)  # three hours apart: none is a duplicate of the one before
    for officer, steps in (("dk-1", DAMAR), ("dk-2", BIMA)):
        for processing, turnout, travel in zip(*steps.values(), strict=True):
            respond(room, clock, start, (officer, processing),
                    en_route=processing + turnout, on_scene=processing + turnout + travel)
            start += timedelta(hours=3)
    respond(room, clock, start, ("dk-1", 45), ("dk-2", 100), en_route=160, on_scene=300)
    respond(room, clock, start + timedelta(hours=1), ("dlh-1", 500), en_route=900,
            on_scene=2000, category="sampah-menumpuk")
    respond(room, clock, wib(12, 9), ("dk-1", 300), en_route=600, on_scene=1200)
    drain(room)
    clock.now = wib(12, 12)


def figures(unit) -> dict:
    return {step: (s.count, s.percentile, s.within, s.within_share, s.met)
            for step, s in unit.steps.items()}


def test_each_units_p90_and_share_within_nfpa_targets(room, fires):
    overall, bima, damar = nfpa_times(room, SCOPE, by=MAYOR)
    assert (overall.agency, overall.unit, overall.responses) == ("damkar", None, 13)
    assert [(u.unit, u.name, u.responses) for u in (bima, damar)] == [
        ("dk-2", "Bima", 3), ("dk-1", "Damar", 10)]  # by name
    travel = (10, 239.0, 9, 90.0, True)
    assert figures(damar) == {"processing": (10, 70.0, 8, 80.0, False),
                              "turnout": (10, 80.0, 9, 90.0, True),
                              "travel": travel, "first_engine": travel}
    travel = (3, 250.0, 2, 66.7, False)
    assert figures(bima) == {"processing": (3, 61.0, 2, 66.7, False),
                             "turnout": (3, 90.0, 1, 33.3, False),
                             "travel": travel, "first_engine": travel}
    travel = (13, 250.0, 11, 84.6, False)
    assert figures(overall) == {"processing": (13, 70.0, 10, 76.9, False),
                                "turnout": (13, 90.0, 10, 76.9, False),
                                "travel": travel, "first_engine": travel}
    assert [overall.steps[s].target for s in overall.steps] == [60, 80, 240, 240]


def test_only_agencies_with_targets_in_the_scope_have_nfpa_figures(room, fires):
    assert nfpa_times(room, Scope(SCOPE.period, agency="kebersihan"), by=MAYOR) == []
    rubbish = person("spv", "supervisor", agencies=("kebersihan",))
    assert nfpa_times(room, SCOPE, by=rubbish) == []
    fire = person("spv", "supervisor", agencies=("damkar",))
    assert nfpa_times(room, SCOPE, by=fire)[0].responses == 13
    (nobody,) = nfpa_times(room, Scope(Period(MONTH, MONTH)), by=MAYOR)
    assert (nobody.responses, nobody.steps["travel"].percentile,
            nobody.steps["travel"].met) == (0, None, None)  # shown, with nothing to judge


def step(room, clock, incident: str, task: str, at: datetime, *statuses: str) -> None:
    clock.now = at
    for status in statuses:
        change_status(room, incident, status, task_id=task, by=SYSTEM)


@pytest.fixture
def engines(room, clock):
    """Seconds after the report:

        fire 1  dispatched at 50: Damkar 01 (dk-1, dk-2), Damkar 02 (dk-3), Dishub 01
                Damkar 01  en route 120, on scene 420: turnout 70, travel 300
                Damkar 02  en route 140, on scene 340: turnout 90, travel 200 (first)
                Dishub 01  en route 100, on scene 400 (no NFPA targets: not counted)
        fire 2  Eko (dk-5) alone at 30, en route 90, on scene 240: 30, 60, 150, 150
    """
    clock.now = wib(9, 8)
    for officer, agency in (("dk-1", "damkar"), ("dk-2", "damkar"), ("dk-3", "damkar"),
                            ("dh-1", "dishub")):
        register_officer(room, officer, name=officer.upper(), agency=agency, by=SYSTEM)
    register_officer(room, "dk-5", name="Eko", agency="damkar", by=SYSTEM)
    for unit, sign, agency, crew in (("dmk-01", "Damkar 01", "damkar", ["dk-1", "dk-2"]),
                                     ("dmk-02", "Damkar 02", "damkar", ["dk-3"]),
                                     ("dhb-01", "Dishub 01", "dishub", ["dh-1"])):
        register_unit(room, unit, call_sign=sign, agency=agency, crew=crew, by=SYSTEM)
    point = room.city.districts["36.71.03"].geometry.representative_point()
    reported = wib(10, 9)
    for n, at in enumerate((reported, reported + timedelta(hours=3))):
        clock.now = at
        fire = report_incident(room, category="kebakaran", lat=point.y + n / 100, lon=point.x,
                               source="112", by=SYSTEM,
                               attributes={"orang-terjebak": "tidak"}).id
        if n == 0:
            clock.now = at + timedelta(seconds=50)
            dispatch_incident(room, fire, units=["dmk-01", "dmk-02", "dhb-01"], by=SYSTEM)
            for task, en_route, on_scene in (("1", 120, 420), ("2", 140, 340),
                                             ("3", 100, 400)):
                step(room, clock, fire, task, at + timedelta(seconds=en_route),
                     "acknowledged", "en_route")
                step(room, clock, fire, task, at + timedelta(seconds=on_scene), "on_scene")
        else:
            clock.now = at + timedelta(seconds=30)
            dispatch_incident(room, fire, officers=["dk-5"], by=SYSTEM)
            step(room, clock, fire, "1", at + timedelta(seconds=90), "acknowledged",
                 "en_route")
            step(room, clock, fire, "1", at + timedelta(seconds=240), "on_scene")
    drain(room)
    clock.now = wib(12, 12)


def test_each_unit_by_call_sign_and_the_first_engine_to_arrive(room, engines):
    overall, first, second, eko = nfpa_times(room, SCOPE, by=MAYOR)
    assert [(u.unit, u.name, u.responses) for u in (overall, first, second, eko)] == [
        (None, "", 3), ("dmk-01", "Damkar 01", 1), ("dmk-02", "Damkar 02", 1),
        ("dk-5", "Eko", 1)]  # Dishub's unit: no targets, not here
    assert figures(overall) == {"processing": (2, 50.0, 2, 100.0, True),  # per incident
                                "turnout": (3, 90.0, 2, 66.7, False),  # per unit
                                "travel": (3, 300.0, 2, 66.7, False),
                                "first_engine": (2, 200.0, 2, 100.0, True)}  # per incident
    assert figures(first)["first_engine"] == (0, None, 0, None, None)  # arrived second
    assert figures(first)["travel"] == (1, 300.0, 0, 0.0, False)
    assert figures(second) == {"processing": (1, 50.0, 1, 100.0, True),
                               "turnout": (1, 90.0, 0, 0.0, False),
                               "travel": (1, 200.0, 1, 100.0, True),
                               "first_engine": (1, 200.0, 1, 100.0, True)}
    assert figures(eko)["first_engine"] == (1, 150.0, 1, 100.0, True)

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

Beside them a rubbish incident and a fire reported the day after the period: not counted.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from liveroom.access import SYSTEM
from liveroom.commands.incidents import assign_incident, change_status, report_incident
from liveroom.commands.officers import register_officer
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
    assert figures(damar) == {"processing": (10, 70.0, 8, 80.0, False),
                              "turnout": (10, 80.0, 9, 90.0, True),
                              "travel": (10, 239.0, 9, 90.0, True)}
    assert figures(bima) == {"processing": (3, 61.0, 2, 66.7, False),
                             "turnout": (3, 90.0, 1, 33.3, False),
                             "travel": (3, 250.0, 2, 66.7, False)}
    assert figures(overall) == {"processing": (13, 70.0, 10, 76.9, False),
                                "turnout": (13, 90.0, 10, 76.9, False),
                                "travel": (13, 250.0, 11, 84.6, False)}
    assert [overall.steps[s].target for s in overall.steps] == [60, 80, 240]


def test_only_agencies_with_targets_in_the_scope_have_nfpa_figures(room, fires):
    assert nfpa_times(room, Scope(SCOPE.period, agency="kebersihan"), by=MAYOR) == []
    rubbish = person("spv", "supervisor", agencies=("kebersihan",))
    assert nfpa_times(room, SCOPE, by=rubbish) == []
    fire = person("spv", "supervisor", agencies=("damkar",))
    assert nfpa_times(room, SCOPE, by=fire)[0].responses == 13
    (nobody,) = nfpa_times(room, Scope(Period(MONTH, MONTH)), by=MAYOR)
    assert (nobody.responses, nobody.steps["travel"].percentile,
            nobody.steps["travel"].met) == (0, None, None)  # shown, with nothing to judge

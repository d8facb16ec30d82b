"""Tasks in the incident aggregate: an incident stored before tasks (its events at their old
versions, literal as they were stored) reads back as the one-task case, and the rules of
several tasks as a city sets them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liveroom.cities import load_city
from liveroom.cities.dispatch import DispatchRules
from liveroom.domain.errors import DomainError
from liveroom.domain.events import IncidentStatusChanged, TaskReleased, decode
from liveroom.domain.incident import Incident, decide_dispatch, decide_status, evolve
from liveroom.domain.lifecycle import Status, TaskStatus
from liveroom.domain.officer import Officer
from liveroom.domain.unit import Unit

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # (pure domain: no clock, no store)
ABOUT = '"incident_id":"261123-ABCDE","actor":"user:ops"'


def stored(kind: str, version: int, body: str) -> dict[str, str]:
    return {"type": kind, "v": str(version), "agg": "261123-ABCDE", "data": "{" + body + "}"}


#: one incident's whole life as stored before tasks: reported, triaged, assigned to one officer,
#: reassigned, acknowledged .. resolved by the officer, closed
BEFORE_TASKS = [
    stored("report.received", 1, ABOUT + ',"occurred_at":"2026-11-23T01:00:00Z",'
           '"category":"sampah-menumpuk","lat":-6.18,"lon":106.63,"source":"open311"'),
    stored("report.triaged", 1, ABOUT + ',"occurred_at":"2026-11-23T01:00:00Z",'
           '"from_status":"received","category":"sampah-menumpuk","agency":"kebersihan",'
           '"priority":3,"district":"36.71.01","acknowledge_due":"2026-11-23T02:00:00Z",'
           '"resolve_due":"2026-11-24T01:00:00Z"'),
    stored("incident.assigned", 1, ABOUT + ',"occurred_at":"2026-11-23T01:05:00Z",'
           '"from_status":"triaged","officer_id":"dlh-01","agency":"kebersihan",'
           '"previous_agency":"kebersihan"'),
    stored("incident.reassigned", 1, ABOUT + ',"occurred_at":"2026-11-23T01:07:00Z",'
           '"from_status":"assigned","officer_id":"dlh-02","previous_officer_id":"dlh-01",'
           '"agency":"kebersihan","previous_agency":"kebersihan","reason":"lebih dekat"'),
    stored("incident.status_changed", 1, ABOUT + ',"occurred_at":"2026-11-23T01:10:00Z",'
           '"from_status":"assigned","to_status":"acknowledged","agency":"kebersihan",'
           '"officer_id":"dlh-02"'),
    stored("incident.status_changed", 2, ABOUT + ',"occurred_at":"2026-11-23T01:12:00Z",'
           '"from_status":"acknowledged","to_status":"en_route","agency":"kebersihan",'
           '"officer_id":"dlh-02"'),
    stored("incident.status_changed", 2, ABOUT + ',"occurred_at":"2026-11-23T01:30:00Z",'
           '"from_status":"en_route","to_status":"on_scene","agency":"kebersihan",'
           '"officer_id":"dlh-02"'),
    stored("incident.status_changed", 2, ABOUT + ',"occurred_at":"2026-11-23T02:10:00Z",'
           '"from_status":"on_scene","to_status":"resolved","agency":"kebersihan",'
           '"officer_id":"dlh-02","media_url":"/media/a.jpg"'),
    stored("incident.status_changed", 2, ABOUT + ',"occurred_at":"2026-11-23T05:00:00Z",'
           '"from_status":"resolved","to_status":"closed","agency":"kebersihan",'
           '"officer_id":"dlh-02"'),
]


def fold(entries) -> object:
    state = None
    for fields in entries:
        state = evolve(state, decode(fields))
    return state


def test_an_incident_stored_before_tasks_is_the_one_task_case():
    states = []
    state = None
    for fields in BEFORE_TASKS:
        state = evolve(state, decode(fields))
        states.append(state)
    assigned, reassigned, acknowledged = states[2], states[3], states[4]
    assert [(t.id, t.officer_id, t.status) for t in assigned.tasks] == [
        ("1", "dlh-01", TaskStatus.ASSIGNED)]
    assert (reassigned.officer_id, reassigned.tasks[0].crew) == ("dlh-02", ["dlh-02"])
    assert acknowledged.acknowledged_at == datetime(2026, 11, 23, 1, 10, tzinfo=UTC)
    closed = states[-1]
    assert closed.status is Status.CLOSED and closed.officer_id == "dlh-02"
    assert [(t.id, t.status) for t in closed.tasks] == [("1", TaskStatus.DONE)]
    assert closed.resolved_at == datetime(2026, 11, 23, 2, 10, tzinfo=UTC)


def test_a_snapshot_stored_before_tasks_reads_as_its_events_do():
    """An aggregate state saved before tasks (no `tasks` key) is task 1 too, so a command
    on it decides as it would after `rebuild`."""
    replayed = fold(BEFORE_TASKS[:6])
    old = replayed.model_dump(mode="json", exclude={"tasks", "reporters"})
    assert Incident.model_validate(old).tasks[0].model_dump(exclude={"since"}) == \
        replayed.tasks[0].model_dump(exclude={"since"})


def test_a_rejection_before_tasks_released_its_officer():
    rejected = stored("incident.status_changed", 1, ABOUT + ',"occurred_at":"2026-11-23T01:20:00Z"'
                      ',"from_status":"assigned","to_status":"rejected","agency":"kebersihan",'
                      '"officer_id":"dlh-01","reason":"bukan wewenang"')
    state = fold([*BEFORE_TASKS[:3], rejected])
    assert [t.status for t in state.tasks] == [TaskStatus.RELEASED]
    assert state.running_tasks == [] and state.tasks[0].reason == "bukan wewenang"


@pytest.fixture(scope="module")
def city():
    return load_city("tangerang")


def fire(city):
    """A fire, triaged, with two Damkar engines and a Dishub car on it."""
    state = fold(BEFORE_TASKS[:2])
    state = state.model_copy(update={"category": "kebakaran", "agency": "damkar"})
    units = [Unit(id=u, call_sign=u, agency=a, crew=[f"{u}-a"]) for u, a in
             (("dk1", "damkar"), ("dk2", "damkar"), ("dh1", "dishub"))]
    for unit in units:
        state = evolve(state, decide_dispatch(state, NOW, "ops", unit=unit))
    return state


def moved(state, task_id: str, *steps: str, rules: DispatchRules | None = None):
    rules = rules or DispatchRules()
    for step in steps:
        for event in decide_status(state, Status(step), NOW, "ops", rules=rules,
                                   task_id=task_id):
            state = evolve(state, event)
    return state


def test_the_incident_is_as_far_as_its_furthest_task(city):
    state = moved(fire(city), "2", "acknowledged", "en_route")
    assert state.status is Status.EN_ROUTE
    state = moved(state, "3", "acknowledged", "en_route", "on_scene")
    assert state.status is Status.ON_SCENE


def test_the_lead_closing_it_resolves_it_and_stands_the_rest_down(city):
    state = moved(fire(city), "1", "acknowledged", "en_route", "on_scene")
    state = moved(state, "3", "acknowledged")
    state = moved(state, "1", "resolved")
    assert state.status is Status.ACKNOWLEDGED  # the second engine and Dishub are still out
    state = moved(state, "2", "acknowledged", "en_route", "on_scene", "resolved")
    assert state.status is Status.RESOLVED
    assert [t.status for t in state.tasks] == [TaskStatus.DONE, TaskStatus.DONE,
                                               TaskStatus.RELEASED]
    assert state.tasks[2].reason == "resolved"


def test_a_city_may_let_other_agencies_carry_on_after_the_lead(city):
    rules = DispatchRules(after_lead="continue")
    state = moved(fire(city), "1", "acknowledged", "en_route", "on_scene", rules=rules)
    state = moved(state, "2", "acknowledged", "en_route", "on_scene", rules=rules)
    state = moved(state, "1", "resolved", rules=rules)
    state = moved(state, "2", "resolved", rules=rules)
    assert state.status is Status.RESOLVED
    assert [t.status for t in state.running_tasks] == [TaskStatus.ASSIGNED]  # Dishub's
    state = moved(state, "3", "acknowledged", rules=rules)
    assert state.status is Status.RESOLVED and state.tasks[2].status is TaskStatus.ACKNOWLEDGED


def test_all_tasks_done_resolves_it_where_the_city_says_so(city):
    rules = DispatchRules(resolve_when="all_tasks")
    state = fire(city)
    for task_id in ("1", "2"):
        state = moved(state, task_id, "acknowledged", "en_route", "on_scene", "resolved",
                      rules=rules)
    assert state.status is Status.ASSIGNED  # Dishub's car is still to come
    state = moved(state, "3", "acknowledged", "en_route", "on_scene", "resolved", rules=rules)
    assert state.status is Status.RESOLVED


def test_a_task_skips_no_step_and_a_unit_goes_once(city):
    state = fire(city)
    with pytest.raises(DomainError, match="cannot become on_scene"):
        moved(state, "1", "on_scene")
    with pytest.raises(DomainError, match="already"):
        decide_dispatch(state, NOW, "ops", unit=Unit(id="dk1", call_sign="dk1",
                                                     agency="damkar"))
    officer = Officer(id="pp1", name="Pak PP", agency="satpolpp")
    added = decide_dispatch(state, NOW, "ops", officer=officer)
    assert (added.task_id, added.crew, added.lead_agency) == ("4", ["pp1"], None)


def test_rejecting_stands_every_task_down_first(city):
    events = decide_status(fire(city), Status.REJECTED, NOW + timedelta(minutes=1), "ops",
                           reason="laporan palsu")
    assert [type(e) for e in events] == [TaskReleased] * 3 + [IncidentStatusChanged]
    assert {e.reason for e in events} == {"laporan palsu"}

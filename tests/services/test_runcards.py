"""Run cards through the real services and Redis: what `recommend` offers an incident (its
most specific card, the nearest units that can go, what already runs subtracted, officers
where units are short, the next alarm), and sending a card in one command."""

from __future__ import annotations

import pytest

from liveroom.access import SYSTEM
from liveroom.commands.incidents import (
    dispatch_incident,
    get_incident,
    incident_version,
    report_incident,
)
from liveroom.commands.officers import check_in, record_locations, register_officer
from liveroom.commands.units import change_unit, register_unit, set_unit_status
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import OfficerLocated
from liveroom.live.runcards import dispatch_card, named_tasks, picks, recommend
from tests.conftest import drain, person

OPERATOR = person("opi", "operator")
FIRE = {"orang-terjebak": "tidak", "objek-terbakar": "rumah"}


@pytest.fixture
def scene(room):
    """A damkar post's centre: fires are reported here, crews stand around it."""
    return next(p for p in room.city.posts.values() if p.agency == "damkar").centre


def officer(room, clock, officer_id: str, agency: str, where: tuple[float, float],
            on_duty: bool = False) -> None:
    """A registered officer with a fix at `where` (checked in at a post if `on_duty`)."""
    register_officer(room, officer_id, name=f"Pak {officer_id}", agency=agency, by=SYSTEM)
    if on_duty:
        post = next(p for p in room.city.posts.values() if p.agency == agency)
        check_in(room, officer_id, post_id=post.id, lat=post.centre[0], lon=post.centre[1],
                 accuracy=5, by=SYSTEM)
    record_locations(room, [OfficerLocated(officer_id=officer_id, occurred_at=clock.now,
                                           actor="device", lat=where[0], lon=where[1],
                                           accuracy=5)], by=SYSTEM)


def unit(room, clock, unit_id: str, agency: str, where: tuple[float, float],
         crew: int = 2) -> None:
    """A unit whose crew stands at `where` (so the unit does)."""
    members = [f"{unit_id}-{n}" for n in range(crew)]
    for member in members:
        officer(room, clock, member, agency, where)
    register_unit(room, unit_id, call_sign=unit_id.upper(), agency=agency, crew=members,
                  by=SYSTEM)


def north(scene, degrees: float) -> tuple[float, float]:
    return scene[0] + degrees, scene[1]


def fire(room, scene, answers=FIRE):
    reported = report_incident(room, category="kebakaran", lat=scene[0], lon=scene[1],
                               source="t", by=SYSTEM, attributes=answers)
    drain(room)
    return reported


def test_the_most_specific_card_is_chosen_by_the_incidents_answers(room, clock, scene):
    plain = recommend(room, fire(room, scene).id, by=OPERATOR)
    assert plain.card.when == {}
    assert [(line.agency, line.wanted) for line in plain.lines] == [
        ("damkar", 2), ("dishub", 1), ("satpolpp", 1)]
    factory = fire(room, scene, {"orang-terjebak": "ya", "objek-terbakar": "pabrik-gudang"})
    both = recommend(room, factory.id, by=OPERATOR)
    assert both.card.when == {"orang-terjebak": "ya", "objek-terbakar": "pabrik-gudang"}
    assert {line.agency: line.wanted for line in both.lines} == {
        "damkar": 5, "dishub": 2, "satpolpp": 2}


def test_the_nearest_units_that_can_go_come_first(room, clock, scene):
    unit(room, clock, "dk-far", "damkar", north(scene, 0.03))
    unit(room, clock, "dk-mid", "damkar", north(scene, 0.01))
    unit(room, clock, "dk-near", "damkar", north(scene, 0.005))
    unit(room, clock, "dk-busy", "damkar", north(scene, 0.001))
    unit(room, clock, "dk-broken", "damkar", north(scene, 0.002))
    unit(room, clock, "dk-gone", "damkar", north(scene, 0.003))
    set_unit_status(room, "dk-broken", "out_of_service", by=SYSTEM, reason="pompa rusak")
    change_unit(room, "dk-gone", active=False, by=SYSTEM)
    elsewhere = fire(room, north(scene, 0.02))
    dispatch_incident(room, elsewhere.id, units=["dk-busy"], by=SYSTEM)
    incident = fire(room, scene)
    found = recommend(room, incident.id, by=OPERATOR)
    damkar = found.lines[0]
    assert damkar.agency == "damkar" and damkar.needed == 2 and damkar.short == 0
    assert [c.id for c in damkar.candidates] == ["dk-near", "dk-mid"]
    near = damkar.candidates[0]
    assert near.kind == "unit" and near.label == "DK-NEAR" and near.crew == (
        "dk-near-0", "dk-near-1")
    assert 500 < near.distance_m < 600
    assert near.eta.minutes == pytest.approx(near.distance_m / 1000 / 25 * 60, abs=0.1)
    offered = {c.id for c in [*found.chosen, *found.more]}
    assert "dk-far" in {c.id for c in found.more}
    assert not offered & {"dk-busy", "dk-broken", "dk-gone"}


def test_what_already_runs_is_subtracted(room, clock, scene):
    for name, degrees in (("dk-1", 0.004), ("dk-2", 0.008), ("dk-3", 0.012)):
        unit(room, clock, name, "damkar", north(scene, degrees))
    unit(room, clock, "dh-1", "dishub", north(scene, 0.006))
    incident = fire(room, scene)
    dispatch_incident(room, incident.id, units=["dk-1", "dh-1"], by=SYSTEM)
    drain(room)
    found = recommend(room, incident.id, by=OPERATOR)
    lines = {line.agency: line for line in found.lines}
    assert (lines["damkar"].running, lines["damkar"].needed) == (1, 1)
    assert [c.id for c in lines["damkar"].candidates] == ["dk-2"]
    assert lines["dishub"].needed == 0 and lines["dishub"].candidates == ()
    assert not found.complete
    # before the view has caught up: the aggregate says what runs
    dispatch_incident(room, incident.id, units=["dk-2"], by=SYSTEM)
    fresh = recommend(room, incident.id, by=OPERATOR,
                      incident=get_incident(room, incident.id))
    assert {line.agency: line.running for line in fresh.lines}["damkar"] == 2


def test_officers_fill_in_where_units_are_short(room, clock, scene):
    unit(room, clock, "dk-1", "damkar", north(scene, 0.004))
    officer(room, clock, "pp-near", "satpolpp", north(scene, 0.002), on_duty=True)
    officer(room, clock, "pp-far", "satpolpp", north(scene, 0.02), on_duty=True)
    officer(room, clock, "dh-home", "dishub", north(scene, 0.001))  # not on duty
    officer(room, clock, "dk-solo", "damkar", north(scene, 0.001), on_duty=True)
    incident = fire(room, scene)
    found = recommend(room, incident.id, by=OPERATOR)
    lines = {line.agency: line for line in found.lines}
    assert [(c.kind, c.id) for c in lines["damkar"].candidates] == [
        ("unit", "dk-1"), ("officer", "dk-solo")]  # the unit first, though further
    assert [(c.kind, c.id, c.label) for c in lines["satpolpp"].candidates] == [
        ("officer", "pp-near", "Pak pp-near")]
    assert lines["satpolpp"].candidates[0].eta is not None
    assert lines["dishub"].candidates == () and lines["dishub"].short == 1
    assert "pp-far" in {c.id for c in found.more}


def test_a_units_crew_is_not_offered_again_as_officers(room, clock, scene):
    officer(room, clock, "dk-a", "damkar", north(scene, 0.003), on_duty=True)
    register_unit(room, "dk-1", call_sign="DK-1", agency="damkar", crew=["dk-a"], by=SYSTEM)
    incident = fire(room, scene)
    damkar = recommend(room, incident.id, by=OPERATOR).lines[0]
    assert [(c.kind, c.id) for c in damkar.candidates] == [("unit", "dk-1")]


def test_the_second_alarm_adds_the_next_level(room, clock, scene):
    for n in range(5):
        unit(room, clock, f"dk-{n}", "damkar", north(scene, 0.004 * (n + 1)))
    incident = fire(room, scene)
    first = recommend(room, incident.id, by=OPERATOR)
    assert first.has_next and dict(first.next_level) == {"damkar": 2}
    dispatch_card(room, incident.id, first.chosen, by=OPERATOR)
    drain(room)
    assert recommend(room, incident.id, by=OPERATOR).lines[0].needed == 0
    second = recommend(room, incident.id, by=OPERATOR, alarm=2)
    damkar = second.lines[0]
    assert (damkar.wanted, damkar.running, damkar.needed) == (4, 2, 2)
    assert [c.id for c in damkar.candidates] == ["dk-2", "dk-3"]
    assert second.has_next
    last = recommend(room, incident.id, by=OPERATOR, alarm=3)
    assert not last.has_next and last.lines[0].wanted == 6


def test_a_card_of_three_units_of_two_agencies_is_one_dispatch(room, clock, scene):
    unit(room, clock, "dk-1", "damkar", north(scene, 0.004))
    unit(room, clock, "dk-2", "damkar", north(scene, 0.008))
    unit(room, clock, "dh-1", "dishub", north(scene, 0.006))
    incident = fire(room, scene)
    found = recommend(room, incident.id, by=OPERATOR)
    sent = dispatch_card(room, incident.id, found.chosen, by=OPERATOR)
    assert sorted((t.unit_id, t.agency) for t in sent.running_tasks) == [
        ("dh-1", "dishub"), ("dk-1", "damkar"), ("dk-2", "damkar")]
    assert sent.agency == "damkar"  # the lead stays the category's
    drain(room)
    named = named_tasks(room, room.redis.hgetall(room.live.incident(incident.id)))
    assert [(n.task.unit_id, n.label, n.task.status.value) for n in named] == [
        ("dk-1", "DK-1", "assigned"), ("dk-2", "DK-2", "assigned"),
        ("dh-1", "DH-1", "assigned")]


def test_a_busy_unit_refuses_the_whole_card_and_nothing_is_appended(room, clock, scene):
    for name, agency in (("dk-1", "damkar"), ("dk-2", "damkar"), ("dh-1", "dishub")):
        unit(room, clock, name, agency, north(scene, 0.005))
    incident = fire(room, scene)
    chosen = recommend(room, incident.id, by=OPERATOR).chosen
    other = fire(room, north(scene, 0.01))
    dispatch_incident(room, other.id, units=["dk-2"], by=SYSTEM)  # taken meanwhile
    stream = room.keys.stream("incidents")
    length, version = room.redis.xlen(stream), incident_version(room, incident.id)
    with pytest.raises(InvalidCommand) as refused:
        dispatch_card(room, incident.id, chosen, by=OPERATOR)
    assert refused.value.code == "unit_busy" and refused.value.params["unit"] == "DK-2"
    assert room.redis.xlen(stream) == length
    assert incident_version(room, incident.id) == version
    assert get_incident(room, incident.id).tasks == []
    for unit_id in ("dk-1", "dh-1"):
        assert room.redis.get(room.keys.claim(f"unit:{unit_id}")) is None


def test_picks_are_units_or_officers():
    assert picks(["unit:dk-1", "officer:pp-1", "unit:dh-1"]) == (["dk-1", "dh-1"], ["pp-1"])
    with pytest.raises(InvalidCommand):
        picks(["truck:dk-1"])

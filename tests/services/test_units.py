"""The unit board from the live model: each unit's status, its time in it against the
room's clock and the colour the city's `board_minutes` give it, the task it is on, its
crew; who sees which board; what a change tells a board; the admin's roster."""

from __future__ import annotations

import pytest

from liveroom.access import SYSTEM, Forbidden
from liveroom.commands.incidents import change_status, dispatch_incident, report_incident
from liveroom.commands.officers import register_officer
from liveroom.commands.units import change_unit, get_unit, register_unit, set_unit_status
from liveroom.domain.errors import NotFound
from liveroom.live.changes import Change, changes_since, current_version
from liveroom.live.units import (
    board_agencies,
    concerns,
    live_unit,
    unit_board,
    unit_boards,
    unit_roster,
)
from liveroom.projections.rebuild import rebuild
from tests.conftest import drain, person

OPERATOR = person("opi", "operator")
DISHUB_OPERATOR = person("dina", "operator", agencies=("dishub",))


@pytest.fixture
def engines(room):
    """Two damkar engines with crews (Damkar 02 first registered), a dishub car."""
    for officer_id, name, agency in (("dk-1", "Agus Santoso", "damkar"),
                                     ("dk-2", "Budi Wijaya", "damkar"),
                                     ("dk-3", "Dewi Lestari", "damkar"),
                                     ("dh-1", "Eko Pratama", "dishub")):
        register_officer(room, officer_id, name=name, agency=agency, by=SYSTEM)
    register_unit(room, "damkar-02", call_sign="Damkar 02", agency="damkar", crew=["dk-3"],
                  kind="mobil pemadam", by=SYSTEM)
    register_unit(room, "damkar-01", call_sign="Damkar 01", agency="damkar",
                  crew=["dk-1", "dk-2"], kind="mobil pemadam", by=SYSTEM)
    register_unit(room, "dishub-01", call_sign="Dishub 01", agency="dishub", crew=["dh-1"],
                  by=SYSTEM)
    drain(room)


def fire(room, point, address="Jl. Merdeka 1"):
    return report_incident(room, category="kebakaran", lat=point[0], lon=point[1], source="t",
                           by=SYSTEM, address=address, attributes={"orang-terjebak": "tidak"})


def test_available_units_show_their_crews_by_name_sorted_by_call_sign(room, engines):
    board = unit_board(room, "damkar", by=OPERATOR)
    assert [row.call_sign for row in board] == ["Damkar 01", "Damkar 02"]
    first = board[0]
    assert (first.status, first.colour, first.minutes) == ("available", "normal", 0.0)
    assert first.crew == ("Agus Santoso", "Budi Wijaya") and first.kind == "mobil pemadam"
    assert first.incident_id == "" and first.since == room.clock()


def test_a_dispatched_unit_turns_amber_then_red_with_time_alone(room, clock, engines,
                                                                tangerang_point):
    incident = fire(room, tangerang_point)
    dispatch_incident(room, incident.id, units=["damkar-02"], by=SYSTEM)
    drain(room)
    board = unit_board(room, "damkar", by=OPERATOR)
    assert [(row.call_sign, row.status) for row in board] == [
        ("Damkar 02", "dispatched"), ("Damkar 01", "available")]  # at work first
    sent = board[0]
    assert (sent.incident_id, sent.task_id, sent.category, sent.address) == (
        incident.id, "1", "kebakaran", "Jl. Merdeka 1")
    assert (sent.colour, sent.minutes) == ("normal", 0.0)
    clock.advance(minutes=1)
    change_status(room, incident.id, "acknowledged", task_id="1", by=SYSTEM)
    drain(room)  # (still dispatched: since its dispatch)
    clock.advance(minutes=1)  # the pack's dispatched: amber from 2, red from 5
    sent = unit_board(room, "damkar", by=OPERATOR)[0]
    assert (sent.status, sent.colour, sent.minutes) == ("dispatched", "amber", 2.0)
    clock.advance(minutes=3)
    assert unit_board(room, "damkar", by=OPERATOR)[0].colour == "red"

    change_status(room, incident.id, "en_route", task_id="1", by=SYSTEM)
    drain(room)
    moving = unit_board(room, "damkar", by=OPERATOR)[0]
    assert (moving.status, moving.colour, moving.minutes) == ("en_route", "normal", 0.0)
    clock.advance(minutes=10)
    assert unit_board(room, "damkar", by=OPERATOR)[0].colour == "amber"


def test_out_of_service_says_why_and_counts_from_when_it_was_set(room, clock, engines):
    clock.advance(minutes=30)
    set_unit_status(room, "damkar-01", "out_of_service", reason="ban bocor", by=SYSTEM)
    drain(room)
    clock.advance(hours=8)
    board = unit_board(room, "damkar", by=OPERATOR)
    broken = board[0]  # (out of service before the available ones)
    assert (broken.call_sign, broken.status, broken.reason, broken.colour) == (
        "Damkar 01", "out_of_service", "ban bocor", "amber")
    assert broken.minutes == 480.0


def test_each_principal_sees_the_boards_of_their_agencies(room, engines):
    assert board_agencies(room.city, OPERATOR) == list(room.city.agencies)
    assert board_agencies(room.city, DISHUB_OPERATOR) == ["dishub"]
    assert board_agencies(room.city, OPERATOR, "damkar") == ["damkar"]
    with pytest.raises(Forbidden):
        board_agencies(room.city, DISHUB_OPERATOR, "damkar")
    with pytest.raises(Forbidden):
        unit_board(room, "damkar", by=DISHUB_OPERATOR)
    with pytest.raises(NotFound):
        board_agencies(room.city, OPERATOR, "atlantis")
    boards = unit_boards(room, ["dishub", "damkar"], by=OPERATOR)
    assert [row.id for row in boards["dishub"]] == ["dishub-01"]
    assert len(boards["damkar"]) == 2


def test_a_change_names_the_units_it_touched_and_tells_a_board_so(room, engines,
                                                                  tangerang_point):
    seen = current_version(room)
    set_unit_status(room, "damkar-01", "returning", by=SYSTEM)
    drain(room)
    changed = changes_since(room, seen)
    assert changed.units == {"damkar-01"}
    assert concerns(changed, incidents=())
    incident = fire(room, tangerang_point)
    dispatch_incident(room, incident.id, units=["damkar-02"], by=SYSTEM)
    drain(room)
    later = changes_since(room, changed.version)
    assert later.units == {"damkar-02"}
    assert changed.merge(later).units == {"damkar-01", "damkar-02"}
    elsewhere = Change("1-0", incidents={"other": None})
    assert not concerns(elsewhere, incidents=[incident.id])
    assert concerns(Change("1-0", incidents={incident.id: None}), incidents=[incident.id])


def test_the_roster_keeps_a_deactivated_unit_and_a_fresh_one_before_the_view_has_it(
        room, engines):
    admin = person("root", "admin")
    change_unit(room, "damkar-02", active=False, by=admin)
    drain(room)
    assert [row.id for row in unit_board(room, "damkar", by=admin)] == ["damkar-01"]
    fresh = register_unit(room, "damkar-03", call_sign="Damkar 03", agency="damkar",
                          by=admin)  # (not drained: the live model has not seen it)
    roster = unit_roster(room, ["damkar"], by=admin, fresh=[fresh])
    assert [(u.id, u.active) for u in roster] == [
        ("damkar-01", True), ("damkar-02", False), ("damkar-03", True)]
    assert live_unit(room, "damkar-01", by=admin).crew == ("dk-1", "dk-2")
    with pytest.raises(Forbidden):
        unit_roster(room, ["damkar"], by=OPERATOR)  # operators do not manage units


def test_a_rebuild_restores_the_units_and_their_board(room, clock, engines, tangerang_point):
    incident = fire(room, tangerang_point)
    dispatch_incident(room, incident.id, units=["damkar-01"], by=SYSTEM)
    clock.advance(minutes=1)
    change_status(room, incident.id, "acknowledged", task_id="1", by=SYSTEM)
    clock.advance(minutes=2)
    set_unit_status(room, "damkar-02", "out_of_service", reason="ban bocor", by=SYSTEM)
    drain(room)
    boards = unit_boards(room, ["damkar", "dishub"], by=OPERATOR)
    assert boards["damkar"][0].minutes == 3.0  # (dispatched since its dispatch)
    units = {unit_id: get_unit(room, unit_id) for unit_id in ("damkar-01", "damkar-02")}
    room.redis.delete(*(room.keys.aggregate("unit", unit_id) for unit_id in units))
    rebuild(room)
    assert unit_boards(room, ["damkar", "dishub"], by=OPERATOR) == boards
    assert {unit_id: get_unit(room, unit_id) for unit_id in units} == units

"""A unit's task on its crew's phones and on the live model: every crew member sees it and
moves it, the unit's status follows its task and its crew's position, and a unit that is
busy elsewhere is refused with its call sign."""

from __future__ import annotations

from datetime import timedelta

import pytest

from liveroom.access import SYSTEM
from liveroom.commands.incidents import change_status, dispatch_incident, report_incident
from liveroom.commands.officers import record_locations, register_officer
from liveroom.commands.units import change_unit, register_unit, set_unit_status
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import OfficerLocated
from liveroom.live.field import departed, field_state, resolve_task
from tests.conftest import drain, person
from tests.services.test_field import photo_bytes


@pytest.fixture
def fire(room, tangerang_point):
    for officer_id, agency in (("dk-1", "damkar"), ("dk-2", "damkar"), ("dk-3", "damkar"),
                               ("dh-1", "dishub")):
        register_officer(room, officer_id, name=officer_id.upper(), agency=agency, by=SYSTEM)
    register_unit(room, "damkar-01", call_sign="Damkar 01", agency="damkar",
                  crew=["dk-1", "dk-2"], by=SYSTEM)
    register_unit(room, "damkar-02", call_sign="Damkar 02", agency="damkar", crew=["dk-3"],
                  by=SYSTEM)
    register_unit(room, "dishub-01", call_sign="Dishub 01", agency="dishub", crew=["dh-1"],
                  by=SYSTEM)
    lat, lon = tangerang_point
    incident = report_incident(room, category="kebakaran", lat=lat, lon=lon, source="t",
                               attributes={"orang-terjebak": "tidak"}, by=SYSTEM)
    return incident.id


def crew(officer_id: str, agency: str = "damkar"):
    return person(officer_id, "officer", agencies=(agency,), officer_id=officer_id)


def unit(room, unit_id: str) -> dict:
    return room.redis.hgetall(room.live.unit(unit_id))


def test_every_crew_member_sees_the_units_task_and_either_moves_it(room, fire):
    dispatch_incident(room, fire, units=["damkar-01", "dishub-01"], by=SYSTEM)
    drain(room)
    for officer_id in ("dk-1", "dk-2"):
        [task] = field_state(room, crew(officer_id), "id")["tasks"]
        assert (task["id"], task["unit"], task["next"], task["others"]) == (
            fire, "Damkar 01", "acknowledged", 1)
    assert unit(room, "damkar-01")["status"] == "dispatched"
    change_status(room, fire, "acknowledged", by=crew("dk-2"))
    change_status(room, fire, "en_route", by=crew("dk-1"))
    drain(room)
    assert field_state(room, crew("dk-2"), "id")["tasks"][0]["next"] == "on_scene"
    [dishub] = field_state(room, crew("dh-1", "dishub"), "id")["tasks"]
    assert dishub["next"] == "acknowledged"  # its own task, not the engine's
    assert (unit(room, "damkar-01")["status"], unit(room, "damkar-01")["incident_id"]) == (
        "en_route", fire)


def test_the_lead_resolving_stands_the_others_down_and_frees_them(room, fire):
    dispatch_incident(room, fire, units=["damkar-01", "dishub-01"], by=SYSTEM)
    for step in ("acknowledged", "en_route", "on_scene"):
        change_status(room, fire, step, by=crew("dk-1"))
    drain(room)
    before = [fire]
    resolve_task(room, fire, by=crew("dk-1"), note="Api padam", photo=photo_bytes())
    drain(room)
    assert room.redis.hget(room.live.incident(fire), "status") == "resolved"
    assert field_state(room, crew("dh-1", "dishub"), "id")["tasks"] == []
    assert departed(room, "dh-1", before, [])[0].why == "closed"
    assert departed(room, "dk-2", before, [])[0].why == "resolved"
    assert unit(room, "damkar-01")["status"] == "returning"
    assert unit(room, "dishub-01")["status"] == "available"
    set_unit_status(room, "damkar-01", "available", by=crew("dk-2"))
    drain(room)
    assert unit(room, "damkar-01")["status"] == "available"


def test_a_unit_busy_elsewhere_is_refused_with_its_call_sign(room, fire, tangerang_point):
    lat, lon = tangerang_point
    other = report_incident(room, category="kebakaran", lat=lat, lon=lon + 0.02, source="t",
                            attributes={"orang-terjebak": "ya"}, by=SYSTEM)
    dispatch_incident(room, fire, units=["damkar-01"], by=SYSTEM)
    with pytest.raises(InvalidCommand) as busy:
        dispatch_incident(room, other.id, units=["damkar-02", "damkar-01"], by=SYSTEM)
    assert (busy.value.code, busy.value.params["unit"]) == ("unit_busy", "Damkar 01")
    drain(room)
    assert unit(room, "damkar-02")["status"] == "available"  # all or nothing
    with pytest.raises(InvalidCommand, match="its task says where it is"):
        set_unit_status(room, "damkar-01", "out_of_service", reason="ban bocor", by=SYSTEM)
    with pytest.raises(InvalidCommand, match="its task says where it is"):
        change_unit(room, "damkar-01", active=False, by=SYSTEM)


def test_a_unit_is_where_its_crews_newest_fix_puts_it(room, fire, clock, tangerang_point):
    lat, lon = tangerang_point
    record_locations(room, [OfficerLocated(officer_id="dk-2", occurred_at=clock(), actor="t",
                                       lat=lat, lon=lon)], by=SYSTEM)
    record_locations(room, [OfficerLocated(officer_id="dk-1", occurred_at=clock() - timedelta(
        minutes=1), actor="t", lat=lat + 0.01, lon=lon)], by=SYSTEM)
    drain(room)
    placed = unit(room, "damkar-01")
    assert (float(placed["lat"]), float(placed["lon"])) == pytest.approx((lat, lon))
    near = room.redis.geosearch(room.live.units_geo, longitude=lon, latitude=lat, radius=100,
                                unit="m")
    assert near == ["damkar-01"]

"""`/api/v1` for several units on one incident: dispatch (all or nothing), a task's step,
standing a task down, forwarding to an outside body, a unit's own status; refusals in the
API's `{code, message}` and nothing stored."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from app import create_app
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import get_incident, report_incident
from liveroom.commands.officers import register_officer
from liveroom.commands.units import register_unit
from tests.conftest import person


@pytest.fixture
def world(room, tangerang_point):
    for officer_id, agency in (("dk-1", "damkar"), ("dk-2", "damkar"), ("dh-1", "dishub")):
        register_officer(room, officer_id, name=officer_id, agency=agency, by=SYSTEM)
    register_unit(room, "damkar-01", call_sign="Damkar 01", agency="damkar", crew=["dk-1"],
                  by=SYSTEM)
    register_unit(room, "damkar-02", call_sign="Damkar 02", agency="damkar", crew=["dk-2"],
                  by=SYSTEM)
    register_unit(room, "dishub-01", call_sign="Dishub 01", agency="dishub", crew=["dh-1"],
                  by=SYSTEM)
    accounts.add_user(room, "ops", "kata-sandi-rahasia", roles=["operator"],
                      by=person("root", "admin"))
    lat, lon = tangerang_point
    fire = report_incident(room, category="kebakaran", lat=lat, lon=lon, source="t",
                           attributes={"orang-terjebak": "tidak"}, by=SYSTEM)
    pipe = report_incident(room, category="pipa-bocor", lat=lat, lon=lon + 0.02, source="t",
                           by=SYSTEM)
    token = accounts.create_api_token(room, "ops", by=person("root", "admin")).secret
    return {"fire": fire.id, "pipe": pipe.id, "auth": {"Authorization": f"Bearer {token}"}}


@pytest.fixture
def api(room):
    with TestClient(create_app(room).server) as client:
        yield client


def test_a_card_is_sent_in_one_call_and_a_busy_unit_refuses_the_whole_call(room, world, api):
    sent = api.post(f"/api/v1/incidents/{world['fire']}/dispatch", headers=world["auth"],
                    json={"units": ["damkar-01", "dishub-01"]})
    assert sent.status_code == 200
    assert [(t["id"], t["unit_id"], t["status"]) for t in sent.json()["tasks"]] == [
        ("1", "damkar-01", "assigned"), ("2", "dishub-01", "assigned")]
    version = len(room.redis.xrange(room.keys.stream("incidents")))
    refused = api.post(f"/api/v1/incidents/{world['pipe']}/dispatch", headers=world["auth"],
                       json={"units": ["damkar-02", "damkar-01"]})
    assert refused.status_code == 422 and refused.json()["code"] == "unit_busy"
    assert "Damkar 01" in refused.json()["message"]
    assert len(room.redis.xrange(room.keys.stream("incidents"))) == version
    assert get_incident(room, world["pipe"]).tasks == []


def test_a_task_steps_is_stood_down_and_an_incident_is_forwarded(room, world, api):
    api.post(f"/api/v1/incidents/{world['fire']}/dispatch", headers=world["auth"],
             json={"units": ["damkar-01", "dishub-01"]})
    stepped = api.post(f"/api/v1/incidents/{world['fire']}/status", headers=world["auth"],
                       json={"status": "acknowledged", "task_id": "2"})
    assert stepped.json()["tasks"][1]["status"] == "acknowledged"
    released = api.post(f"/api/v1/incidents/{world['fire']}/tasks/2/release",
                        headers=world["auth"], json={"reason": "jalan sudah lancar"})
    assert released.json()["tasks"][1]["status"] == "released"
    assert api.post(f"/api/v1/incidents/{world['fire']}/tasks/2/release",
                    headers=world["auth"], json={"reason": "x"}).json()["code"] == "no_task"
    forwarded = api.post(f"/api/v1/incidents/{world['pipe']}/forward", headers=world["auth"],
                         json={"body": "pdam", "reference": "TB-2026-0042"})
    [task] = forwarded.json()["tasks"]
    assert (task["status"], task["body"], task["reference"]) == (
        "forwarded", "pdam", "TB-2026-0042")
    assert forwarded.json()["status"] == "acknowledged"
    unknown = api.post(f"/api/v1/incidents/{world['pipe']}/forward", headers=world["auth"],
                       json={"body": "pln-palsu"})
    assert unknown.json()["code"] == "unknown_body"


def test_a_unit_sets_its_own_status_but_not_while_on_a_task(room, world, api):
    broken = api.post("/api/v1/units/damkar-02/status", headers=world["auth"],
                      json={"status": "out_of_service", "reason": "pompa rusak"})
    assert broken.status_code == 200 and broken.json()["status"] == "out_of_service"
    refused = api.post(f"/api/v1/incidents/{world['fire']}/dispatch", headers=world["auth"],
                       json={"units": ["damkar-02"]})
    assert refused.json()["code"] == "unit_unavailable"
    api.post(f"/api/v1/incidents/{world['fire']}/dispatch", headers=world["auth"],
             json={"units": ["damkar-01"]})
    on_task = api.post("/api/v1/units/damkar-01/status", headers=world["auth"],
                       json={"status": "available"})
    assert on_task.json()["code"] == "unit_on_task"


def test_the_run_card_says_what_one_click_sends(room, world, api):
    from liveroom.commands.officers import record_locations
    from liveroom.domain.events import OfficerLocated
    from tests.conftest import drain

    incident = get_incident(room, world["fire"])
    record_locations(room, [OfficerLocated(officer_id=o, occurred_at=room.clock(), actor="t",
                                           lat=incident.lat + 0.001 * n, lon=incident.lon)
                            for n, o in enumerate(("dk-1", "dk-2", "dh-1"), 1)], by=SYSTEM)
    drain(room)
    card = api.get(f"/api/v1/incidents/{world['fire']}/runcard", headers=world["auth"]).json()
    lines = {line["agency"]: line for line in card["lines"]}
    assert [c["label"] for c in lines["damkar"]["candidates"]] == ["Damkar 01", "Damkar 02"]
    assert [c["label"] for c in lines["dishub"]["candidates"]] == ["Dishub 01"]
    assert lines["damkar"]["candidates"][0]["eta_minutes"] > 0
    assert card["next_level"] == room.city.run_card("kebakaran", 1, {
        "orang-terjebak": "tidak"}).level(2)
    assert api.get(f"/api/v1/incidents/{world['fire']}/runcard?alarm=9",
                   headers=world["auth"]).status_code == 422

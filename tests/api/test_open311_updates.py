"""mySociety's Open311 extension `servicerequestupdates`: every change of every report in
a window, oldest first, in JSON and XML; nothing of the reporter or the officer; bad
windows refused in Open311's error list."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import assign_incident, change_status
from liveroom.commands.officers import register_officer
from tests.conftest import drain, person

BASE = "/open311/v2/servicerequestupdates"
SUPERVISOR = person("sup", "supervisor")
PHOTO = "/media/sesudah.jpg"
PERSONAL = ("Sari", "Wulandari", "sari@contoh.id", "812", "Eko", "sup", "dk-1")


def w3c(moment) -> str:
    return moment.isoformat()


@pytest.fixture
def lifecycle(room, client):
    """A report by Open311, through its life: one step a minute, resolved with a photo."""
    key = accounts.create_api_key(room, "Aplikasi Warga", by=person("ani", "admin"))
    centre = room.city.districts["36.71.05"].geometry.representative_point()
    response = client.post("/open311/v2/requests.json", data={
        "api_key": key.secret, "service_code": "sampah-menumpuk", "lat": str(centre.y),
        "long": str(centre.x), "description": "Sampah di depan pasar", "first_name": "Sari",
        "last_name": "Wulandari", "email": " Sari@Contoh.ID ", "phone": "0812-3456-789"})
    assert response.status_code == 201
    incident_id = response.json()[0]["service_request_id"]
    register_officer(room, "dk-1", name="Eko", agency="kebersihan", by=SYSTEM)
    room.clock.advance(minutes=1)
    assign_incident(room, incident_id, "dk-1", by=SUPERVISOR)
    for step in ("acknowledged", "en_route", "on_scene"):
        room.clock.advance(minutes=1)
        change_status(room, incident_id, step, by=SYSTEM)
    room.clock.advance(minutes=1)
    change_status(room, incident_id, "resolved", by=SYSTEM, media_url=PHOTO)
    room.clock.advance(minutes=1)
    change_status(room, incident_id, "closed", by=SYSTEM)
    drain(room)
    return incident_id


def window(room, **delta) -> dict:
    return {"start_date": w3c(room.clock() - timedelta(hours=1)),
            "end_date": w3c(room.clock() + timedelta(**delta or {"hours": 1}))}


def test_a_reports_life_comes_in_order_with_the_photo_on_resolve(room, client, lifecycle):
    response = client.get(f"{BASE}.json", params=window(room))
    assert response.status_code == 200
    updates = response.json()
    assert {u["service_request_id"] for u in updates} == {lifecycle}
    times = [u["updated_datetime"] for u in updates]
    assert times == sorted(times) and all(t.endswith("+07:00") for t in times)
    words = [u["description"] for u in updates]
    assert words[0] == "Diterima" and words[-1] == "Ditutup"
    assert [u["status"] for u in updates][-2:] == ["closed", "closed"]  # resolved, closed
    assert updates[0]["status"] == "open"
    resolved = next(u for u in updates if u["description"] == "Selesai ditangani")
    assert resolved["media_url"] == PHOTO
    assert [u["media_url"] for u in updates if u is not resolved] == [None] * (len(updates) - 1)
    assert len({u["update_id"] for u in updates}) == len(updates)
    # the default window is the last day up to now
    assert client.get(f"{BASE}.json").json() == updates


def test_discovery_names_the_extension(client):
    endpoints = client.get("/open311/v2/discovery.json").json()["endpoints"]
    assert [e["specification"] for e in endpoints] == [
        "http://wiki.open311.org/GeoReport_v2",
        "https://github.com/mysociety/fixmystreet/wiki/Open311-FMS---Complete-Spec"]
    assert len({e["url"] for e in endpoints}) == 1


def test_the_xml_form_has_the_same_fields(room, client, lifecycle):
    response = client.get(f"{BASE}.xml", params=window(room))
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/xml")
    root = ET.fromstring(response.content)
    assert root.tag == "service_request_updates"
    entries = root.findall("request_update")
    assert len(entries) == len(client.get(f"{BASE}.json", params=window(room)).json())
    assert {child.tag for child in entries[0]} >= {
        "update_id", "service_request_id", "status", "description", "updated_datetime"}
    assert entries[-1].findtext("status") == "closed"


def test_nothing_personal_leaves(room, client, lifecycle):
    for fmt in ("json", "xml"):
        text = client.get(f"{BASE}.{fmt}", params=window(room)).text
        assert not any(part.lower() in text.lower() for part in PERSONAL), text


def test_the_window_is_respected(room, client, lifecycle):
    later = room.clock.advance(days=2)
    assert client.get(f"{BASE}.json").json() == []  # (the default: the last day)
    start = later - timedelta(days=2, minutes=2, seconds=30)  # the last three steps
    found = client.get(f"{BASE}.json", params={"start_date": w3c(start),
                                               "end_date": w3c(later)}).json()
    assert [u["description"] for u in found] == ["Di lokasi", "Selesai ditangani", "Ditutup"]
    # a start alone: the day after it
    assert client.get(f"{BASE}.json", params={"start_date": w3c(start)}).json() == found


@pytest.mark.parametrize("params, words", [
    ({"start_date": "kemarin"}, "start_date"),
    ({"end_date": "2026-12-01T10:00:00"}, "time zone"),
    ({"start_date": "2026-12-02T00:00:00+07:00", "end_date": "2026-12-01T00:00:00+07:00"},
     "after"),
    ({"start_date": "2026-10-01T00:00:00+07:00", "end_date": "2026-12-01T00:00:00+07:00"},
     "31 days"),
    ({"start_date": "x" * 41}, "longer than"),
])
def test_bad_dates_get_open311_errors(room, client, params, words):
    response = client.get(f"{BASE}.json", params=params)
    assert response.status_code == 400
    (problem,) = response.json()
    assert problem["code"] == 400 and words in problem["description"]
    xml = ET.fromstring(client.get(f"{BASE}.xml", params=params).content)
    assert xml.tag == "errors" and xml.find("error").findtext("code") == "400"


def test_look_ups_are_rate_limited_per_address(room, client):
    limit = room.settings.lookups_per_minute
    answers = [client.get(f"{BASE}.json").status_code for _ in range(limit + 1)]
    assert answers[:limit] == [200] * limit and answers[-1] == 429
    (problem,) = client.get(f"{BASE}.json").json()
    assert problem["code"] == 429 and "retry" in problem["description"]


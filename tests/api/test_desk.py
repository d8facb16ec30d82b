"""The call-taker's desk over `/api/v1/reports`: what an operator (or a telephony system
with an operator's token) enters for a caller becomes an incident like any other, with its
channel and the caller's number in E.164; what cannot be one is refused and stores nothing."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from layouts.dispatch import report_details
from layouts.static import to_html
from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.cities import load_city
from liveroom.commands import accounts
from liveroom.commands.incidents import change_status, get_incident
from liveroom.commands.officers import register_officer
from liveroom.domain.events import ReportReceived, ReportTriaged, decode
from tests.api.test_access import PASSWORD
from tests.conftest import drain, person

ADMIN = person("root", "admin")


def token(room, username: str, role: str) -> dict:
    officer_id = None
    if role == "officer":
        officer_id = register_officer(room, "dlh-1", name="Budi", agency="kebersihan",
                                      by=SYSTEM).id
    accounts.add_user(room, username, PASSWORD, roles=[role], by=ADMIN, officer_id=officer_id)
    secret = accounts.create_api_token(room, username, by=ADMIN).secret
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def operator(room):
    return token(room, "opi", "operator")


def incidents_stored(room) -> int:
    return room.redis.xlen(room.keys.stream("incidents"))


def archived_reporters(room, incident_id: str) -> int | None:
    """incidents.reporters in the archive, once its projection has applied them all."""
    drain(room)
    with room.engine.connect() as conn:
        return conn.execute(select(schema.incidents.c.reporters).where(
            schema.incidents.c.id == incident_id)).scalar()


def received(room, incident_id: str, kind=ReportReceived):
    return next(event for _, fields in room.redis.xrange(room.keys.stream("incidents"))
                if isinstance(event := decode(fields), kind)
                and event.incident_id == incident_id)


def test_a_phone_report_is_an_incident_with_its_channel_and_the_callers_number(
        room, client, operator):
    point = room.city.districts["36.71.03"].geometry.representative_point()
    response = client.post("/api/v1/reports", headers=operator, json={
        "channel": "telepon", "category": "kebakaran", "lat": point.y, "lon": point.x,
        "description": "Asap dari gudang", "answers": {"orang-terjebak": "ya"},
        "caller": {"name": " Ibu Sari ", "phone": "0812-3456-789"}})
    assert response.status_code == 200, response.text
    incident = get_incident(room, response.json()["id"])
    assert incident.status == "triaged" and incident.agency == "damkar"
    assert incident.attributes == {"orang-terjebak": "ya"}
    report = received(room, incident.id)
    assert report.source == "telepon" and not report.location_approximate
    assert report.reporter == {"name": "Ibu Sari", "phone": "+628123456789"}
    drain(room)  # on the wall's live model, as an Open311 report would be
    assert room.redis.hget(room.live.incident(incident.id), "source") == "telepon"


def test_a_kecamatan_or_an_address_naming_one_places_it_approximately(room, client,
                                                                      operator):
    cipondoh = next(code for code, d in room.city.districts.items() if d.name == "Cipondoh")
    for where in ({"district": cipondoh}, {"address": "Jl. Mawar 3, Kec. Cipondoh"}):
        response = client.post("/api/v1/reports", headers=operator, json={
            "channel": "radio", "category": "kemacetan", **where})
        assert response.status_code == 200, response.text
        incident = get_incident(room, response.json()["id"])
        assert received(room, incident.id).location_approximate
        assert room.city.district_at(incident.lat, incident.lon).name == "Cipondoh"


def test_the_operator_sets_another_priority_with_its_reason(room, client, operator):
    body = {"channel": "112", "category": "kemacetan", "district": "36.71.01", "priority": 1,
            "priority_reason": "Ambulans tertahan di simpang"}
    response = client.post("/api/v1/reports", headers=operator, json=body)
    assert response.status_code == 200, response.text
    incident = get_incident(room, response.json()["id"])
    assert incident.priority == 1 != room.city.categories["kemacetan"].priority
    triaged = received(room, incident.id, ReportTriaged)
    assert triaged.priority_reason == "Ambulans tertahan di simpang"


def test_a_retry_with_the_same_idempotency_key_enters_it_once(room, client, operator):
    body = {"channel": "112", "category": "kemacetan", "district": "36.71.01"}
    headers = {**operator, "Idempotency-Key": "panggilan-0042"}
    first = client.post("/api/v1/reports", headers=headers, json=body).json()
    again = client.post("/api/v1/reports", headers=headers, json=body).json()
    assert first["id"] == again["id"]
    assert incidents_stored(room) == 2  # (received and triaged: one report)


@pytest.mark.parametrize(("change", "code"), [
    ({"channel": "merpati"}, "unknown_channel"),
    ({"caller": {"phone": "112"}}, "bad_phone"),
    ({"caller": {"phone": "bukan nomor"}}, "bad_phone"),
    ({"district": "99.99.99"}, "unknown_district"),
    ({"district": None, "address": "Jl. Mawar 3"}, "no_location"),
    ({"district": None, "lat": -6.9, "lon": 107.6}, "outside_city"),  # Bandung
    ({"category": "tidak-ada"}, "unknown_category"),
    ({"priority": 1}, "priority_reason"),  # another priority than the category's: why?
])
def test_what_cannot_be_a_report_is_refused_and_stores_nothing(room, client, operator,
                                                              change, code):
    body = {"channel": "telepon", "category": "kemacetan", "district": "36.71.03", **change}
    response = client.post("/api/v1/reports", headers=operator, json=body)
    assert response.status_code == 422, response.text
    assert response.json()["code"] == code
    assert incidents_stored(room) == 0


@pytest.mark.parametrize("body", [
    {"channel": "telepon", "category": "banjir", "district": "36.71.03",
     "description": "x" * 4001},
    {"channel": "telepon", "category": "banjir", "district": "36.71.03",
     "caller": {"name": "n" * 101}},
    {"channel": "telepon", "category": "banjir", "lat": float("nan"), "lon": 106.6},
    {"channel": "telepon\u0000", "category": "banjir", "district": "36.71.03"},
    {"channel": "telepon", "category": "kemacetan", "district": "36.71.03",
     "description": "macet\u0007"},
    {"channel": "telepon", "category": "kemacetan", "district": "36.71.03",
     "caller": {"name": "Budi\u001b[31m"}},
])
def test_oversized_or_malformed_fields_are_refused(room, client, operator, body):
    response = client.post("/api/v1/reports", content=json.dumps(body),  # (NaN as sent)
                           headers={**operator, "Content-Type": "application/json"})
    assert response.status_code == 422
    assert incidents_stored(room) == 0


@pytest.mark.parametrize("role", ["officer", "mayor"])
def test_officers_and_mayors_may_not_enter_reports(room, client, role):
    headers = token(room, f"bukan-{role}", role)
    response = client.post("/api/v1/reports", headers=headers, json={
        "channel": "telepon", "category": "banjir", "district": "36.71.03"})
    assert response.status_code == 403
    assert incidents_stored(room) == 0


def test_the_desk_channels_are_the_city_packs():
    for pack in ("tangerang", "pandeglang"):
        channels = load_city(pack).channels
        assert {"telepon", "112", "radio", "datang-langsung"} <= set(channels)
        assert all(name.get("id") and name.get("en") for name in channels.values())


def test_a_second_caller_is_added_to_the_open_incident_not_a_second_one(room, client,
                                                                       operator):
    first = client.post("/api/v1/reports", headers=operator, json={
        "channel": "telepon", "category": "kemacetan", "district": "36.71.01",
        "caller": {"phone": "0812-3456-789"}}).json()
    response = client.post(f"/api/v1/incidents/{first['id']}/reporters", headers=operator,
                           json={"channel": "112", "description": "Macet total",
                                 "caller": {"name": "Pak Ahmad", "phone": "+62 813 1111 2222"}})
    assert response.status_code == 200, response.text
    assert response.json()["reporters"] == 2 and response.json()["id"] == first["id"]
    added = [decode(f) for _, f in room.redis.xrange(room.keys.stream("incidents"))][-1]
    assert (added.type, added.source, added.reporter) == (
        "incident.reporter_added", "112", {"name": "Pak Ahmad", "phone": "+6281311112222"})
    drain(room)
    assert room.redis.hget(room.live.incident(first["id"]), "reporters") == "2"
    assert archived_reporters(room, first["id"]) == 2
    assert incidents_stored(room) == 3  # received, triaged, one caller added


def test_a_callers_contact_is_on_no_public_page_and_masked_for_all_but_its_own_people(
        room, client, operator):
    entered = client.post("/api/v1/reports", headers=operator, json={
        "channel": "telepon", "category": "kemacetan", "district": "36.71.01",
        "caller": {"name": "Ibu Sari", "phone": "0812-3456-789"}})
    incident_id = entered.json()["id"]
    drain(room)
    agency = get_incident(room, incident_id).agency
    accounts.add_user(room, "dishub-op", PASSWORD, roles=["operator"], agencies=[agency],
                      by=ADMIN)
    own = {"Authorization": "Bearer " + accounts.create_api_token(room, "dishub-op",
                                                                    by=ADMIN).secret}
    public = [entered,  # a command's reply carries no callers
              client.get(f"/open311/v2/requests/{incident_id}.json"),
              client.get(f"/open311/v2/requests/{incident_id}.xml"),
              client.get(f"/lapor/{incident_id}")]
    for response in public:
        assert response.status_code == 200 and incident_id in response.text
        assert "3456" not in response.text and "Sari" not in response.text
    mayor = client.get(f"/api/v1/incidents/{incident_id}",
                       headers=token(room, "walikota", "mayor")).json()["callers"]
    full = client.get(f"/api/v1/incidents/{incident_id}", headers=own).json()["callers"]
    assert [(c["name"], c["phone"]) for c in mayor] == [("I. S.", "+62 812-****-789")]
    assert [(c["name"], c["phone"]) for c in full] == [("Ibu Sari", "+628123456789")]


def test_a_caller_is_not_added_to_a_closed_incident(room, client, operator):
    first = client.post("/api/v1/reports", headers=operator, json={
        "channel": "telepon", "category": "kemacetan", "district": "36.71.01"}).json()
    change_status(room, first["id"], "rejected", by=SYSTEM, reason="bukan wewenang")
    before = incidents_stored(room)
    response = client.post(f"/api/v1/incidents/{first['id']}/reporters", headers=operator,
                           json={"channel": "telepon"})
    assert response.status_code == 422 and response.json()["code"] == "incident_closed"
    assert incidents_stored(room) == before
    missing = client.post("/api/v1/incidents/261206-ZZZZZ/reporters", headers=operator,
                          json={"channel": "telepon"})
    assert missing.status_code == 404


def test_the_incident_panel_says_how_many_called_about_it(room):
    category = room.city.categories["kemacetan"]
    shown = {n: to_html(report_details(room.city, category, {"source": "112", "reporters": n},
                                       None, "id")) for n in ("1", "3")}
    assert "Panggilan darurat 112" in shown["1"]  # the pack's name for the channel
    assert "Jumlah pelapor" not in shown["1"]
    assert "Jumlah pelapor</dt><dd>3</dd>" in shown["3"]


def test_open_incidents_of_the_same_family_nearby_are_offered_before_a_new_one(
        room, client, operator):
    point = room.city.districts["36.71.03"].geometry.representative_point()
    flood = client.post("/api/v1/reports", headers=operator, json={
        "channel": "telepon", "category": "banjir", "lat": point.y, "lon": point.x,
        "answers": {"kedalaman-air": "selutut"}, "description": "Air setinggi lutut"}).json()
    drain(room)

    def similar(category: str, north_m: float = 30.0) -> list[dict]:
        response = client.get("/api/v1/reports/similar", headers=operator, params={
            "category": category, "lat": point.y + north_m / 111_320, "lon": point.x})
        assert response.status_code == 200, response.text
        return response.json()

    (found,) = similar("genangan")  # standing water, 30 m away: the same flood, likely
    assert found["id"] == flood["id"] and found["category"] == "banjir"
    assert 25 <= found["distance_m"] <= 35 and found["reporters"] == 1
    assert found["description"] == "Air setinggi lutut" and found["age_minutes"] >= 0
    assert similar("sampah-menumpuk") == []  # another family
    assert similar("genangan", north_m=500) == []  # beyond the duplicate radius
    client.post(f"/api/v1/incidents/{flood['id']}/reporters", headers=operator,
                json={"channel": "whatsapp"})
    drain(room)
    assert similar("banjir")[0]["reporters"] == 2
    refused = client.get("/api/v1/reports/similar", headers=operator, params={
        "category": "tidak-ada", "lat": point.y, "lon": point.x})
    assert refused.status_code == 422

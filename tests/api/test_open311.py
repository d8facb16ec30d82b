"""Open311 GeoReport v2: what a citizen app sees and what it is refused."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from liveroom.archive import schema
from liveroom.commands import accounts
from tests.conftest import drain, person

ADMIN = person("ani", "admin")
BASE = "/open311/v2"


@pytest.fixture
def key(room):
    return accounts.create_api_key(room, "Aplikasi Warga", by=ADMIN)


def post(client, key_secret, fmt="json", **fields):
    return client.post(f"{BASE}/requests.{fmt}", data={"api_key": key_secret, **fields})


def point(room):
    centre = room.city.districts["36.71.05"].geometry.representative_point()
    return {"lat": str(centre.y), "long": str(centre.x)}


def stream_length(room) -> int:
    return room.redis.xlen(room.keys.stream("incidents"))


def test_every_category_is_a_service_in_json_and_xml(room, client):
    services = client.get(f"{BASE}/services.json").json()
    assert {s["service_code"] for s in services} == set(room.city.categories)
    fire = next(s for s in services if s["service_code"] == "kebakaran")
    assert fire["group"] == room.city.agencies["damkar"].name.id and fire["type"] == "realtime"
    xml = ET.fromstring(client.get(f"{BASE}/services.xml").content)
    assert {e.findtext("service_code") for e in xml.iter("service")} == set(room.city.categories)
    assert client.get(f"{BASE}/discovery.json").json()["endpoints"][0]["url"].endswith(
        "/open311/v2/")


def test_a_citizen_app_posts_a_report_and_reads_it_back(room, client, key):
    response = post(client, key.secret, service_code="genangan", description="Air sebetis",
                    first_name="Sari", **point(room))
    assert response.status_code == 201
    (created,) = response.json()
    # at once, before the archive has caught up: the citizen's link never says "not found"
    (early,) = client.get(f"{BASE}/requests/{created['service_request_id']}.json").json()
    assert (early["status"], early["service_code"], early["description"]) == (
        "open", "genangan", "Air sebetis")
    drain(room)
    (found,) = client.get(f"{BASE}/requests/{created['service_request_id']}.json").json()
    assert found["status"] == "open" and found["service_code"] == "genangan"
    assert found["agency_responsible"] == room.city.agencies["drainase"].name.id
    assert found["requested_datetime"].endswith("+07:00")
    xml = ET.fromstring(client.get(f"{BASE}/requests/{created['token']}.xml").content)
    assert xml.find("request").findtext("description") == "Air sebetis"
    listed = client.get(f"{BASE}/requests.json", params={"status": "open",
                                                         "service_code": "genangan"}).json()
    assert [r["service_request_id"] for r in listed] == [created["service_request_id"]]
    assert client.get(f"{BASE}/requests.json", params={"status": "closed"}).json() == []


def test_an_address_alone_is_placed_in_the_kecamatan_it_names(room, client, key):
    response = post(client, key.secret, service_code="genangan",
                    address_string="Jl. KH Hasyim Ashari, Kec. Cipondoh, Kota Tangerang")
    assert response.status_code == 201
    drain(room)
    (found,) = client.get(f"{BASE}/requests/{response.json()[0]['service_request_id']}.json"
                          ).json()
    assert found["address"] == "Jl. KH Hasyim Ashari, Kec. Cipondoh, Kota Tangerang"
    cipondoh = next(d for d in room.city.districts.values() if d.name == "Cipondoh")
    assert room.city.district_at(found["lat"], found["long"]) == cipondoh
    live = room.redis.hget(room.keys.view("incident", found["service_request_id"]),
                           "location_approximate")
    assert live == "1"  # operators are told the point is only the kecamatan


def test_categories_with_questions_publish_them_and_take_the_answers(room, client, key):
    services = {s["service_code"]: s for s in client.get(f"{BASE}/services.json").json()}
    assert services["kebakaran"]["metadata"] is True
    assert services["genangan"]["metadata"] is False
    definition = client.get(f"{BASE}/services/kebakaran.json").json()
    trapped = definition["attributes"][0]
    assert (trapped["code"], trapped["datatype"], trapped["required"], trapped["order"]) == (
        "orang-terjebak", "singlevaluelist", True, 1)
    assert trapped["description"] == "Ada orang yang terjebak?"
    assert {v["key"]: v["name"] for v in trapped["values"]}["tidak-tahu"] == "Tidak tahu"
    xml = ET.fromstring(client.get(f"{BASE}/services/kebakaran.xml").content)
    assert [a.findtext("code") for a in xml.iter("attribute")] == [
        a["code"] for a in definition["attributes"]]
    assert [v.findtext("key") for v in xml.find("attributes/attribute/values")] == [
        "ya", "tidak", "tidak-tahu"]
    assert client.get(f"{BASE}/services/genangan.json").json()["attributes"] == []

    response = post(client, key.secret, service_code="kebakaran", description="Asap tebal",
                    **{"attribute[orang-terjebak]": "ya", "attribute[objek-terbakar]": "rumah"},
                    **point(room))
    assert response.status_code == 201
    drain(room)
    incident_id = response.json()[0]["service_request_id"]
    with room.engine.connect() as conn:
        stored = conn.execute(select(schema.incidents.c.attributes).where(
            schema.incidents.c.id == incident_id)).scalar_one()
    assert stored == {"orang-terjebak": "ya", "objek-terbakar": "rumah"}


@pytest.mark.parametrize(("fields", "status", "words"), [
    (dict(service_code="genangan"), 400, "lat and long, or address_string, are required"),
    (dict(service_code="genangan", address_string="Jl. Gatot Subroto"), 400,
     "must name one kecamatan"),
    (dict(lat="-6.18", long="106.63"), 400, "service_code is required"),
    (dict(service_code="ufo", lat="-6.18", long="106.63"), 404, "unknown service_code"),
    (dict(service_code="genangan", lat="-6.2", long="106.85"), 400, "outside Kota Tangerang"),
    (dict(service_code="genangan", lat="200", long="106.63"), 400, "lat"),
    (dict(service_code="genangan", lat="north", long="106.63"), 400, "must be numbers"),
    (dict(service_code="kebakaran", lat="-6.18", long="106.63"), 400,
     "attribute orang-terjebak is required"),
    ({"service_code": "kebakaran", "lat": "-6.18", "long": "106.63",
      "attribute[orang-terjebak][]": ["ya", "tidak"]}, 400, "takes one value"),
    ({"service_code": "kebakaran", "lat": "-6.18", "long": "106.63",
      "attribute[orang-terjebak]": "mungkin"}, 400, "'mungkin' is not one of"),
])
def test_bad_reports_get_the_spec_s_errors_and_store_nothing(room, client, key, fields,
                                                             status, words):
    for fmt in ("json", "xml"):
        response = post(client, key.secret, fmt=fmt, **fields)
        assert response.status_code == status
        if fmt == "json":
            (problem,) = response.json()
            assert problem["code"] == status and words in problem["description"]
        else:
            problem = ET.fromstring(response.content).find("error")
            assert problem.findtext("code") == str(status)
            assert words in problem.findtext("description")
    assert stream_length(room) == 0


def test_keys_are_required_checked_and_rate_limited(room, client, key):
    assert post(client, "", service_code="genangan", **point(room)).status_code == 403
    assert post(client, "lr_apikey_forged", service_code="genangan",
                **point(room)).status_code == 403
    room.settings = room.settings.model_copy(update={"open311_posts_per_minute": 2})
    codes = [post(client, key.secret, service_code="genangan", **point(room)).status_code
             for _ in range(3)]
    assert codes == [201, 201, 429]
    accounts.revoke_credential(room, key.id, by=ADMIN)
    assert post(client, key.secret, service_code="genangan", **point(room)).status_code == 403
    assert stream_length(room) == 4  # two reports, two events each


def test_guessing_api_keys_from_one_address_slows_it_down(room, client, key):
    assert post(client, key.secret, service_code="genangan", **point(room)).status_code == 201
    guesses = []  # until one waits: the first wait is 1 s, then 2, 4… (a slow machine may
    while len(guesses) < accounts.FREE_UNKNOWN_SECRETS + 6 and (  # outlast the first)
            not guesses or guesses[-1].status_code != 429):
        guesses.append(post(client, f"lr_apikey_tebakan{len(guesses)}",
                            service_code="genangan", **point(room)))
    assert [g.status_code for g in guesses[:accounts.FREE_UNKNOWN_SECRETS]] == [
        403] * accounts.FREE_UNKNOWN_SECRETS
    assert guesses[-1].status_code == 429
    assert "too many unknown api_keys" in guesses[-1].json()[0]["description"]
    refused = post(client, "lr_apikey_tebakan-lagi", service_code="genangan", **point(room))
    assert refused.status_code == 429  # (not looked up while it waits)
    # the app that has a key it already used is not held up by a guesser at its address
    assert post(client, key.secret, service_code="genangan", **point(room)).status_code == 201
    assert stream_length(room) == 4  # its two reports, two events each; the guesses: none


def test_filters_and_jurisdiction_are_checked(room, client):
    assert client.get(f"{BASE}/requests.json", params={"start_date": "kemarin"}).status_code \
        == 400
    assert client.get(f"{BASE}/requests.json",
                      params={"start_date": "2026-11-23T08:00:00"}).status_code == 400
    assert client.get(f"{BASE}/requests.json",
                      params={"start_date": "2026-11-23T08:00:00+07:00"}).status_code == 200
    assert client.get(f"{BASE}/requests.json", params={"status": "maybe"}).status_code == 400
    wrong = client.get(f"{BASE}/services.json", params={"jurisdiction_id": "jakarta.go.id"})
    assert wrong.status_code == 404 and "unknown jurisdiction_id" in wrong.text
    assert client.get(f"{BASE}/services.json",
                      params={"jurisdiction_id": room.city.jurisdiction_id}).status_code == 200
    assert client.get(f"{BASE}/services.txt").status_code in (400, 404)
    assert client.get(f"{BASE}/requests/261123-NOPE0.json").status_code == 404


text = st.text(max_size=30)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(["service_code", "lat", "long", "description",
                                        "address_string", "media_url", "email",
                                        "jurisdiction_id"]), text, max_size=6))
def test_random_input_never_breaks_the_server(room, client, key, fields):
    response = post(client, key.secret, **fields)
    assert response.status_code in (201, 400, 403, 404, 429)


@pytest.mark.parametrize(("fields", "field"), [
    ({"description": "Air setinggi lutut\x00"}, "description"),
    ({"address_string": "Jl. Daan Mogot\x1b"}, "address"),
    ({"first_name": "Sari\x00"}, "reporter.first_name"),
])
def test_text_the_archive_could_not_store_is_refused_and_nothing_is_kept(room, client, key,
                                                                         fields, field):
    response = post(client, key.secret, service_code="genangan", **point(room), **fields)
    assert response.status_code == 400
    (error,) = response.json()
    assert error["code"] == 400 and f"{field} contains the control character" in error[
        "description"]
    assert stream_length(room) == 0
    with_newline = post(client, key.secret, service_code="genangan", **point(room),
                        description="Air setinggi lutut.\r\nSudah dua hari.")
    assert with_newline.status_code == 201
    drain(room)
    with room.engine.connect() as conn:
        assert conn.execute(select(schema.incidents.c.description)).scalar_one() == (
            "Air setinggi lutut.\r\nSudah dua hari.")


def test_look_ups_by_tracking_number_are_limited_per_address(room, client, key):
    (created,) = post(client, key.secret, service_code="genangan", **point(room)).json()
    guesses = ",".join(f"261201-{n:05d}" for n in range(room.settings.lookups_per_minute - 1))
    assert client.get(f"{BASE}/requests.json",
                      params={"service_request_id": guesses}).status_code == 200
    assert client.get(f"{BASE}/requests/{created['service_request_id']}.json").status_code == 200
    refused = client.get(f"{BASE}/requests/{created['service_request_id']}.xml")
    assert refused.status_code == 429
    assert "too many look-ups from this address" in ET.fromstring(refused.content).findtext(
        "error/description")
    page = client.get(f"/lapor/{created['service_request_id']}")  # the same budget
    assert page.status_code == 429 and "Terlalu banyak pencarian" in page.text


def test_a_body_too_large_is_refused_before_it_is_read(room, client, key):
    huge = {"api_key": key.secret, "service_code": "genangan", **point(room),
            "first_name": "S" * 20_000_000}
    refused = client.post(f"{BASE}/requests.json", data=huge)
    assert refused.status_code == 413
    assert refused.json() == [{"code": 413,
                               "description": "the request body is larger than 64000 bytes"}]

    def chunks():  # no Content-Length: counted as it arrives
        yield f"api_key={key.secret}&service_code=genangan&description=".encode()
        for _ in range(100):
            yield b"x" * 1000

    streamed = client.post(f"{BASE}/requests.xml", content=chunks(),
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert streamed.status_code == 413 and b"<code>413</code>" in streamed.content
    assert stream_length(room) == 0


@pytest.mark.parametrize(("field", "limit"), [("first_name", 100), ("description", 4000),
                                              ("attribute[kedalaman-air]", 500)])
def test_a_field_longer_than_its_limit_is_refused_not_cut(room, client, key, field, limit):
    response = post(client, key.secret, service_code="banjir", **point(room),
                    **{field: "a" * (limit + 1)})
    assert response.status_code == 400
    assert response.json()[0]["description"] == f"{field} is longer than {limit} characters"
    assert stream_length(room) == 0


def test_a_report_sent_again_with_its_idempotency_key_is_made_once(room, client, key):
    def send(retry_key: str):
        return client.post(f"{BASE}/requests.json", headers={"Idempotency-Key": retry_key},
                           data={"api_key": key.secret, "service_code": "genangan",
                                 "description": "Air sebetis", **point(room)})

    first, again = send("aplikasi-warga-0001"), send("aplikasi-warga-0001")  # answer lost
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert send("aplikasi-warga-0002").json() != first.json()  # another report
    assert stream_length(room) == 4  # two reports, received and triaged each
    bad = send("?")
    assert bad.status_code == 400 and "Idempotency-Key must be" in bad.json()[0]["description"]
    assert client.get(f"{BASE}/discovery.json").json()["idempotency_header"] == (
        "Idempotency-Key")


def test_a_field_name_past_its_limit_is_refused(room, client, key):
    response = post(client, key.secret, service_code="genangan", **point(room),
                    **{"x" * 101: "1"})
    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("a field name is longer than 100")

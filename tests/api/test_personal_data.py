"""Reporters' phone numbers and e-mail addresses (UU 27/2022): normalised where they enter
an event, in full only for the incident's own operators and supervisors, masked for the rest
of the command room, and never on a public page, in Open311 or in an export."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands import accounts
from liveroom.commands.desk import add_reporter
from liveroom.commands.incidents import report_incident
from liveroom.reporting.kpi.exports import TABLES
from tests.api.conftest import signed_in
from tests.api.test_access import PASSWORD
from tests.conftest import drain, person

ADMIN = person("root", "admin")
OWN = person("opi", "operator", agencies=("kebersihan",))
REPORTER = {"first_name": "Sari", "last_name": "Wulandari", "email": " Sari.W@Contoh.ID ",
            "phone": "0812-3456-7890", "telegram": "987654321"}
#: what must not show where contacts may not: names, the e-mail, the phone's hidden digits
PERSONAL = ("Sari", "Wulandari", "contoh.id", "3456", "987654321", "Eko", "1111")


def leaked(text: str) -> list[str]:
    return [part for part in PERSONAL if part.lower() in text.lower()]


@pytest.fixture
def incident_id(room, tangerang_point) -> str:
    incident = report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                               lon=tangerang_point[1], source="open311", by=SYSTEM,
                               reporter=REPORTER)
    add_reporter(room, incident.id, by=OWN, channel="telepon", caller_name="Pak Eko",
                 caller_phone="0813-1111-2222")
    drain(room)
    return incident.id


def bearer(room, username: str, *roles: str, agencies: tuple[str, ...] = ()) -> dict:
    accounts.add_user(room, username, PASSWORD, roles=list(roles), agencies=list(agencies),
                      by=ADMIN)
    token = accounts.create_api_token(room, username, by=ADMIN).secret
    return {"Authorization": f"Bearer {token}"}


def test_contacts_are_normalised_where_they_enter_the_event(room, incident_id):
    with room.engine.connect() as conn:
        row = conn.execute(select(schema.incidents.c.reporter).where(
            schema.incidents.c.id == incident_id)).one()
    assert row.reporter == {"first_name": "Sari", "last_name": "Wulandari",
                            "email": "sari.w@contoh.id", "phone": "+6281234567890",
                            "telegram": "987654321"}


@pytest.mark.parametrize("fields, words", [
    ({"email": "sari@"}, "e-mail"), ({"email": "a" * 70 + "@x.id"}, "e-mail"),
    ({"email": "a" * 255}, "254"),
    ({"phone": "12"}, "phone"),
])
def test_open311_refuses_a_contact_that_is_none_and_stores_nothing(room, client, fields,
                                                                    words):
    key = accounts.create_api_key(room, "app", by=ADMIN)
    centre = room.city.districts["36.71.05"].geometry.representative_point()
    before = room.redis.xlen(room.keys.stream("incidents"))
    for fmt in ("json", "xml"):
        response = client.post(f"/open311/v2/requests.{fmt}", data={
            "api_key": key.secret, "service_code": "genangan", "lat": str(centre.y),
            "long": str(centre.x), **fields})
        assert response.status_code == 400 and words in response.text
    assert room.redis.xlen(room.keys.stream("incidents")) == before


def test_open311_and_the_tracking_page_never_show_contacts(room, client, incident_id):
    for path in (f"/open311/v2/requests/{incident_id}.json",
                 f"/open311/v2/requests/{incident_id}.xml", "/open311/v2/requests.json",
                 "/open311/v2/requests.xml", "/open311/v2/servicerequestupdates.json",
                 "/open311/v2/servicerequestupdates.xml", f"/lapor/{incident_id}",
                 f"/lapor/{incident_id}?lang=en"):
        response = client.get(path)
        assert response.status_code == 200 and incident_id in response.text, path
        assert not leaked(response.text), path


def test_the_api_shows_contacts_to_the_incidents_own_people_only(room, client, incident_id):
    own = client.get(f"/api/v1/incidents/{incident_id}", headers=bearer(
        room, "opi", "operator", agencies=("kebersihan",))).json()
    assert [(c["name"], c["phone"], c["email"]) for c in own["callers"]] == [
        ("Sari Wulandari", "+6281234567890", "sari.w@contoh.id"),
        ("Pak Eko", "+6281311112222", None)]
    mayor = client.get(f"/api/v1/incidents/{incident_id}",
                       headers=bearer(room, "wali", "mayor"))
    assert mayor.status_code == 200 and not leaked(mayor.text)
    assert mayor.json()["callers"][0]["phone"] == "+62 812-****-*890"
    other = client.get(f"/api/v1/incidents/{incident_id}", headers=bearer(
        room, "dh", "operator", agencies=("dishub",)))
    assert other.status_code == 403 and not leaked(other.text)
    queue = client.get("/api/v1/queue/kebersihan", headers=bearer(
        room, "opi2", "operator", agencies=("kebersihan",)))
    assert queue.status_code == 200 and incident_id in queue.text and not leaked(queue.text)


def test_exports_hold_no_contact(room, client, incident_id):
    accounts.add_user(room, "wali", PASSWORD, roles=["admin"], by=SYSTEM)
    signed_in(room, client, "wali")
    month = room.clock().astimezone(room.city.timezone)
    for path in [*(f"/kpi/{table}.{fmt}" for table in TABLES for fmt in ("csv", "xlsx")),
                 f"/kpi/recap.xlsx?month={month:%Y-%m}"]:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content
        if ".xlsx" in path:
            book = load_workbook(io.BytesIO(body))
            text = repr([list(s.iter_rows(values_only=True)) for s in book.worksheets])
        else:
            text = body.decode("utf-8-sig")
        assert not leaked(text), path

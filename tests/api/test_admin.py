"""The admin page over HTTP: only admins see or change anything; the audit CSV is theirs."""

from __future__ import annotations

import csv
import io
import json

import pytest
from fastapi.testclient import TestClient

from app import create_app
from layouts import ids
from liveroom.access.secrets import digest
from liveroom.commands import accounts, audit
from tests.api.test_access import PASSWORD, sign_in
from tests.conftest import MORNING, device_registered_before_secrets, person

ROOT = person("root", "admin")
PEOPLE = {"boss": ["admin"], "operator": ["operator"], "mayor": ["mayor"]}


@pytest.fixture
def people(room):
    for username, roles in PEOPLE.items():
        accounts.add_user(room, username, PASSWORD, roles=roles, by=ROOT)


@pytest.fixture
def client(room):
    with TestClient(create_app(room).server, follow_redirects=False) as client:
        yield client


def render_page(client, pathname: str = "/admin", search: str = ""):
    """What the browser asks first: the page for this address."""
    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": pathname},
                       {"id": "url", "property": "search", "value": search}],
            "changedPropIds": []}
    return client.post("/_dash-update-component", json=body)


def prop_id(component_id: str | dict) -> str:
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"))
    return component_id


def row_button(grid: str, row_id: str, action: str) -> dict:
    """A button in a grid's row, as `click` takes it: the grid's click data (`Actions`)."""
    return {"grid": ids.grid(grid), "value": {"value": {"action": action}, "rowId": row_id,
                                              "colId": "manage"}}


def click(client, first_output: str, button: str | dict, **values):
    """Post the callback that writes `first_output`, as the page does when `button` (an id,
    or a `row_button`) is clicked; what it sent back.

    `values` are the form's fields by component id (`user-username="budi"`).
    """
    response = post_click(client, first_output, button, **values)
    assert response.status_code == 200, response.text
    return response.json()["response"]


def post_click(client, first_output: str, button: str | dict, **values):
    """The same, as it was answered."""
    spec = next(dep for dep in client.get("/_dash-dependencies").json()
                if dep["output"].startswith(f"..{first_output}."))
    outputs = [dict(zip(("id", "property"), output.rsplit(".", 1), strict=True))
               for output in spec["output"].strip(".").split("...")]
    in_row = isinstance(button, dict) and "grid" in button
    inputs = []
    for dep in spec["inputs"]:
        if dep["property"] == "cellRendererData":  # a grid's row buttons
            clicked = in_row and json.loads(dep["id"]) == button["grid"]
            inputs.append({"id": json.loads(dep["id"]), "property": dep["property"],
                           "value": button["value"] if clicked else None})
        else:
            inputs.append({**dep, "value": 1 if dep["id"] == button else None})
    fields = {"admin-lang": "id", "url": "http://testserver/admin", **values}
    state = [{**dep, "value": fields.get(dep["id"])} for dep in spec["state"]]
    changed = (f"{prop_id(button['grid'])}.cellRendererData" if in_row
               else f"{prop_id(button)}.n_clicks")
    body = {"output": spec["output"], "outputs": outputs, "inputs": inputs, "state": state,
            "changedPropIds": [changed]}
    return client.post("/_dash-update-component", json=body)


NEW_USER = {"user-username": "budi", "user-display-name": "Budi Santoso",
            "user-password": PASSWORD, "user-roles": ["operator"], "user-agencies": [],
            "user-officer-id": ""}


def test_without_a_session_nothing_is_shown_or_served(room, people, client):
    response = client.get("/admin")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fadmin"
    response = client.get("/admin/audit.csv")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Faudit.csv"
    assert render_page(client).status_code == 401


@pytest.mark.parametrize("username", ["operator", "mayor"])
def test_a_non_admin_gets_the_forbidden_message_and_no_csv(room, people, client, username):
    assert sign_in(client, username, next_path="/admin").status_code == 303
    response = client.get("/admin/audit.csv")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert "user.added" not in response.text
    page = render_page(client)
    assert page.status_code == 200
    assert f"tidak berhak membuka halaman ini (user:{username})" in page.text
    assert "users-table" not in page.text and "boss" not in page.text


def test_an_admin_sees_users_and_credentials_but_never_a_secret(room, people, client):
    issued = accounts.create_kiosk_link(room, "Layar lobi", role="mayor", by=ROOT)
    sign_in(client, "boss", next_path="/admin")
    page = render_page(client).text
    assert "users-table" in page and "Layar lobi" in page and issued.id in page
    for username in PEOPLE:
        assert f'"username":"{username}"' in page  # (a row of the users' grid)
    assert issued.secret not in page and digest(issued.secret) not in page
    english = render_page(client, search="?lang=en").text
    assert "Audit log" in english and "Users" in english


def test_an_admin_adds_a_user_through_the_page_and_the_csv_records_it(room, people, client):
    sign_in(client, "boss", next_path="/admin")
    response = click(client, "users-table", "user-add", **NEW_USER)
    assert response["users-message"]["children"]["props"]["children"] == \
        "Pengguna budi ditambahkan."
    assert "Budi Santoso" in json.dumps(response["users-table"])
    assert response["user-password"]["value"] == ""  # the form is cleared
    added = next(u for u in accounts.list_users(room, by=ROOT) if u["username"] == "budi")
    assert added["roles"] == ["operator"] and added["active"]

    export = client.get("/admin/audit.csv")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert export.headers["content-disposition"] == "attachment; filename=liveroom-audit.csv"
    rows = list(csv.reader(io.StringIO(export.text)))
    assert rows[0] == ["at", "actor", "action", "target", "details"]
    entry = next(row for row in rows[1:] if row[2] == "user.added" and row[3] == "budi")
    assert entry[:2] == [f"{MORNING.date()}T08:00:00+07:00", "user:boss"]  # 01:00 UTC: 08:00 WIB
    assert all(row[0].endswith("+07:00") for row in rows[1:])


def test_a_refused_form_says_why_and_changes_nothing(room, people, client):
    sign_in(client, "boss", next_path="/admin")
    before = accounts.list_users(room, by=ROOT)
    response = click(client, "users-table", "user-add",
                     **{**NEW_USER, "user-password": "pendek"})
    note = response["users-message"]["children"]["props"]["children"]
    assert note == "Tidak ada yang diubah: a password needs at least 10 characters"
    assert "users-table" not in response and "user-username" not in response  # form kept
    assert accounts.list_users(room, by=ROOT) == before


def test_a_kiosk_link_made_on_the_page_is_shown_once_and_signs_a_screen_in(room, people,
                                                                            client):
    sign_in(client, "boss", next_path="/admin")
    response = click(client, "kiosk-table", "kiosk-create", **{"kiosk-name": "Layar wali kota",
                                                                "kiosk-role": "mayor"})
    box = json.dumps(response["kiosk-issued"])
    url = next(word for word in box.split('"') if word.startswith("http://testserver/?kiosk="))
    (link,) = accounts.list_credentials(room, by=ROOT, kind="kiosk")
    assert link["name"] == "Layar wali kota" and link["role"] == "mayor"
    assert link["id"] in json.dumps(response["kiosk-table"])
    assert url.split("kiosk=")[1] not in render_page(client).text  # never shown again

    screen = TestClient(client.app, follow_redirects=False)
    signed_in = screen.get(url.removeprefix("http://testserver"))
    assert signed_in.status_code == 303 and "lr_session" in signed_in.cookies


@pytest.mark.parametrize("username", ["operator", "mayor"])
def test_admin_callbacks_called_by_a_non_admin_change_nothing(room, people, client, username):
    link = accounts.create_kiosk_link(room, "Layar 1", role="operator", by=ROOT)
    device = accounts.add_device(room, "HP", agency="damkar", by=ROOT)
    users, credentials = accounts.list_users(room, by=ROOT), accounts.list_credentials(
        room, by=ROOT)
    trail = audit.recent(room, by=ROOT)
    sign_in(client, username, next_path="/admin")

    attempts = [
        ("users-table", "user-add", NEW_USER),
        ("users-table", row_button("users-grid", "boss", "off"), {}),
        ("kiosk-table", "kiosk-create", {"kiosk-name": "Layar liar", "kiosk-role": "mayor"}),
        ("kiosk-table", row_button("kiosk-grid", link.id, "revoke"), {}),
        ("api_token-table", "api_token-create", {"api_token-username": "boss"}),
        ("device-table", "device-create", {"device-name": "HP", "device-agency": "damkar"}),
        ("device-table", row_button("device-grid", device.id, "rotate"), {}),
    ]
    for first_output, button, fields in attempts:
        response = click(client, first_output, button, **fields)
        message = response[first_output.replace("table", "message")]["children"]["props"]
        assert message["children"].startswith("Tidak ada yang diubah: ")
        assert message["children"].endswith("Anda tidak berwenang mengelola akun.")
        assert first_output not in response  # no table sent back
        assert "lr_" not in json.dumps(response)  # no secret

    assert accounts.list_users(room, by=ROOT) == users
    assert accounts.list_credentials(room, by=ROOT) == credentials
    assert audit.recent(room, by=ROOT) == trail


def test_a_row_click_the_page_never_sends_changes_nothing(room, people, client):
    """The grid's click data comes from the browser: a button a row does not have, or data
    of another shape, is ignored (a kiosk link has no new secret, so "rotate" must not
    revoke it either)."""
    link = accounts.create_kiosk_link(room, "Layar 1", role="mayor", by=ROOT)
    users, credentials = accounts.list_users(room, by=ROOT), accounts.list_credentials(
        room, by=ROOT)
    sign_in(client, "boss", next_path="/admin")
    attempts = [
        ("kiosk-table", row_button("kiosk-grid", link.id, "rotate")),
        ("kiosk-table", row_button("kiosk-grid", link.id, "hapus")),
        ("users-table", row_button("users-grid", "operator", "revoke")),
        ("users-table", {"grid": ids.grid("users-grid"), "value": {"rowId": "operator"}}),
        ("users-table", {"grid": ids.grid("users-grid"), "value": "off"}),
        ("kiosk-table", {"grid": ids.grid("kiosk-grid"),
                         "value": {"value": {"action": "revoke"}, "rowId": ["x"]}}),
    ]
    for first_output, button in attempts:
        response = post_click(client, first_output, button)
        assert response.status_code == 204, (button, response.text)  # (no update)
    assert accounts.list_users(room, by=ROOT) == users
    assert accounts.list_credentials(room, by=ROOT) == credentials


SLA_CHANGE = {"category-code": "banjir", "category-priority": 1, "category-ack": 4,
              "category-resolve": 60}


def test_an_admin_changes_an_sla_and_new_reports_follow_it(room, people, client):
    sign_in(client, "mayor")
    refused = click(client, "categories-table", "category-save", **SLA_CHANGE)
    assert "Tidak ada yang diubah" in json.dumps(refused)
    assert room.city.categories["banjir"].sla_resolve_minutes != 60
    sign_in(client, "boss")
    saved = click(client, "categories-table", "category-save", **SLA_CHANGE)
    assert "Kategori banjir disimpan" in json.dumps(saved)
    banjir = room.city.categories["banjir"]
    assert (banjir.priority, banjir.sla_acknowledge_minutes, banjir.sla_resolve_minutes) == (
        1, 4, 60)
    bad = click(client, "categories-table", "category-save", **{**SLA_CHANGE,
                                                               "category-resolve": 2})
    assert "cannot be due before" in json.dumps(bad)
    assert room.city.categories["banjir"].sla_resolve_minutes == 60
    recoloured = click(client, "agencies-table", "agency-save", **{
        "agency-key": "drainase", "agency-colour": "#00aaff"})
    assert "#00aaff" in json.dumps(recoloured)
    actions = [entry["action"] for entry in audit.recent(room, by=ROOT)]
    assert {"category.changed", "agency.changed"} <= set(actions)


def test_an_admin_gives_a_resolve_sla_in_working_days_and_the_table_shows_it(
        room, people, client):
    sign_in(client, "boss")
    saved = click(client, "categories-table", "category-save", **{
        "category-code": "genangan", "category-resolve-days": 3})
    assert "Kategori genangan disimpan" in json.dumps(saved)
    genangan = room.city.categories["genangan"]
    assert (genangan.sla_resolve_minutes, genangan.sla_resolve_working_days) == (None, 3)
    table = json.dumps(saved)
    assert "SLA selesai (hari kerja)" in table
    assert '"resolve": null, "acknowledge_days": null, "resolve_days": 3' in table


def test_the_admin_page_counts_fixes_from_unknown_device_ids(room, people, client):
    for n in range(3):
        client.get("/osmand", params={"id": f"tebakan-{n}", "lat": "-6.1", "lon": "106.6"})
    sign_in(client, "boss", next_path="/admin")
    page = render_page(client).text
    assert "Lokasi dari ID perangkat yang tidak dikenal: 3 ditolak; 0 permintaan ditahan" in page


def test_an_admin_gives_a_device_a_new_secret_and_sees_which_still_send_officer_ids(
        room, people, client):
    old = device_registered_before_secrets(room, "dishub", "Pak Lama")
    sign_in(client, "boss", next_path="/admin")
    assert "mengirim ID petugas: buat rahasia baru" in render_page(client).text
    response = click(client, "device-table", row_button("device-grid", old, "rotate"))
    (new,) = [row for row in accounts.list_credentials(room, kind="device", by=ROOT)
              if row["revoked_at"] is None]
    box = json.dumps(response["device-issued"])
    secret = next(word for word in box.split('"') if word.startswith("lr_device_"))
    assert accounts.credential_principal(room, secret, ("device",))[0].officer_id == old
    assert f"{old} diganti dengan {new['id']}" in json.dumps(response["device-message"])
    page = render_page(client).text
    assert "mengirim ID petugas" not in page and secret not in page  # shown that once
    assert ("user:boss", "device.rotated", old) in [
        (e["actor"], e["action"], e["target"]) for e in audit.recent(room, by=ROOT)]

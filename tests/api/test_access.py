"""Access over HTTP: every role against every API action, pages, login, kiosk links."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from app import create_app
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import assign_incident, report_incident
from liveroom.commands.officers import register_officer
from tests.conftest import person

ADMIN = person("root", "admin")
PASSWORD = "kata-sandi-rahasia"
USERS = {
    "admin": dict(roles=["admin"]),
    "mayor": dict(roles=["mayor"]),
    "supervisor": dict(roles=["supervisor"], agencies=["kebersihan"]),
    "operator": dict(roles=["operator"]),
    "officer": dict(roles=["officer"], agencies=["kebersihan"], officer_id="dlh-1"),
}


@pytest.fixture
def world(room, tangerang_point):
    for officer_id in ("dlh-1", "dlh-2"):
        register_officer(room, officer_id, name=officer_id, agency="kebersihan", by=SYSTEM)
    for username, fields in USERS.items():
        accounts.add_user(room, username, PASSWORD, by=ADMIN, **fields)
    lat, lon = tangerang_point
    triaged = report_incident(room, category="sampah-menumpuk", lat=lat, lon=lon, source="t",
                              by=SYSTEM)
    assigned = report_incident(room, category="sampah-menumpuk", lat=lat, lon=lon,
                               source="t", by=SYSTEM)
    assign_incident(room, assigned.id, "dlh-1", by=SYSTEM)
    tokens = {u: accounts.create_api_token(room, u, by=ADMIN).secret for u in USERS}
    return {"triaged": triaged.id, "assigned": assigned.id, "tokens": tokens}


@pytest.fixture
def client(room):
    with TestClient(create_app(room).server, follow_redirects=False) as client:
        yield client


REQUESTS = {
    "read assigned": ("get", "/incidents/{assigned}", None),
    "assign": ("post", "/incidents/{triaged}/assign", {"officer_id": "dlh-2"}),
    "reassign": ("post", "/incidents/{assigned}/assign", {"officer_id": "dlh-2",
                                                         "reason": "lebih dekat"}),
    "acknowledge": ("post", "/incidents/{assigned}/status", {"status": "acknowledged"}),
    "reject": ("post", "/incidents/{triaged}/status", {"status": "rejected", "reason": "x"}),
    "note": ("post", "/incidents/{assigned}/notes", {"text": "dicek"}),
    "triage": ("post", "/incidents/{triaged}/triage", {"category": "pembuangan-liar"}),
}
ALLOWED = {
    "read assigned": {"admin", "mayor", "supervisor", "operator", "officer"},
    "assign": {"admin", "supervisor", "operator"},
    "reassign": {"admin", "supervisor"},
    "acknowledge": {"admin", "supervisor", "operator", "officer"},
    "reject": {"admin", "supervisor", "operator"},
    "note": {"admin", "supervisor", "operator", "officer"},
    "triage": {"admin", "supervisor", "operator"},
}


@pytest.mark.parametrize("role", USERS)
@pytest.mark.parametrize("action", REQUESTS)
def test_every_role_against_every_api_action(room, world, client, role, action, caplog):
    method, path, body = REQUESTS[action]
    url = "/api/v1" + path.format(**world)
    stream = room.keys.stream("incidents")
    before = room.redis.xlen(stream)
    headers = {"Authorization": f"Bearer {world['tokens'][role]}"}
    response = client.request(method, url, json=body, headers=headers)
    if role in ALLOWED[action]:
        assert response.status_code == 200, response.text
        assert room.redis.xlen(stream) == before + (method == "post")
    else:
        assert response.status_code == 403, response.text
        assert response.json()["code"] == "forbidden"
        assert room.redis.xlen(stream) == before
        assert f"refused: user:{role} may not" in caplog.text  # and it is logged


def test_no_token_or_a_revoked_one_is_401_at_once(room, world, client):
    url = f"/api/v1/incidents/{world['triaged']}/assign"
    assert client.post(url, json={"officer_id": "dlh-2"}).status_code == 401
    token = world["tokens"]["operator"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json()["actor"] == "user:operator"
    credential = next(c for c in accounts.list_credentials(room, by=ADMIN)
                      if c["username"] == "operator")
    accounts.revoke_credential(room, credential["id"], by=ADMIN)
    response = client.post(url, json={"officer_id": "dlh-2"}, headers=headers)
    assert response.status_code == 401 and response.headers["www-authenticate"] == "Bearer"


def sign_in(client, username: str, password: str = PASSWORD, next_path: str = "/"):
    page = client.get(f"/login?next={next_path}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf": csrf, "next": next_path, "lang": "id"})


def dash_update(client) -> int:
    """What the page does first: ask the server to render the page for its address."""
    body = {"output": "page.children", "outputs": {"id": "page", "property": "children"},
            "inputs": [{"id": "url", "property": "pathname", "value": "/"},
                       {"id": "url", "property": "search", "value": ""}],
            "changedPropIds": []}
    return client.post("/_dash-update-component", json=body)


def test_pages_and_callbacks_need_a_session(room, world, client, caplog):
    response = client.get("/")
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2F"
    assert dash_update(client).status_code == 401
    assert "refused POST /_dash-update-component" in caplog.text
    login = client.get("/login")
    assert login.status_code == 200 and "Kata sandi" in login.text
    assert sign_in(client, "mayor").status_code == 303
    assert client.get("/").status_code == 200
    assert "Laporan aktif" in dash_update(client).text
    assert sign_in(client, "officer").status_code == 303  # an officer has no wall screen
    assert "tidak berhak" in dash_update(client).text


def test_login_refuses_bad_passwords_forged_forms_and_floods(room, world, client):
    assert sign_in(client, "operator", "salah-sekali-ini").status_code == 401
    forged = client.post("/login", data={"username": "operator", "password": PASSWORD,
                                         "csrf": "forged", "next": "/"})
    assert forged.status_code == 403
    for _ in range(4):
        sign_in(client, "operator", "salah-lagi-ini")
    throttled = sign_in(client, "operator")
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
    assert "Terlalu banyak percobaan" in throttled.text
    assert "lr_session" not in throttled.cookies


def test_login_never_redirects_off_site(room, world, client):
    response = sign_in(client, "operator", next_path="//evil.example/x")
    assert response.headers["location"] == "/"


def test_sessions_are_cookies_with_safe_flags_and_logout_needs_its_token(room, world, client):
    response = sign_in(client, "operator")
    cookie = response.headers["set-cookie"]
    assert "lr_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Max-Age=43200" in cookie
    assert client.post("/logout", data={"csrf": "nope"}).status_code == 403
    assert client.get("/").status_code == 200
    from liveroom.api.access import csrf_token

    token = client.cookies.get("lr_session")
    assert client.post("/logout", data={"csrf": csrf_token(token)}).status_code == 303
    assert client.get("/").status_code == 303


def test_a_kiosk_link_signs_a_screen_in_and_revoking_it_signs_it_out(room, world, client):
    issued = accounts.create_kiosk_link(room, "Layar dinding", role="mayor", by=ADMIN)
    response = client.get(f"/?kiosk={issued.secret}")
    assert response.status_code == 303 and response.headers["location"] == "/"
    assert issued.secret not in response.headers["location"]
    assert client.get("/").status_code == 200
    accounts.revoke_credential(room, issued.id, by=ADMIN)
    assert client.get("/").status_code == 303
    assert client.get(f"/?kiosk={issued.secret}").headers["location"] == "/login?kiosk=invalid"


def test_every_response_carries_security_headers(room, world, client):
    for response in (client.get("/login"), client.get("/"), client.get("/healthz")):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_scripts_run_only_from_the_server_or_by_hash_and_connect_only_back(room, client):
    policy = dict(part.strip().split(" ", 1) for part in
                  client.get("/login").headers["content-security-policy"].split(";"))
    script = policy["script-src"].split()
    assert script[0] == "'self'" and "'unsafe-inline'" not in script
    assert "'unsafe-eval'" not in script
    assert script[1:] and all(s.startswith("'sha256-") for s in script[1:])  # Dash's own
    assert policy["connect-src"] == "'self'"  # (websockets back to the same host included)

"""The officer's phone over HTTP and its websocket: the page, its session-and-CSRF calls to
`/api/v1`, resolving with a photo (once, even when replayed), and tasks pushed as they
come and go."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from starlette.websockets import WebSocketDisconnect

from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import assign_incident, get_incident, report_incident
from liveroom.commands.officers import register_officer
from liveroom.i18n import catalog
from tests.api.conftest import signed_in
from tests.api.test_access import ADMIN, PASSWORD
from tests.api.test_idempotency import events
from tests.conftest import MORNING, drain


def report_at(room, n: int) -> str:
    spot = list(room.city.districts.values())[n].geometry.representative_point()
    return report_incident(room, category="sampah-menumpuk", lat=spot.y, lon=spot.x,
                           source="t", by=SYSTEM).id


@pytest.fixture
def agus(room):
    post = next(p for p in room.city.posts.values() if p.agency == "kebersihan")
    register_officer(room, "dlh-1", name="Agus", agency="kebersihan", post_id=post.id,
                     by=SYSTEM)
    register_officer(room, "dlh-2", name="Budi", agency="kebersihan", by=SYSTEM)
    accounts.add_user(room, "agus", PASSWORD, roles=["officer"], agencies=["kebersihan"],
                      officer_id="dlh-1", by=ADMIN)
    accounts.add_user(room, "opi", PASSWORD, roles=["operator"], by=ADMIN)
    return post


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (80, 60), (200, 90, 40)).save(out, "JPEG")
    return out.getvalue()


def test_the_page_is_for_field_officers(client, room, agus):
    signed_in(room, client, "opi")
    refused = client.get("/field")
    assert refused.status_code == 403 and 'id="field-refused"' in refused.text
    signed_in(room, client, "agus")
    page = client.get("/field")
    assert page.status_code == 200
    assert "Agus" in page.text and "Absen masuk" in page.text
    assert "Check in" in client.get("/field?lang=en").text


def test_the_page_calls_the_api_only_with_its_csrf_token(client, room, agus):
    task = report_at(room, 0)
    assign_incident(room, task, "dlh-1", by=SYSTEM)
    csrf = signed_in(room, client, "agus")
    url = f"/api/v1/incidents/{task}/status"
    for headers in ({}, {"X-CSRF-Token": "forged"}):  # another site's form cannot act
        assert client.post(url, json={"status": "acknowledged"},
                           headers=headers).status_code == 401
    assert get_incident(room, task).status == "assigned"
    done = client.post(url, json={"status": "acknowledged"}, headers=csrf)
    assert done.status_code == 200 and done.json()["status"] == "acknowledged"


def test_check_in_refusals_carry_their_rule_for_the_phone_to_say(client, room, agus):
    csrf = signed_in(room, client, "agus")
    lat, lon = agus.centre
    outside = client.post("/api/v1/field/check-in", headers=csrf,
                          json={"lat": lat + 0.03, "lon": lon, "accuracy": 6})
    assert outside.status_code == 422
    assert outside.json()["code"] == "outside_geofence"
    assert outside.json()["params"] == {"post": agus.name}
    said = catalog("id")["field.error." + outside.json()["code"]]  # the phone says it so
    assert said.format(**outside.json()["params"]) == f"Anda di luar area {agus.name}. " \
        "Absen hanya di dalam area pos."
    bad = client.post("/api/v1/field/check-in", headers=csrf, json={"lat": 200, "lon": lon})
    assert bad.status_code == 422
    inside = client.post("/api/v1/field/check-in", headers=csrf,
                         json={"lat": lat, "lon": lon, "accuracy": 6})
    assert inside.status_code == 200 and inside.json()["on_duty_post"] == agus.id


def test_a_replayed_resolve_with_its_photo_is_done_once(client, room, agus):
    task = report_at(room, 0)
    assign_incident(room, task, "dlh-1", by=SYSTEM)
    csrf = signed_in(room, client, "agus")
    for step in ("acknowledged", "en_route", "on_scene"):
        client.post(f"/api/v1/incidents/{task}/status", json={"status": step}, headers=csrf)
    url = f"/api/v1/incidents/{task}/resolve"
    broken = client.post(url, headers={**csrf, "Idempotency-Key": "resolve-0000-x"},
                         data={"note": "Selesai"}, files={"photo": ("f.jpg", b"not a photo")})
    assert broken.status_code == 422 and "not a readable image" in broken.json()["message"]
    assert get_incident(room, task).status == "on_scene"  # refused whole: nothing lost
    headers = {**csrf, "Idempotency-Key": "resolve-0001-abc"}
    first = client.post(url, headers=headers, data={"note": "Sampah diangkut"},
                        files={"photo": ("foto.jpg", photo(), "image/jpeg")})
    again = client.post(url, headers=headers, data={"note": "Sampah diangkut"},
                        files={"photo": ("foto.jpg", photo(), "image/jpeg")})
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert events(room, task).count("incident.status_changed") == 4
    assert len(list(room.settings.photos_dir.glob("*.jpg"))) == 1
    assert client.get(first.json()["media_url"]).headers["content-type"] == "image/jpeg"


def receive_state(socket) -> dict:
    while (message := socket.receive_json())["type"] != "state":
        pass
    return message


def test_tasks_are_pushed_as_they_arrive_and_leave(client, room, agus):
    signed_in(room, client, "agus")
    with client.websocket_connect("/ws/field?lang=id") as socket:
        first = receive_state(socket)
        assert first["tasks"] == [] and first["officer"]["name"] == "Agus"
        task = report_at(room, 1)
        assign_incident(room, task, "dlh-1", by=SYSTEM)
        drain(room)
        arrived = receive_state(socket)
        assert [t["id"] for t in arrived["tasks"]] == [task] and arrived["gone"] == []
        assign_incident(room, task, "dlh-2", by=SYSTEM, reason="Budi lebih dekat")
        drain(room)
        left = receive_state(socket)
        assert left["tasks"] == [] and left["gone"] == [{"id": task, "why": "reassigned"}]


def test_the_phone_shares_its_location_up_the_same_socket(client, room, agus):
    signed_in(room, client, "agus")
    lat, lon = agus.centre
    with client.websocket_connect("/ws/field") as socket:
        receive_state(socket)
        socket.send_text(f'{{"location": [{{"timestamp": "{MORNING:%Y-%m-%dT%H:%M:%SZ}", '
                         f'"coords": {{"latitude": {lat}, "longitude": {lon}, '
                         '"accuracy": 5}}]}')
        assert socket.receive_json() == {"type": "fix", "ok": 1}
        socket.send_text('{"location": {"coords": {"latitude": "north"}}}')
        assert "latitude" in socket.receive_json()["error"]
    drain(room)
    assert room.redis.hget(room.keys.view("officer", "dlh-1"), "lat") == str(lat)


def test_the_socket_refuses_other_sites_and_non_officers(client, room, agus):
    signed_in(room, client, "agus")
    with pytest.raises(WebSocketDisconnect) as cross_site, client.websocket_connect(
            "/ws/field", headers={"Origin": "https://evil.example"}) as socket:
        socket.receive_json()
    assert cross_site.value.code == 4403
    signed_in(room, client, "opi")
    with pytest.raises(WebSocketDisconnect) as operator, client.websocket_connect(
            "/ws/field") as socket:
        socket.receive_json()
    assert operator.value.code == 4403


"""/api/v1 refuses what is not a place or a number, with the rule, never a 500."""

from __future__ import annotations

import pytest

from liveroom.commands import accounts
from tests.api.test_access import PASSWORD
from tests.conftest import person


@pytest.fixture
def bearer(room):
    admin = person("root", "admin")
    accounts.add_user(room, "opi", PASSWORD, roles=["operator"], by=admin)
    return {"Authorization": f"Bearer {accounts.create_api_token(room, 'opi', by=admin).secret}"}


@pytest.mark.parametrize(("lat", "lon"), [("91", "106.6"), ("NaN", "106.6"), ("inf", "106.6"),
                                          ("1e269", "106.6"), ("-6.2", "-inf"),
                                          ("-6.2", "181")])
def test_officers_near_refuses_a_point_not_on_earth(client, bearer, lat, lon):
    response = client.get("/api/v1/officers/near", headers=bearer,
                          params={"lat": lat, "lon": lon, "agency": "dishub"})
    assert response.status_code == 422
    (problem,) = response.json()["detail"]
    assert problem["loc"][-1] in ("lat", "lon") and problem["msg"]


def test_officers_near_answers_for_a_real_point(client, bearer):
    response = client.get("/api/v1/officers/near", headers=bearer,
                          params={"lat": "-6.2", "lon": "106.6", "agency": "dishub"})
    assert response.status_code == 200 and response.json() == []  # no one registered yet


def test_every_endpoint_refuses_a_body_past_its_limit(room, client, bearer):
    too_big = room.settings.photo_max_bytes + 1_000_001  # a photo's limit, and a margin
    response = client.post("/api/v1/incidents/261201-AAAAA/notes", headers=bearer,
                           content=b"{" + b" " * too_big + b"}")
    assert response.status_code == 413 and response.json()["code"] == "too_large"
    assert "larger than" in response.json()["message"]  # (the API's refusal, as documented)
    login = client.post("/login", data={"username": "opi", "password": "p" * 20_000})
    assert login.status_code == 413


@pytest.mark.parametrize("lat", ["-89", "85.06", "90"])
def test_nobody_is_near_a_pole_and_asking_is_no_error(client, bearer, lat):
    """Redis's geo index stops at ±85.05°: past it, an empty answer, never a 500."""
    near = client.get("/api/v1/officers/near", headers=bearer,
                      params={"lat": lat, "lon": "106.6", "agency": "dishub"})
    assert (near.status_code, near.json()) == (200, [])
    similar = client.get("/api/v1/reports/similar", headers=bearer,
                         params={"category": "banjir", "lat": lat, "lon": "106.6"})
    assert (similar.status_code, similar.json()) == (200, [])


def test_a_body_that_is_not_utf8_is_refused_with_its_place(client, bearer):
    for path, kind, body in (("notes", "application/json", b'{"text": "\xae\x0f"}'),
                             ("resolve", "multipart/form-data; boundary=x", b"garbage")):
        refused = client.post(f"/api/v1/incidents/261201-AAAAA/{path}", content=body,
                              headers={**bearer, "Content-Type": kind})
        assert refused.status_code == 422
        assert refused.json()["detail"][0]["loc"] == ["body"]

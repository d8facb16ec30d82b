"""The machine APIs as their OpenAPI document says: `/api/v1/openapi.json` is served to
anyone and holds no secret; Swagger UI at `/api/v1/docs` is for signed-in admins; and
schemathesis, throwing generated and hostile requests at every documented route as an
admin, gets no 5xx, no status the document does not list, and answers that match their
schemas."""

from __future__ import annotations

import hashlib

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from liveroom.access import SYSTEM
from liveroom.commands import accounts
from liveroom.commands.incidents import report_incident
from liveroom.commands.officers import register_officer
from liveroom.commands.units import register_unit
from tests.api.conftest import signed_in
from tests.api.test_access import PASSWORD
from tests.conftest import drain, person

ADMIN = person("root", "admin")
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
#: generated requests per operation and mode (valid, invalid)
EXAMPLES = 10


@pytest.fixture
def world(room, tangerang_point) -> dict:
    """An admin's token, an Open311 API key, an officer, a unit and an open incident, by
    the names of the fields that name them."""
    lat, lon = tangerang_point
    register_officer(room, "dk-1", name="Dani", agency="damkar", by=SYSTEM)
    register_unit(room, "damkar-01", call_sign="Damkar 01", agency="damkar", crew=["dk-1"],
                  by=SYSTEM)
    accounts.add_user(room, "root", PASSWORD, roles=["admin"], by=ADMIN)
    accounts.add_user(room, "opi", PASSWORD, roles=["operator"], by=ADMIN)
    fire = report_incident(room, category="kebakaran", lat=lat, lon=lon, source="t",
                           attributes={"orang-terjebak": "tidak"}, by=SYSTEM)
    drain(room)
    return {"bearer": accounts.create_api_token(room, "root", by=ADMIN).secret,
            "api_key": accounts.create_api_key(room, "app", by=ADMIN).secret,
            "incident_id": fire.id, "service_request_id": fire.id, "token": fire.id,
            "unit_id": "damkar-01", "officer_id": "dk-1", "category": "sampah-menumpuk",
            "service_code": "sampah-menumpuk", "agency": "damkar", "channel": "telepon",
            "jurisdiction_id": room.city.jurisdiction_id, "lat": lat, "lon": lon}


def _half(value: object) -> bool:
    """Half the generated values, chosen by the value itself (the run stays deterministic)."""
    return hashlib.sha256(repr(value).encode()).digest()[0] % 2 == 1


def _aimed(case, world: dict) -> None:
    """Half the generated ids, categories, points and API keys become the world's, for the
    routes to go past their 404s and refusals into the work itself."""
    for where in (case.path_parameters, case.query, case.body):
        if not isinstance(where, dict):
            continue
        for name, value in list(where.items()):
            if name in world and isinstance(value, str) and _half(value):
                where[name] = world[name]
        if ("lat" in where or "category" in where) and _half(sorted(where)):
            open311 = "api_key" in where or isinstance(where.get("lat"), str)
            as_sent = str if open311 else float
            where.update({"lat": as_sent(world["lat"]),
                          "long" if open311 else "lon": as_sent(world["lon"])})


def test_every_route_answers_as_its_document_says(room, world):
    """Valid requests and invalid ones (a wrong type, a missing field, a value out of its
    range) for each operation: a bounded number each, the same ones every run."""
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json",
                                            create_app(room).server)
    headers = {"Authorization": f"Bearer {world['bearer']}"}
    failures, cases = [], 0
    for found in schema.get_all_operations():
        operation = found.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
                      phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            def exchange(case) -> None:
                nonlocal cases
                cases += 1
                _aimed(case, world)
                case.call_and_validate(headers=headers, checks=CHECKS)

            try:
                exchange()
            except (Exception, BaseExceptionGroup) as exc:  # (all tried, all reported)
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert not failures, "\n\n".join(failures)
    assert cases > 40 * EXAMPLES  # (some operations' invalid requests are few)


def test_the_document_is_public_and_holds_no_secret(room, client, world):
    served = client.get("/api/v1/openapi.json")  # no token, no session
    assert served.status_code == 200
    document = served.json()
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert "/api/v1/incidents/{incident_id}/dispatch" in document["paths"]
    assert "/open311/v2/requests.json" in document["paths"]
    assert not [path for path in document["paths"] if path.startswith(
        ("/_dash", "/ws/", "/login", "/lapor", "/osmand", "/admin", "/api/v1/docs"))]
    token, key = world["bearer"], world["api_key"]
    secrets = [token, key, hashlib.sha256(token.encode()).hexdigest(), PASSWORD,
               room.settings.redis_url, room.settings.database_url, room.settings.namespace,
               str(room.settings.data_dir), "testserver", "127.0.0.1", "localhost"]
    assert [s for s in secrets if s and s in served.text] == []
    signed_in(room, client, "root")
    for gone in ("/docs", "/redoc", "/openapi.json"):  # FastAPI's own are off
        page = client.get(gone).text.lower()
        assert "swagger" not in page and "redoc" not in page and '"openapi"' not in page


def test_swagger_ui_is_for_signed_in_admins_and_served_from_here(room, client, world):
    assert client.get("/api/v1/docs", follow_redirects=False).headers["location"] == (
        "/login?next=%2Fapi%2Fv1%2Fdocs")
    bearer = {"Authorization": f"Bearer {world['bearer']}"}  # a token is no browser session
    assert client.get("/api/v1/docs", headers=bearer,
                      follow_redirects=False).status_code == 303
    signed_in(room, client, "opi")
    refused = client.get("/api/v1/docs")
    assert refused.status_code == 403 and 'id="apidocs-refused"' in refused.text
    assert "swagger-ui-bundle.js" not in refused.text
    csrf = signed_in(room, client, "root")
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    assert 'data-document="/api/v1/openapi.json"' in page.text
    assert f'data-csrf="{csrf["X-CSRF-Token"]}"' in page.text  # "try it out" as the admin
    assets = [src for src in ("/assets/vendor/swagger-ui/swagger-ui-bundle.js",
                              "/assets/vendor/swagger-ui/swagger-ui.css",
                              "/assets/apidocs/apidocs.js") if src in page.text]
    assert len(assets) == 3 and "http" not in page.text  # nothing from elsewhere (no CDN)
    for src in assets:
        assert client.get(src).status_code == 200

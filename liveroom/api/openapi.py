"""The machine APIs described: `GET /api/v1/openapi.json`, public (a client is written
before it has a token), and `GET /api/v1/docs`, Swagger UI on it for signed-in admins,
served from this server (`assets/vendor/swagger-ui`: no CDN, the room may be offline).

The document covers `/api/v1` (bearer token: `python -m liveroom tokens create USERNAME`)
and the `.json` form of Open311 GeoReport v2 (an `api_key` in the form); not the pages,
Dash's callbacks, the websockets or the trackers' OsmAnd endpoint. It is built from the
routes alone, so it holds no secret, no host and nothing of the city; once per process.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, Response

from liveroom.access import Action, Forbidden
from liveroom.api import open311, v1
from liveroom.api.access import csrf_token, current_principal
from liveroom.api.errors import MEANING
from liveroom.api.templates import page_language, render_page

router = APIRouter(prefix="/api/v1", include_in_schema=False)
DOCUMENT = "/api/v1/openapi.json"
DOCS = "/api/v1/docs"
#: the routers the document describes: the public machine APIs
DESCRIBED = (v1.router, open311.router)
BEARER = {"type": "http", "scheme": "bearer",
          "description": "an API token: `python -m liveroom tokens create USERNAME` (it acts "
                         "as that user, with their roles and agencies)"}
SUMMARY = """The command room's JSON API (`/api/v1`, a bearer token acting as a user) and
Open311 GeoReport v2 for citizen apps (`/open311/v2`, an `api_key`; shown in its `.json`
form, the `.xml` form has the same fields). A refusal on `/api/v1` is `{code, message,
params?}` with its status: 401 no token, 403 not allowed, 404 not found, 409 an illegal move
or a lost race, 422 a bad command or a body that is not what the route takes, 503 not now
(not yet replicated, a failover under way, the archive down): send it again after its
`Retry-After`. Commands take an `Idempotency-Key`: a replay gets the first outcome."""


def document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document of the described routes (built once, then kept)."""
    built = getattr(app.state, "openapi", None)
    if built is None:
        built = get_openapi(title="LIVE Room", version="1", description=SUMMARY,
                            routes=[route for router in DESCRIBED for route in router.routes])
        components = built.setdefault("components", {})
        components["securitySchemes"] = {"bearer": BEARER}
        for path, operations in built["paths"].items():
            for operation in operations.values():
                operation["security"] = [{"bearer": []}] if path.startswith("/api/") else []
                operation.setdefault("tags", ["api/v1"])
                _our_validation_problems(operation)
        for generic in ("HTTPValidationError", "ValidationError"):
            components.get("schemas", {}).pop(generic, None)
        app.state.openapi = built
    return built


def _our_validation_problems(operation: dict[str, Any]) -> None:
    """FastAPI's own 422 as `errors.validation_refusal` words it (`Invalid`: no value)."""
    generic = operation["responses"].get("422", {})
    content = generic.get("content", {}).get("application/json", {})
    if content.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
        generic["description"] = MEANING[422]
        content["schema"] = {"$ref": "#/components/schemas/Invalid"}


@router.get("/openapi.json")
def openapi_json(request: Request) -> Response:
    return JSONResponse(document(request.app))


@router.get("/docs")
def docs(request: Request) -> Response:
    """Swagger UI for an admin's browser session (the access middleware has signed them
    in or sent them to `/login`); 403 for anyone else. "Try it out" acts as the admin,
    with their session and its CSRF token."""
    lang = page_language(request.query_params.get("lang"))
    try:
        current_principal().check(Action.READ_API_DOCS)
    except Forbidden:
        return render_page("api_docs_refused.html", lang, 403, city=request.app.state.room.city)
    return render_page("api_docs.html", lang, document=DOCUMENT, csrf=csrf_token())

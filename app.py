"""Build the LIVE Room web app: Dash on FastAPI, with the HTTP APIs on the same server.

`uvicorn app:server` (any number of workers) builds it from `LIVEROOM_*`
settings; `python -m liveroom run` does the same on embedded defaults.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

from dash import Dash
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from starlette.exceptions import HTTPException

from callbacks import admin, attendance, desk, grids, home, kpi, live, pages, runcard, units
from layouts.home import shell
from liveroom.api import admin as admin_api
from liveroom.api import attendance as attendance_api
from liveroom.api import citizen, field, health, hooks, login, open311, openapi, siaga, v1
from liveroom.api import kpi as kpi_api
from liveroom.api.access import AccessMiddleware
from liveroom.api.errors import (
    REDIS_UNREACHABLE,
    archive_refusal,
    live_refusal,
    unreadable_body,
    validation_refusal,
)
from liveroom.api.limits import BodyLimit, Limit
from liveroom.api.osmand import MAX_BODY as OSMAND_MAX_BODY
from liveroom.api.osmand import LocationIngest, device_channel
from liveroom.domain.errors import ArchiveUnavailable
from liveroom.i18n import translate
from liveroom.live.changes import ChangeHub
from liveroom.projections.runner import ProjectionService
from liveroom.room import LiveRoom

ASSETS = Path(__file__).parent / "assets"


def create_app(room: LiveRoom) -> Dash:
    """The Dash app for one LiveRoom; projections run while the server runs."""

    @asynccontextmanager
    async def lifespan(_server: FastAPI):
        service = ProjectionService(room) if room.settings.projections else None
        if service:
            service.start()
        try:
            yield
        finally:
            if service:
                service.stop()

    # (FastAPI's own /docs, /redoc and /openapi.json off: `api.openapi` serves the document)
    server = FastAPI(lifespan=lifespan, title="LIVE Room", openapi_url=None, docs_url=None,
                     redoc_url=None)
    server.add_exception_handler(RequestValidationError, validation_refusal)
    server.add_exception_handler(ArchiveUnavailable, archive_refusal)  # (what no route caught)
    for unreachable in REDIS_UNREACHABLE:
        server.add_exception_handler(unreachable, live_refusal)
    server.add_exception_handler(HTTPException, unreadable_body)
    server.state.room = room
    server.state.assets = ASSETS
    server.state.ingest = LocationIngest(room)  # shared with the OsmAnd port's listener
    server.add_api_route("/osmand", server.state.ingest.receive, methods=["GET", "POST"],
                         include_in_schema=False)
    server.state.changes = ChangeHub(room)  # one reader of the changes stream per process
    server.add_api_websocket_route("/ws/device", device_channel)
    server.add_api_websocket_route("/ws/field", field.field_channel)
    server.add_api_websocket_route("/ws/siaga", siaga.siaga_channel)
    server.include_router(health.router)
    server.include_router(login.router)
    server.include_router(openapi.router)
    server.include_router(v1.router)
    server.include_router(open311.router)
    server.include_router(citizen.router)
    server.include_router(hooks.router)
    server.include_router(field.router)
    server.include_router(siaga.router)
    server.include_router(kpi_api.router)
    server.include_router(attendance_api.router)
    server.include_router(admin_api.router)
    app = Dash(
        __name__,
        server=server,
        title=translate("app.title"),
        assets_folder=str(ASSETS),
        # the light pages load their own
        assets_path_ignore=["^apidocs$", "^citizen$", "^field$", "^light$", "^siaga$",
                            "^vendor$"],
        websocket_inactivity_timeout=0,  # a quiet night must not darken a wall screen
        update_title=None,
        # pages arrive after the first render (router), so callbacks cannot be checked
        # against the initial shell
        suppress_callback_exceptions=True,
    )
    app.layout = shell
    pages.register(app, room)
    home.register(app, room)
    runcard.register(app, room)
    desk.register(app, room)
    live.register(app, room)
    admin.register(app, room)
    attendance.register(app, room)
    kpi.register(app, room)
    units.register(app, room)
    grids.register(app)
    # compressed (Leaflet 148 -> 43 KB, Dash's bundles likewise): phones on 3G, remote rooms
    server.add_middleware(GZipMiddleware, minimum_size=1000, compresslevel=6)
    server.add_middleware(AccessMiddleware, room=room,  # before Dash's own
                          script_hashes=app.csp_hashes())
    server.add_middleware(BodyLimit, default=lambda: room.settings.photo_max_bytes + 1_000_000,
                          limits=[Limit("/open311/", open311.MAX_BODY, open311.too_large),
                                  Limit("/lapor", lambda: citizen.max_body(room),
                                        citizen.too_large),
                                  Limit("/login", 16_000), Limit("/osmand", OSMAND_MAX_BODY),
                                  Limit("/hooks/", hooks.MAX_BODY)])
    # (outermost: sizes before anything else)
    app._setup_server()  # fully set up before the first websocket reconnects after a restart
    return app


def create_server(room: LiveRoom) -> FastAPI:
    """The ASGI app `python -m liveroom run` serves (its `--app` names this)."""
    return create_app(room).server


def __getattr__(name: str):
    """`app.server` for `uvicorn app:server`, built from the environment on first use."""
    if name == "server":
        return _server_from_environment()
    raise AttributeError(name)


def _server_from_environment() -> FastAPI:
    """What stops `liveroom run` (a bad setting or city pack, an unreachable Redis or
    database, demo accounts in production) stops a worker too: one line, and uvicorn's
    start-up failure code, on which `--workers N` stops instead of starting the workers
    again and again."""
    import sys

    import redis
    from sqlalchemy.exc import OperationalError
    from uvicorn.config import STARTUP_FAILURE

    from liveroom.archive import migrate, rollups
    from liveroom.cities import CityPackError
    from liveroom.commands.accounts import ensure_not_demo_in_production
    from liveroom.config import SettingsError, load_settings
    from liveroom.domain.errors import DomainError

    try:
        room = LiveRoom.open(load_settings())
        migrate(room.engine)
        rollups.fill_if_empty(room.engine, room.city.timezone)
        ensure_not_demo_in_production(room)
    except (SettingsError, CityPackError, DomainError) as exc:
        refusal = f"refusing to start: {exc}"
    except (redis.ConnectionError, OperationalError) as exc:
        server = "Redis" if isinstance(exc, redis.RedisError) else "the database"
        refusal = f"cannot reach {server}: {str(exc).splitlines()[0]}"
    else:
        return create_app(room).server
    print(" ".join(refusal.split()), file=sys.stderr)
    raise SystemExit(STARTUP_FAILURE)

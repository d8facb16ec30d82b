"""`GET /healthz`: for wall-screen monitors and load balancers: 503 when Redis is down (this
worker can do nothing), 200 when `ok` or `degraded` (the archive down among them: every
worker is alike then, and the live room still works, so none is taken out)."""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from liveroom.projections.health import health
from liveroom.projections.runner import all_policies, all_projections

router = APIRouter()


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    room = request.app.state.room
    report = health(room, [*all_projections(room), *all_policies(room)])
    return JSONResponse(report, status_code=503 if report["status"] == "down" else 200)

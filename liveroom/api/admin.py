"""`/admin/audit.csv`: the whole audit trail for an admin to download (session sign-in).

The access middleware has already required a session; the audit service decides
whether this principal may read the trail.
"""

from __future__ import annotations

import logging

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from liveroom.access import Forbidden
from liveroom.api.access import current_principal
from liveroom.commands.audit import export_csv

router = APIRouter()
log = logging.getLogger("liveroom.access")


@router.get("/admin/audit.csv")
async def audit_csv(request: Request) -> Response:
    room = request.app.state.room
    try:
        by = current_principal()
        text = await anyio.to_thread.run_sync(lambda: export_csv(room, by=by))
    except Forbidden as exc:
        log.warning("refused: %s", exc)
        return JSONResponse({"code": exc.code, "message": str(exc)}, 403)
    return Response(text, media_type="text/csv; charset=utf-8", headers={
        "Content-Disposition": "attachment; filename=liveroom-audit.csv"})

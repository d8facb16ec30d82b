"""`/kpi/{table}.csv` and `/kpi/{table}.xlsx`: any table of the KPI page to download
(session sign-in; the same filters as the page: `period` today/7d/30d/custom, `from`, `to`,
`agency`, `district`, `category`, `dimension`, `lang`)."""

from __future__ import annotations

import logging

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from liveroom.api.access import current_principal
from liveroom.api.templates import page_language
from liveroom.domain.errors import DomainError
from liveroom.room import LiveRoom
from liveroom.services.kpi import Scope, dashboard
from liveroom.services.kpi.exports import TABLES
from liveroom.services.spreadsheets import csv_bytes, xlsx_bytes

router = APIRouter()
log = logging.getLogger("liveroom.access")
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


@router.get("/kpi/{table}.{fmt}")
async def download(request: Request, table: str, fmt: str) -> Response:
    if table not in TABLES or fmt not in MEDIA:
        return JSONResponse({"code": "not_found", "message": f"one of {', '.join(TABLES)} "
                             "as csv or xlsx"}, 404)
    room: LiveRoom = request.app.state.room
    params, lang = request.query_params, page_language(request.query_params.get("lang"))
    by = current_principal()

    def build() -> tuple[Scope, bytes]:
        today = room.clock().astimezone(room.city.timezone).date()
        scope = Scope.chosen(today, params.get("period"), params.get("from"),
                             params.get("to"), params.get("agency"), params.get("district"),
                             params.get("category"))
        data = dashboard(room, scope, by=by, dimension=params.get("dimension") or "category")
        headers, rows = TABLES[table](data, room.city, lang)
        return scope, (csv_bytes(headers, rows) if fmt == "csv"
                       else xlsx_bytes([(table, headers, rows)]))

    try:
        scope, body = await anyio.to_thread.run_sync(build)
    except DomainError as exc:
        status = 403 if exc.code == "forbidden" else 400
        if status == 403:
            log.warning("refused: %s", exc)
        return JSONResponse({"code": exc.code, "message": str(exc)}, status)
    name = f"kpi-{table}-{scope.period.first}_{scope.period.last}.{fmt}"
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f"attachment; filename={name}"})

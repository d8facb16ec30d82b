"""Downloads from the KPI page (session sign-in):

- `/kpi/{table}.csv` and `.xlsx`: any table of the page, with the page's filters (`period`
  today/7d/30d/custom, `from`, `to`, `agency`, `district`, `category`, `dimension`, `lang`);
- `/kpi/recap.xlsx` and `.pdf`: the monthly performance recap per agency and officer
  (`month` YYYY-MM, default this month; `agency`; `lang`).
"""

from __future__ import annotations

import logging
from datetime import date

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from liveroom.api.access import current_principal
from liveroom.api.errors import json_refusal
from liveroom.api.templates import page_language
from liveroom.domain.errors import DomainError
from liveroom.reporting.kpi import Scope, dashboard
from liveroom.reporting.kpi.exports import TABLES
from liveroom.reporting.kpi.recap import month_of, monthly_recap, recap_pdf, recap_xlsx
from liveroom.reporting.spreadsheets import csv_bytes, xlsx_bytes
from liveroom.room import LiveRoom

router = APIRouter()
log = logging.getLogger("liveroom.access")
MEDIA = {"csv": "text/csv; charset=utf-8",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pdf": "application/pdf"}


@router.get("/kpi/recap.{fmt}")
async def recap(request: Request, fmt: str) -> Response:
    if fmt not in ("xlsx", "pdf"):
        return JSONResponse({"code": "not_found", "message": "xlsx or pdf"}, 404)
    room: LiveRoom = request.app.state.room
    params, lang = request.query_params, page_language(request.query_params.get("lang"))
    by = current_principal()

    def build() -> tuple[date, bytes]:
        today = room.clock().astimezone(room.city.timezone).date()
        month = month_of(params.get("month"), today)
        made = monthly_recap(room, month, by=by, agency=params.get("agency") or None)
        return month, recap_xlsx(made, lang) if fmt == "xlsx" else recap_pdf(made, lang)

    try:
        month, body = await anyio.to_thread.run_sync(build)
    except DomainError as exc:
        return json_refusal(exc, invalid=400)
    return Response(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f"attachment; filename=rekap-kinerja-{month:%Y-%m}.{fmt}"})


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
        scope = Scope.from_query(room.city, today, params)
        data = dashboard(room, scope, by=by, dimension=params.get("dimension") or "category")
        headers, rows = TABLES[table](data, room.city, lang)
        return scope, (csv_bytes(headers, rows) if fmt == "csv"
                       else xlsx_bytes([(table, headers, rows)]))

    try:
        scope, body = await anyio.to_thread.run_sync(build)
    except DomainError as exc:
        return json_refusal(exc, invalid=400)
    name = f"kpi-{table}-{scope.period.first}_{scope.period.last}.{fmt}"
    return Response(body, media_type=MEDIA[fmt],
                    headers={"Content-Disposition": f"attachment; filename={name}"})

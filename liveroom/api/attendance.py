"""`/attendance.csv` and `/attendance.xlsx`: the daily recap to download (session sign-in).

Query: `from` and `to` (YYYY-MM-DD, local dates; default today), `agency`, `lang`.
"""

from __future__ import annotations

import logging
from datetime import date

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from liveroom.access import Forbidden
from liveroom.api.access import current_principal
from liveroom.api.errors import json_refusal
from liveroom.api.templates import page_language
from liveroom.domain.errors import ArchiveUnavailable
from liveroom.reporting.attendance import daily_recap, recap_csv, recap_xlsx
from liveroom.room import LiveRoom

router = APIRouter()
log = logging.getLogger("liveroom.access")
FORMATS = {
    "csv": (recap_csv, "text/csv; charset=utf-8"),
    "xlsx": (recap_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


def period(room: LiveRoom, params) -> tuple[date, date]:
    """(`from`, `to`) as local dates; today (in the city's zone) when not given."""
    today = room.clock().astimezone(room.city.timezone).date()
    first = date.fromisoformat(params["from"]) if params.get("from") else today
    last = date.fromisoformat(params["to"]) if params.get("to") else first
    return first, last


@router.get("/attendance.{fmt}")
async def download(request: Request, fmt: str) -> Response:
    if fmt not in FORMATS:
        return JSONResponse({"code": "not_found", "message": "csv or xlsx"}, 404)
    room: LiveRoom = request.app.state.room
    params, lang = request.query_params, page_language(request.query_params.get("lang"))
    render, media_type = FORMATS[fmt]
    try:
        by = current_principal()
        first, last = period(room, params)

        def build() -> bytes:
            rows = daily_recap(room, first, last, by=by, agency=params.get("agency") or None)
            return render(rows, room.city, lang)

        body = await anyio.to_thread.run_sync(build)
    except Forbidden as exc:
        log.warning("refused: %s", exc)
        return JSONResponse({"code": exc.code, "message": str(exc)}, 403)
    except ArchiveUnavailable as exc:
        return json_refusal(exc)
    except ValueError as exc:
        return JSONResponse({"code": "invalid", "message": str(exc)}, 400)
    name = f"kehadiran-{first.isoformat()}_{last.isoformat()}.{fmt}"
    return Response(body, media_type=media_type,
                    headers={"Content-Disposition": f"attachment; filename={name}"})

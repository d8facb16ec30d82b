"""The attendance page: render it, and re-query when the period or agency changes."""

from __future__ import annotations

from datetime import date
from functools import partial
from urllib.parse import parse_qs

import anyio
from dash import Dash, Input, Output, State, html

from layouts import attendance as layout
from layouts import ids
from liveroom.access import Principal
from liveroom.api.access import csrf_token, current_principal
from liveroom.domain.errors import ArchiveUnavailable, DomainError
from liveroom.i18n import refusal, translate
from liveroom.reporting.attendance import daily_recap, recent_flags, summarize
from liveroom.room import LiveRoom


def content(room: LiveRoom, by: Principal, first: date, last: date, agency: str | None,
            lang: str) -> list:
    rows = daily_recap(room, first, last, by=by, agency=agency)
    return layout.body(room.city, rows, summarize(rows, "agency"), summarize(rows, "post_id"),
                       recent_flags(room, by=by), lang)


def render(room: LiveRoom, by: Principal, lang: str, search: str = ""):
    """Today's recap, or the period the address names (`?from=YYYY-MM-DD&to=…`)."""
    today = room.clock().astimezone(room.city.timezone).date()
    query = parse_qs(search.lstrip("?"))
    try:
        first = date.fromisoformat(query.get("from", [""])[0] or today.isoformat())
        last = date.fromisoformat(query.get("to", [""])[0] or first.isoformat())
        found = content(room, by, first, last, None, lang)
    except ArchiveUnavailable:  # (the page says so: `pages`)
        raise
    except ValueError:  # (a bad period in the address: today's, as without one)
        first = last = today
        found = content(room, by, today, today, None, lang)
    return layout.attendance_layout(room.city, first, last, found, lang, by, csrf_token())


def register(app: Dash, room: LiveRoom) -> None:
    @app.callback(Output(ids.ATTENDANCE_BODY, "children"),
                  Output(ids.ATTENDANCE_DOWNLOADS, "children"),
                  Input(ids.ATTENDANCE_FROM, "value"), Input(ids.ATTENDANCE_TO, "value"),
                  Input(ids.ATTENDANCE_AGENCY, "value"), State(ids.ATTENDANCE_LANG, "data"),
                  prevent_initial_call=True)
    async def refresh(first: str, last: str, agency: str, lang: str):
        by = current_principal()
        try:
            start, end = date.fromisoformat(first), date.fromisoformat(last)
            found = await anyio.to_thread.run_sync(partial(
                content, room, by, start, end, agency or None, lang))
        except (ValueError, TypeError, DomainError) as exc:
            problem = refusal(exc, lang) if isinstance(exc, DomainError) else translate(
                "attendance.bad_period", lang)
            return [html.P(problem, className="admin-error", role="alert")], []
        return found, layout.download_links(start, end, agency or None, lang)

"""The attendance page: render it, and re-query when the period or agency changes."""

from __future__ import annotations

from datetime import date
from functools import partial

import anyio
from dash import Dash, Input, Output, State, html

from layouts import attendance as layout
from liveroom.access import Principal
from liveroom.api.access import csrf_token, current_principal
from liveroom.domain.errors import DomainError
from liveroom.i18n import refusal, translate
from liveroom.room import LiveRoom
from liveroom.services.attendance import daily_recap, recent_flags, summarize


def content(room: LiveRoom, by: Principal, first: date, last: date, agency: str | None,
            lang: str) -> list:
    rows = daily_recap(room, first, last, by=by, agency=agency)
    return layout.body(room.city, rows, summarize(rows, "agency"), summarize(rows, "post_id"),
                       recent_flags(room, by=by), lang)


def render(room: LiveRoom, by: Principal, lang: str, _search: str = ""):
    today = room.clock().astimezone(room.city.timezone).date()
    return layout.attendance_layout(room.city, today, today,
                                    content(room, by, today, today, None, lang), lang, by,
                                    csrf_token())


def register(app: Dash, room: LiveRoom) -> None:
    @app.callback(Output("attendance-body", "children"),
                  Output("attendance-downloads", "children"),
                  Input("attendance-from", "value"), Input("attendance-to", "value"),
                  Input("attendance-agency", "value"), State("attendance-lang", "data"),
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

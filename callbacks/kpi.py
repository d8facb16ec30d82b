"""The KPI page: render it, and recompute every panel when a filter changes."""

from __future__ import annotations

from datetime import date
from functools import partial

import anyio
from dash import Dash, Input, Output, State, html

from layouts import ids
from layouts import kpi as layout
from liveroom.access import Principal
from liveroom.api.access import csrf_token, current_principal
from liveroom.domain.errors import DomainError
from liveroom.i18n import refusal, translate
from liveroom.reporting.kpi import Period, Scope, dashboard
from liveroom.room import LiveRoom


def today(room: LiveRoom) -> date:
    return room.clock().astimezone(room.city.timezone).date()


def render(room: LiveRoom, by: Principal, lang: str, _search: str = ""):
    data = dashboard(room, Scope(Period.named("30d", today(room))), by=by)
    return layout.kpi_layout(room.city, data, lang, by, csrf_token())


def register(app: Dash, room: LiveRoom) -> None:
    @app.callback(Output(ids.KPI_BODY, "children"),
                  Input(ids.KPI_PERIOD, "value"), Input(ids.KPI_FROM, "value"),
                  Input(ids.KPI_TO, "value"),
                  *(Input(ids.kpi_filter(name), "value") for name in ids.KPI_FILTERS),
                  Input(ids.KPI_DIMENSION, "value"), State(ids.KPI_LANG, "data"),
                  prevent_initial_call=True)
    async def refresh(period, first, last, agency, district, category, dimension, lang):
        by = current_principal()
        try:
            scope = Scope.chosen(today(room), period, first, last, agency, district, category)
            data = await anyio.to_thread.run_sync(partial(
                dashboard, room, scope, by=by, dimension=dimension or "category"))
        except (ValueError, TypeError, DomainError) as exc:
            problem = refusal(exc, lang) if isinstance(exc, DomainError) else translate(
                "attendance.bad_period", lang)
            return [html.P(problem, className="admin-error", role="alert")]
        return layout.body(data, room.city, lang)

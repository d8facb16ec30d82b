"""The KPI page: render it, and recompute every panel when a filter changes."""

from __future__ import annotations

from datetime import date
from functools import partial
from urllib.parse import parse_qsl

import anyio
from dash import Dash, Input, Output, State, no_update

from layouts import ids
from layouts import kpi as layout
from liveroom.access import Action, Principal
from liveroom.api.access import csrf_token, current_principal
from liveroom.domain.errors import DomainError
from liveroom.i18n import refusal, translate
from liveroom.reporting.kpi import DIMENSIONS, Dashboard, Period, Scope, dashboard
from liveroom.room import LiveRoom


def today(room: LiveRoom) -> date:
    return room.clock().astimezone(room.city.timezone).date()


def render(room: LiveRoom, by: Principal, lang: str, search: str = ""):
    """The page at once, its figures to follow (`refresh`'s first call): the browser loads
    the charts, grids and map while the archive works them out. The address may choose the
    filters as a download's query does (`?period=custom&from=…&to=…&agency=…`); a query
    that cannot be is the default 30 days."""
    query = dict(parse_qsl(search.lstrip("?")))
    try:
        scope = Scope.from_query(room.city, today(room), query)
    except DomainError:
        query, scope = {}, Scope(Period.named("30d", today(room)))
    by.check(Action.VIEW_KPI, scope.agency)
    dimension = query.get("dimension") if query.get("dimension") in DIMENSIONS else "category"
    return layout.kpi_layout(room.city, Dashboard.nothing_yet(scope, room.clock(), dimension),
                             lang, by, csrf_token(), period=query.get("period") or "30d")


def register(app: Dash, room: LiveRoom) -> None:
    @app.callback(output={name: Output(component, prop)
                          for name, (component, prop) in layout.PANELS.items()},
                  inputs=[Input(ids.KPI_PERIOD, "value"), Input(ids.KPI_FROM, "value"),
                          Input(ids.KPI_TO, "value"),
                          *(Input(ids.kpi_filter(name), "value") for name in ids.KPI_FILTERS),
                          Input(ids.KPI_DIMENSION, "value"), State(ids.KPI_LANG, "data")])
    async def refresh(period, first, last, agency, district, category, dimension, lang):
        """Every panel's figures for the filters (also the page's first)."""
        by = current_principal()
        try:
            scope = Scope.chosen(room.city, today(room), period, first, last, agency,
                                 district, category)
            data = await anyio.to_thread.run_sync(partial(
                dashboard, room, scope, by=by, dimension=dimension or "category"))
        except (ValueError, TypeError, DomainError) as exc:
            problem = refusal(exc, lang) if isinstance(exc, DomainError) else translate(
                "attendance.bad_period", lang)
            return {name: no_update for name in layout.PANELS} | {"problem": problem}
        return layout.panels(data, room.city, lang)

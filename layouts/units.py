"""The unit board: a big tile per unit (call sign, status, time in it, the incident it is
on, its crew), a section per agency, for a dark wall read from across the room. Pure: data
in, components out. The tiles are pushed whole as HTML (`layouts.static`); the time in
status counts, and turns amber and red past the city's `board_minutes`, in the browser
(`assets/units.js`), from `data-since` and the thresholds on the board."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import orjson
from dash import dcc, html

from layouts import ids
from layouts.home import connection_badge, signed_in
from layouts.static import shown
from liveroom.access import Principal
from liveroom.cities import City
from liveroom.i18n import translate
from liveroom.live.units import BoardRow

#: statuses a unit is busy in (on a task, or on its way back from one)
BUSY = frozenset({"dispatched", "en_route", "on_scene"})


def elapsed(minutes: float) -> str:
    """Time in a status as the board shows it: mm:ss under an hour, h:mm from one on (the
    browser's ticking writes the same, `assets/units.js`)."""
    seconds = int(minutes * 60)
    if seconds < 3600:
        return f"{seconds // 60:02d}:{seconds % 60:02d}"
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}"


def _ms(moment: datetime | None) -> str:
    return str(int(moment.timestamp() * 1000)) if moment else ""


def unit_tile(city: City, row: BoardRow, lang: str) -> html.Div:
    """One unit's tile; the colour of its time in status on the tile's border."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    task: list = []
    if row.incident_id:
        category = city.categories.get(row.category)
        where = row.address or (city.districts[row.district].name
                                if row.district in city.districts else "")
        task = [html.Div([
            html.Span(row.incident_id, className="unit-incident"),
            html.Span(category.name.get(lang) if category else row.category,
                      className="unit-category"),
            *([html.Span(where, className="unit-address")] if where else []),
        ], className="unit-task")]
    elif row.reason:
        task = [html.Div(row.reason, className="unit-task unit-reason")]
    crew = " · ".join(row.crew) if row.crew else t("units.crew_none")
    return html.Div([
        html.Div([
            html.Span(row.call_sign, className="unit-call"),
            html.Span(elapsed(row.minutes), className="unit-timer" + (
                " in-hours" if row.minutes >= 60 else ""), title=t("units.timer_title"),
                **{"data-h": t("units.hours")}),
        ], className="unit-top"),
        html.Div([html.Span(t(f"units.status.{row.status}"), className="unit-status"),
                  *([html.Span(row.kind, className="unit-kind")] if row.kind else [])],
                 className="unit-middle"),
        *task,
        html.Div(crew, className="unit-crew"),
    ], className=f"unit-tile status-{row.status} colour-{row.colour}",
        **{"data-unit": row.id, "data-status": row.status, "data-since": _ms(row.since)})


def agency_section(city: City, agency: str, rows: Sequence[BoardRow], lang: str,
                   linked: bool) -> html.Section:
    """An agency's tiles under its name (linked to its own board on the all-agency one)."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    known = city.agencies.get(agency)
    name = known.name.get(lang) if known else agency
    busy = sum(row.status in BUSY for row in rows)
    available = sum(row.status == "available" for row in rows)
    title = html.A(name, href=f"/units/{agency}?lang={lang}") if linked else name
    return html.Section([
        html.H2([html.Span(title, className="unit-agency-name"),
                 html.Span(t("units.counts", units=len(rows), busy=busy, available=available),
                           className="unit-counts")]),
        html.Div([unit_tile(city, row, lang) for row in rows], className="unit-grid")
        if rows else html.P(t("units.empty"), className="unit-empty"),
    ], className="unit-agency", id=f"units-{agency}",
        style={"borderTopColor": known.colour if known else "#5fb3ff",
               # beside the others, as wide as its share of the tiles
               **({"flexGrow": max(1, len(rows))} if linked else {})})


def thresholds(city: City) -> str:
    """The city's `board_minutes` as JSON, for the browser to colour tiles as time passes."""
    return orjson.dumps({status: list(minutes) for status, minutes in
                         city.dispatch.board_minutes.items()}).decode()


def board_body(city: City, boards: Mapping[str, Sequence[BoardRow]], lang: str,
               now: datetime) -> html.Div:
    """What a push replaces: every agency's section; `now` (the server's time) lets the
    browser count from `data-since` whatever its own clock says."""
    several = len(boards) > 1
    return html.Div(
        [agency_section(city, agency, rows, lang, several) for agency, rows in boards.items()],
        id=ids.UNIT_BOARD, className="unit-board-body" + (" several" if several else ""),
        **{"data-now": _ms(now), "data-thresholds": thresholds(city)})


def unit_board_layout(city: City, boards: Mapping[str, Sequence[BoardRow]], lang: str,
                      principal: Principal, csrf: str, now: datetime,
                      agency: str | None = None) -> html.Div:
    """The whole page: `boards` (agency -> its tiles) of one agency, or of every one the
    principal sees."""
    other = "en" if lang == "id" else "id"
    subtitle = city.name if agency else translate("units.subtitle", lang, city=city.name)
    return html.Div([
        html.Header([
            html.Div([html.H1(translate("units.title", lang)),
                      html.Div(subtitle, className="subtitle")]),
            html.Div([
                connection_badge(lang),
                html.Span(now.astimezone(city.timezone).strftime("%H:%M:%S"), id="clock",
                          className="clock", **{"data-zone": city.timezone.key}),
                html.Span(now.astimezone(city.timezone).tzname(), className="clock zone"),
                dcc.Link(translate("nav.home", lang),
                         href="/" if lang == "id" else f"/?lang={lang}",
                         className="lang-switch", id="home-link"),
                dcc.Link(translate("lang.switch", lang), href=f"?lang={other}",
                         className="lang-switch"),
                signed_in(principal, csrf, lang),
            ], className="header-right"),
        ], className="header"),
        html.Main(shown(ids.UNIT_BOARD, board_body(city, boards, lang, now)),
                  className="unit-board"),
        dcc.Store(id=ids.UNITS_LANG, data=lang),
        dcc.Store(id=ids.LIVE_BEAT),  # pushed while nothing changes (the LIVE badge)
    ], lang=lang, className="units-page")


def unknown_agency_layout(agency: str, lang: str) -> html.Div:
    return html.Div(translate("units.unknown_agency", lang, agency=agency),
                    className="forbidden", id="unknown-agency")


"""The mayor's KPI page: filters, headline figures, volume over time, response times against
SLA per agency and district, the backlog by age, where reports come from, recurring
problems and officers' performance with the score's formula. Pure: data in, components out."""

from __future__ import annotations

from urllib.parse import urlencode

import dash_leaflet as dl
import plotly.graph_objects as go
from dash import dcc, html

from layouts.home import report_header
from liveroom.access import Principal
from liveroom.cities import City
from liveroom.i18n import translate
from liveroom.reporting.kpi import AGE_BUCKETS, DIMENSIONS, Dashboard, Times, bucket_name
from liveroom.reporting.kpi.figures import names
from liveroom.reporting.kpi.recap import formula_text

PERIODS = ("today", "7d", "30d", "custom")
STEPS = ("acknowledge", "arrive", "resolve")
CHART = {"paper_bgcolor": "rgba(0,0,0,0)", "plot_bgcolor": "rgba(0,0,0,0)",
         "font": {"color": "#e8eefc", "size": 15}, "margin": {"l": 50, "r": 10, "t": 10, "b": 40},
         "legend": {"orientation": "h", "y": -0.2}}


def _t(lang: str):
    return lambda key, **values: translate(key, lang, **values)


def _minutes(value: float | None, lang: str) -> str:
    """Minutes as 45′, or hours as 3.5 j (jam) / 3.5 h past two hours."""
    if value is None:
        return "–"
    return f"{value:.0f}′" if value < 120 else f"{value / 60:.1f} {translate('kpi.hours', lang)}"


def count(n: int, lang: str) -> str:
    """12.345 in Indonesian, 12,345 in English."""
    return f"{n:,}".replace(",", ".") if lang == "id" else f"{n:,}"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}%"


def volume_figure(data: Dashboard, city: City, lang: str) -> go.Figure:
    called = names(city, data.dimension, lang)
    keys = sorted({key for _, key, _ in data.volumes})
    days = data.scope.period.days
    counts = {(day, key): n for day, key, n in data.volumes}
    figure = go.Figure([go.Bar(name=called.get(key, key or "–"), x=days,
                               y=[counts.get((day, key), 0) for day in days]) for key in keys])
    figure.update_layout(barmode="stack", height=340, xaxis={"tickformat": "%d/%m"}, **CHART)
    return figure


def backlog_figure(data: Dashboard, city: City, lang: str) -> go.Figure:
    buckets = [bucket_name(i) for i in range(len(AGE_BUCKETS) + 1)]
    agencies = sorted({agency for agency, _, _ in data.backlog})
    counts = {(a, b): n for a, b, n in data.backlog}
    figure = go.Figure([go.Bar(name=bucket, y=[city.agencies[a].label(lang) if a in
                                               city.agencies else a for a in agencies],
                               x=[counts.get((a, bucket), 0) for a in agencies],
                               orientation="h") for bucket in buckets])
    figure.update_layout(barmode="stack", height=300, **CHART)
    return figure


def times_table(rows: list[Times], names: dict[str, str], lang: str, table_id: str,
                key_label: str) -> html.Table:
    t = _t(lang)
    head = [key_label, t("kpi.reported"), *[t(f"kpi.step.{s}") for s in STEPS],
            t("kpi.acknowledge_sla"), t("kpi.resolve_sla")]
    return html.Table([
        html.Thead(html.Tr([html.Th(h) for h in head])),
        html.Tbody([html.Tr([
            html.Td(names.get(r.key, r.key or "–")), html.Td(count(r.reported, lang)),
            *[html.Td(f"{_minutes(r.median[s], lang)} / {_minutes(r.p90[s], lang)}")
              for s in STEPS],
            html.Td(_percent(r.acknowledge_sla)), html.Td(_percent(r.resolve_sla)),
        ]) for r in rows]),
    ], className="admin-table kpi-table", id=table_id)


def heat_map(data: Dashboard, city: City) -> dl.Map:
    top = max((n for _, _, n in data.cells), default=1)
    circles = [dl.CircleMarker(center=[lat, lon], radius=2 + 9 * (n / top) ** 0.5,
                               color="#ff7a45", weight=0, fillOpacity=0.15 + 0.7 * n / top,
                               children=dl.Tooltip(str(n)))
               for lat, lon, n in data.cells[:1500]]
    return dl.Map([
        *([dl.TileLayer(url=city.tile_url, attribution=city.tile_attribution)]
          if city.tile_url else []),
        dl.GeoJSON(data=city.districts_geojson(), zoomToBounds=True, interactive=False,
                   style={"color": "#5fb3ff", "weight": 1.5, "fillColor": "#1d4f7a",
                          "fillOpacity": 0.2}),
        *circles,
    ], center=list(city.centre), zoom=city.default_zoom, className="kpi-map", id="kpi-map",
        zoomAnimation=False,  # as the wall map (layouts/home.py)
        attributionControl=bool(city.tile_url))


def officers_table(data: Dashboard, city: City, lang: str) -> html.Table:
    t, weights = _t(lang), city.performance.weights
    rows = sorted(data.officers, key=lambda o: -(o.score(weights) or -1))
    head = [t(f"kpi.officer.{c}") for c in (
        "name", "agency", "attendance", "punctuality", "minutes_on_post", "resolved",
        "acknowledge_median", "resolve_median", "resolve_sla", "score")]
    return html.Table([
        html.Thead(html.Tr([html.Th(h) for h in head])),
        html.Tbody([html.Tr([
            html.Td(o.name), html.Td(city.agencies[o.agency].label(lang)
                                     if o.agency in city.agencies else o.agency),
            html.Td(_percent(o.attendance)), html.Td(_percent(o.punctuality)),
            html.Td(count(o.minutes_on_post, lang)),
            html.Td(o.times.reached["resolve"] if o.times else 0),
            html.Td(_minutes(o.times.median["acknowledge"], lang) if o.times else "–"),
            html.Td(_minutes(o.times.median["resolve"], lang) if o.times else "–"),
            html.Td(_percent(o.times.resolve_sla) if o.times else "–"),
            html.Td(_score(o.score(weights)), className="kpi-score"),
        ]) for o in rows]),
    ], className="admin-table kpi-table", id="kpi-officers")


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def downloads(data: Dashboard, table: str, lang: str) -> html.Span:
    """CSV and XLSX of one table, for the scope on screen."""
    query = urlencode({**data.scope.query(), "dimension": data.dimension, "lang": lang})
    return html.Span([html.A(fmt.upper(), href=f"/kpi/{table}.{fmt}?{query}",
                             id=f"kpi-{table}-{fmt}", className="admin-button-link")
                      for fmt in ("csv", "xlsx")], className="kpi-downloads")


def _section(title: str, table: str, data: Dashboard, lang: str, *children) -> html.Section:
    return html.Section([html.Div([html.H2(title), downloads(data, table, lang)],
                                  className="admin-section-head"), *children],
                        className="admin-section")


def recap_links(data: Dashboard, lang: str) -> html.P:
    """The monthly recap (the allowance input) of the month the period ends in."""
    month = data.scope.period.last
    query = urlencode({"month": f"{month:%Y-%m}", "lang": lang,
                       **({"agency": data.scope.agency} if data.scope.agency else {})})
    label = f"{translate('kpi.recap.link', lang)}: {translate(f'month.{month.month}', lang)} " \
        f"{month.year}"
    return html.P([label, " ", *[html.A(fmt.upper(), href=f"/kpi/recap.{fmt}?{query}",
                                        id=f"kpi-recap-{fmt}", className="admin-button-link")
                                 for fmt in ("xlsx", "pdf")]], className="kpi-recap")


def body(data: Dashboard, city: City, lang: str) -> list:
    t = _t(lang)
    overall = data.overall
    tiles = [("kpi-reported", t("kpi.reported"), count(overall.reported if overall else 0, lang)),
             ("kpi-resolved", t("kpi.resolved"),
              count(overall.reached["resolve"] if overall else 0, lang)),
             ("kpi-open", t("kpi.open_now"), count(data.open_now, lang)),
             ("kpi-sla", t("kpi.resolve_sla"), _percent(overall and overall.resolve_sla))]
    recurring = [html.Li([html.Span(count(n, lang), className="kpi-count"),
                          f" {names(city, 'category', lang).get(c, c)} · "
                          f"{city.districts[d].name if d in city.districts else '–'}"])
                 for c, d, n in data.recurring]
    return [
        html.Div([html.Div([html.Div(label, className="tile-label"),
                            html.Div(value, className="tile-value", id=tile_id)],
                           className="tile") for tile_id, label, value in tiles],
                 className="kpi-tiles"),
        _section(t("kpi.volume"), "volume", data, lang,
                 dcc.Graph(figure=volume_figure(data, city, lang), id="kpi-volume",
                           config={"displayModeBar": False})),
        _section(t("kpi.times_agency"), "agencies", data, lang,
                 html.P(t("kpi.times_hint"), className="admin-subtitle"),
                 times_table(data.by_agency, names(city, "agency", lang), lang,
                             "kpi-agencies", t("kpi.agency"))),
        html.Div([
            _section(t("kpi.backlog"), "backlog", data, lang,
                     dcc.Graph(figure=backlog_figure(data, city, lang), id="kpi-backlog",
                               config={"displayModeBar": False})),
            html.Section([html.H2(t("kpi.where")), heat_map(data, city)],
                         className="admin-section"),
        ], className="admin-grid"),
        html.Div([
            _section(t("kpi.times_district"), "districts", data, lang,
                     times_table(data.by_district, names(city, "district", lang), lang,
                                 "kpi-districts", t("kpi.district"))),
            _section(t("kpi.recurring"), "recurring", data, lang,
                     html.Ol(recurring, className="kpi-recurring", id="kpi-recurring")),
        ], className="admin-grid"),
        _section(t("kpi.officers"), "officers", data, lang,
                 html.P(formula_text(city, lang), className="admin-subtitle", id="kpi-formula"),
                 recap_links(data, lang),
                 officers_table(data, city, lang)),
    ]


def kpi_layout(city: City, data: Dashboard, lang: str, principal: Principal,
               csrf: str) -> html.Div:
    t = _t(lang)
    options = {
        "agency": [{"label": a.name.get(lang), "value": k} for k, a in city.agencies.items()],
        "district": [{"label": d.name, "value": k} for k, d in city.districts.items()],
        "category": [{"label": c.name.get(lang), "value": k}
                     for k, c in city.categories.items()],
    }
    period = data.scope.period
    return html.Div([
        report_header(t("kpi.title"), city, principal, csrf, lang),
        html.Main([
            html.Section([
                dcc.RadioItems([{"label": t(f"kpi.period.{p}"), "value": p} for p in PERIODS],
                               value="30d", id="kpi-period", inline=True,
                               className="kpi-periods"),
                dcc.Input(id="kpi-from", type="date", value=period.first.isoformat(),
                          className="kpi-date"),
                dcc.Input(id="kpi-to", type="date", value=period.last.isoformat(),
                          className="kpi-date"),
                *[dcc.Dropdown(options[name], None, id=f"kpi-{name}",
                               placeholder=t(f"kpi.all.{name}"), className="kpi-filter")
                  for name in options],
                dcc.Dropdown([{"label": t(f"kpi.by.{d}"), "value": d} for d in DIMENSIONS],
                             data.dimension, id="kpi-dimension", clearable=False,
                             className="kpi-filter"),
            ], className="admin-section kpi-filters"),
            html.Div(body(data, city, lang), id="kpi-body"),
            dcc.Store(id="kpi-lang", data=lang),
        ], className="admin-main"),
    ], className="admin kpi")

"""The mayor's KPI page: filters, headline figures, volume over time, response times against
SLA per agency and district, a fire agency's units against NFPA 1710 (`layouts.kpi_nfpa`),
the backlog by age, where reports come from, recurring problems, officers' performance
with the score's formula, and reporters' satisfaction (`layouts.kpi_satisfaction`). Pure:
data in, components out."""

from __future__ import annotations

from urllib.parse import urlencode

import dash_leaflet as dl
import plotly.graph_objects as go
from dash import dcc, html

from layouts import ids
from layouts import kpi_messages as messages
from layouts import kpi_nfpa as nfpa
from layouts import kpi_satisfaction as satisfaction
from layouts.grid import PAGE_ROWS, Column, grid
from layouts.home import report_header
from liveroom.access import Principal
from liveroom.cities import City
from liveroom.i18n import translate
from liveroom.reporting.kpi import AGE_BUCKETS, DIMENSIONS, Dashboard, Times, bucket_name
from liveroom.reporting.kpi.exports import TABLES
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
    """Incidents per day stacked by the dimension, and the day's reports as a line."""
    called = names(city, data.dimension, lang)
    keys = sorted({key for _, key, _, _ in data.volumes})
    days = data.scope.period.days
    counts = {(day, key): n for day, key, n, _ in data.volumes}
    reports = {day: 0 for day in days}
    for day, _, _, n in data.volumes:
        reports[day] = reports.get(day, 0) + n
    figure = go.Figure([go.Bar(name=called.get(key, key or "–"), x=days,
                               y=[counts.get((day, key), 0) for day in days]) for key in keys])
    if data.volumes:
        figure.add_trace(go.Scatter(name=translate("kpi.reports", lang), x=days,
                                    y=[reports[day] for day in days], mode="lines+markers",
                                    line={"color": "#ffd166"}))
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


def _value(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def times_columns(lang: str, key_label: str) -> list[Column]:
    t = _t(lang)
    return [Column("key", key_label), Column("reported", t("kpi.reported"), True, True),
            Column("reports", t("kpi.reports"), True, True),
            *[Column(s, t(f"kpi.step.{s}"), True, True) for s in STEPS],
            Column("acknowledge_sla", t("kpi.acknowledge_sla"), True, True),
            Column("resolve_sla", t("kpi.resolve_sla"), True, True),
            Column("flagged", t("kpi.flagged"), True, True)]


def times_rows(rows: list[Times], names: dict[str, str], lang: str,
               flagged: dict[str, int] | None = None) -> list[dict]:
    """Incidents, reports, median / 90th-percentile minutes to each step, SLA compliance and
    incidents flagged by escalation per key; sorted on the figures themselves."""
    flagged = flagged or {}
    return [{
        "key": names.get(r.key, r.key or "–"),
        "reported": r.reported, "reported__text": count(r.reported, lang),
        "reports": r.reports, "reports__text": count(r.reports, lang),
        **{field: value for s in STEPS for field, value in (
            (s, _value(r.median[s])),
            (f"{s}__text", f"{_minutes(r.median[s], lang)} / {_minutes(r.p90[s], lang)}"))},
        "acknowledge_sla": _value(r.acknowledge_sla),
        "acknowledge_sla__text": _percent(r.acknowledge_sla),
        "resolve_sla": _value(r.resolve_sla), "resolve_sla__text": _percent(r.resolve_sla),
        "flagged": flagged.get(r.key, 0), "flagged__text": count(flagged.get(r.key, 0), lang),
    } for r in rows]


def times_grid(table_id: str, rows: list[dict] | None, keys: int, lang: str,
               key_label: str) -> html.Div:
    """`keys`: how many rows there can be (paged above a page's worth)."""
    return grid(table_id, times_columns(lang, key_label), rows, lang,
                paged=keys > PAGE_ROWS)


#: the most grid cells the heat map draws (the busiest ones)
HEAT_CELLS = 1500
HEAT_POINT = {"variable": "liveroom.map.heat"}  # assets/map.js


def heat_cells(data: Dashboard, lang: str) -> dict:
    """The busiest cells as one GeoJSON collection: each point's radius and opacity grow
    with its count (the busiest the largest), its tooltip is the count."""
    top = max((n for _, _, n in data.cells), default=1)
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {"radius": round(2 + 9 * (n / top) ** 0.5, 1),
                       "opacity": round(0.15 + 0.7 * n / top, 2), "count": count(n, lang)},
    } for lat, lon, n in data.cells[:HEAT_CELLS]]}


def heat_map(cells: dict, city: City) -> dl.Map:
    """Where reports come from (`heat_cells`): one layer drawn on a canvas in the browser,
    whatever the number of cells (not a component per cell)."""
    return dl.Map([
        *([dl.TileLayer(url=city.tile_url, attribution=city.tile_attribution)]
          if city.tile_url else []),
        dl.GeoJSON(data=city.districts_geojson(), zoomToBounds=True, interactive=False,
                   style={"color": "#5fb3ff", "weight": 1.5, "fillColor": "#1d4f7a",
                          "fillOpacity": 0.2}),
        dl.GeoJSON(data=cells, pointToLayer=HEAT_POINT, id="kpi-heat"),
    ], center=list(city.centre), zoom=city.default_zoom, className="kpi-map", id="kpi-map",
        preferCanvas=True,  # every cell on one canvas
        zoomAnimation=False,  # as the wall map (layouts/home.py)
        attributionControl=bool(city.tile_url))


def officer_columns(lang: str) -> list[Column]:
    t = _t(lang)
    header = {c: t(f"kpi.officer.{c}") for c in (
        "name", "agency", "attendance", "punctuality", "minutes_on_post", "resolved",
        "acknowledge_median", "resolve_median", "resolve_sla", "score")}
    return [Column("name", header["name"]), Column("agency", header["agency"]),
            *[Column(c, header[c], True, True) for c in (
                "attendance", "punctuality", "minutes_on_post")],
            Column("resolved", header["resolved"], True),
            *[Column(c, header[c], True, True) for c in (
                "acknowledge_median", "resolve_median", "resolve_sla", "score")]]


def officers_grid(rows: list[dict] | None, lang: str) -> html.Div:
    return grid("kpi-officers", officer_columns(lang), rows, lang, paged=True)


def officer_rows(data: Dashboard, city: City, lang: str) -> list[dict]:
    """Each officer's performance, the best score first."""
    weights = city.performance.weights
    officers = sorted(data.officers, key=lambda o: -(o.score(weights) or -1))

    def row(o) -> dict:
        times, score = o.times, o.score(weights)
        median = {step: times.median[step] if times else None
                  for step in ("acknowledge", "resolve")}
        return {
            "name": o.name, "agency": city.agencies[o.agency].label(lang)
            if o.agency in city.agencies else o.agency,
            "attendance": _value(o.attendance), "attendance__text": _percent(o.attendance),
            "punctuality": _value(o.punctuality),
            "punctuality__text": _percent(o.punctuality),
            "minutes_on_post": o.minutes_on_post,
            "minutes_on_post__text": count(o.minutes_on_post, lang),
            "resolved": times.reached["resolve"] if times else 0,
            **{f"{step}_median": _value(value) for step, value in median.items()},
            **{f"{step}_median__text": _minutes(value, lang) for step, value in median.items()},
            "resolve_sla": _value(times.resolve_sla) if times else None,
            "resolve_sla__text": _percent(times.resolve_sla) if times else "–",
            "score": _value(score), "score__text": _score(score),
            "score__class": "kpi-score",
        }

    return [row(o) for o in officers]


def _score(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def download_links(data: Dashboard, table: str, lang: str) -> list:
    """CSV and XLSX of one table, for the scope on screen."""
    query = urlencode({**data.scope.query(), "dimension": data.dimension, "lang": lang})
    return [html.A(fmt.upper(), href=f"/kpi/{table}.{fmt}?{query}", id=f"kpi-{table}-{fmt}",
                   className="admin-button-link") for fmt in ("csv", "xlsx")]


def _section(title: str, table: str, shown: dict, *children) -> html.Section:
    return html.Section([html.Div([html.H2(title), html.Span(
        shown[f"{table}_downloads"], id=f"kpi-{table}-downloads", className="kpi-downloads")],
        className="admin-section-head"), *children], className="admin-section")


def nfpa_section(shown: dict, city: City, lang: str) -> html.Section:
    """The fire panel (`layouts.kpi_nfpa`), hidden unless the scope has an NFPA agency."""
    return html.Section([
        html.Div([html.H2(shown["nfpa_title"], id="kpi-nfpa-title"),
                  html.Span(shown["nfpa_downloads"], id="kpi-nfpa-downloads",
                            className="kpi-downloads")], className="admin-section-head"),
        html.P(nfpa.hint(city, lang), className="admin-subtitle"),
        grid("kpi-nfpa", nfpa.columns(city, lang), shown["nfpa"], lang, paged=True),
    ], className="admin-section", id="kpi-nfpa-panel", hidden=shown["nfpa_hidden"])


def recap_links(data: Dashboard, lang: str) -> list:
    """The monthly recap (the allowance input) of the month the period ends in."""
    month = data.scope.period.last
    query = urlencode({"month": f"{month:%Y-%m}", "lang": lang,
                       **({"agency": data.scope.agency} if data.scope.agency else {})})
    label = f"{translate('kpi.recap.link', lang)}: {translate(f'month.{month.month}', lang)} " \
        f"{month.year}"
    return [label, " ", *[html.A(fmt.upper(), href=f"/kpi/recap.{fmt}?{query}",
                                 id=f"kpi-recap-{fmt}", className="admin-button-link")
                          for fmt in ("xlsx", "pdf")]]


#: the headline tiles and their labels
TILES = {"reported": "kpi.reported", "reports": "kpi.reports", "resolved": "kpi.resolved",
         "open": "kpi.open_now", "sla": "kpi.resolve_sla"}
#: a line under a tile's figure, saying what it counts
TILE_HINTS = {"reports": "kpi.reports_hint"}
#: what the figures set on the page (`panels`), by name: (component id, property); a new
#: scope changes these props, not the components (the charts and grids stay mounted)
PANELS = {
    **{tile: (f"kpi-{tile}", "children") for tile in TILES},
    "volume": ("kpi-volume", "figure"), "backlog": ("kpi-backlog", "figure"),
    **{table: (ids.grid(f"kpi-{table}"), "rowData")
       for table in ("agencies", "districts", "officers")},
    "heat": ("kpi-heat", "data"), "recurring": ("kpi-recurring", "children"),
    **{f"{table}_downloads": (f"kpi-{table}-downloads", "children") for table in TABLES},
    "recap": ("kpi-recap", "children"), "problem": (ids.KPI_PROBLEM, "children"),
    "nfpa": (ids.grid("kpi-nfpa"), "rowData"), "nfpa_title": ("kpi-nfpa-title", "children"),
    "nfpa_hidden": ("kpi-nfpa-panel", "hidden"),  # shown when an agency has NFPA targets
    "satisfaction": (ids.grid(satisfaction.GRID), "rowData"),
    "messages": ("kpi-messages", "children"),  # to citizens, per channel
}


def panels(data: Dashboard, city: City, lang: str) -> dict:
    """Every panel's figures, as PANELS' props; while `data` is not `ready`, empty ones
    (no words in the tiles, no rows in the grids: their loading overlay)."""
    overall, ready = data.overall, data.ready
    tiles = {"reported": overall.reported if overall else 0,
             "reports": overall.reports if overall else 0,
             "resolved": overall.reached["resolve"] if overall else 0, "open": data.open_now}
    return {
        **{tile: count(n, lang) if ready else "" for tile, n in tiles.items()},
        "sla": _percent(overall and overall.resolve_sla) if ready else "",
        "volume": volume_figure(data, city, lang), "backlog": backlog_figure(data, city, lang),
        "agencies": times_rows(data.by_agency, names(city, "agency", lang), lang,
                               data.flagged.get("agency")) if ready else None,
        "districts": times_rows(data.by_district, names(city, "district", lang), lang,
                                data.flagged.get("district")) if ready else None,
        "officers": officer_rows(data, city, lang) if ready else None,
        "heat": heat_cells(data, lang),
        "recurring": [html.Li([html.Span(count(n, lang), className="kpi-count"),
                               f" {names(city, 'category', lang).get(c, c)} · "
                               f"{city.districts[d].name if d in city.districts else '–'}"])
                      for c, d, n in data.recurring],
        **{f"{table}_downloads": download_links(data, table, lang) for table in TABLES},
        "recap": recap_links(data, lang), "problem": None,
        "nfpa": nfpa.rows(data, city, lang) if ready else None,
        "nfpa_title": nfpa.title(data, city, lang), "nfpa_hidden": not data.nfpa,
        "satisfaction": satisfaction.rows(data, city, lang) if ready else None,
        "messages": messages.table(data, lang),
    }


def tiles(shown: dict, lang: str) -> html.Div:
    """The headline figures of `panels`, each with its label (and hint, if any)."""
    t = _t(lang)
    return html.Div([html.Div([
        html.Div(t(key), className="tile-label"),
        html.Div(shown[tile], className="tile-value", id=f"kpi-{tile}"),
        *([html.Div(t(TILE_HINTS[tile]), className="tile-hint")] if tile in TILE_HINTS
          else [])], className="tile") for tile, key in TILES.items()], className="kpi-tiles")


def body(data: Dashboard, city: City, lang: str) -> list:
    """The page's panels, showing `panels(data)`."""
    t, shown = _t(lang), panels(data, city, lang)
    return [
        html.Div(shown["problem"], id=ids.KPI_PROBLEM, className="admin-error", role="alert"),
        tiles(shown, lang),
        _section(t("kpi.volume"), "volume", shown,
                 dcc.Graph(figure=shown["volume"], id="kpi-volume",
                           config={"displayModeBar": False})),
        _section(t("kpi.times_agency"), "agencies", shown,
                 html.P(t("kpi.times_hint"), className="admin-subtitle"),
                 times_grid("kpi-agencies", shown["agencies"], len(city.agencies), lang,
                            t("kpi.agency"))),
        nfpa_section(shown, city, lang),
        html.Div([
            _section(t("kpi.backlog"), "backlog", shown,
                     dcc.Graph(figure=shown["backlog"], id="kpi-backlog",
                               config={"displayModeBar": False})),
            html.Section([html.H2(t("kpi.where")), heat_map(shown["heat"], city)],
                         className="admin-section"),
        ], className="admin-grid"),
        html.Div([
            _section(t("kpi.times_district"), "districts", shown,
                     times_grid("kpi-districts", shown["districts"], len(city.districts),
                                lang, t("kpi.district"))),
            _section(t("kpi.recurring"), "recurring", shown,
                     html.Ol(shown["recurring"], className="kpi-recurring",
                             id="kpi-recurring")),
        ], className="admin-grid"),
        _section(t("kpi.officers"), "officers", shown,
                 html.P(formula_text(city, lang), className="admin-subtitle", id="kpi-formula"),
                 html.P(shown["recap"], className="kpi-recap", id="kpi-recap"),
                 officers_grid(shown["officers"], lang)),
        satisfaction.section(shown["satisfaction"], lang),
        messages.section(shown, lang),
    ]


def kpi_layout(city: City, data: Dashboard, lang: str, principal: Principal,
               csrf: str, period: str = "30d") -> html.Div:
    """The page with its filters set to `data`'s scope (`period`: one of PERIODS)."""
    t = _t(lang)
    options = {
        "agency": [{"label": a.name.get(lang), "value": k} for k, a in city.agencies.items()],
        "district": [{"label": d.name, "value": k} for k, d in city.districts.items()],
        "category": [{"label": c.name.get(lang), "value": k}
                     for k, c in city.categories.items()],
    }
    scope = data.scope
    return html.Div([
        report_header(t("kpi.title"), city, principal, csrf, lang),
        html.Main([
            html.Section([
                dcc.RadioItems([{"label": t(f"kpi.period.{p}"), "value": p} for p in PERIODS],
                               value=period, id=ids.KPI_PERIOD, inline=True,
                               className="kpi-periods"),
                dcc.Input(id=ids.KPI_FROM, type="date",
                          value=scope.period.first.isoformat(), className="kpi-date"),
                dcc.Input(id=ids.KPI_TO, type="date", value=scope.period.last.isoformat(),
                          className="kpi-date"),
                *[dcc.Dropdown(options[name], getattr(scope, name), id=ids.kpi_filter(name),
                               placeholder=t(f"kpi.all.{name}"), className="kpi-filter")
                  for name in ids.KPI_FILTERS],
                dcc.Dropdown([{"label": t(f"kpi.by.{d}"), "value": d} for d in DIMENSIONS],
                             data.dimension, id=ids.KPI_DIMENSION, clearable=False,
                             className="kpi-filter"),
            ], className="admin-section kpi-filters"),
            html.Div(body(data, city, lang), id=ids.KPI_BODY),
            dcc.Store(id=ids.KPI_LANG, data=lang),
        ], className="admin-main"),
    ], className="admin kpi")

"""The home page: the city at a glance, updated live (a placeholder for the wall screen)."""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from layouts.dispatch import queue_items
from liveroom.access import Action, Principal
from liveroom.cities import City
from liveroom.i18n import translate, with_language
from liveroom.services.overview import OPEN_STATUSES, FeedItem, Overview


def shell() -> html.Div:
    """What the server sends first: the URL watcher and the page container."""
    return html.Div([dcc.Location(id="url"), html.Div(id="page", className="page")])


def tile(label: str, value: int | str, value_id: str, modifier: str = "") -> html.Div:
    return html.Div(
        [html.Div(str(value), id=value_id, className="tile-value"),
         html.Div(label, className="tile-label")],
        className=f"tile {modifier}".strip(),
    )


#: dash-leaflet draws points with these functions from `assets/map.js`
INCIDENT_POINT = {"variable": "liveroom.map.incident"}
OFFICER_POINT = {"variable": "liveroom.map.officer"}


def district_map(city: City, incidents: dict, officers: dict) -> dl.Map:
    """The city's districts (the offline basemap), its officers and its open incidents."""
    basemap = city.districts_geojson()
    for feature in basemap["features"]:
        feature["properties"]["tooltip"] = feature["properties"]["name"]
    layers: list = []
    if city.tile_url:
        layers.append(dl.TileLayer(url=city.tile_url))
    layers.append(dl.GeoJSON(
        data=basemap, id="districts",
        style={"color": "#5fb3ff", "weight": 2, "fillColor": "#1d4f7a", "fillOpacity": 0.25},
    ))
    layers.append(dl.GeoJSON(data=officers, id="officers-layer", pointToLayer=OFFICER_POINT))
    layers.append(dl.GeoJSON(data=incidents, id="incidents-layer", pointToLayer=INCIDENT_POINT))
    (south, west), (north, east) = city.bounds
    return dl.Map(
        layers, id="map", center=list(city.centre), zoom=city.default_zoom, maxZoom=18, minZoom=8,
        maxBounds=[[south - 0.2, west - 0.2], [north + 0.2, east + 0.2]],
        preferCanvas=True, attributionControl=False, className="map",
    )


def feed_items(city: City, items: tuple[FeedItem, ...], lang: str) -> list:
    """The newest reports; citizens' words are shown as text, never as markup."""
    if not items:
        return [html.Li(translate("home.feed_empty", lang), className="feed-empty")]
    rows = []
    for item in items:
        category = city.categories.get(item.category)
        rows.append(html.Li([
            html.Span(item.reported_at.strftime("%H:%M"), className="feed-time"),
            html.Span(category.name.get(lang) if category else item.category,
                      className="feed-category"),
            html.Span(item.district, className="feed-district"),
            html.Span(translate(f"status.{item.status}", lang), className="feed-status"),
            html.Div(item.description, className="feed-text"),
        ], className="feed-item"))
    return rows


def counts_panel(overview: Overview, lang: str) -> html.Div:
    return html.Div(
        [tile(translate(f"status.{status.value}", lang), overview.open_by_status[status.value],
              f"count-{status.value}", "tile-small")
         for status in OPEN_STATUSES],
        className="status-grid",
    )


def signed_in(principal: Principal, csrf: str, lang: str) -> html.Div:
    """Who is signed in, and the sign-out button (a CSRF-protected form)."""
    admin = ([dcc.Link(translate("home.admin", lang), href=f"/admin?lang={lang}",
                       className="lang-switch", id="admin-link")]
             if principal.can(Action.MANAGE_ACCOUNTS) else [])
    attendance = ([dcc.Link(translate("nav.attendance", lang), href=f"/attendance?lang={lang}",
                            className="lang-switch", id="attendance-link")]
                  if principal.can(Action.VIEW_KPI) else [])
    return html.Div([
        *attendance,
        *admin,
        html.Span(translate("home.signed_in_as", lang, name=principal.name), className="who"),
        html.Form([
            dcc.Input(type="hidden", name="csrf", value=csrf),
            html.Button(translate("home.logout", lang), type="submit", id="logout"),
        ], action="/logout", method="post", className="logout"),
    ], className="session")


def forbidden_layout(principal: Principal, lang: str) -> html.Div:
    return html.Div(translate("access.forbidden", lang, actor=principal.actor),
                    className="forbidden", id="forbidden")


def home_layout(city: City, overview: Overview, lang: str, principal: Principal,
                csrf: str, incidents: dict, officers: dict, queue: list[dict],
                search: str = "") -> html.Div:
    """The whole page for one language."""
    other = "en" if lang == "id" else "id"
    return html.Div([
        html.Header([
            html.Div([
                html.H1(translate("app.title", lang)),
                html.Div(translate("home.subtitle", lang, city=city.name), className="subtitle"),
            ]),
            html.Div([
                html.Span(translate("home.live", lang), className="live-badge"),
                html.Span(overview.at.strftime("%H:%M:%S"), id="updated-at", className="clock"),
                html.Span(" WIB", className="clock"),
                dcc.Link(translate("lang.switch", lang), href=with_language(search, other),
                         className="lang-switch"),
                signed_in(principal, csrf, lang),
            ], className="header-right"),
        ], className="header"),
        html.Main([
            html.Section([
                html.Div([
                    tile(translate("home.incidents", lang), overview.open_total, "count-open",
                         "tile-large"),
                    tile(translate("home.officers_on_duty", lang), overview.officers_on_duty,
                         "count-on-duty", "tile-large"),
                    tile(translate("home.districts", lang), len(city.districts),
                         "count-districts", "tile-large"),
                ], className="tiles"),
                html.H2(translate("queue.title", lang)),
                html.Ol(queue_items(city, queue, lang), id="queue", className="feed queue"),
                counts_panel(overview, lang),
                html.H2(translate("home.feed", lang)),
                html.Ol(feed_items(city, overview.latest, lang), id="feed", className="feed"),
                html.P(translate("home.placeholder", lang), className="note"),
                dcc.Store(id="page-lang", data=lang),
                dcc.Store(id="page-filter", data=search),  # ?agency=…&district=…
            ], className="summary"),
            html.Section([district_map(city, incidents, officers),
                          html.Div(id="incident-detail", className="incident-detail")],
                         className="map-panel",
                         **{"aria-label": translate("home.map", lang)}),
        ], className="content"),
    ], lang=lang, className="home")

"""The wall screen: headline figures, the unassigned queue, the latest reports and the live
map, rendered from a snapshot; the push loop keeps them current."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

import dash_leaflet as dl
from dash import dcc, html
from dash.development.base_component import Component

from layouts import ids
from layouts.desk import desk_button, desk_panel
from layouts.dispatch import escalated_items, queue_items, stranded_items
from layouts.static import shown, to_html
from liveroom.access import Action, Principal
from liveroom.cities import City
from liveroom.i18n import translate, with_language
from liveroom.live.dispatch import StrandedTask
from liveroom.live.handling import Holder
from liveroom.live.overview import OPEN_STATUSES, FeedItem, Overview


def shell() -> html.Div:
    """What the server sends first: the URL watcher and the page container."""
    return html.Div([dcc.Location(id=ids.URL), html.Div(id=ids.PAGE, className="page")])


def tile(label: str, value: int | str, value_id: str, modifier: str = "") -> html.Div:
    return html.Div(
        [html.Div(str(value), id=value_id, className="tile-value"),
         html.Div(label, className="tile-label")],
        className=f"tile {modifier}".strip(),
    )


#: dash-leaflet draws points with these functions from `assets/map.js`
INCIDENT_POINT = {"variable": "liveroom.map.incident"}
OFFICER_POINT = {"variable": "liveroom.map.officer"}
CLUSTER = {"variable": "liveroom.map.cluster"}
MAX_ZOOM = 18
#: above this many open incidents (a metropolis) they are clustered at every zoom where
#: their icons would overlap, not only when zoomed out: the map stays readable, and drags
#: smoothly (`bench/metropolis.py`); the count is the page's when it loads
DENSE_INCIDENTS = 300


def district_map(city: City, incidents: dict, officers: dict) -> dl.Map:
    """The city's districts (the offline basemap, fitted to the screen), its officers and
    its open incidents, clustered when zoomed out past the city (incidents, when there are
    more than DENSE_INCIDENTS, wherever they overlap); tiles only if configured."""
    basemap = city.districts_geojson()
    layers: list = []
    if city.tile_url:
        layers.append(dl.TileLayer(url=city.tile_url, attribution=city.tile_attribution,
                                   maxZoom=MAX_ZOOM))
    layers.append(dl.GeoJSON(
        data=basemap, id="districts", zoomToBounds=True, interactive=False,
        onEachFeature={"variable": "liveroom.map.district"},
        style={"color": "#5fb3ff", "weight": 2, "fillColor": "#1d4f7a", "fillOpacity": 0.25},
    ))
    cluster = {"cluster": True, "superClusterOptions": {"radius": 48,
                                                        "maxZoom": city.default_zoom - 2}}
    dense = len(incidents.get("features", ())) > DENSE_INCIDENTS
    crowded = {"cluster": True, "superClusterOptions": {"radius": 40, "maxZoom": MAX_ZOOM - 1}}
    layers.append(dl.GeoJSON(data=officers, id=ids.OFFICERS_LAYER, pointToLayer=OFFICER_POINT,
                             **cluster))
    layers.append(dl.GeoJSON(data=incidents, id=ids.INCIDENTS_LAYER, pointToLayer=INCIDENT_POINT,
                             clusterToLayer=CLUSTER, zoomToBoundsOnClick=True,
                             **(crowded if dense else cluster)))
    layers.append(dl.Polyline(id=ids.TRACK, positions=[], color="#ffffff", weight=3,
                              dashArray="6 6", interactive=False))  # an officer's last hour
    layers.append(dl.LayerGroup(id=ids.DESK_PIN))  # where the report being entered goes
    (south, west), (north, east) = city.bounds
    return dl.Map(
        layers, id=ids.MAP, center=list(city.centre), zoom=city.default_zoom, maxZoom=MAX_ZOOM,
        minZoom=8, zoomSnap=0.25, preferCanvas=True, className="map",
        # zooms at once: Leaflet throws on a map removed mid zoom animation (Leaflet#9575), as
        # when someone leaves the page while it fits the city
        zoomAnimation=False,
        maxBounds=[[south - 0.2, west - 0.2], [north + 0.2, east + 0.2]],
        attributionControl=bool(city.tile_url),
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


def status_counts(overview: Overview, lang: str) -> list:
    """Open incidents by status, one small figure each."""
    return [html.Div([html.Span(str(overview.open_by_status[status.value]),
                                id=f"count-{status.value}", className="status-value"),
                      html.Span(translate(f"status.{status.value}", lang),
                                className="status-label")], className="status-figure")
            for status in OPEN_STATUSES]


#: who has each queued incident open (`live.handling.holders`)
Handling = Mapping[str, Sequence[Holder]]


def live_parts(city: City, overview: Overview, queue: list[dict],
               stranded: list[StrandedTask], lang: str,
               handling: Handling | None = None) -> dict[str, Component]:
    """What the push loop refreshes whole: one element per part, by its id."""
    return {
        ids.HEADLINE: html.Div(headline(overview, lang), id=ids.HEADLINE, className="tiles"),
        ids.AGENCY_STRIP: html.Div(agency_strip(city, overview, lang), id=ids.AGENCY_STRIP,
                                   className="agency-strip",
                                   **{"aria-label": translate("home.by_agency", lang)}),
        ids.STATUS_STRIP: html.Div(status_counts(overview, lang), id=ids.STATUS_STRIP,
                                   className="status-strip",
                                   **{"aria-label": translate("home.by_status", lang)}),
        ids.STRANDED: html.Div([*escalated_items(city, overview.escalated, lang),
                                *stranded_items(city, stranded, lang)], id=ids.STRANDED,
                               className="stranded-section"),
        ids.QUEUE: html.Ol(queue_items(city, queue, lang, handling), id=ids.QUEUE,
                           className="feed queue"),
        ids.FEED: html.Ol(feed_items(city, overview.latest, lang), id=ids.FEED,
                          className="feed latest"),
    }


def live_figures(city: City, overview: Overview, queue: list[dict],
                 stranded: list[StrandedTask], lang: str,
                 handling: Handling | None = None) -> tuple[str, ...]:
    """The parts as HTML text, in the order of `ids.PUSHED_FIGURES` (as pushed)."""
    parts = live_parts(city, overview, queue, stranded, lang, handling)
    return tuple(to_html(parts[part]) for part in ids.PUSHED_FIGURES)


def headline(overview: Overview, lang: str) -> list:
    """The four figures a wall is read for, then one line per agency."""
    unassigned = sum(a.unassigned for a in overview.agencies)
    return [
        tile(translate("home.incidents", lang), overview.open_total, "count-open", "tile-large"),
        tile(translate("home.unassigned", lang), unassigned, "count-unassigned", "tile-large"),
        tile(translate("home.breaching", lang), overview.breaching, "count-breaching",
             "tile-large tile-alert" if overview.breaching else "tile-large"),
        tile(translate("home.officers_on_duty", lang), overview.officers_on_duty,
             "count-on-duty", "tile-large"),
    ]


def agency_strip(city: City, overview: Overview, lang: str) -> list:
    """Per agency: open · queued · past SLA · on duty, in the agency's colour."""
    labels = [translate(f"home.agency_{name}", lang)
              for name in ("open", "unassigned", "breaching", "on_duty")]
    rows = []
    for figures in overview.agencies:
        agency = city.agencies[figures.agency]
        values = (figures.open, figures.unassigned, figures.breaching, figures.on_duty)
        rows.append(html.Div([
            html.Span(agency.label(lang), className="agency-name",
                      style={"borderColor": agency.colour}),
            *[html.Span([html.B(str(value)), " ", label],
                        className="agency-figure" + (" late" if n == 2 and value else ""))
              for n, (value, label) in enumerate(zip(values, labels, strict=True))],
        ], className="agency-row", id=f"agency-{figures.agency}"))
    return rows


def signed_in(principal: Principal, csrf: str, lang: str) -> html.Div:
    """Who is signed in, and the sign-out button (a CSRF-protected form)."""
    admin = ([dcc.Link(translate("home.admin", lang), href=f"/admin?lang={lang}",
                       className="lang-switch", id="admin-link")]
             if principal.can(Action.MANAGE_ACCOUNTS) else [])
    kpi = ([dcc.Link(translate(f"nav.{page}", lang), href=f"/{page}?lang={lang}",
                     className="lang-switch", id=f"{page}-link") for page in ("kpi", "attendance")]
           if principal.can(Action.VIEW_KPI) else [])
    units = ([dcc.Link(translate("nav.units", lang), href=f"/units?lang={lang}",
                       className="lang-switch", id="units-link")]
             if principal.can(Action.VIEW_LIVE) else [])
    return html.Div([
        *units,
        *kpi,
        *admin,
        html.Span(translate("home.signed_in_as", lang, name=principal.name), className="who"),
        html.Form([
            dcc.Input(type="hidden", name="csrf", value=csrf),
            html.Button(translate("home.logout", lang), type="submit", id="logout"),
        ], action="/logout", method="post", className="logout"),
    ], className="session")


def page_header(title: str, subtitle: str, principal: Principal, csrf: str, lang: str,
                back: str | None = None) -> html.Header:
    """The desk pages' header: title, subtitle, a link back to the wall screen, the other
    language, and who is signed in."""
    other = "en" if lang == "id" else "id"
    return html.Header([
        html.Div([html.H1(title), html.Div(subtitle, className="admin-subtitle")]),
        html.Nav([
            dcc.Link(back or translate("nav.home", lang),
                     href="/" if lang == "id" else f"/?lang={lang}"),
            dcc.Link(translate("lang.switch", lang), href=f"?lang={other}",
                     className="lang-switch"),
            signed_in(principal, csrf, lang),
        ], className="admin-nav"),
    ], className="admin-header")


def report_header(title: str, city: City, principal: Principal, csrf: str,
                  lang: str) -> html.Header:
    """A report page's header: its title, the city, and the zone its times are in."""
    zone = datetime.now(city.timezone).tzname()
    times = translate("attendance.times_wib", lang, zone=zone)
    return page_header(title, f"{city.name} · {times}", principal, csrf, lang)


def forbidden_layout(principal: Principal, lang: str) -> html.Div:
    return html.Div(translate("access.forbidden", lang, actor=principal.actor),
                    className="forbidden", id="forbidden")


def unavailable_layout(message: str) -> html.Div:
    """A page whose data cannot be had now (the archive down), saying so."""
    return html.Div(message, className="forbidden", id="page-unavailable", role="alert")


def connection_badge(lang: str) -> html.Span:
    """LIVE while pushes arrive; `assets/live.js` turns it to reconnecting when they stop."""
    return html.Span(translate("home.live", lang), id=ids.LIVE_STATE, className="live-badge",
                     **{"data-live": translate("home.live", lang),
                        "data-reconnecting": translate("home.reconnecting", lang),
                        "role": "status"})


def home_layout(city: City, overview: Overview, lang: str, principal: Principal,
                csrf: str, incidents: dict, officers: dict, queue: list[dict],
                stranded: list[StrandedTask], search: str = "",
                version: str = "", handling: Handling | None = None) -> html.Div:
    """The whole wall screen for one language; `version` is the last change it shows."""
    other = "en" if lang == "id" else "id"
    parts = live_parts(city, overview, queue, stranded, lang, handling)
    return html.Div([
        html.Header([
            html.Div([
                html.H1(translate("app.title", lang)),
                html.Div(translate("home.subtitle", lang, city=city.name), className="subtitle"),
            ]),
            html.Div([
                desk_button(lang, hidden=not principal.can(Action.ENTER_REPORT)),
                connection_badge(lang),
                html.Span(overview.at.strftime("%H:%M:%S"), id="clock", className="clock",
                          **{"data-zone": city.timezone.key}),
                html.Span("WIB", className="clock zone"),
                dcc.Link(translate("lang.switch", lang), href=with_language(search, other),
                         className="lang-switch"),
                signed_in(principal, csrf, lang),
            ], className="header-right"),
        ], className="header"),
        html.Main([
            html.Section([
                *[shown(part, parts[part]) for part in (
                    ids.HEADLINE, ids.AGENCY_STRIP, ids.STATUS_STRIP, ids.STRANDED)],
                html.H2(translate("queue.title", lang)),
                shown(ids.QUEUE, parts[ids.QUEUE]),
                html.H2(translate("home.feed", lang)),
                shown(ids.FEED, parts[ids.FEED]),
                dcc.Store(id=ids.QUEUE_CHOICE),  # the queued incident clicked (assets/live.js)
                dcc.Store(id=ids.PAGE_LANG, data=lang),
                dcc.Store(id=ids.PAGE_FILTER, data=search),  # ?agency=…&district=…
                dcc.Store(id=ids.LIVE_VERSION, data=version),  # the last change applied
                dcc.Store(id=ids.MAP_CHANGES),  # pushed: changed points, merged in the browser
                dcc.Store(id=ids.LIVE_BEAT),  # pushed while nothing changes
                dcc.Store(id=ids.LIVE_FIGURES),  # pushed: the figures above, as JSON text
                dcc.Store(id=ids.SELECTED_INCIDENT),  # the incident open in the panel
                dcc.Store(id=ids.PANEL_STALE),  # a push touched it: its tasks are drawn again
                dcc.Store(id=ids.SELECTED_OFFICER),  # the officer open in the panel
                desk_panel(lang),  # (over this column: the whole map stays clickable)
            ], className="summary"),
            html.Section([district_map(city, incidents, officers),
                          html.Div(id=ids.INCIDENT_DETAIL, className="incident-detail")],
                         className="map-panel",
                         **{"aria-label": translate("home.map", lang)}),
        ], className="content"),
    ], lang=lang, className="home")

"""The wall screen: render it; push counts, queue, map and feed over the websocket; open an
incident, assign it and act on it (each action one service command)."""

from __future__ import annotations

import asyncio
import time
from functools import partial

from dash import (
    ALL,
    ClientsideFunction,
    Dash,
    Input,
    Output,
    State,
    ctx,
    html,
    no_update,
    set_props,
)

from layouts.dispatch import incident_panel, queue_items
from layouts.home import agency_strip, feed_items, headline, home_layout
from liveroom.access import Principal
from liveroom.api.access import csrf_token, current_principal
from liveroom.cities import City
from liveroom.domain.errors import DomainError
from liveroom.i18n import translate
from liveroom.room import LiveRoom
from liveroom.services import dispatch, incidents, reports
from liveroom.services.changes import (
    Change,
    ChangeHub,
    Subscription,
    changes_since,
    current_version,
    everything,
)
from liveroom.services.incidents import assign_incident
from liveroom.services.live_map import (
    incident_features,
    officer_features,
    shows_incident,
    shows_officer,
)
from liveroom.services.overview import Overview, overview, visible
from liveroom.services.screen_filter import ScreenFilter

#: At most this many pushes a second, however fast changes arrive.
PUSH_INTERVAL = 0.25
#: With nothing to push for this long, a heartbeat: the screen knows it is still live.
HEARTBEAT = 5.0


def push_state(city: City, lang: str, state: Overview, waiting: list[dict]) -> None:
    """The figures, queue and feed: small, so sent whole whenever incidents changed."""
    set_props("headline", {"children": headline(state, lang)})
    set_props("agency-strip", {"children": agency_strip(city, state, lang)})
    for status, count in state.open_by_status.items():
        set_props(f"count-{status}", {"children": str(count)})
    set_props("feed", {"children": feed_items(city, state.latest, lang)})
    set_props("queue", {"children": queue_items(city, waiting, lang)})


def push_points(change: Change, screen: ScreenFilter, reset: bool = False) -> None:
    """The map points that changed, as this screen shows them (None: remove); `reset`:
    these are all of them. `assets/live.js` merges them into the map's layers."""
    set_props("map-changes", {"data": {
        "version": change.version, "reset": reset,
        "incidents": {i: p if shows_incident(screen, p) else None
                      for i, p in change.incidents.items()},
        "officers": {i: p if shows_officer(screen, p) else None
                     for i, p in change.officers.items()}}})


def state(room: LiveRoom, by: Principal, screen: ScreenFilter) -> tuple[Overview, list[dict]]:
    return overview(room, by=by, screen=screen), dispatch.queue(room, by=by, screen=screen)


def render(room: LiveRoom, by: Principal, lang: str, search: str = ""):
    screen = ScreenFilter.from_query(search)
    version = current_version(room)  # read first: the snapshot is valid from it on
    counts, waiting = state(room, by, screen)
    return home_layout(room.city, counts, lang, by, csrf_token(),
                       incident_features(room, by=by, screen=screen),
                       officer_features(room, by=by, screen=screen), waiting, search, version)


def detail(room: LiveRoom, incident_id: str, by: Principal, lang: str):
    """The incident panel: the incident and the nearest available officers of its agency."""
    incident = dispatch.live_incident(room, incident_id, by=by)
    officers = dispatch.officers_near(room, float(incident["lat"]), float(incident["lon"]),
                                      incident.get("agency", ""), by=by) if incident.get(
        "agency") else []
    try:
        report = reports.public_report(room, incident_id)
    except DomainError:
        report = None
    return incident_panel(room.city, incident, report, officers, lang)


#: the incident panel's buttons -> (room, incident, text, category, original, principal)
ACTIONS = {
    "action-note": lambda room, i, text, _c, _o, by: incidents.add_note(room, i, text, by=by),
    "action-escalate": lambda room, i, _t, _c, _o, by: incidents.escalate_incident(
        room, i, by=by),
    "action-reject": lambda room, i, text, _c, _o, by: incidents.change_status(
        room, i, "rejected", reason=text, by=by),
    "action-reroute": lambda room, i, _t, category, _o, by: incidents.triage_incident(
        room, i, category=category or "", by=by),
    "action-duplicate": lambda room, i, _t, _c, original, by: incidents.change_status(
        room, i, "duplicate", duplicate_of=original, by=by),
}


def clicked_value() -> object:
    """What the triggering input holds now (n_clicks, clickData), or None."""
    return ctx.triggered[0]["value"] if ctx.triggered else None


def register(app: Dash, room: LiveRoom) -> None:
    app.clientside_callback(  # changed points merged into the map's layers (assets/live.js)
        ClientsideFunction("liveroom", "applyChanges"),
        Output("incidents-layer", "data"), Output("officers-layer", "data"),
        Output("live-version", "data"),
        Input("map-changes", "data"), State("incidents-layer", "data"),
        State("officers-layer", "data"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("liveroom", "heard"),
                            Output("live-state", "title"), Input("live-beat", "data"),
                            prevent_initial_call=True)

    @app.callback(Output("incident-detail", "children"),
                  Input({"type": "queue-item", "id": ALL}, "n_clicks"),
                  Input("incidents-layer", "clickData"),
                  State("page-lang", "data"), prevent_initial_call=True)
    async def select_incident(_queue_clicks, map_click, lang):
        """A click on a queued incident or a map marker opens it (panel or nothing)."""
        if not clicked_value():
            return no_update
        trigger = ctx.triggered_id
        incident_id = (trigger["id"] if isinstance(trigger, dict) else
                       (map_click or {}).get("properties", {}).get("id"))
        if not incident_id:
            return no_update
        by = current_principal()
        try:
            return await asyncio.to_thread(detail, room, incident_id, by, lang)
        except DomainError as exc:
            return html.Div(str(exc), className="admin-error", role="alert")

    @app.callback(Output("incident-detail", "children", allow_duplicate=True),
                  Input("detail-close", "n_clicks"), prevent_initial_call=True)
    def close_incident(clicks):
        return [] if clicks else no_update

    @app.callback(Output("assign-message", "children", allow_duplicate=True),
                  Output("detail-status", "children", allow_duplicate=True),
                  Input("action-note", "n_clicks"), Input("action-escalate", "n_clicks"),
                  Input("action-reject", "n_clicks"), Input("action-reroute", "n_clicks"),
                  Input("action-duplicate", "n_clicks"),
                  State("action-incident", "data"), State("action-text", "value"),
                  State("action-category", "value"), State("action-duplicate-of", "value"),
                  State("page-lang", "data"), prevent_initial_call=True)
    async def act(*values):
        """The panel's other actions, each one service command."""
        incident_id, text, category, original, lang = values[-5:]
        if not clicked_value():
            return no_update, no_update
        command = partial(ACTIONS[ctx.triggered_id], room, incident_id, text or "", category,
                          (original or "").strip().upper(), current_principal())
        try:
            incident = await asyncio.to_thread(command)
        except DomainError as exc:
            return html.Div(str(exc), className="admin-error", role="alert"), no_update
        return (html.Div(translate("dispatch.done", lang), className="admin-ok",
                         role="status"), translate(f"status.{incident.status.value}", lang))

    @app.callback(Output("assign-message", "children"),
                  Output("detail-status", "children"),
                  Input({"type": "assign", "officer": ALL, "incident": ALL}, "n_clicks"),
                  State("page-lang", "data"), prevent_initial_call=True)
    async def assign(_clicks, lang):
        """One click assigns the incident to that officer (the services decide who may)."""
        if not clicked_value():
            return no_update, no_update
        target, by = ctx.triggered_id, current_principal()
        try:
            incident = await asyncio.to_thread(
                partial(assign_incident, room, target["incident"], target["officer"], by=by))
        except DomainError as exc:
            return html.Div(str(exc), className="admin-error", role="alert"), no_update
        return (html.Div(translate("dispatch.assigned", lang, officer=target["officer"]),
                         className="admin-ok", role="status"),
                translate(f"status.{incident.status.value}", lang))

    hub = ChangeHub(room)  # one reader of the changes stream for every screen here

    @app.callback(websocket=True, persistent=True)
    async def push_changes() -> None:
        """While the wall screen is showing: resume from the last change it saw, then push
        what changes (points merged in the browser, figures whole), coalesced; a heartbeat
        when quiet. Follows the tab to another page, language or filter and back."""
        socket = ctx.websocket
        by = current_principal()  # the websocket's, authenticated when it connected

        async def page() -> tuple[str, str] | None:
            lang = await socket.get_prop("page-lang", "data", timeout=5)
            return None if lang is None else (lang, await socket.get_prop(
                "page-filter", "data", timeout=5) or "")

        while not socket.is_shutdown:
            showing = await page()
            if showing is None:  # another page: look again in a while
                await asyncio.sleep(1)
                continue
            version = await socket.get_prop("live-version", "data", timeout=5)
            subscription = await hub.subscribe()  # before catching up: nothing falls between
            try:
                await follow(socket, by, showing, version, subscription, page)
            finally:
                hub.unsubscribe(subscription)

    async def follow(socket, by: Principal, showing: tuple[str, str], version: str | None,
                     subscription: Subscription, page) -> None:
        """Push to one page until the tab shows another (or goes)."""
        lang, search = showing
        filter_ = ScreenFilter.from_query(search)
        screen, loop = visible(filter_, by), asyncio.get_running_loop()

        async def send(change: Change | None, figures: bool = True) -> None:
            if change is None:  # too far behind, or never had a version: everything
                push_points(await asyncio.to_thread(everything, room), screen, reset=True)
            else:
                push_points(change, screen)
            if figures:
                push_state(room.city, lang, *await asyncio.to_thread(state, room, by, filter_))

        await send(await asyncio.to_thread(changes_since, room, version))
        last_push = loop.time()
        while not socket.is_shutdown and await page() == showing:
            change = await subscription.next(HEARTBEAT)
            if change is None and not subscription.lost:
                set_props("live-beat", {"data": round(time.time())})
                continue
            # a change after a quiet spell goes out at once; a burst waits for the
            # interval since the last push and then goes out as one
            await asyncio.sleep(max(0.0, PUSH_INTERVAL - (loop.time() - last_push)))
            more = await subscription.next(0)
            change = change.merge(more) if change and more else change or more
            if subscription.lost:
                subscription.lost = False
                change = None
            await send(change, figures=change is None or bool(change.incidents)
                       or change.duty_changed)
            last_push = loop.time()

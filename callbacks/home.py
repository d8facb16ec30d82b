"""The wall screen: render it; push counts, queue, map and feed over the websocket; open an
incident, assign it and act on it (each action one service command)."""

from __future__ import annotations

import asyncio
from functools import partial

import redis.asyncio as aioredis
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update, set_props

from layouts.dispatch import incident_panel, queue_items
from layouts.home import feed_items, home_layout
from liveroom.access import Principal
from liveroom.api.access import csrf_token, current_principal
from liveroom.cities import City
from liveroom.connections import redis_url
from liveroom.domain.errors import DomainError
from liveroom.i18n import translate
from liveroom.room import LiveRoom
from liveroom.services import dispatch, incidents, reports
from liveroom.services.incidents import assign_incident
from liveroom.services.live_map import incident_features, officer_features
from liveroom.services.overview import Overview, changes_channel, overview
from liveroom.services.screen_filter import ScreenFilter

#: At most this many pushes a second, however fast events arrive.
PUSH_INTERVAL = 0.25


def push(snapshot: Overview, city: City, lang: str, incident_points: dict,
         officer_points: dict, waiting: list[dict]) -> None:
    for status, count in snapshot.open_by_status.items():
        set_props(f"count-{status}", {"children": str(count)})
    set_props("count-open", {"children": str(snapshot.open_total)})
    set_props("count-on-duty", {"children": str(snapshot.officers_on_duty)})
    set_props("updated-at", {"children": snapshot.at.strftime("%H:%M:%S")})
    set_props("feed", {"children": feed_items(city, snapshot.latest, lang)})
    set_props("incidents-layer", {"data": incident_points})
    set_props("officers-layer", {"data": officer_points})
    set_props("queue", {"children": queue_items(city, waiting, lang)})


def snapshot(room: LiveRoom, by: Principal,
             screen: ScreenFilter) -> tuple[Overview, dict, dict, list[dict]]:
    """Everything the wall screen shows, for this principal and this screen's filter."""
    return (overview(room, by=by, screen=screen),
            incident_features(room, by=by, screen=screen),
            officer_features(room, by=by, screen=screen),
            dispatch.queue(room, by=by, screen=screen))


def render(room: LiveRoom, by: Principal, lang: str, search: str = ""):
    counts, incident_points, officer_points, waiting = snapshot(
        room, by, ScreenFilter.from_query(search))
    return home_layout(room.city, counts, lang, by, csrf_token(), incident_points,
                       officer_points, waiting, search)


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

    @app.callback(websocket=True, persistent=True)
    async def push_overview() -> None:
        """Subscribe first, then send a fresh snapshot, so nothing falls in between."""
        socket = ctx.websocket
        by = current_principal()  # the websocket's, authenticated when it connected
        client = aioredis.from_url(redis_url(room.settings), decode_responses=True)

        async def send_snapshot() -> None:
            lang = await socket.get_prop("page-lang", "data", timeout=5)
            if lang is None:
                return  # another page is showing
            search = await socket.get_prop("page-filter", "data", timeout=5)
            screen = ScreenFilter.from_query(search)
            counts, incident_points, officer_points, waiting = await asyncio.to_thread(
                snapshot, room, by, screen)
            push(counts, room.city, lang, incident_points, officer_points, waiting)

        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(changes_channel(room))
            await send_snapshot()
            loop, last_push = asyncio.get_running_loop(), 0.0
            while socket is not None and not socket.is_shutdown:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is None:
                    continue
                # a change after a quiet spell goes out at once; a burst waits for the
                # interval since the last push and then goes out as one
                await asyncio.sleep(max(0.0, PUSH_INTERVAL - (loop.time() - last_push)))
                while await pubsub.get_message(ignore_subscribe_messages=True, timeout=0):
                    pass
                await send_snapshot()
                last_push = loop.time()
        finally:
            await pubsub.aclose()
            await client.aclose()

"""The wall screen: render it (the push loop in `callbacks/live.py` keeps it current); open
an incident, assign it and act on it (each action one service command)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from functools import partial

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from layouts import ids
from layouts.dispatch import incident_panel
from layouts.home import home_layout
from layouts.officer import officer_panel
from layouts.runcard import OPEN_FOR_TASKS
from liveroom.access import Principal
from liveroom.api.access import csrf_token, current_principal
from liveroom.commands import incidents
from liveroom.commands.callers import incident_callers
from liveroom.commands.incidents import assign_incident
from liveroom.domain.errors import DomainError
from liveroom.i18n import refusal, translate
from liveroom.live import dispatch, handling, runcards
from liveroom.live.changes import current_version
from liveroom.live.handling import Holder
from liveroom.live.live_map import incident_features, officer_features
from liveroom.live.officer_card import officer_card
from liveroom.live.screen_filter import ScreenFilter
from liveroom.notify import outcomes
from liveroom.reporting import reports
from liveroom.room import LiveRoom


def render(room: LiveRoom, by: Principal, lang: str, search: str = ""):
    screen = ScreenFilter.from_query(search)
    version = current_version(room)  # read first: the snapshot is valid from it on
    counts, waiting, stranded, holders = dispatch.screen_state(room, by, screen)
    return home_layout(room.city, counts, lang, by, csrf_token(),
                       incident_features(room, by=by, screen=screen),
                       officer_features(room, by=by, screen=screen), waiting, stranded, search,
                       version, holders)


def detail(room: LiveRoom, incident_id: str, by: Principal, lang: str,
           previous: str | None = None):
    """The incident panel: the incident, its callers as `by` may see them, and the nearest
    available officers of its agency, warning of whoever else has it open. Opening it takes
    `by`'s lease on it (and lets go of the incident the panel showed before)."""
    incident = dispatch.live_incident(room, incident_id, by=by)
    if previous and previous != incident_id:
        handling.release(room, previous, by)
    return panel_of(room, incident, by, lang, handling.take(room, incident_id, by))


def panel_of(room: LiveRoom, incident: dict, by: Principal, lang: str,
             others: Sequence[Holder] = ()):
    """The panel of an incident as the live view holds it (or as a command just left it,
    before the view has caught up)."""
    incident_id = incident["id"]
    officers = dispatch.officers_near(room, float(incident["lat"]), float(incident["lon"]),
                                      incident.get("agency", ""), by=by) if incident.get(
        "agency") else []
    try:
        report = reports.public_report(room, incident_id)
    except DomainError:
        report = None
    try:
        callers = incident_callers(room, incident_id, by=by)
    except DomainError:  # (in the live model, no aggregate: an imported history)
        callers = []
    return incident_panel(room.city, incident, report, officers, lang, callers, others,
                          runcards.named_tasks(room, incident, lang),
                          card_of(room, incident, by), room.clock(),
                          outcomes.of_incident(room, incident_id))


def card_of(room: LiveRoom, incident: dict, by: Principal,
            alarm: int = 1) -> runcards.Recommendation | None:
    """The run card's recommendation for an incident that takes more tasks, else None."""
    if incident.get("status") not in OPEN_FOR_TASKS:
        return None
    try:
        return runcards.recommend(room, incident["id"], by=by, alarm=alarm, incident=incident)
    except DomainError:
        return None


#: how close the map flies to an officer opened on it
TRACK_ZOOM = 14


def officer_detail(room: LiveRoom, officer_id: str, incident_id: str | None, by: Principal,
                   lang: str) -> tuple[html.Div, list]:
    """The officer panel (offering the open incident, if any) and their track."""
    card = officer_card(room, officer_id, by=by)
    incident = None
    if incident_id:
        try:
            incident = dispatch.live_incident(room, incident_id, by=by)
        except DomainError:
            incident = None  # closed meanwhile: show the officer alone
    return officer_panel(room.city, card, lang, incident), [list(p) for p in card.track]


#: the incident panel's buttons -> (room, incident, text, category, original, principal)
ACTIONS = {
    ids.ACTION_NOTE: lambda room, i, text, _c, _o, by: incidents.add_note(room, i, text, by=by),
    ids.ACTION_ESCALATE: lambda room, i, _t, _c, _o, by: incidents.escalate_incident(
        room, i, by=by),
    ids.ACTION_REJECT: lambda room, i, text, _c, _o, by: incidents.change_status(
        room, i, "rejected", reason=text, by=by),
    ids.ACTION_REROUTE: lambda room, i, _t, category, _o, by: incidents.triage_incident(
        room, i, category=category or "", by=by),
    ids.ACTION_DUPLICATE: lambda room, i, _t, _c, original, by: incidents.change_status(
        room, i, "duplicate", duplicate_of=original, by=by),
}


def refused(exc: DomainError, lang: str) -> html.Div:
    """A refused command, said in the screen's language."""
    return html.Div(refusal(exc, lang), className="admin-error", role="alert")


def clicked_value() -> object:
    """What the triggering input holds now (n_clicks, clickData), or None."""
    return ctx.triggered[0]["value"] if ctx.triggered else None


def register(app: Dash, room: LiveRoom) -> None:
    @app.callback(Output(ids.INCIDENT_DETAIL, "children"),
                  Output(ids.SELECTED_INCIDENT, "data"),
                  Input(ids.QUEUE_CHOICE, "data"),
                  Input(ids.INCIDENTS_LAYER, "clickData"),
                  State(ids.PAGE_LANG, "data"), State(ids.SELECTED_INCIDENT, "data"),
                  prevent_initial_call=True)
    async def select_incident(queue_choice, map_click, lang, previous):
        """A click on a queued incident or a map marker opens it (panel or nothing), and
        takes the operator's lease on it (the other screens say who has it open)."""
        if not clicked_value():
            return no_update, no_update
        clicked = queue_choice if ctx.triggered_id == ids.QUEUE_CHOICE else (
            (map_click or {}).get("properties"))  # (both come from the browser: hostile)
        incident_id = clicked.get("id") if isinstance(clicked, dict) else None
        if not isinstance(incident_id, str) or not incident_id:
            return no_update, no_update
        by = current_principal()
        try:
            return await asyncio.to_thread(detail, room, incident_id, by, lang,
                                           previous if isinstance(previous, str) else None
                                           ), incident_id
        except DomainError as exc:
            return refused(exc, lang), None

    @app.callback(Output(ids.INCIDENT_DETAIL, "children", allow_duplicate=True),
                  Output(ids.TRACK, "positions"), Output(ids.SELECTED_OFFICER, "data"),
                  Output(ids.MAP, "viewport"),
                  Input(ids.OFFICERS_LAYER, "clickData"),
                  Input(ids.choose_officer(ALL), "n_clicks"),
                  State(ids.SELECTED_INCIDENT, "data"), State(ids.PAGE_LANG, "data"),
                  prevent_initial_call=True)
    async def select_officer(map_click, _chosen, incident_id, lang):
        """A click on an officer (on the map, or chosen from the recommended list) opens
        them, with their last hour drawn on the map (flown to, beside the panel); with an
        incident open, the panel offers to give it to them."""
        if isinstance(ctx.triggered_id, dict):
            officer_id = ctx.triggered_id["officer"] if clicked_value() else None
        else:
            officer_id = (map_click or {}).get("properties", {}).get("id")
        if not officer_id:
            return no_update, no_update, no_update, no_update
        by = current_principal()
        try:
            panel, track = await asyncio.to_thread(officer_detail, room, officer_id,
                                                   incident_id, by, lang)
        except DomainError as exc:
            return (refused(exc, lang), [], None,
                    no_update)
        view = {"center": track[-1], "zoom": TRACK_ZOOM, "transition": "flyTo"} if (
            track) else no_update
        return panel, track, officer_id, view

    @app.callback(Output(ids.GIVE_MESSAGE, "children"),
                  Input(ids.GIVE_CONFIRM, "n_clicks"), State(ids.SELECTED_INCIDENT, "data"),
                  State(ids.SELECTED_OFFICER, "data"), State(ids.GIVE_REASON, "value"),
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    async def give(clicks, incident_id, officer_id, reason, lang):
        """Assign, or reassign with its reason, the open incident to the open officer (the
        services decide who may: operators assign, supervisors reassign)."""
        if not clicks or not (incident_id and officer_id):
            return no_update
        try:
            await asyncio.to_thread(partial(assign_incident, room, incident_id, officer_id,
                                            by=current_principal(), reason=reason or None))
        except DomainError as exc:
            return refused(exc, lang)
        return html.Div(translate("officer.done", lang, incident=incident_id,
                                  officer=officer_id), className="admin-ok", role="status")

    @app.callback(Output(ids.INCIDENT_DETAIL, "children", allow_duplicate=True),
                  Output(ids.SELECTED_INCIDENT, "data", allow_duplicate=True),
                  Output(ids.TRACK, "positions", allow_duplicate=True),
                  Input(ids.DETAIL_CLOSE, "n_clicks"), State(ids.SELECTED_INCIDENT, "data"),
                  prevent_initial_call=True)
    async def close_panel(clicks, incident_id):
        """Close the panel, letting go of the lease on its incident."""
        if not clicks:
            return no_update, no_update, no_update
        if isinstance(incident_id, str) and incident_id:
            await asyncio.to_thread(handling.release, room, incident_id, current_principal())
        return [], None, []

    @app.callback(Output(ids.ASSIGN_MESSAGE, "children", allow_duplicate=True),
                  Output(ids.DETAIL_STATUS, "children", allow_duplicate=True),
                  Input(ids.ACTION_NOTE, "n_clicks"), Input(ids.ACTION_ESCALATE, "n_clicks"),
                  Input(ids.ACTION_REJECT, "n_clicks"), Input(ids.ACTION_REROUTE, "n_clicks"),
                  Input(ids.ACTION_DUPLICATE, "n_clicks"),
                  State(ids.ACTION_INCIDENT, "data"), State(ids.ACTION_TEXT, "value"),
                  State(ids.ACTION_CATEGORY, "value"), State(ids.ACTION_DUPLICATE_OF, "value"),
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
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
            return refused(exc, lang), no_update
        return (html.Div(translate("dispatch.done", lang), className="admin-ok",
                         role="status"), translate(f"status.{incident.status.value}", lang))

    @app.callback(Output(ids.ASSIGN_MESSAGE, "children"),
                  Output(ids.DETAIL_STATUS, "children"),
                  Input(ids.assign(ALL, ALL), "n_clicks"),
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    async def assign(_clicks, lang):
        """One click assigns the incident to that officer (the services decide who may)."""
        if not clicked_value():
            return no_update, no_update
        target, by = ctx.triggered_id, current_principal()
        try:
            incident = await asyncio.to_thread(
                partial(assign_incident, room, target["incident"], target["officer"], by=by))
        except DomainError as exc:
            return refused(exc, lang), no_update
        return (html.Div(translate("dispatch.assigned", lang, officer=target["officer"]),
                         className="admin-ok", role="status"),
                translate(f"status.{incident.status.value}", lang))

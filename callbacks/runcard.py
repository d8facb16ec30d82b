"""The incident panel's tasks and run card: send the ticked in one click, add one, show the
next alarm, stand a task down for a reason, forward to an outside body; and the tasks drawn
again when a push touches the open incident. Each action one service command."""

from __future__ import annotations

import asyncio
from functools import partial

from dash import ALL, ClientsideFunction, Dash, Input, Output, State, ctx, html, no_update

from callbacks.home import card_of, clicked_value, refused
from layouts import ids
from layouts.runcard import runcard_body, send_label, tasks_list, with_added
from liveroom.access import Principal
from liveroom.api.access import current_principal
from liveroom.commands.incidents import forward_incident, release_task
from liveroom.domain.errors import DomainError
from liveroom.domain.incident import Incident
from liveroom.i18n import refusal, translate
from liveroom.live import dispatch, runcards
from liveroom.room import LiveRoom


def card_part(room: LiveRoom, incident: Incident | dict, by: Principal, lang: str,
              alarm: int = 1) -> list:
    """What `ids.RUNCARD` holds for the incident (as a command left it, or as live)."""
    shown = incident.model_dump(mode="json") if isinstance(incident, Incident) else incident
    card = card_of(room, shown, by, alarm)
    return runcard_body(room.city, card, lang) if card else []


def tasks_part(room: LiveRoom, incident: Incident | dict, lang: str) -> list:
    """What `ids.TASKS` holds for the incident."""
    return tasks_list(room.city, runcards.named_tasks(room, incident, lang), lang,
                      room.clock())


def status_text(incident: Incident | dict, lang: str) -> str:
    status = incident.status.value if isinstance(incident, Incident) else incident.get(
        "status", "")
    return translate(f"status.{status}", lang)


def _alarm(state) -> tuple[str | None, int]:
    """(incident, alarm) of the run card's store (from the browser: checked)."""
    if not isinstance(state, dict) or not isinstance(state.get("incident"), str):
        return None, 1
    alarm = state.get("alarm")
    return state["incident"], alarm if isinstance(alarm, int) and 0 < alarm < 10 else 1


def register(app: Dash, room: LiveRoom) -> None:
    app.clientside_callback(  # a pushed change that names the open incident (assets/live.js)
        ClientsideFunction("liveroom", "openTouched"),
        Output(ids.PANEL_STALE, "data"), Input(ids.MAP_CHANGES, "data"),
        State(ids.SELECTED_INCIDENT, "data"), prevent_initial_call=True)

    @app.callback(Output(ids.RUNCARD_SEND, "children"), Output(ids.RUNCARD_SEND, "disabled"),
                  Input(ids.runcard_line(ALL), "value"), Input(ids.RUNCARD_ADDED, "value"),
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def count(lines, added, lang):
        """"Kirim semua (N)": N is what is ticked now."""
        ticked = sum(len(values or []) for values in lines) + len(added or [])
        return send_label(ticked, lang), not ticked

    @app.callback(Output(ids.RUNCARD_ADDED, "options"), Output(ids.RUNCARD_ADDED, "value"),
                  Output(ids.RUNCARD_ADD, "options"), Output(ids.RUNCARD_ADD, "value"),
                  Input(ids.RUNCARD_ADD, "value"), State(ids.RUNCARD_ADD, "options"),
                  State(ids.RUNCARD_ADDED, "options"), State(ids.RUNCARD_ADDED, "value"),
                  prevent_initial_call=True)
    def add(choice, offered, added, ticked):
        """A unit or officer chosen from the "add" list joins the card, ticked."""
        if not isinstance(choice, str) or not choice:
            return no_update, no_update, no_update, no_update
        return (*with_added(choice, offered or [], added or [], ticked or []), None)

    @app.callback(Output(ids.RUNCARD_MESSAGE, "children"),
                  Output(ids.RUNCARD, "children"),
                  Output(ids.TASKS, "children", allow_duplicate=True),
                  Output(ids.DETAIL_STATUS, "children", allow_duplicate=True),
                  Input(ids.RUNCARD_SEND, "n_clicks"), State(ids.runcard_line(ALL), "value"),
                  State(ids.RUNCARD_ADDED, "value"), State(ids.RUNCARD_STATE, "data"),
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    async def send(clicks, lines, added, state, lang):
        """Everything ticked, in one command: all of it or, refused, none; a unit taken
        meanwhile (`unit_busy`) is said and the card drawn again from what is free now."""
        incident_id, alarm = _alarm(state)
        if not clicks or incident_id is None:
            return no_update, no_update, no_update, no_update
        chosen = [value for values in lines for value in values or []] + list(added or [])
        by = current_principal()
        try:
            incident = await asyncio.to_thread(partial(
                runcards.dispatch_card, room, incident_id, chosen, by=by))
        except DomainError as exc:
            if exc.code != "unit_busy":
                return refused(exc, lang), no_update, no_update, no_update
            live = await asyncio.to_thread(partial(dispatch.live_incident, room, incident_id,
                                                   by=by))
            again = await asyncio.to_thread(card_part, room, live, by, lang, alarm)
            said = html.Div([refusal(exc, lang), " ", translate("runcard.refreshed", lang)],
                            className="admin-error", role="alert")
            return said, again, no_update, no_update
        said = html.Div(translate("runcard.sent", lang, count=len(chosen)),
                        className="admin-ok", role="status")
        part, tasks = await asyncio.gather(
            asyncio.to_thread(card_part, room, incident, by, lang, alarm),
            asyncio.to_thread(tasks_part, room, incident, lang))
        return said, part, tasks, status_text(incident, lang)

    @app.callback(Output(ids.RUNCARD, "children", allow_duplicate=True),
                  Input(ids.RUNCARD_NEXT, "n_clicks"), State(ids.RUNCARD_STATE, "data"),
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    async def next_alarm(clicks, state, lang):
        """"Tambah unit": the card at its next alarm, less what already runs."""
        incident_id, alarm = _alarm(state)
        if not clicks or incident_id is None:
            return no_update
        by = current_principal()
        try:
            live = await asyncio.to_thread(partial(dispatch.live_incident, room, incident_id,
                                                   by=by))
        except DomainError as exc:
            return [refused(exc, lang)]
        return await asyncio.to_thread(card_part, room, live, by, lang, alarm + 1)

    @app.callback(Output(ids.RELEASE_FORM, "hidden"), Output(ids.RELEASE_TASK, "data"),
                  Output(ids.RELEASE_WHO, "children"),
                  Input(ids.release(ALL, ALL), "n_clicks"), State(ids.PAGE_LANG, "data"),
                  prevent_initial_call=True)
    def ask_reason(_clicks, lang):
        """"Tarik" asks why before anything is done."""
        if not clicked_value() or not isinstance(ctx.triggered_id, dict):
            return no_update, no_update, no_update
        task = {"task": ctx.triggered_id["task"], "who": ctx.triggered_id["who"]}
        return False, task, translate("task.release_who", lang, who=task["who"])

    @app.callback(Output(ids.TASK_MESSAGE, "children"),
                  Output(ids.TASKS, "children", allow_duplicate=True),
                  Output(ids.RELEASE_FORM, "hidden", allow_duplicate=True),
                  Output(ids.RUNCARD, "children", allow_duplicate=True),
                  Output(ids.DETAIL_STATUS, "children", allow_duplicate=True),
                  Input(ids.RELEASE_CONFIRM, "n_clicks"), State(ids.RELEASE_TASK, "data"),
                  State(ids.RELEASE_REASON, "value"), State(ids.SELECTED_INCIDENT, "data"),
                  State(ids.RUNCARD_STATE, "data"), State(ids.PAGE_LANG, "data"),
                  prevent_initial_call=True)
    async def release(clicks, task, reason, incident_id, state, lang):
        """Stand the task down for the reason given; the tasks and the card follow."""
        untouched = (no_update,) * 5
        if not clicks or not isinstance(task, dict) or not isinstance(incident_id, str):
            return untouched
        by = current_principal()
        try:
            incident = await asyncio.to_thread(partial(
                release_task, room, incident_id, str(task.get("task")), by=by,
                reason=reason or ""))
        except DomainError as exc:
            return refused(exc, lang), *untouched[1:]
        said = html.Div(translate("task.released", lang, who=task.get("who", "")),
                        className="admin-ok", role="status")
        part, tasks = await asyncio.gather(
            asyncio.to_thread(card_part, room, incident, by, lang, _alarm(state)[1]),
            asyncio.to_thread(tasks_part, room, incident, lang))
        return said, tasks, True, part, status_text(incident, lang)

    @app.callback(Output(ids.TASK_MESSAGE, "children", allow_duplicate=True),
                  Output(ids.TASKS, "children", allow_duplicate=True),
                  Output(ids.FORWARD, "hidden"),
                  Output(ids.DETAIL_STATUS, "children", allow_duplicate=True),
                  Input(ids.forward(ALL), "n_clicks"), State(ids.FORWARD_REFERENCE, "value"),
                  State(ids.SELECTED_INCIDENT, "data"), State(ids.PAGE_LANG, "data"),
                  prevent_initial_call=True)
    async def forward(_clicks, reference, incident_id, lang):
        """Hand the incident to the outside body its category names, with its reference."""
        if not clicked_value() or not isinstance(incident_id, str):
            return no_update, no_update, no_update, no_update
        body = ctx.triggered_id["body"]
        try:
            incident = await asyncio.to_thread(partial(
                forward_incident, room, incident_id, body, by=current_principal(),
                reference=reference or ""))
        except DomainError as exc:
            return refused(exc, lang), no_update, no_update, no_update
        known = room.city.external_bodies.get(body)
        said = html.Div(translate("task.forwarded", lang,
                                  body=known.label(lang) if known else body),
                        className="admin-ok", role="status")
        tasks = await asyncio.to_thread(tasks_part, room, incident, lang)
        return said, tasks, True, status_text(incident, lang)

    @app.callback(Output(ids.TASKS, "children", allow_duplicate=True),
                  Output(ids.DETAIL_STATUS, "children", allow_duplicate=True),
                  Input(ids.PANEL_STALE, "data"), State(ids.SELECTED_INCIDENT, "data"),
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    async def refresh(stale, incident_id, lang):
        """A push touched the open incident: its tasks and status as they are now."""
        if not stale or not isinstance(incident_id, str):
            return no_update, no_update
        try:
            live = await asyncio.to_thread(partial(dispatch.live_incident, room, incident_id,
                                                   by=current_principal()))
        except DomainError:
            return no_update, no_update
        tasks = await asyncio.to_thread(tasks_part, room, live, lang)
        return tasks, status_text(live, lang)

"""The call-taker's desk: open the form (F2 or its button, in the browser), show the
chosen category's questions, place the report (a map click, a pasted point, a kecamatan or
an address), list the open incidents it may duplicate, and save it: as a new incident
(optionally given at once to the nearest officer) or as one more caller of another."""

from __future__ import annotations

import asyncio
from functools import partial

from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

from callbacks.home import clicked_value, panel_of, refused
from layouts import ids
from layouts.desk import desk_form, desk_pin, questions, similar_list, where_said
from liveroom.api.access import current_principal
from liveroom.cities import City
from liveroom.commands.desk import add_reporter, enter_report, placed
from liveroom.domain.coordinates import shared_location
from liveroom.domain.errors import DomainError, InvalidCommand
from liveroom.i18n import translate
from liveroom.live import dispatch
from liveroom.live.desk import enter_and_assign
from liveroom.live.similar import similar_open_incidents
from liveroom.room import LiveRoom

#: the form closed: unmounted, hidden, its place off the map
CLOSED = (Output(ids.DESK, "children", allow_duplicate=True),
          Output(ids.DESK, "hidden", allow_duplicate=True),
          Output(ids.DESK_PIN, "children", allow_duplicate=True))
FORM_GONE = ([], True, [])


def located(city: City, point: str | None, district: str | None,
            address: str | None) -> tuple[float, float, bool] | None:
    """Where the form places the report, or None while it cannot yet; a point typed that
    is no point is refused (the operator must see it, not an approximate place)."""
    if point and point.strip():
        found = shared_location(point)
        if found is None:
            raise InvalidCommand(f"{point[:60]!r} is not a point", rule="not_a_point")
        return *found, False
    if not (district or (address and address.strip())):
        return None
    return placed(city, None, None, district, address)


def report_fields(city: City, values: tuple, answers: dict) -> dict:
    """The form's values as `enter_report`'s arguments."""
    (channel, category, description, point, district, address, name, phone, priority,
     reason) = values
    where = located(city, point, district, address)
    if where is None:
        raise InvalidCommand("a report needs a point, a kecamatan, or an address naming one "
                             f"kecamatan of {city.name}", rule="no_location")
    if not category:
        raise InvalidCommand("choose the category", rule="unknown_category")
    lat, lon, approximate = where
    return dict(channel=channel or "", category=category, description=description or "",
                lat=None if approximate else lat, lon=None if approximate else lon,
                district=district if approximate else None, address=address or None,
                answers=answers, caller_name=name, caller_phone=phone, priority=priority,
                priority_reason=reason)


def answers_given() -> dict:
    """The category questions' answers, by question (empty ones left out)."""
    given = {}
    for item in ctx.states_list[-1]:
        value = item.get("value")
        if value not in (None, "", []):
            given[item["id"]["question"]] = [str(v) for v in value] if isinstance(
                value, list) else str(value)
    return given


def register(app: Dash, room: LiveRoom) -> None:
    @app.callback(Output(ids.DESK, "children"), Output(ids.DESK, "hidden"),
                  Input(ids.DESK_OPEN, "n_clicks"), State(ids.DESK, "hidden"),
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def open_form(clicks, hidden, lang):
        """The form, mounted fresh (an open one is left as it is)."""
        if not clicks or hidden is False:
            return no_update, no_update
        return desk_form(room.city, lang), False

    @app.callback(*CLOSED, Input(ids.DESK_CLOSE, "n_clicks"), prevent_initial_call=True)
    def close_form(clicks):
        return (*FORM_GONE,) if clicks else (no_update,) * len(FORM_GONE)

    @app.callback(Output(ids.DESK_QUESTIONS, "children"), Input(ids.DESK_CATEGORY, "value"),
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    def show_questions(category, lang):
        return questions(room.city, category, lang)

    @app.callback(Output(ids.DESK_POINT, "value"), Input(ids.MAP, "clickData"),
                  State(ids.DESK, "hidden"), prevent_initial_call=True)
    def point_clicked(click, hidden):
        """With the form open, a click on the map is where the caller is."""
        latlng = (click or {}).get("latlng") if isinstance(click, dict) else None
        if hidden or not isinstance(latlng, dict):
            return no_update
        try:
            return f"{float(latlng['lat']):.6f}, {float(latlng['lng']):.6f}"
        except (KeyError, TypeError, ValueError):
            return no_update

    @app.callback(Output(ids.DESK_WHERE, "children"), Output(ids.DESK_SIMILAR, "children"),
                  Output(ids.DESK_PIN, "children"),
                  Input(ids.DESK_CATEGORY, "value"), Input(ids.DESK_POINT, "value"),
                  Input(ids.DESK_DISTRICT, "value"), Input(ids.DESK_ADDRESS, "value"),
                  State(ids.PAGE_LANG, "data"), prevent_initial_call=True)
    async def place(category, point, district, address, lang):
        """Where the report goes, shown as it is typed, with the open incidents nearby that
        it may be about."""
        try:
            where = located(room.city, point, district, address)
        except DomainError as exc:
            return refused(exc, lang), [], []
        if where is None:
            return "", [], []
        lat, lon, approximate = where
        if approximate and not district:
            district = room.city.district_at(lat, lon).code  # (named in the address)
        said, pin = where_said(room.city, (lat, lon), district, approximate, lang), [
            desk_pin(lat, lon, approximate)]
        if not category:
            return said, [], pin
        found = await asyncio.to_thread(partial(
            similar_open_incidents, room, category, lat, lon, by=current_principal(),
            district=district if approximate else None))
        return said, similar_list(room.city, found, lang), pin

    fields = [State(field, "value") for field in ids.DESK_FIELDS]

    @app.callback(Output(ids.DESK_MESSAGE, "children"),
                  Output(ids.INCIDENT_DETAIL, "children", allow_duplicate=True),
                  Output(ids.SELECTED_INCIDENT, "data", allow_duplicate=True), *CLOSED,
                  Input(ids.DESK_SAVE, "n_clicks"), Input(ids.DESK_SAVE_ASSIGN, "n_clicks"),
                  Input(ids.desk_add_to(ALL), "n_clicks"), *fields,
                  State(ids.PAGE_LANG, "data"), State(ids.desk_answer(ALL), "value"),
                  prevent_initial_call=True)
    async def save(*values):
        """Save the report, or add the caller to the incident chosen; then the incident
        opens in the panel and the form closes. Refused: the form keeps what was typed
        and says why, in the screen's language."""
        untouched = (no_update,) * (3 + len(CLOSED))
        if not clicked_value():
            return untouched
        form, lang, by = values[3:3 + len(ids.DESK_FIELDS)], values[-2], current_principal()
        target = ctx.triggered_id
        try:
            if isinstance(target, dict):
                channel, description, name, phone = (form[0], form[2], form[6], form[7])
                incident = await asyncio.to_thread(partial(
                    add_reporter, room, target["incident"], by=by, channel=channel or "",
                    description=description or "", caller_name=name, caller_phone=phone))
                said = translate("desk.caller_added", lang, id=incident.id,
                                 reporters=incident.reporters)
                shown = {**await asyncio.to_thread(partial(
                    dispatch.live_incident, room, incident.id, by=by)),
                         "reporters": incident.reporters}  # (the view may lag the command)
                panel = await asyncio.to_thread(panel_of, room, shown, by, lang)
            else:
                report = report_fields(room.city, form, answers_given())
                if target == ids.DESK_SAVE_ASSIGN:
                    incident, officer = await asyncio.to_thread(partial(
                        enter_and_assign, room, by=by, **report))
                    said = translate("desk.saved_assigned" if officer else "desk.saved_nobody",
                                     lang, id=incident.id,
                                     officer=officer.name if officer else "")
                else:
                    incident = await asyncio.to_thread(partial(enter_report, room, by=by,
                                                               **report))
                    said = translate("desk.saved", lang, id=incident.id)
                shown = {**incident.model_dump(mode="json"), "source": report["channel"]}
                panel = await asyncio.to_thread(panel_of, room, shown, by, lang)
        except DomainError as exc:
            return (refused(exc, lang), *untouched[1:])
        banner = html.Div(said, className="admin-ok", role="status", id="desk-saved")
        return ("", html.Div([banner, panel]), incident.id, *FORM_GONE)

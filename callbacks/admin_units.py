"""Admin page, units: list them, add one, change one (the form, filled by a row's edit
button), deactivate or activate one; each through `commands.units`, which audits by its
events. A refusal is said next to the form in the page's language and changes nothing."""

from __future__ import annotations

from collections.abc import Iterable

from dash import Dash, Input, Output, State, no_update
from dash.exceptions import PreventUpdate

from callbacks.forms import clicked, off_loop, refused, row_action
from layouts import admin_units as layout
from layouts import ids
from layouts.admin import message, post_options
from liveroom.access import Action, Principal
from liveroom.api.access import current_principal
from liveroom.commands import accounts
from liveroom.commands.units import change_unit, register_unit
from liveroom.domain.errors import DomainError
from liveroom.domain.unit import Unit
from liveroom.i18n import translate
from liveroom.live.units import agency_officers, live_unit, unit_roster
from liveroom.room import LiveRoom

#: the fields whose choices follow the agency
CHOSEN = (ids.UNIT_POST, ids.UNIT_CREW, ids.UNIT_TRACKER)


def managed(room: LiveRoom, by: Principal) -> list[str]:
    return [agency for agency in room.city.agencies if by.can(Action.MANAGE_UNITS, agency)]


def _names(room: LiveRoom, agencies: Iterable[str], by: Principal) -> dict[str, str]:
    names: dict[str, str] = {}
    for agency in agencies:
        names.update(agency_officers(room, agency, by=by))
    return names


def table(room: LiveRoom, by: Principal, lang: str, fresh: Iterable[Unit] = ()):
    """The units `by` manages (a unit a command just left as it left it), crews by name."""
    agencies = managed(room, by)
    return layout.units_table(unit_roster(room, agencies, by=by, fresh=fresh), room.city,
                              _names(room, agencies, by), lang)


def render_section(room: LiveRoom, by: Principal, lang: str):
    """The section as the page first shows it."""
    agencies = managed(room, by)
    return layout.units_section(room.city, unit_roster(room, agencies, by=by),
                                _names(room, agencies, by), lang)


def choices(room: LiveRoom, agency: str | None, by: Principal
            ) -> tuple[list[dict], list[dict], list[dict]]:
    """The posts, officers and devices of `agency` to choose a unit's from (Forbidden
    unless `by` manages its units)."""
    if not agency or agency not in room.city.agencies:
        return post_options(room.city, None), [], []
    by.check(Action.MANAGE_UNITS, agency)
    devices = [row for row in accounts.list_credentials(room, by=by, kind="device")
               if row["agency"] == agency and row["revoked_at"] is None]
    return (post_options(room.city, agency),
            layout.crew_options(agency_officers(room, agency, by=by)),
            layout.tracker_options(devices))


def save(room: LiveRoom, by: Principal, action: str, values: list) -> Unit:
    """Add the unit the form describes, or change the one it names."""
    agency, unit_id, call_sign, post, kind, crew, tracker = values
    fields = dict(call_sign=(call_sign or "").strip(), post_id=post or None,
                  kind=(kind or "").strip(), crew=list(crew or []), tracker=tracker or None)
    if action == "add":
        return register_unit(room, (unit_id or "").strip() or None, agency=agency or "",
                             by=by, **fields)
    return change_unit(room, (unit_id or "").strip(), by=by, **fields)


def register(app: Dash, room: LiveRoom) -> None:
    fields = ids.UNIT_FIELDS

    @app.callback(
        Output(ids.UNITS_TABLE, "children"), Output(ids.UNIT_MESSAGE, "children"),
        Input(ids.UNIT_ADD, "n_clicks"), Input(ids.UNIT_SAVE, "n_clicks"),
        Input(ids.grid(ids.UNITS_GRID), "cellRendererData"),
        *(State(name, "value") for name in fields), State(ids.ADMIN_LANG, "data"),
        prevent_initial_call=True,
    )
    async def change_units(_add, _save, row_click, *values):
        *values, lang = values
        button, by = clicked(), current_principal()
        try:
            if button in (ids.UNIT_ADD, ids.UNIT_SAVE):
                action = "add" if button == ids.UNIT_ADD else "save"
                unit = await off_loop(save, room, by, action, values)
                note = translate(f"admin.unit.{'added' if action == 'add' else 'saved'}",
                                 lang, unit=unit.id)
            else:
                unit_id, action = row_action(row_click, ("edit", "off", "on"))
                if action == "edit":
                    raise PreventUpdate  # (`edit_unit` fills the form)
                unit = await off_loop(change_unit, room, unit_id, by=by, active=action == "on")
                note = translate(f"admin.unit.{'activated' if action == 'on' else 'deactivated'}",
                                 lang, unit=unit.id)
            shown = await off_loop(table, room, by, lang, [unit])
        except DomainError as exc:
            return no_update, refused(exc, lang)
        return shown, message(note, ok=True)

    @app.callback(
        *(Output(name, "value", allow_duplicate=True) for name in fields),
        *(Output(name, "options", allow_duplicate=True) for name in CHOSEN),
        Output(ids.UNIT_MESSAGE, "children", allow_duplicate=True),
        Input(ids.grid(ids.UNITS_GRID), "cellRendererData"), State(ids.ADMIN_LANG, "data"),
        prevent_initial_call=True,
    )
    async def edit_unit(row_click, lang):
        """A row's edit button: the form shows that unit, to change and save."""
        unit_id, action = row_action(row_click, ("edit", "off", "on"))
        if action != "edit":
            raise PreventUpdate
        by = current_principal()
        try:
            unit = await off_loop(live_unit, room, unit_id, by=by)
            options = await off_loop(choices, room, unit.agency, by)
        except DomainError as exc:
            return *[no_update] * (len(fields) + len(CHOSEN)), refused(exc, lang)
        return (unit.agency, unit.id, unit.call_sign, unit.post_id or None, unit.kind,
                list(unit.crew), unit.tracker or None, *options,
                message(translate("admin.unit.editing", lang, unit=unit.call_sign), ok=True))

    @app.callback(
        *(Output(name, "options") for name in CHOSEN),
        *(Output(name, "value") for name in CHOSEN),
        Input(ids.UNIT_AGENCY, "value"), State(ids.UNIT_POST, "value"),
        State(ids.UNIT_CREW, "value"), State(ids.UNIT_TRACKER, "value"),
        prevent_initial_call=True,
    )
    async def unit_choices(agency, post, crew, tracker):
        """The chosen agency's posts, officers and devices; what was chosen stays if it is
        still one of them (the edit button sets the agency and the unit's choices at once)."""
        try:
            posts, officers, devices = await off_loop(choices, room, agency,
                                                      current_principal())
        except DomainError:
            raise PreventUpdate from None
        known = {name: {o["value"] for o in options} for name, options in (
            ("post", posts), ("crew", officers), ("tracker", devices))}
        return (posts, officers, devices, post if post in known["post"] else None,
                [c for c in crew or [] if c in known["crew"]],
                tracker if tracker in known["tracker"] else None)

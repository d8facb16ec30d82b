"""Admin page, units: every unit of every agency (active or not) and the form that adds one
or changes one (call sign, post, kind, crew from its agency's officers, tracker). Pure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from dash import dcc, html

from layouts import ids
from layouts.admin import agency_name, dropdown, field, post_options
from layouts.grid import Column, grid
from liveroom.cities import City
from liveroom.i18n import translate
from liveroom.live.keys import LiveUnit

COLUMNS = ("call_sign", "id", "agency", "post", "kind", "crew", "tracker", "status", "active")


def unit_buttons(unit: LiveUnit, lang: str) -> list[dict]:
    """Edit (fills the form); deactivate, or activate again."""
    t = lambda key: translate(key, lang)  # noqa: E731
    toggle = ({"action": "off", "label": t("admin.unit.deactivate"), "danger": True}
              if unit.active else
              {"action": "on", "label": t("admin.unit.activate"), "danger": False})
    return [{"action": "edit", "label": t("admin.unit.edit"), "danger": False}, toggle]


def units_table(units: Sequence[LiveUnit], city: City, names: Mapping[str, str],
                lang: str) -> html.Div:
    """The units; `names`: officer id -> name (crew and trackers shown by name)."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    rows = [{
        "call_sign": unit.call_sign, "id": unit.id,
        "agency": agency_name(city, unit.agency, lang),
        "post": city.posts[unit.post_id].name if unit.post_id in city.posts else "",
        "kind": unit.kind,
        "crew": ", ".join(names.get(member, member) for member in unit.crew),
        "tracker": names.get(unit.tracker, unit.tracker),
        "status": unit.status, "status__text": t(f"units.status.{unit.status}"),
        "active": t("admin.yes" if unit.active else "admin.no"),
        "active__class": "state-active" if unit.active else "state-revoked",
        "inactive": not unit.active, "manage": unit_buttons(unit, lang),
    } for unit in units]
    columns = [*(Column(c, t(f"admin.unit.col.{c}")) for c in COLUMNS[:-2]),
               *(Column(c, t(f"admin.unit.col.{c}"), shown=True) for c in COLUMNS[-2:]),
               Column("manage", t("admin.col.manage"), actions=True)]
    return grid(ids.UNITS_GRID, columns, rows, lang, export_name="units-shown", row_id="id",
                dimmed="inactive")


def crew_options(officers: Mapping[str, str]) -> list[dict]:
    """An agency's officers (id -> name) to crew a unit with."""
    return [{"label": f"{name} ({officer_id})", "value": officer_id}
            for officer_id, name in officers.items()]


def tracker_options(devices: Sequence[Mapping]) -> list[dict]:
    """Devices (credential rows with an officer id) whose fixes may place a unit."""
    return [{"label": f"{row['name']} ({row['officer_id']})", "value": row["officer_id"]}
            for row in devices if row.get("officer_id")]


def unit_form(city: City, lang: str) -> html.Div:
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    text = {"type": "text", "autoComplete": "off"}
    agencies = [{"label": a.name.get(lang), "value": k} for k, a in city.agencies.items()]
    return html.Div([
        html.H3(t("admin.unit.form")),
        html.Div([
            field(t("admin.unit.agency"), dropdown(ids.UNIT_AGENCY, agencies, lang)),
            field(t("admin.unit.call_sign"), dcc.Input(id=ids.UNIT_CALL_SIGN, maxLength=40,
                                                       **text)),
            field(t("admin.unit.id"), dcc.Input(id=ids.UNIT_ID, maxLength=64, **text),
                  t("admin.unit.id_hint")),
            field(t("admin.unit.post"), dropdown(ids.UNIT_POST, post_options(city, None),
                                                 lang)),
            field(t("admin.unit.kind"), dcc.Input(id=ids.UNIT_KIND, maxLength=60, **text),
                  t("admin.unit.kind_hint")),
            field(t("admin.unit.crew"), dropdown(ids.UNIT_CREW, [], lang, multi=True),
                  t("admin.unit.crew_hint")),
            field(t("admin.unit.tracker"), dropdown(ids.UNIT_TRACKER, [], lang),
                  t("admin.unit.tracker_hint")),
        ], className="admin-city-fields admin-unit-fields"),
        html.Div([
            html.Button(t("admin.unit.add"), id=ids.UNIT_ADD, className="admin-button"),
            html.Button(t("admin.unit.save"), id=ids.UNIT_SAVE, className="admin-button"),
            html.Div(id=ids.UNIT_MESSAGE, className="admin-message"),
        ], className="admin-actions"),
    ], className="admin-form admin-user-form")


def units_section(city: City, units: Sequence[LiveUnit], names: Mapping[str, str],
                  lang: str) -> html.Section:
    return html.Section([
        html.H2(translate("admin.unit.title", lang)),
        html.P(translate("admin.unit.help", lang), className="admin-hint"),
        unit_form(city, lang),
        html.Div(units_table(units, city, names, lang), id=ids.UNITS_TABLE,
                 className="admin-scroll"),
    ], className="admin-section", id="units")

"""Admin page, city configuration: agencies, report categories and their SLAs."""

from __future__ import annotations

from dash import dcc, html

from layouts import ids
from layouts.admin import dropdown, field, message
from layouts.grid import Column, grid
from liveroom.cities import City
from liveroom.i18n import translate

CATEGORY_COLUMNS = ("code", "name", "agency", "priority", "acknowledge", "resolve",
                    "acknowledge_days", "resolve_days")


def categories_table(city: City, lang: str) -> html.Div:
    """Each SLA shows in the column of its unit (minutes or working days), the other blank."""
    numbers = set(CATEGORY_COLUMNS[3:])
    columns = [Column(c, translate(f"admin.category.{c}", lang), c in numbers)
               for c in CATEGORY_COLUMNS]
    return grid("categories-grid", columns, [{
        "code": category.code, "name": category.name.get(lang),
        "agency": city.agencies[category.agency].name.get(lang)
        if category.agency in city.agencies else category.agency,
        "priority": category.priority, "acknowledge": category.sla_acknowledge_minutes,
        "resolve": category.sla_resolve_minutes,
        "acknowledge_days": category.sla_acknowledge_working_days,
        "resolve_days": category.sla_resolve_working_days,
    } for category in sorted(city.categories.values(), key=lambda c: (c.priority, c.code))],
        lang)


def agencies_table(city: City, lang: str) -> html.Div:
    columns = [Column(c, translate(f"admin.agency.{c}", lang))
               for c in ("key", "name_id", "name_en")]
    columns.append(Column("colour", translate("admin.agency.colour", lang), shown=True,
                          renderer="Colour"))
    return grid("agencies-grid", columns, [{
        "key": agency.key, "name_id": agency.name.id, "name_en": agency.name.en,
        "colour": agency.colour,
    } for agency in city.agencies.values()], lang)


def number(component_id: str, low: int, high: int | None = None) -> dcc.Input:
    return dcc.Input(id=component_id, type="number", min=low, max=high, step=1)


def city_section(city: City, lang: str) -> html.Section:
    """Change a category's routing and SLA (or add one); rename or recolour an agency."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    agencies = [{"label": a.name.get(lang), "value": a.key} for a in city.agencies.values()]
    categories = [{"label": f"{c.name.get(lang)} ({c.code})", "value": c.code}
                  for c in city.categories.values()]
    return html.Section([
        html.H2(t("admin.city.title")),
        html.P(t("admin.city.help"), className="admin-hint"),
        html.Div([
            field(t("admin.category.code"), dcc.Input(id=ids.CATEGORY_CODE, list="category-codes"),
                  t("admin.category.code_hint")),
            field(t("admin.category.name_id"), dcc.Input(id=ids.CATEGORY_NAME_ID)),
            field(t("admin.category.name_en"), dcc.Input(id=ids.CATEGORY_NAME_EN)),
            field(t("admin.category.agency"), dropdown(ids.CATEGORY_AGENCY, agencies, lang)),
            field(t("admin.category.priority"), number(ids.CATEGORY_PRIORITY, 1, 4),
                  t("admin.category.priority_hint")),
            field(t("admin.category.acknowledge"), number(ids.CATEGORY_ACK, 1)),
            field(t("admin.category.resolve"), number(ids.CATEGORY_RESOLVE, 1)),
            field(t("admin.category.acknowledge_days"), number(ids.CATEGORY_ACK_DAYS, 1, 60)),
            field(t("admin.category.resolve_days"), number(ids.CATEGORY_RESOLVE_DAYS, 1, 60),
                  t("admin.category.days_hint")),
        ], className="admin-city-fields"),
        html.Datalist([html.Option(value=o["value"], label=o["label"]) for o in categories],
                      id="category-codes"),
        html.Div([html.Button(t("admin.category.save"), id=ids.CATEGORY_SAVE,
                              className="admin-button"),
                  html.Div(id=ids.CATEGORY_MESSAGE)], className="admin-actions"),
        html.Div(categories_table(city, lang), id=ids.CATEGORIES_TABLE, className="admin-scroll"),
        html.H3(t("admin.agency.title")),
        html.Div([
            field(t("admin.agency.key"), dropdown(ids.AGENCY_KEY, agencies, lang)),
            field(t("admin.agency.name_id"), dcc.Input(id=ids.AGENCY_NAME_ID)),
            field(t("admin.agency.name_en"), dcc.Input(id=ids.AGENCY_NAME_EN)),
            field(t("admin.agency.colour"), dcc.Input(id=ids.AGENCY_COLOUR, type="text",
                                                       placeholder="#1f77b4")),
        ], className="admin-city-fields"),
        html.Div([html.Button(t("admin.agency.save"), id=ids.AGENCY_SAVE, className="admin-button"),
                  html.Div(id=ids.AGENCY_MESSAGE)], className="admin-actions"),
        html.Div(agencies_table(city, lang), id=ids.AGENCIES_TABLE, className="admin-scroll"),
    ], className="admin-section", id="city")


def saved(text: str) -> html.Div:
    return message(text, ok=True)

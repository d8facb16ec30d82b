"""Admin page, city configuration: agencies, report categories and their SLAs."""

from __future__ import annotations

from dash import dcc, html

from layouts.admin import dropdown, field, message, table
from liveroom.cities import City
from liveroom.i18n import translate


def categories_table(city: City, lang: str) -> html.Div:
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    rows = [
        html.Tr([
            html.Td(category.code, className="mono"), html.Td(category.name.get(lang)),
            html.Td(city.agencies[category.agency].name.get(lang)
                    if category.agency in city.agencies else category.agency),
            html.Td(str(category.priority)), html.Td(str(category.sla_acknowledge_minutes)),
            html.Td(str(category.sla_resolve_minutes)),
        ])
        for category in sorted(city.categories.values(), key=lambda c: (c.priority, c.code))
    ]
    headers = [t(f"admin.category.{name}") for name in
               ("code", "name", "agency", "priority", "acknowledge", "resolve")]
    return table(headers, rows, t("admin.category.empty"), lang)


def agencies_table(city: City, lang: str) -> html.Div:
    rows = [
        html.Tr([
            html.Td(agency.key, className="mono"), html.Td(agency.name.id),
            html.Td(agency.name.en),
            html.Td(html.Span(agency.colour, className="swatch",
                              style={"borderLeft": f"18px solid {agency.colour}"})),
        ])
        for agency in city.agencies.values()
    ]
    headers = [translate(f"admin.agency.{name}", lang) for name in ("key", "name_id", "name_en",
                                                                    "colour")]
    return table(headers, rows, "", lang)


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
            field(t("admin.category.code"), dcc.Input(id="category-code", list="category-codes"),
                  t("admin.category.code_hint")),
            field(t("admin.category.name_id"), dcc.Input(id="category-name-id")),
            field(t("admin.category.name_en"), dcc.Input(id="category-name-en")),
            field(t("admin.category.agency"), dropdown("category-agency", agencies, lang)),
            field(t("admin.category.priority"), number("category-priority", 1, 4),
                  t("admin.category.priority_hint")),
            field(t("admin.category.acknowledge"), number("category-ack", 1)),
            field(t("admin.category.resolve"), number("category-resolve", 1)),
        ], className="admin-city-fields"),
        html.Datalist([html.Option(value=o["value"], label=o["label"]) for o in categories],
                      id="category-codes"),
        html.Div([html.Button(t("admin.category.save"), id="category-save",
                              className="admin-button"),
                  html.Div(id="category-message")], className="admin-actions"),
        html.Div(categories_table(city, lang), id="categories-table", className="admin-scroll"),
        html.H3(t("admin.agency.title")),
        html.Div([
            field(t("admin.agency.key"), dropdown("agency-key", agencies, lang)),
            field(t("admin.agency.name_id"), dcc.Input(id="agency-name-id")),
            field(t("admin.agency.name_en"), dcc.Input(id="agency-name-en")),
            field(t("admin.agency.colour"), dcc.Input(id="agency-colour", type="text",
                                                       placeholder="#1f77b4")),
        ], className="admin-city-fields"),
        html.Div([html.Button(t("admin.agency.save"), id="agency-save", className="admin-button"),
                  html.Div(id="agency-message")], className="admin-actions"),
        html.Div(agencies_table(city, lang), id="agencies-table", className="admin-scroll"),
    ], className="admin-section", id="city")


def saved(text: str) -> html.Div:
    return message(text, ok=True)

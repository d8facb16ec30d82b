"""The call-taker's desk on the wall screen: a report entered for a caller while they talk
(channel, category by typing, its questions, where, who, priority), with the open
incidents it may duplicate. Pure: the city and data in, components out."""

from __future__ import annotations

import dash_leaflet as dl
from dash import dcc, html

from layouts import ids
from liveroom.cities import City
from liveroom.cities.model import Attribute
from liveroom.domain.caller import MAX_NAME, MAX_PHONE
from liveroom.domain.coordinates import MAX_TEXT
from liveroom.i18n import translate
from liveroom.live.similar import Similar

MAX_DESCRIPTION = 4000


def desk_button(lang: str, hidden: bool = False) -> html.Button:
    """Opens the form (so does F2: `assets/desk.js`); hidden from those who may not enter
    reports (the command refuses them anyway)."""
    return html.Button(translate("desk.open", lang), id=ids.DESK_OPEN, n_clicks=0,
                       className="desk-open", title=translate("desk.shortcut", lang),
                       hidden=hidden)


def _field(label: str, control, wide: bool = True) -> html.Label:
    return html.Label([html.Span(label, className="desk-label"), control],
                      className="desk-field" + (" wide" if wide else ""))


def _typed(label: str, field_id: str, limit: int, wide: bool = False,
           **attributes) -> html.Label:
    """A text field of at most `limit` characters."""
    return _field(label, dcc.Input(id=field_id, type=attributes.pop("type", "text"),
                                   maxLength=limit, className="desk-input", **attributes),
                  wide=wide)


def _chosen(label: str, field_id: str, options: list[dict], placeholder: str) -> html.Label:
    return _field(label, dcc.Dropdown(id=field_id, options=options, placeholder=placeholder,
                                      className="desk-dropdown"), wide=False)


def category_options(city: City, lang: str) -> list[dict]:
    """Each category by its name in `lang`, found by typing either language's name, its
    code or its family's."""
    return [{"label": c.name.get(lang), "value": code,
             "search": " ".join(filter(None, [c.name.get("id"), c.name.get("en"), code,
                                              c.family]))}
            for code, c in sorted(city.categories.items(), key=lambda i: i[1].name.get(lang))]


def desk_panel(lang: str) -> html.Div:
    """Where the form opens: empty and hidden until then. The form is mounted only while
    open: every mounted component costs the wall's browser a little on each push."""
    return html.Div([], id=ids.DESK, className="detail-card desk", hidden=True,
                    **{"aria-label": translate("desk.title", lang), "role": "form"})


def desk_form(city: City, lang: str) -> list:
    """The form's contents; its fields keep what was typed when a save is refused."""
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    channels = [{"label": name.get(lang), "value": code} for code, name in city.channels.items()]
    districts = [{"label": d.name, "value": code} for code, d in sorted(
        city.districts.items(), key=lambda i: i[1].name)]
    priorities = [{"label": t("desk.priority_option", priority=n), "value": n}
                  for n in range(1, 5)]
    return [
        html.Div([html.H3(t("desk.title")),
                  html.Button("×", id=ids.DESK_CLOSE, className="detail-close", n_clicks=0,
                              title=t("dispatch.close"))], className="detail-head"),
        html.Div([
            _field(t("desk.channel"), dcc.Dropdown(
                id=ids.DESK_CHANNEL, options=channels, value=next(iter(city.channels), None),
                clearable=False, searchable=True, className="desk-dropdown"), wide=False),
            _chosen(t("desk.category"), ids.DESK_CATEGORY, category_options(city, lang),
                    t("desk.category_hint")),
            html.Div(id=ids.DESK_QUESTIONS, className="desk-questions"),
            _field(t("desk.description"), dcc.Textarea(
                id=ids.DESK_DESCRIPTION, maxLength=MAX_DESCRIPTION, className="desk-text")),
            _typed(t("desk.point"), ids.DESK_POINT, MAX_TEXT, wide=True,
                   placeholder=t("desk.point_hint")),
            _chosen(t("desk.district"), ids.DESK_DISTRICT, districts, t("desk.district_hint")),
            _typed(t("desk.address"), ids.DESK_ADDRESS, 500),
            html.Div(id=ids.DESK_WHERE, className="desk-where", role="status"),
            _typed(t("desk.caller_name"), ids.DESK_CALLER_NAME, MAX_NAME),
            _typed(t("desk.caller_phone"), ids.DESK_CALLER_PHONE, MAX_PHONE, type="tel",
                   placeholder="0812…"),
            _chosen(t("desk.priority"), ids.DESK_PRIORITY, priorities, t("desk.priority_hint")),
            _typed(t("desk.priority_reason"), ids.DESK_PRIORITY_REASON, 500),
        ], className="desk-grid"),
        html.Div(id=ids.DESK_SIMILAR, className="desk-similar"),
        html.Div([
            html.Button(t("desk.save"), id=ids.DESK_SAVE, n_clicks=0, className="admin-button",
                        title=t("desk.save_shortcut")),
            html.Button(t("desk.save_assign"), id=ids.DESK_SAVE_ASSIGN, n_clicks=0,
                        className="admin-button secondary"),
        ], className="admin-actions"),
        html.Div(id=ids.DESK_MESSAGE, className="admin-message"),
    ]


def questions(city: City, category: str | None, lang: str) -> list:
    """The chosen category's questions, as on `/lapor` (required ones marked)."""
    chosen = city.categories.get(category or "")
    return [_question(a, lang) for a in chosen.attributes] if chosen else []


def _question(attribute: Attribute, lang: str) -> html.Label:
    label = attribute.description.get(lang) + (" *" if attribute.required else "")
    field_id = ids.desk_answer(attribute.code)
    if attribute.values:
        control = dcc.Dropdown(
            id=field_id, options=[{"label": v.get(lang), "value": code}
                                  for code, v in attribute.values.items()],
            multi=attribute.datatype == "multivaluelist", className="desk-dropdown")
    else:
        control = dcc.Input(id=field_id, type="number" if attribute.datatype == "number"
                            else "text", maxLength=500, className="desk-input")
    return _field(label, control, wide=False)


def desk_pin(lat: float, lon: float, approximate: bool) -> dl.CircleMarker:
    """Where the report will go, on the wall map (dashed when only the kecamatan is known)."""
    return dl.CircleMarker(center=[lat, lon], radius=14, color="#ffd43b", weight=4,
                           fillOpacity=0.15, dashArray="6 6" if approximate else None,
                           interactive=False)


def where_said(city: City, point: tuple[float, float], district: str | None,
               approximate: bool, lang: str) -> str:
    """How the report will be placed: at the point, or at a kecamatan's middle."""
    lat, lon = point
    if approximate:
        name = city.districts[district].name if district in city.districts else ""
        return translate("desk.where_approximate", lang, district=name)
    return translate("desk.where_point", lang, lat=f"{lat:.5f}", lon=f"{lon:.5f}")


def similar_list(city: City, found: list[Similar], lang: str) -> list:
    """Open incidents this call may be about: one click adds the caller to one of them."""
    if not found:
        return []
    t = lambda key, **values: translate(key, lang, **values)  # noqa: E731
    rows = []
    for item in found:
        category = city.categories.get(item.category)
        rows.append(html.Li([
            html.Div([
                html.B(category.name.get(lang) if category else item.category),
                " · ",
                html.Span(t("desk.similar_facts", id=item.id, metres=f"{item.distance_m:.0f}",
                            minutes=item.age_minutes, reporters=item.reporters),
                          className="detail-meta"),
                html.Div(item.description, className="feed-text"),
            ]),
            html.Button(t("desk.add_caller"), id=ids.desk_add_to(item.id), n_clicks=0,
                        className="admin-button-small"),
        ], className="similar-row"))
    return [html.H4(t("desk.similar_title")), html.Ul(rows, className="similar")]

"""The KPI page's reporters' satisfaction panel (`liveroom.reporting.kpi.satisfaction`): the
mean rating and how many, per agency (with its reopen rate), district and officer, in one
grid. Pure: data in, rows out."""

from __future__ import annotations

from dash import html

from layouts.grid import Column, grid
from liveroom.cities import City
from liveroom.i18n import translate
from liveroom.reporting.kpi import Dashboard
from liveroom.reporting.kpi.figures import names

GRID = "kpi-satisfaction"


def columns(lang: str) -> list[Column]:
    t = lambda key: translate(f"kpi.satisfaction.{key}", lang)  # noqa: E731
    return [Column("group", t("group")), Column("name", t("name")),
            Column("ratings", t("ratings"), True), Column("mean", t("mean"), True, True),
            Column("reopened", t("reopened"), True),
            Column("reopen_rate", t("reopen_rate"), True, True)]


def rows(data: Dashboard, city: City, lang: str) -> list[dict]:
    """Agencies, then districts, then officers; each group as the figures order it."""
    officers = {o.officer_id: o.name for o in data.officers}
    found = []
    for group, measured in data.satisfaction.items():
        named = officers if group == "officer" else names(city, group, lang)
        for s in measured:
            agency = group == "agency"
            found.append({
                "group": translate(f"kpi.satisfaction.by.{group}", lang),
                "name": named.get(s.key, s.key or "–"), "ratings": s.ratings,
                "mean": s.mean, "mean__text": "–" if s.mean is None else f"{s.mean:.2f}",
                "reopened": s.reopened if agency else None,
                "reopen_rate": s.reopen_rate if agency else None,
                "reopen_rate__text": "–" if s.reopen_rate is None else f"{s.reopen_rate:.1f}%",
            })
    return found


def section(shown_rows: list[dict] | None, lang: str) -> html.Section:
    """The panel: its title, what it counts, the grid."""
    return html.Section([
        html.H2(translate("kpi.satisfaction.title", lang)),
        html.P(translate("kpi.satisfaction.hint", lang), className="admin-subtitle"),
        grid(GRID, columns(lang), shown_rows, lang, paged=True),
    ], className="admin-section", id="kpi-satisfaction-panel")

"""Server-rendered pages (sign-in, the citizen's report and status pages): Jinja2
templates in `templates/`, autoescaped, with the translation catalog as `t`."""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from liveroom.i18n import DEFAULT_LANGUAGE, LANGUAGES, translate

_environment = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                           autoescape=select_autoescape(["html"]))


def page_language(value: str | None) -> str:
    return value if value in LANGUAGES else DEFAULT_LANGUAGE


def render_page(name: str, lang: str, status: int = 200, **context: object) -> HTMLResponse:
    html = _environment.get_template(name).render(
        lang=lang, other_lang="en" if lang == "id" else "id",
        t=lambda key, **values: translate(key, lang, **values), **context,
    )
    return HTMLResponse(html, status)


def map_config(city, **extra: object) -> dict:
    """What the light pages' Leaflet map needs: the city's view, the tile server if one is
    configured, and the offline basemap."""
    return {"centre": city.centre, "zoom": city.default_zoom, "bounds": city.bounds,
            "tiles": city.tile_url, "basemap": "/lapor/peta.geojson", **extra}

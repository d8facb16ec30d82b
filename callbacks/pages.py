"""Which page the address shows: one router callback, one `render` per page module."""

from __future__ import annotations

import logging
from functools import partial

from dash import Dash, Input, Output

from callbacks import admin, attendance, home, kpi, units
from layouts import ids
from layouts.home import forbidden_layout, unavailable_layout
from liveroom.access import Forbidden
from liveroom.api.access import current_principal
from liveroom.domain.errors import ArchiveUnavailable
from liveroom.i18n import language_from_query, refusal
from liveroom.room import LiveRoom

log = logging.getLogger("liveroom.access")

#: path -> render(room, principal, lang, search); each page's services check the principal.
PAGES = {"/": home.render, "/admin": admin.render, "/attendance": attendance.render,
         "/kpi": kpi.render, units.PREFIX: units.render}


def page_for(pathname: str | None):
    """The `render` of this address (the wall screen for any address no other page has);
    `/units/<agency>` is one agency's unit board."""
    if agency := units.board_path(pathname):
        return partial(units.render, agency=agency)
    return PAGES.get((pathname or "/").rstrip("/") or "/", home.render)


def shows_wall(pathname: str | None) -> bool:
    return page_for(pathname) is home.render


def register(app: Dash, room: LiveRoom) -> None:
    @app.callback(Output(ids.PAGE, "children"), Input(ids.URL, "pathname"),
                  Input(ids.URL, "search"))
    def render_page(pathname: str | None, search: str | None):
        lang, by = language_from_query(search), current_principal()
        render = page_for(pathname)
        try:
            return render(room, by, lang, search or "")
        except Forbidden as exc:
            log.warning("refused page %s: %s", pathname, exc)
            return forbidden_layout(by, lang)
        except ArchiveUnavailable as exc:  # (a page of the archive's: KPI, attendance, admin)
            return unavailable_layout(refusal(exc, lang))

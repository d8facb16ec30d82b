"""What the admin page's form callbacks share: the button pressed, a grid row's button,
the work off the event loop, a refusal said next to the form."""

from __future__ import annotations

from functools import partial

import anyio
from dash import ctx
from dash.exceptions import PreventUpdate

from layouts.admin import message
from liveroom.domain.errors import DomainError
from liveroom.i18n import refusal, translate


async def off_loop(call, *args, **kwargs):
    return await anyio.to_thread.run_sync(partial(call, *args, **kwargs))


def refused(exc: DomainError, lang: str):
    return message(translate("admin.refused", lang, message=refusal(exc, lang)), ok=False)


def clicked() -> dict | str:
    """The id of the button that was pressed (not one that merely appeared)."""
    if not ctx.triggered or not ctx.triggered[0]["value"]:
        raise PreventUpdate
    return ctx.triggered_id


def row_action(click, actions: tuple[str, ...]) -> tuple[str, str]:
    """(row id, action) of a click on a grid row's button (`Actions` in `assets/grid.js`).
    The browser sends it: anything but one of `actions` on a row changes nothing."""
    try:
        row_id, action = click["rowId"], click["value"]["action"]
    except (TypeError, KeyError):
        raise PreventUpdate from None
    if not isinstance(row_id, str) or action not in actions:
        raise PreventUpdate
    return row_id, action

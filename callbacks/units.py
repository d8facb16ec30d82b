"""The unit board (`/units`, `/units/<agency>`): render it, and push its tiles anew whenever
one of its units changes, or an incident one of them is on (a persistent async websocket
callback per open tab, fed by the process's change hub; `live.push`'s policy). The time in
status ticks in the browser (`assets/units.js`), never by a poll."""

from __future__ import annotations

import asyncio
import time
from functools import partial

from dash import Dash, ctx, set_props

from layouts import ids
from layouts.static import to_html
from layouts.units import board_body, unit_board_layout, unknown_agency_layout
from liveroom.access import Principal
from liveroom.api.access import csrf_token, current_principal
from liveroom.domain.errors import NotFound
from liveroom.live import push
from liveroom.live.changes import Change, ChangeHub, Shared, Subscription
from liveroom.live.units import board_agencies, concerns, unit_boards
from liveroom.room import LiveRoom

PREFIX = "/units"
#: how often a push loop asks a tab showing another page whether it came to the board
OTHER_PAGE_CHECK = 5.0


def board_path(pathname: str | None) -> str | None:
    """The agency a unit board's address names ("" for every agency), None for any other
    address: `/units` -> "", `/units/damkar` -> "damkar"."""
    path = (pathname or "").rstrip("/")
    if path == PREFIX:
        return ""
    head, _, agency = path.partition(PREFIX + "/")
    return agency if not head and agency and "/" not in agency else None


def render(room: LiveRoom, by: Principal, lang: str, _search: str = "",
           agency: str | None = None):
    try:
        agencies = board_agencies(room.city, by, agency or None)
    except NotFound:
        return unknown_agency_layout(agency or "", lang)
    return unit_board_layout(room.city, unit_boards(room, agencies, by=by), lang, by,
                             csrf_token(), room.clock(), agency or None)


def board_html(room: LiveRoom, by: Principal, agencies: list[str], lang: str
               ) -> tuple[str, frozenset[str]]:
    """The tiles as HTML, and the incidents their units are on (whose changes concern
    them)."""
    boards = unit_boards(room, agencies, by=by)
    incidents = frozenset(row.incident_id for rows in boards.values() for row in rows
                          if row.incident_id)
    return to_html(board_body(room.city, boards, lang, room.clock())), incidents


def register(app: Dash, room: LiveRoom) -> None:
    hub: ChangeHub = app.server.state.changes
    shared = Shared()  # a board worked out once for the screens showing the same

    @app.callback(websocket=True, persistent=True)
    async def push_units() -> None:
        """While a unit board is showing: push its tiles at once, then whenever they may
        have changed; a heartbeat when quiet. Follows the tab to another page and back."""
        socket = ctx.websocket
        by = current_principal()  # the websocket's, authenticated when it connected

        async def page(assumed: tuple[str, str] | None = None) -> tuple[str, str] | None:
            """(language, agency or "") of the board the tab shows, None for another page."""
            try:  # (the address first: asking another page for the board's parts warns)
                agency = board_path(await socket.get_prop(ids.URL, "pathname", timeout=10))
                if agency is None:
                    return None
                lang = await socket.get_prop(ids.UNITS_LANG, "data", timeout=10)
                return None if lang is None else (lang, agency)
            except TimeoutError:
                return assumed

        idle = 1.0
        while not socket.is_shutdown:
            showing = await page()
            if showing is None:
                await asyncio.sleep(idle)
                idle = min(2 * idle, OTHER_PAGE_CHECK)
                continue
            idle = 1.0
            try:
                agencies = board_agencies(room.city, by, showing[1] or None)
            except Exception:  # (Forbidden, an unknown agency: the page says so)
                await asyncio.sleep(OTHER_PAGE_CHECK)
                continue
            subscription = await hub.subscribe()  # before the first push: nothing falls
            try:  # between
                await follow(socket, by, showing, agencies, subscription, page)
            finally:
                hub.unsubscribe(subscription)

    async def follow(socket, by: Principal, showing: tuple[str, str], agencies: list[str],
                     subscription: Subscription, page) -> None:
        lang = showing[0]

        class UnitBoard:
            shown = ""  # the tiles as last pushed
            incidents: frozenset[str] = frozenset()
            minute = -1

            @property
            def closed(self) -> bool:
                return socket.is_shutdown

            async def refresh(self) -> None:
                self.minute = push.minute()
                key = (hub.version, int(time.time()), lang, tuple(agencies))
                tiles, self.incidents = await shared.get(
                    key, partial(board_html, room, by, agencies, lang))
                if tiles != self.shown:
                    set_props(ids.UNIT_BOARD, {"html": tiles})
                    self.shown = tiles
                await self.beat()

            async def points(self, change: Change, reset: bool) -> None:
                if reset or concerns(change, self.incidents):
                    await self.refresh()

            async def figures(self) -> None:  # (first, then each minute: honest server time)
                if push.minute() != self.minute:
                    await self.refresh()

            async def beat(self) -> None:
                set_props(ids.LIVE_BEAT, {"data": round(time.time())})

            async def still_showing(self) -> bool:
                return await page(assumed=showing) == showing

        async def nothing_missed() -> Change:  # (the board is always pushed whole)
            return Change(hub.version)

        await push.follow(UnitBoard(), subscription, Change(hub.version), nothing_missed,
                          POLICY)


#: unit changes are few: pushed as soon as the budget allows
POLICY = push.Policy(moves_interval=0.25)

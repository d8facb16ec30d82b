"""The wall screen's live side: one push loop per open screen (a persistent async websocket
callback) that resumes from the last change the screen saw and pushes what changes, and the
browser-side callbacks that put it in place (`assets/live.js`)."""

from __future__ import annotations

import asyncio
import logging
import time
from functools import partial

import orjson
import redis
from dash import ClientsideFunction, Dash, Input, Output, State, ctx, set_props

from callbacks.pages import shows_wall
from layouts import ids
from layouts.home import live_figures
from liveroom.access import Principal
from liveroom.api.access import current_principal
from liveroom.live import handling, push
from liveroom.live.changes import (
    Change,
    ChangeHub,
    Shared,
    Subscription,
    changes_since,
    everything,
)
from liveroom.live.dispatch import screen_state
from liveroom.live.live_map import shows_incident, shows_officer
from liveroom.live.overview import visible
from liveroom.live.screen_filter import ScreenFilter
from liveroom.room import LiveRoom

log = logging.getLogger(__name__)
#: how often and how much screens are pushed (`live.push`)
POLICY = push.Policy()
#: How often a push loop asks a tab showing another page whether it came back (coming
#: back renders a fresh snapshot).
OTHER_PAGE_CHECK = 5.0
#: seconds between a screen's tries to resume its pushes while Redis is away
REDIS_RETRY = 1.0
#: the screens' lease keepers running (a task only weakly held could vanish mid-release)
KEEPERS: set[asyncio.Task] = set()


def figures(room: LiveRoom, by: Principal, lang: str, search: str) -> tuple[str, ...]:
    """The figures, queue and feed as HTML text (`ids.PUSHED_FIGURES`' order): worked out
    once for every screen showing the same."""
    overview, queue, stranded, handling = screen_state(room, by,
                                                       ScreenFilter.from_query(search))
    return live_figures(room.city, overview, queue, stranded, lang, handling)


def push_points(change: Change, screen: ScreenFilter, reset: bool = False) -> None:
    """The map points that changed, as this screen shows them (None: remove); `reset`:
    these are all of them. `assets/live.js` merges them into the map's layers."""
    set_props(ids.MAP_CHANGES, {"data": orjson.dumps({  # as text: Dash's own encoder is slow
        "version": change.version, "reset": reset,
        "incidents": {i: p if shows_incident(screen, p) else None
                      for i, p in change.incidents.items()},
        "officers": {i: p if shows_officer(screen, p) else None
                     for i, p in change.officers.items()}}).decode()})


def register(app: Dash, room: LiveRoom) -> None:
    app.clientside_callback(  # changed points merged into the map's layers (assets/live.js)
        ClientsideFunction("liveroom", "applyChanges"),
        Output(ids.INCIDENTS_LAYER, "data"), Output(ids.OFFICERS_LAYER, "data"),
        Output(ids.LIVE_VERSION, "data"),
        Input(ids.MAP_CHANGES, "data"), State(ids.INCIDENTS_LAYER, "data"),
        State(ids.OFFICERS_LAYER, "data"), prevent_initial_call=True)
    app.clientside_callback(  # the figures, queue and feed, pushed as JSON text
        ClientsideFunction("liveroom", "showFigures"),
        [Output(part, "html") for part in ids.PUSHED_FIGURES],
        Input(ids.LIVE_FIGURES, "data"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("liveroom", "heard"),
                            Output(ids.LIVE_STATE, "title"), Input(ids.LIVE_BEAT, "data"),
                            prevent_initial_call=True)

    hub: ChangeHub = app.server.state.changes  # one reader per process, for every screen
    shared = Shared()  # figures worked out once for all screens showing the same

    @app.callback(websocket=True, persistent=True)
    async def push_changes() -> None:
        """While the wall screen is showing: resume from the last change it saw, then push
        what changes (points merged in the browser, figures whole), coalesced; a heartbeat
        when quiet. Follows the tab to another page, language or filter and back."""
        socket = ctx.websocket
        by = current_principal()  # the websocket's, authenticated when it connected

        async def page(assumed: tuple[str, str] | None = None,
                       timeout: float = 10) -> tuple[str, str] | None:
            """(language, filter) of the wall screen the tab shows, None for another page;
            `assumed` when the browser is too busy to answer within `timeout` s."""
            try:  # (the address first: asking another page for the wall's parts warns)
                if not shows_wall(await socket.get_prop(ids.URL, "pathname",
                                                        timeout=timeout)):
                    return None
                lang = await socket.get_prop(ids.PAGE_LANG, "data", timeout=timeout)
                if lang is None:
                    return None
                return lang, await socket.get_prop(ids.PAGE_FILTER, "data",
                                                   timeout=timeout) or ""
            except TimeoutError:
                return assumed

        async def open_incident() -> str | None:
            """The incident open in the wall's panel (None: none, or another page); asked
            within a lease's renewal interval, so a silent screen is known as such in time."""
            timeout = room.settings.handling_lease_seconds / 3
            try:
                if await page(assumed=("", ""), timeout=timeout) is None:  # (busy: assume
                    return None  # it still does)
                chosen = await socket.get_prop(ids.SELECTED_INCIDENT, "data", timeout=timeout)
            except TimeoutError:
                return handling.UNKNOWN
            return chosen if isinstance(chosen, str) else None

        # the lease on the incident open here, renewed on this socket while it lasts
        keeper = asyncio.ensure_future(handling.keep(room, by, open_incident,
                                                     lambda: socket.is_shutdown))
        KEEPERS.add(keeper)
        keeper.add_done_callback(KEEPERS.discard)
        try:
            await push_while_open(socket, by, page)
        finally:
            keeper.cancel()  # (it lets go of its lease as it ends)

    async def push_while_open(socket, by: Principal, page) -> None:
        """While the socket lasts: push to the wall screen whenever the tab shows it."""
        idle = 1.0
        while not socket.is_shutdown:
            showing = await page()
            if showing is None:  # another page: look again in a while, less and less often
                await asyncio.sleep(idle)
                idle = min(2 * idle, OTHER_PAGE_CHECK)
                continue
            idle = 1.0
            try:
                version = await socket.get_prop(ids.LIVE_VERSION, "data", timeout=10)
            except TimeoutError:
                version = None  # then it is sent everything
            try:
                subscription = await hub.subscribe()  # (before catching up: nothing falls
                try:  # between the two)
                    await follow(socket, by, showing, version, subscription, page)
                finally:
                    hub.unsubscribe(subscription)
            except redis.RedisError as exc:
                # Redis away (failing over, restarting): resume from the version the screen
                # shows once it is back
                log.warning("pushing to a screen failed (%s); resuming", exc)
                await asyncio.sleep(REDIS_RETRY)

    async def follow(socket, by: Principal, showing: tuple[str, str], version: str | None,
                     subscription: Subscription, page) -> None:
        """Push to one page until the tab shows another (or goes): `live.push`'s policy,
        through this socket."""
        lang, search = showing
        screen = visible(ScreenFilter.from_query(search), by)

        class WallScreen:
            shown: tuple[str, ...] = ()  # the parts as this screen last got them
            shown_minute = -1  # (each minute's first push sends every part)

            @property
            def closed(self) -> bool:
                return socket.is_shutdown

            async def points(self, change: Change, reset: bool) -> None:
                push_points(change, screen, reset)

            async def figures(self) -> None:
                minute = push.minute()
                key = (hub.version, minute, lang, search, by.agencies)
                parts = await shared.get(key, partial(figures, room, by, lang, search))
                changed = push.changed_parts(
                    self.shown if minute == self.shown_minute else (), parts)
                self.shown, self.shown_minute = parts, minute
                if any(part is not None for part in changed):
                    set_props(ids.LIVE_FIGURES, {"data": orjson.dumps(changed).decode()})

            async def beat(self) -> None:
                set_props(ids.LIVE_BEAT, {"data": round(time.time())})

            async def still_showing(self) -> bool:
                return await page(assumed=showing) == showing

        await push.follow(WallScreen(), subscription,
                          await asyncio.to_thread(changes_since, room, version),
                          partial(asyncio.to_thread, everything, room), POLICY)

"""The wall screen's live side: one push loop per open screen (a persistent async websocket
callback) that resumes from the last change the screen saw and pushes what changes, and the
browser-side callbacks that put it in place (`assets/live.js`)."""

from __future__ import annotations

import asyncio
import time
from functools import partial

import orjson
from dash import ClientsideFunction, Dash, Input, Output, State, ctx, set_props
from plotly.io.json import to_json_plotly

from layouts.home import live_figures
from liveroom.access import Principal
from liveroom.api.access import current_principal
from liveroom.live.changes import (
    Budget,
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

#: Pushes of incident changes a second, sustained, however fast changes arrive; a few
#: may go back to back, so a change soon after another is not held back.
PUSHES_PER_SECOND, PUSH_BURST = 4.0, 3
#: the elements the pushed figures fill, in the order they are pushed
LIVE_FIGURES = ("headline", "agency-strip", "status-strip", "stranded", "queue", "feed")
#: When only officers moved, at most one push in this long (smaller pushes, more often, keep
#: the tail latency of incidents lower than larger ones less often).
MOVES_INTERVAL = 1.0
#: With nothing to push for this long, a heartbeat: the screen knows it is still live.
HEARTBEAT = 5.0
#: How often a push loop asks the tab whether it still shows the same wall screen.
PAGE_CHECK = 2.0
#: ... and, at most, while it shows another page (coming back renders a fresh snapshot).
OTHER_PAGE_CHECK = 5.0


def figures(room: LiveRoom, by: Principal, lang: str, search: str) -> str:
    """The figures, queue and feed, as JSON text of their elements' children: small, so sent
    whole whenever incidents changed; encoded once for every screen showing the same
    (`assets/live.js` puts them in place)."""
    parts = live_figures(room.city, *screen_state(room, by, ScreenFilter.from_query(search)),
                         lang)
    return to_json_plotly([parts[part] for part in LIVE_FIGURES])


def push_points(change: Change, screen: ScreenFilter, reset: bool = False) -> None:
    """The map points that changed, as this screen shows them (None: remove); `reset`:
    these are all of them. `assets/live.js` merges them into the map's layers."""
    set_props("map-changes", {"data": orjson.dumps({  # as text: Dash's own encoder is slow
        "version": change.version, "reset": reset,
        "incidents": {i: p if shows_incident(screen, p) else None
                      for i, p in change.incidents.items()},
        "officers": {i: p if shows_officer(screen, p) else None
                     for i, p in change.officers.items()}}).decode()})


def register(app: Dash, room: LiveRoom) -> None:
    app.clientside_callback(  # changed points merged into the map's layers (assets/live.js)
        ClientsideFunction("liveroom", "applyChanges"),
        Output("incidents-layer", "data"), Output("officers-layer", "data"),
        Output("live-version", "data"),
        Input("map-changes", "data"), State("incidents-layer", "data"),
        State("officers-layer", "data"), prevent_initial_call=True)
    app.clientside_callback(  # the figures, queue and feed, pushed as JSON text
        ClientsideFunction("liveroom", "showFigures"),
        [Output(part, "children") for part in LIVE_FIGURES],
        Input("live-figures", "data"), prevent_initial_call=True)
    app.clientside_callback(ClientsideFunction("liveroom", "heard"),
                            Output("live-state", "title"), Input("live-beat", "data"),
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

        async def page(assumed: tuple[str, str] | None = None) -> tuple[str, str] | None:
            """(language, filter) of the wall screen the tab shows, None for another page;
            `assumed` when the browser is too busy to answer in time."""
            try:
                lang = await socket.get_prop("page-lang", "data", timeout=10)
                if lang is None:
                    return None
                return lang, await socket.get_prop("page-filter", "data", timeout=10) or ""
            except TimeoutError:
                return assumed

        idle = 1.0
        while not socket.is_shutdown:
            showing = await page()
            if showing is None:  # another page: look again in a while, less and less often
                await asyncio.sleep(idle)
                idle = min(2 * idle, OTHER_PAGE_CHECK)
                continue
            idle = 1.0
            try:
                version = await socket.get_prop("live-version", "data", timeout=10)
            except TimeoutError:
                version = None  # then it is sent everything
            subscription = await hub.subscribe()  # before catching up: nothing falls between
            try:
                await follow(socket, by, showing, version, subscription, page)
            finally:
                hub.unsubscribe(subscription)

    async def follow(socket, by: Principal, showing: tuple[str, str], version: str | None,
                     subscription: Subscription, page) -> None:
        """Push to one page until the tab shows another (or goes)."""
        lang, search = showing
        filter_ = ScreenFilter.from_query(search)
        screen, loop = visible(filter_, by), asyncio.get_running_loop()

        async def send_points(change: Change | None) -> None:
            if change is None:  # too far behind, or never had a version: everything
                push_points(await asyncio.to_thread(everything, room), screen, reset=True)
            else:
                push_points(change, screen)

        async def send_figures() -> None:
            nonlocal sent_minute
            sent_minute = minute()
            key = (hub.version, sent_minute, lang, search, by.agencies)
            set_props("live-figures", {"data": await shared.get(key, partial(
                figures, room, by, lang, search))})

        async def gather(change: Change, last_push: float) -> Change:
            """`change` and what follows it until it is time to push: incidents within the
            budget, officers' moves alone once a second."""
            urgent = budget.ready_at(loop.time())
            deadline = urgent if change.touches_figures else last_push + MOVES_INTERVAL
            while (wait := deadline - loop.time()) > 0:
                more = await subscription.next(wait)
                if more is None:
                    break
                change = change.merge(more)
                if more.touches_figures:
                    deadline = min(deadline, urgent)
            more = await subscription.next(0)
            return change.merge(more) if more else change

        def minute() -> int:
            return int(time.time() // 60)

        sent_minute = minute()
        await send_points(await asyncio.to_thread(changes_since, room, version))
        await send_figures()
        last_push = checked = loop.time()
        budget = Budget(PUSHES_PER_SECOND, PUSH_BURST, last_push)
        while not socket.is_shutdown:
            if loop.time() - checked >= PAGE_CHECK:  # still this page, language and filter?
                if await page(assumed=showing) != showing:
                    return
                checked = loop.time()
            change = await subscription.next(HEARTBEAT)
            if change is None and not subscription.lost:
                set_props("live-beat", {"data": round(time.time())})
                if minute() != sent_minute:  # deadlines pass, officers go offline, with time
                    await send_figures()
                continue
            if change is not None:
                change = await gather(change, last_push)
            if subscription.lost:
                subscription.lost = False
                change = None
            urgent = change is None or change.touches_figures
            await send_points(change)
            if urgent or minute() != sent_minute:
                await send_figures()
            last_push = loop.time()
            if urgent:
                budget.spend(last_push)

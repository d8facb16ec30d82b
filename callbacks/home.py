"""Home page: render it for the URL's language; push live counts over the websocket."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from dash import Dash, Input, Output, ctx, set_props

from layouts.home import feed_items, forbidden_layout, home_layout
from liveroom.access import Forbidden
from liveroom.api.access import csrf_token, current_principal
from liveroom.cities import City
from liveroom.connections import redis_url
from liveroom.i18n import DEFAULT_LANGUAGE, language_from_query
from liveroom.room import LiveRoom
from liveroom.services.overview import Overview, changes_channel, overview

#: At most this many pushes a second, however fast events arrive.
PUSH_INTERVAL = 0.25


def push(snapshot: Overview, city: City, lang: str) -> None:
    for status, count in snapshot.open_by_status.items():
        set_props(f"count-{status}", {"children": str(count)})
    set_props("count-open", {"children": str(snapshot.open_total)})
    set_props("count-on-duty", {"children": str(snapshot.officers_on_duty)})
    set_props("updated-at", {"children": snapshot.at.strftime("%H:%M:%S")})
    set_props("feed", {"children": feed_items(city, snapshot.latest, lang)})


def register(app: Dash, room: LiveRoom) -> None:
    @app.callback(Output("page", "children"), Input("url", "search"))
    def render_page(search: str | None):
        lang, by = language_from_query(search), current_principal()
        try:
            snapshot = overview(room, by=by)
        except Forbidden:
            return forbidden_layout(by, lang)
        return home_layout(room.city, snapshot, lang, by, csrf_token())

    @app.callback(websocket=True, persistent=True)
    async def push_overview() -> None:
        """Subscribe first, then send a fresh snapshot, so nothing falls in between."""
        socket = ctx.websocket
        by = current_principal()  # the websocket's, authenticated when it connected
        client = aioredis.from_url(redis_url(room.settings), decode_responses=True)

        async def send_snapshot() -> None:
            lang = await socket.get_prop("page-lang", "data", timeout=5) or DEFAULT_LANGUAGE
            push(await asyncio.to_thread(lambda: overview(room, by=by)), room.city, lang)

        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(changes_channel(room))
            await send_snapshot()
            while socket is not None and not socket.is_shutdown:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=1.0)
                if message is None:
                    continue
                await asyncio.sleep(PUSH_INTERVAL)
                while await pubsub.get_message(ignore_subscribe_messages=True, timeout=0):
                    pass  # coalesce a burst into one push
                await send_snapshot()
        finally:
            await pubsub.aclose()
            await client.aclose()

"""Home page: render it; push live counts and the newest reports over the websocket."""

from __future__ import annotations

import asyncio

import redis.asyncio as aioredis
from dash import Dash, ctx, set_props

from layouts.home import feed_items, home_layout
from liveroom.access import Principal
from liveroom.api.access import csrf_token, current_principal
from liveroom.cities import City
from liveroom.connections import redis_url
from liveroom.room import LiveRoom
from liveroom.services.live_map import incident_features, officer_features
from liveroom.services.overview import Overview, changes_channel, overview

#: At most this many pushes a second, however fast events arrive.
PUSH_INTERVAL = 0.25


def push(snapshot: Overview, city: City, lang: str, incidents: dict, officers: dict) -> None:
    for status, count in snapshot.open_by_status.items():
        set_props(f"count-{status}", {"children": str(count)})
    set_props("count-open", {"children": str(snapshot.open_total)})
    set_props("count-on-duty", {"children": str(snapshot.officers_on_duty)})
    set_props("updated-at", {"children": snapshot.at.strftime("%H:%M:%S")})
    set_props("feed", {"children": feed_items(city, snapshot.latest, lang)})
    set_props("incidents-layer", {"data": incidents})
    set_props("officers-layer", {"data": officers})


def snapshot(room: LiveRoom, by: Principal) -> tuple[Overview, dict, dict]:
    return (overview(room, by=by), incident_features(room, by=by),
            officer_features(room, by=by))


def render(room: LiveRoom, by: Principal, lang: str):
    counts, incidents, officers = snapshot(room, by)
    return home_layout(room.city, counts, lang, by, csrf_token(), incidents, officers)


def register(app: Dash, room: LiveRoom) -> None:
    @app.callback(websocket=True, persistent=True)
    async def push_overview() -> None:
        """Subscribe first, then send a fresh snapshot, so nothing falls in between."""
        socket = ctx.websocket
        by = current_principal()  # the websocket's, authenticated when it connected
        client = aioredis.from_url(redis_url(room.settings), decode_responses=True)

        async def send_snapshot() -> None:
            lang = await socket.get_prop("page-lang", "data", timeout=5)
            if lang is None:
                return  # another page is showing
            counts, incidents, officers = await asyncio.to_thread(snapshot, room, by)
            push(counts, room.city, lang, incidents, officers)

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

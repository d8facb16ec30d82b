"""The push policy: what one open screen is sent, and when. Plain asyncio: the transport
(the wall screen's Dash websocket callback) implements `Screen`.

A screen first gets what changed since the last change it saw (everything, when it never
had one or fell too far behind); then, as changes arrive:
- incident changes at most `pushes_per_second` sustained, `burst` back to back, those
  arriving meanwhile merged into the next push (so a flood costs a screen a few pushes);
- officers only moving: one push at most every `moves_interval`;
- the figures (counts, queue, feed) whenever incidents or duties changed, and once a
  minute (deadlines pass with time alone): of those, only the parts that changed (every
  part in a minute's first push, so a page drawn anew is at most a minute behind);
- a heartbeat after `heartbeat` quiet seconds, so a screen knows it is still live;
- every `page_check`, whether the tab still shows this screen (else the loop ends), asked
  beside the pushes: a busy browser's slow answer holds no push back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from liveroom.live.changes import Budget, Change, Subscription


@dataclass(frozen=True)
class Policy:
    pushes_per_second: float = 4.0
    burst: int = 3
    moves_interval: float = 1.0  # smaller pushes more often keep incidents' tail latency low
    heartbeat: float = 5.0
    page_check: float = 2.0


class Screen(Protocol):
    """One open screen, as the push loop sees it."""

    @property
    def closed(self) -> bool: ...

    async def points(self, change: Change, reset: bool) -> None:
        """Send the map points that changed (`reset`: these are all of them)."""

    async def figures(self) -> None:
        """Send the figures, queue and feed as they are now."""

    async def beat(self) -> None:
        """Send a heartbeat."""

    async def still_showing(self) -> bool:
        """Whether the tab still shows this screen (same page, language and filter)."""


def minute() -> int:
    return int(time.time() // 60)


def changed_parts(shown: Sequence[str], now: Sequence[str]) -> list[str | None]:
    """`now`'s parts, None for each the screen already shows (all, when it shows none)."""
    if len(shown) != len(now):
        return list(now)
    return [None if part == before else part for before, part in zip(shown, now, strict=True)]


async def follow(screen: Screen, subscription: Subscription, resume: Change | None,
                 everything: Callable[[], Awaitable[Change]], policy: Policy = Policy(),
                 this_minute: Callable[[], int] = minute) -> None:
    """Push to one screen until it closes or shows something else. `resume`: what changed
    since the screen's version (None: it needs `everything`)."""
    loop = asyncio.get_running_loop()
    budget = Budget(policy.pushes_per_second, policy.burst, loop.time())

    async def send_points(change: Change | None) -> None:
        if change is None:
            await screen.points(await everything(), reset=True)
        else:
            await screen.points(change, reset=False)

    async def send_figures() -> None:
        nonlocal sent_minute
        sent_minute = this_minute()
        await screen.figures()

    async def gather(change: Change, last_push: float) -> Change:
        """`change` and what follows it until it is time to push."""
        urgent = budget.ready_at(loop.time())
        deadline = urgent if change.touches_figures else last_push + policy.moves_interval
        while (wait := deadline - loop.time()) > 0:
            more = await subscription.next(wait)
            if more is None:
                break
            change = change.merge(more)
            if more.touches_figures:
                deadline = min(deadline, urgent)
        more = await subscription.next(0)
        return change.merge(more) if more else change

    sent_minute = this_minute()
    await send_points(resume)
    await send_figures()
    last_push = last_sent = checked = loop.time()
    checking: asyncio.Future[bool] | None = None  # answered while pushes go on
    try:
        while not screen.closed:
            if checking is None and loop.time() - checked >= policy.page_check:
                checking = asyncio.ensure_future(screen.still_showing())
            if checking is not None and checking.done():
                if not checking.result():
                    return
                checking, checked = None, loop.time()
            wait = last_sent + policy.heartbeat - loop.time()  # until a heartbeat is due
            if checking is None:  # or the next page check
                wait = min(wait, checked + policy.page_check - loop.time())
            change = await subscription.next(max(wait, 0.0))
            if change is None and not subscription.lost:
                if loop.time() - last_sent >= policy.heartbeat:  # quiet that long
                    await screen.beat()
                    last_sent = loop.time()
                if this_minute() != sent_minute:
                    await send_figures()
                continue
            if change is not None:
                change = await gather(change, last_push)
            if subscription.lost:  # fell too far behind: everything again
                subscription.lost = False
                change = None
            urgent = change is None or change.touches_figures
            await send_points(change)
            if urgent or this_minute() != sent_minute:
                await send_figures()
            last_push = last_sent = loop.time()
            if urgent:
                budget.spend(last_push)
    finally:
        if checking is not None:
            checking.cancel()

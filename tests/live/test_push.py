"""The push policy without a browser: a screen's recorded pushes, on real asyncio time."""

from __future__ import annotations

import asyncio

from liveroom.live.changes import SCREEN_BACKLOG, Change, Subscription
from liveroom.live.push import Policy, changed_parts, follow

FAST = Policy(pushes_per_second=20.0, burst=2, moves_interval=0.3, heartbeat=0.25,
              page_check=0.1)


class RecordingScreen:
    """What the wall screen would have been sent, in order."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, object]] = []
        self.closed = False
        self.showing = True

    async def points(self, change: Change, reset: bool) -> None:
        self.sent.append(("reset" if reset else "points", change))

    async def figures(self) -> None:
        self.sent.append(("figures", None))

    async def beat(self) -> None:
        self.sent.append(("beat", None))

    async def still_showing(self) -> bool:
        return self.showing

    def of(self, kind: str) -> list:
        return [what for sent, what in self.sent if sent == kind]


def incident(n: int) -> Change:
    return Change(f"{n}-0", incidents={f"i{n}": {"n": n}})


def moved(n: int) -> Change:
    return Change(f"{n}-0", officers={"o1": {"n": n}})


async def everything() -> Change:
    return Change("99-0", incidents={"all": {}})


SEEN = Change("0-0")  # the screen saw everything up to here: nothing new


async def run(scenario, resume: Change | None = SEEN, policy: Policy = FAST,
              minutes=lambda: 0) -> RecordingScreen:
    """Follow a screen while `scenario(subscription, screen)` plays, then close it."""
    screen, subscription = RecordingScreen(), Subscription()
    loop = asyncio.create_task(follow(screen, subscription, resume, everything, policy,
                                      minutes))
    await scenario(subscription, screen)
    screen.closed = True  # (seen at the next heartbeat at the latest)
    await asyncio.wait_for(loop, 5)
    return screen


def test_a_screen_resumes_from_its_version_and_one_never_seen_gets_everything():
    async def quiet(_subscription, _screen):
        await asyncio.sleep(0.05)

    resumed = asyncio.run(run(quiet, resume=incident(7)))
    assert resumed.sent[:2] == [("points", incident(7)), ("figures", None)]
    fresh = asyncio.run(run(quiet, resume=None))
    assert fresh.sent[0][0] == "reset" and fresh.sent[0][1].incidents == {"all": {}}


def test_a_flood_of_incident_changes_is_coalesced_within_the_budget():
    took = {}

    async def flood(subscription, _screen):
        started = asyncio.get_running_loop().time()
        for n in range(1, 201):
            subscription.offer(incident(n))
            await asyncio.sleep(0.002)  # 200 changes over about 0.4 s
        await asyncio.sleep(0.2)
        took["s"] = asyncio.get_running_loop().time() - started

    screen = asyncio.run(run(flood))
    pushes = screen.of("points")[1:]  # (after the resume)
    assert 2 <= len(pushes) <= FAST.burst + FAST.pushes_per_second * took["s"] + 1
    delivered = {i for change in pushes for i in change.incidents}
    assert delivered == {f"i{n}" for n in range(1, 201)}  # nothing lost in the merging
    assert len(screen.of("figures")) == len(pushes) + 1  # incidents: the figures each time


def test_officers_only_moving_are_pushed_at_most_once_a_moves_interval_without_figures():
    async def patrol(subscription, _screen):
        for n in range(1, 31):
            subscription.offer(moved(n))
            await asyncio.sleep(0.02)  # a fix every 20 ms for 0.6 s

    screen = asyncio.run(run(patrol))
    pushes = screen.of("points")[1:]
    assert 1 <= len(pushes) <= 0.6 / FAST.moves_interval + 1
    assert pushes[-1].officers == {"o1": {"n": 30}}  # the latest position, merged
    assert len(screen.of("figures")) == 1  # only the first, with the resume


def test_a_screen_that_fell_behind_is_sent_everything_again():
    async def overflow(subscription, _screen):
        await asyncio.sleep(0.05)
        for n in range(SCREEN_BACKLOG + 5):  # more than its queue holds, all at once
            subscription.offer(incident(n))
        await asyncio.sleep(0.3)

    screen = asyncio.run(run(overflow))
    assert [kind for kind, _ in screen.sent[2:]].count("reset") == 1


def test_quiet_brings_heartbeats_and_a_new_minute_the_figures():
    clock = {"minute": 0}

    async def quiet(_subscription, _screen):
        await asyncio.sleep(0.3)
        clock["minute"] = 1  # time alone moves deadlines on
        await asyncio.sleep(0.3)

    screen = asyncio.run(run(quiet, minutes=lambda: clock["minute"]))
    assert len(screen.of("beat")) >= 2 and len(screen.of("figures")) == 2
    assert screen.of("points") == [Change("0-0")]


def test_the_loop_ends_when_the_tab_shows_another_screen():
    async def leave(_subscription, screen):
        await asyncio.sleep(0.05)
        screen.showing = False
        await asyncio.sleep(0.4)

    screen, subscription = RecordingScreen(), Subscription()

    async def main():
        loop = asyncio.create_task(follow(screen, subscription, Change("0-0"), everything,
                                          FAST))
        await leave(subscription, screen)
        return loop.done()

    assert asyncio.run(main()) is True


def test_a_slow_answer_to_the_page_check_holds_no_push_back():
    """A busy browser may take its time to say which page it shows: a report meanwhile is
    pushed at once, not after the answer."""
    took = {}

    class BusyBrowser(RecordingScreen):
        async def still_showing(self) -> bool:
            await asyncio.sleep(0.6)
            return self.showing

    async def report_during_the_check(subscription, screen):
        subscription.offer(moved(1))  # pushed after a moves interval; then a check is due
        while not screen.of("points")[1:]:
            await asyncio.sleep(0.005)
        await asyncio.sleep(0.05)  # the check is being answered
        started = asyncio.get_running_loop().time()
        subscription.offer(incident(1))
        while not screen.of("points")[2:]:
            await asyncio.sleep(0.005)
        took["push"] = asyncio.get_running_loop().time() - started

    screen, subscription = BusyBrowser(), Subscription()

    async def main():
        loop = asyncio.create_task(follow(screen, subscription, SEEN, everything, FAST))
        await report_during_the_check(subscription, screen)
        screen.closed = True
        await asyncio.wait_for(loop, 5)

    asyncio.run(main())
    assert took["push"] < 0.2, took  # not the 0.55 s left of the check's answer


def test_a_screen_is_sent_only_the_parts_that_changed_and_all_of_them_first():
    assert changed_parts((), ("<a>", "<b>")) == ["<a>", "<b>"]
    assert changed_parts(("<a>", "<b>"), ("<a>", "<c>")) == [None, "<c>"]
    assert changed_parts(("<a>", "<b>"), ("<a>", "<b>")) == [None, None]

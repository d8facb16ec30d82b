"""Who is on it: the lease an operator holds on an incident while it is open on their screen,
seen by the other screens, warned about (never refused), gone when released or expired."""

from __future__ import annotations

import asyncio
import time

import pytest

from layouts import ids
from layouts.home import live_figures
from liveroom.access import SYSTEM
from liveroom.commands.incidents import report_incident
from liveroom.domain.errors import NotFound
from liveroom.live import handling
from liveroom.live.changes import changes_since, current_version
from liveroom.live.dispatch import screen_state
from liveroom.live.handling import Holder
from liveroom.live.screen_filter import EVERYTHING
from liveroom.room import LiveRoom
from tests.conftest import drain, person

ANI = person("ani", "operator")
BUDI = person("budi", "operator")


def queued(room, lat, lon) -> str:
    incident = report_incident(room, category="parkir-liar", lat=lat, lon=lon, source="t",
                               by=SYSTEM)
    drain(room)
    return incident.id


@pytest.fixture
def short_lease(settings, clock):
    """The same deployment with a lease of 0.3 s (renewed every 0.1 s)."""
    room = LiveRoom.open(settings.model_copy(update={"handling_lease_seconds": 0.3}))
    room.clock = clock
    yield room
    room.close()


def test_the_second_operator_is_told_who_has_it_and_both_are_seen(room, tangerang_point):
    first, other = queued(room, *tangerang_point), queued(room, *tangerang_point)
    assert handling.take(room, first, ANI) == []  # nobody else on it
    assert handling.take(room, first, BUDI) == [Holder("ani", ANI.actor)]  # warned, not refused
    assert handling.take(room, first, ANI) == [Holder("budi", BUDI.actor)]  # a renewal
    assert handling.holders(room, [first, other]) == {
        first: [Holder("ani", ANI.actor), Holder("budi", BUDI.actor)]}  # first taker first


def test_releasing_frees_only_ones_own_lease(room, tangerang_point):
    incident = queued(room, *tangerang_point)
    handling.take(room, incident, ANI)
    assert handling.release(room, incident, BUDI) is False  # budi never had it
    assert handling.holders(room, [incident]) == {incident: [Holder("ani", ANI.actor)]}
    assert handling.release(room, incident, ANI) is True
    assert handling.holders(room, [incident]) == {}


def test_taking_and_releasing_is_announced_to_screens_but_a_renewal_is_not(room,
                                                                          tangerang_point):
    incident = queued(room, *tangerang_point)
    seen = current_version(room)
    handling.take(room, incident, ANI)
    taken = changes_since(room, seen)
    assert list(taken.incidents) == [incident]  # the screens' push re-reads its queue row
    handling.take(room, incident, ANI)
    assert changes_since(room, taken.version).incidents == {}
    handling.release(room, incident, ANI)
    released = changes_since(room, taken.version)
    assert list(released.incidents) == [incident]
    handling.release(room, incident, ANI)  # (ran out meanwhile: the screens may still show it)
    assert list(changes_since(room, released.version).incidents) == [incident]


def test_a_lease_not_renewed_runs_out(short_lease, tangerang_point):
    room = short_lease
    incident = queued(room, *tangerang_point)
    handling.take(room, incident, ANI)
    time.sleep(0.2)
    handling.take(room, incident, ANI)  # renewed: 0.3 s from now
    time.sleep(0.2)
    assert handling.holders(room, [incident]) == {incident: [Holder("ani", ANI.actor)]}
    time.sleep(0.2)
    assert handling.holders(room, [incident]) == {}
    assert handling.take(room, incident, BUDI) == []  # nobody left to warn about


def test_an_incident_no_longer_live_cannot_be_taken(room):
    with pytest.raises(NotFound):
        handling.take(room, "TNG-NOPE", ANI)
    assert handling.holders(room, ["TNG-NOPE"]) == {}


def test_a_screen_keeps_the_lease_while_open_and_lets_go_of_what_it_closed(short_lease,
                                                                          tangerang_point):
    room = short_lease
    first, second = queued(room, *tangerang_point), queued(room, *tangerang_point)
    shown: list[str | None] = [first]
    done = False

    async def selected() -> str | None:
        return shown[0]

    async def scenario() -> list[dict]:
        nonlocal done
        seen = []
        keeper = asyncio.ensure_future(handling.keep(room, ANI, selected, lambda: done))
        await asyncio.sleep(0.5)  # longer than a lease: renewed meanwhile
        seen.append(handling.holders(room, [first, second]))
        shown[0] = second  # another incident opened
        await asyncio.sleep(0.2)
        seen.append(handling.holders(room, [first, second]))
        done = True  # the screen went away
        await keeper
        seen.append(handling.holders(room, [first, second]))
        return seen

    held, moved, gone = asyncio.run(scenario())
    assert held == {first: [Holder("ani", ANI.actor)]}
    assert moved == {second: [Holder("ani", ANI.actor)]}
    assert gone == {}


def test_a_screen_busy_once_keeps_its_lease_and_one_gone_silent_lets_it_go(short_lease,
                                                                           tangerang_point):
    room = short_lease
    incident = queued(room, *tangerang_point)
    answers = [incident, handling.UNKNOWN]  # then silent for good (a socket not seen closed)

    async def selected() -> str | None:
        return answers.pop(0) if answers else handling.UNKNOWN

    async def scenario() -> list[dict]:
        seen = []
        keeper = asyncio.ensure_future(handling.keep(room, ANI, selected, lambda: False,
                                                     every=0.1))
        await asyncio.sleep(0.15)  # asked twice: open, then no answer (busy)
        seen.append(handling.holders(room, [incident]))
        await asyncio.sleep(0.2)  # no answer again: gone
        seen.append(handling.holders(room, [incident]))
        keeper.cancel()
        return seen

    busy, silent = asyncio.run(scenario())
    assert busy == {incident: [Holder("ani", ANI.actor)]}
    assert silent == {}


def test_a_screen_gone_while_its_lease_was_being_renewed_still_lets_it_go(short_lease,
                                                                          tangerang_point):
    """The page left just as its keeper asked Redis for the lease: the take finishes in its
    thread all the same, and is let go after it, not left to run out unannounced."""
    room = short_lease
    incident = queued(room, *tangerang_point)

    async def scenario() -> dict:
        keeper: asyncio.Future | None = None

        async def selected() -> str | None:  # answers, and the socket closes right then
            asyncio.get_running_loop().call_soon(keeper.cancel)
            return incident

        keeper = asyncio.ensure_future(handling.keep(room, ANI, selected, lambda: False,
                                                     every=10))
        with pytest.raises(asyncio.CancelledError):
            await keeper
        return handling.holders(room, [incident])

    assert asyncio.run(scenario()) == {}


def test_the_queue_pushed_to_every_screen_says_who_has_an_incident_open(room,
                                                                       tangerang_point):
    incident = queued(room, *tangerang_point)
    screen = person("cici", "operator")

    def queue_shown() -> str:
        overview, waiting, stranded, holders = screen_state(room, screen, EVERYTHING)
        parts = live_figures(room.city, overview, waiting, stranded, "id", holders)
        return parts[ids.PUSHED_FIGURES.index(ids.QUEUE)]

    assert "sedang ditangani" not in queue_shown()
    handling.take(room, incident, ANI)
    assert "sedang ditangani oleh ani" in queue_shown()
    handling.release(room, incident, ANI)
    assert "sedang ditangani" not in queue_shown()

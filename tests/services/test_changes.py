"""What open screens are told: the points each change touched, resumable from the last change
a screen saw, fanned out once per process; and the wall screen's per-agency headline."""

from __future__ import annotations

import asyncio
import logging

from liveroom.access import SYSTEM
from liveroom.commands.incidents import assign_incident, change_status, report_incident
from liveroom.commands.officers import record_locations, register_officer
from liveroom.domain.events import OfficerLocated
from liveroom.live.changes import (
    SCREEN_BACKLOG,
    Budget,
    Change,
    ChangeHub,
    Subscription,
    changes_key,
    changes_since,
    current_version,
)
from liveroom.live.overview import overview
from tests.conftest import drain, person
from tests.services.test_dispatch import on_duty

OPERATOR = person("opi", "operator")


def fire(room, lat, lon):
    return report_incident(room, category="kebakaran", lat=lat, lon=lon, source="t", by=SYSTEM,
                           attributes={"orang-terjebak": "tidak"})


def test_a_screen_resumes_from_the_last_change_it_saw(room, tangerang_point):
    lat, lon = tangerang_point
    before = fire(room, lat, lon)
    drain(room)
    seen = current_version(room)
    new = fire(room, lat + 0.01, lon)
    change_status(room, before.id, "rejected", reason="bukan kebakaran", by=SYSTEM)
    drain(room)
    missed = changes_since(room, seen)
    assert set(missed.incidents) == {before.id, new.id}
    assert missed.incidents[before.id] is None  # off the map
    assert missed.incidents[new.id]["properties"]["status"] == "triaged"
    assert missed.version == current_version(room) != seen
    assert changes_since(room, missed.version) == Change(missed.version)  # nothing doubled


def test_a_screen_too_far_behind_or_new_is_sent_everything(room, tangerang_point):
    lat, lon = tangerang_point
    fire(room, lat, lon)
    drain(room)
    seen = current_version(room)
    for n in range(3):
        fire(room, lat + 0.001 * n, lon)
        drain(room)
    room.redis.xtrim(changes_key(room), maxlen=1, approximate=False)
    assert changes_since(room, seen) is None
    assert changes_since(room, None) is None


def test_one_reader_tells_every_screen_what_changed(room, tangerang_point):
    lat, lon = tangerang_point

    async def scenario():
        hub = ChangeHub(room)
        screens = [await hub.subscribe() for _ in range(3)]
        incident = await asyncio.to_thread(fire, room, lat, lon)
        await asyncio.to_thread(drain, room)
        changes = [await screen.next(10) for screen in screens]
        hub.unsubscribe(screens[0])
        await asyncio.to_thread(change_status, room, incident.id, "rejected", reason="uji",
                                by=SYSTEM)
        await asyncio.to_thread(drain, room)
        later = [await screen.next(10) for screen in screens[1:]]
        assert screens[0].queue.empty()  # gone screens are told nothing
        return incident, changes, later

    incident, changes, later = asyncio.run(scenario())
    assert [c.incidents[incident.id]["properties"]["agency"] for c in changes] == ["damkar"] * 3
    assert [c.incidents for c in later] == [{incident.id: None}] * 2


def test_a_screen_that_falls_behind_is_marked_to_start_over():
    async def scenario():
        screen = Subscription()
        for n in range(SCREEN_BACKLOG + 1):
            screen.offer(Change(f"{n + 1}-0", incidents={f"i{n}": None}))
        return screen.lost, await screen.next(0)

    lost, merged = asyncio.run(scenario())
    assert lost
    assert merged.version == f"{SCREEN_BACKLOG}-0" and len(merged.incidents) == SCREEN_BACKLOG


def test_officers_going_stale_and_on_duty_are_noticed(room, clock, tangerang_point):
    lat, lon = tangerang_point
    register_officer(room, "walker", name="W", agency="dishub", by=SYSTEM)
    record_locations(room, [OfficerLocated(officer_id="walker", occurred_at=clock.now,
                                           actor="d", lat=lat, lon=lon)], by=SYSTEM)
    drain(room)
    hub = ChangeHub(room)
    version = current_version(room)
    hub.presence_changes(version)  # what it starts from
    assert hub.presence_changes(version).officers == {}
    clock.advance(minutes=11)
    stale = hub.presence_changes(version).officers
    assert stale["walker"]["properties"]["presence"] == "stale"


def test_the_headline_counts_unassigned_and_past_their_deadline_per_agency(room, clock):
    post = next(p for p in room.city.posts.values() if p.agency == "damkar")
    lat, lon = post.centre
    fire(room, lat, lon)
    taken = fire(room, lat + 0.002, lon)
    on_duty(room, clock, "pemadam", post, lat, lon)
    drain(room)
    assign_incident(room, taken.id, "pemadam", by=OPERATOR)
    drain(room)
    figures = {a.agency: a for a in overview(room, by=OPERATOR).agencies}
    assert (figures["damkar"].open, figures["damkar"].unassigned, figures["damkar"].breaching,
            figures["damkar"].on_duty) == (2, 1, 0, 1)
    clock.advance(minutes=6)  # fires are acknowledged within 5 minutes
    assert overview(room, by=OPERATOR).breaching == 2
    change_status(room, taken.id, "acknowledged", by=SYSTEM)
    drain(room)
    assert {a.agency: a.breaching for a in overview(room, by=OPERATOR).agencies}[
        "damkar"] == 1
    clock.advance(hours=3)  # and put out within three hours
    assert overview(room, by=OPERATOR).breaching == 2
    assert sum(a.breaching for a in overview(room, by=OPERATOR).agencies
               if a.agency != "damkar") == 0


def test_an_assignment_changes_the_incident_and_the_officer_now_holding_it(room, clock):
    post = next(p for p in room.city.posts.values() if p.agency == "damkar")
    lat, lon = post.centre
    incident = fire(room, lat, lon)
    on_duty(room, clock, "pemadam", post, lat, lon)
    drain(room)
    seen = current_version(room)
    assign_incident(room, incident.id, "pemadam", by=OPERATOR)
    drain(room)
    change = changes_since(room, seen)
    assert change.incidents[incident.id]["properties"]["status"] == "assigned"
    assert change.officers["pemadam"]["properties"]["tasks"] == 1


def test_the_push_budget_lets_a_lone_change_go_at_once_and_caps_a_burst():
    budget, now, pushed = Budget(rate=4, burst=3, now=0.0), 0.0, []
    for _ in range(200):  # a change every 10 ms, each pushed as soon as allowed
        now = max(now + 0.01, budget.ready_at(now))
        budget.spend(now)
        pushed.append(now)
    assert pushed[:3] == [0.01, 0.02, 0.03]  # the first few back to back
    in_ten_seconds = [t for t in pushed if t <= 10]
    assert 4 * 10 <= len(in_ten_seconds) <= 4 * 10 + 3  # then four a second, no more
    quiet = Budget(rate=4, burst=3, now=0.0)
    quiet.spend(0.0)
    assert quiet.ready_at(0.3) == 0.3  # shortly after another, not held back


def test_the_reader_waits_out_an_idle_room_without_errors(room, caplog):
    """Nothing happens for a while: the screens are not told to start over (each error
    did that, every 6 s, when the read's wait outlasted the socket's timeout)."""

    async def idle() -> bool:
        hub = ChangeHub(room)
        screen = await hub.subscribe()
        await asyncio.sleep(12)
        return screen.lost

    with caplog.at_level(logging.ERROR, logger="liveroom.live.changes"):
        assert asyncio.run(idle()) is False
    assert "reading the changes stream failed" not in caplog.text

"""Projections survive crashes, poison and trimming, and rebuild to the same state."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.commands.incidents import (
    add_note,
    change_status,
    dispatch_incident,
    get_incident,
    report_incident,
)
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import encode
from liveroom.live.projection import LiveIncidents
from liveroom.projections import rows
from liveroom.projections.archive import ArchiveIncidents
from liveroom.projections.base import Entry
from liveroom.projections.health import health
from liveroom.projections.rebuild import rebuild
from liveroom.projections.runner import Projector, all_projections, trim_streams
from tests.conftest import drain
from tests.projections.helpers import archive_state, busy_day, claims, live_state, units_day


def stream_entries(room, name="incidents"):
    return [Entry.of(eid, fields) for eid, fields in room.redis.xrange(room.keys.stream(name))]


def moves(room) -> int:
    """How many incident events moved their incident (a status history row each)."""
    return sum(rows.moves(entry.event) for entry in stream_entries(room))


def count(room, table) -> int:
    with room.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_applying_a_batch_twice_changes_nothing(room, clock, tangerang_point):
    ids = busy_day(room, clock, tangerang_point)
    add_note(room, ids[0], "Sudah dicek", by=SYSTEM)
    for projection in (LiveIncidents(room), ArchiveIncidents(room)):
        assert projection.apply_new(stream_entries(room)) > 0
        assert projection.apply_new(stream_entries(room)) == 0  # replay: all behind checkpoint
    assert room.redis.hget(room.keys.view("incident", ids[0]), "notes") == "1"
    assert count(room, schema.incident_notes) == 1


@pytest.mark.parametrize("crash", ["after reading", "after applying, before acknowledging"])
def test_a_crashed_worker_s_batch_is_reclaimed_by_the_next(room, clock, tangerang_point, crash):
    busy_day(room, clock, tangerang_point)
    projection = ArchiveIncidents(room)
    crashed = Projector(room, projection, consumer="worker-a")
    assert crashed.acquire()
    batch = crashed.read(block_ms=None)
    assert batch  # now pending for worker-a
    if crash.startswith("after applying"):
        projection.apply_new([Entry.of(eid, fields) for eid, fields in batch])
    crashed.release()  # its lease lapses (as the TTL would after a crash)

    successor = Projector(room, ArchiveIncidents(room), consumer="worker-b")
    successor.drain()
    # one logged row per incident event, one history row per event that moved an incident:
    # applied exactly once, nothing dead-lettered
    assert count(room, schema.events) == room.redis.xlen(room.keys.stream("incidents"))
    assert count(room, schema.status_history) == moves(room)
    assert room.redis.xlen(room.keys.dead_letters) == 0
    assert room.redis.xpending(room.keys.stream("incidents"), projection.name)["pending"] == 0
    assert projection.checkpoint() == batch[-1][0]


def test_a_view_restored_behind_its_group_applies_everything_after_its_checkpoint(
        room, clock, tangerang_point):
    """The archive restored from a backup taken before Redis's: its group has delivered and
    acknowledged entries the view never applied, and has a batch pending after them."""
    busy_day(room, clock, tangerang_point)
    room.settings = room.settings.model_copy(update={"batch_size": 3})
    stream, projection = room.keys.stream("incidents"), ArchiveIncidents(room)
    earlier = Projector(room, projection, consumer="worker-a")
    assert earlier.acquire()
    acknowledged = earlier.read(block_ms=None)  # applied by the view the backup lost
    room.redis.xack(stream, projection.name, *[eid for eid, _ in acknowledged])
    assert earlier.read(block_ms=None)  # pending for worker-a
    earlier.release()

    Projector(room, ArchiveIncidents(room), consumer="worker-b").drain()
    assert count(room, schema.events) == room.redis.xlen(stream)  # the acknowledged ones too
    assert count(room, schema.status_history) == moves(room)
    assert room.redis.xpending(stream, projection.name)["pending"] == 0


def test_poison_goes_to_the_dead_letter_stream_and_the_rest_is_applied(room, clock,
                                                                        tangerang_point):
    first = report_incident(room, category="genangan", lat=tangerang_point[0],
                            lon=tangerang_point[1], source="t", by=SYSTEM)
    key = room.keys.stream("incidents")
    room.redis.xadd(key, {"type": "report.received", "v": "1", "data": "{garbage"})
    original = room.redis.xrange(key, count=1)[0][1]
    room.redis.xadd(key, original)  # a buggy producer repeats a report: the archive refuses it
    change_status(room, first.id, "rejected", by=SYSTEM, reason="salah kategori")
    drain(room)
    dead = room.redis.xrange(room.keys.dead_letters)
    by_projection = sorted((fields["projection"], fields["error"][:40]) for _, fields in dead)
    assert [name for name, _ in by_projection].count("archive-incidents") == 2
    assert [name for name, _ in by_projection].count("live-incidents") == 1
    assert any("IntegrityError" in error for _, error in by_projection)
    assert room.redis.hget(room.keys.view("incident", first.id), "status") == "rejected"
    with room.engine.connect() as conn:
        status = conn.execute(select(schema.incidents.c.status)).scalar_one()
    assert status == "rejected"
    report = health(room, all_projections(room))
    assert report["dead_letters"] == 3 and report["status"] == "degraded"  # someone must look


def test_rebuild_reproduces_the_same_state_even_after_trimming(room, clock, tangerang_point):
    busy_day(room, clock, tangerang_point)
    fire, _ = units_day(room, clock, tangerang_point)
    drain(room)
    trimmed = trim_streams(room, all_projections(room))
    assert room.redis.xlen(room.keys.stream("incidents")) == 1  # only the last entry is kept
    assert set(trimmed) == {"incidents", "officers"}
    report_incident(room, category="kemacetan", lat=tangerang_point[0], lon=tangerang_point[1],
                    source="t", by=SYSTEM)
    drain(room)
    live, archive, held = live_state(room), archive_state(room), claims(room)
    assert list(held.values()) == [f"{fire}/1"]  # engine 1: engine 2 was stood down
    assert len(archive["tasks"]) == 3 + 3 + 1 and len(archive["units"]) == 2
    room.redis.delete(*held)  # lost, and a stale one left behind
    room.redis.set(room.keys.claim("unit:dmk-02"), f"{fire}/2")
    result = rebuild(room)
    # 8 incidents, 6 officers, 2 units
    assert result["live-incidents"] > 1 and result["aggregates"] == 16
    assert live_state(room) == live
    assert archive_state(room) == archive
    assert claims(room) == held


def test_after_losing_redis_the_archive_restores_live_state_and_commands(room, clock,
                                                                        tangerang_point):
    ids = busy_day(room, clock, tangerang_point)
    _, leak = units_day(room, clock, tangerang_point)
    drain(room)
    before, held = live_state(room), claims(room)
    room.redis.delete(*room.redis.scan_iter(match=room.keys.pattern("*")))
    rebuild(room)
    assert live_state(room) == before and claims(room) == held
    assert get_incident(room, ids[2]).status.value == "on_scene"
    change_status(room, ids[2], "resolved", by=SYSTEM)  # the write side works again
    with pytest.raises(InvalidCommand, match="Damkar 01 is on"):  # still on the fire
        dispatch_incident(room, leak, units=["dmk-01"], by=SYSTEM)
    dispatch_incident(room, leak, units=["dmk-02"], by=SYSTEM)  # stood down: free


def test_trimming_waits_for_the_slowest_projection(room, clock, tangerang_point):
    busy_day(room, clock, tangerang_point)
    live = LiveIncidents(room)
    Projector(room, live, consumer="t").drain()  # the archive has stored nothing yet
    length = room.redis.xlen(room.keys.stream("incidents"))
    trim_streams(room, all_projections(room))
    assert room.redis.xlen(room.keys.stream("incidents")) == length
    lag = health(room, all_projections(room))["projections"]["archive-incidents"]
    assert lag["behind"] == length and lag["lag_ms"] > 0


def test_events_encode_the_same_on_replay(room, clock, tangerang_point):
    busy_day(room, clock, tangerang_point)
    for entry in stream_entries(room):
        assert encode(entry.event) == entry.fields


def test_two_workers_share_a_projection_without_applying_anything_twice(room, clock,
                                                                          tangerang_point):
    workers = [Projector(room, ArchiveIncidents(room), consumer=f"worker-{n}") for n in (1, 2)]
    stop = threading.Event()
    for worker in workers:
        worker.stop_event = stop
    threads = [threading.Thread(target=worker.run) for worker in workers]
    for thread in threads:
        thread.start()
    try:
        busy_day(room, clock, tangerang_point)
        expected = room.redis.xlen(room.keys.stream("incidents"))
        limit = time.monotonic() + 20  # wait on the condition, not a fixed sleep
        while count(room, schema.events) < expected and time.monotonic() < limit:
            time.sleep(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert count(room, schema.events) == expected
    assert count(room, schema.status_history) == moves(room)
    assert room.redis.xlen(room.keys.dead_letters) == 0
    assert not any(worker.holding for worker in workers)  # the holder released its lease


def test_a_view_that_fell_behind_its_group_is_caught_up_from_its_checkpoint(room, clock,
                                                                           tangerang_point):
    busy_day(room, clock, tangerang_point)
    drain(room)
    expected = live_state(room)
    LiveIncidents(room).reset()  # e.g. an interrupted rebuild, or a flushed read model
    assert live_state(room) != expected
    Projector(room, LiveIncidents(room), consumer="next-worker").drain()
    assert live_state(room) == expected

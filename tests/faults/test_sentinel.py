"""Redis Sentinel, proven with a fault: a primary, a replica and three sentinels of the test's
own (spare ports, never the machine's shared Redis). Commands go to the primary the
sentinels name; after a kill -9 of that primary, the same client appends to the new one by
itself, and what was acknowledged and replicated before the fault is all there. With
`LIVEROOM_REDIS_MIN_REPLICAS`, a write no replica confirms is not acknowledged, and a
client's retry with the same Idempotency-Key confirms it instead of writing it again."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
import redis

from liveroom.access import SYSTEM
from liveroom.api.osmand import LocationIngest
from liveroom.archive import migrate
from liveroom.commands.accounts import add_device
from liveroom.commands.idempotency import once
from liveroom.commands.incidents import get_incident, report_incident
from liveroom.config import Settings
from liveroom.connections import connect_redis
from liveroom.domain.errors import NotReplicated
from liveroom.room import LiveRoom
from tests.faults import servers
from tests.faults.servers import MASTER, wait_for


def on_sentinels(tmp_path, sentinels: list[int], wait_ms: int | None = None) -> Settings:
    """A deployment of the test's own on the sentinel set, archive in SQLite; with
    `wait_ms`, acknowledging only what one replica confirmed within it."""
    replicas = {} if wait_ms is None else {"redis_min_replicas": 1, "redis_wait_ms": wait_ms}
    return Settings(env="test", data_dir=tmp_path / "data",
                    redis_sentinels=",".join(f"127.0.0.1:{p}" for p in sentinels),
                    redis_master=MASTER, database_url=f"sqlite:///{tmp_path}/a.db",
                    simulator=False, projections=False, **replicas)


@pytest.fixture
def sentinel_set(tmp_path):
    """(primary port, replica port, sentinel ports, processes by name)."""
    with servers.sentinel_set(tmp_path) as found:
        yield found


def test_after_the_primary_dies_the_room_writes_to_the_promoted_replica(
        sentinel_set, tmp_path, tangerang_point):
    primary, replica, sentinels, procs = sentinel_set
    settings = on_sentinels(tmp_path, sentinels)
    client = connect_redis(settings)
    assert client.connection_pool.connection_kwargs.get("port") in (None, primary)
    room = LiveRoom.open(settings)
    try:
        lat, lon = tangerang_point
        before = report_incident(room, category="genangan", lat=lat, lon=lon, source="t",
                                 by=SYSTEM)
        redis.Redis(port=primary).wait(1, 2000)  # (replicated: WAIT, as MIN_REPLICAS will)
        procs["primary"].kill()  # kill -9
        procs["primary"].wait()
        started = time.monotonic()
        after = wait_for(lambda: report_incident(room, category="genangan", lat=lat,
                                                 lon=lon + 0.01, source="t", by=SYSTEM), 30)
        recovered = time.monotonic() - started
        assert redis.Redis(port=replica).info("replication")["role"] == "master"
        assert get_incident(room, before.id).category == "genangan"  # acknowledged, kept
        assert get_incident(room, after.id).id == after.id
        assert recovered < 15, f"{recovered:.1f} s to write again"
    finally:
        room.close()


def test_a_malformed_sentinel_list_stops_the_start_naming_the_variable():
    with pytest.raises(ValueError, match="redis_sentinels"):
        Settings(redis_sentinels="127.0.0.1:26379,nowhere")


def test_with_min_replicas_a_write_no_replica_confirms_is_not_acknowledged(
        sentinel_set, tmp_path, tangerang_point):
    _primary, _replica, sentinels, procs = sentinel_set
    settings = on_sentinels(tmp_path, sentinels, 300)
    room = LiveRoom.open(settings)
    lat, lon = tangerang_point
    try:
        kept = report_incident(room, category="genangan", lat=lat, lon=lon, source="t",
                               by=SYSTEM)  # the replica confirmed it: acknowledged
        assert get_incident(room, kept.id).id == kept.id
        procs["replica"].send_signal(signal.SIGSTOP)  # the replica hangs
        try:
            with pytest.raises(NotReplicated) as refused:
                report_incident(room, category="genangan", lat=lat, lon=lon + 0.01,
                                source="t", by=SYSTEM)
            assert refused.value.code == "not_replicated"
        finally:
            procs["replica"].send_signal(signal.SIGCONT)
        wait_for(lambda: report_incident(room, category="genangan", lat=lat, lon=lon + 0.02,
                                         source="t", by=SYSTEM))  # confirmed again
    finally:
        room.close()


def test_with_min_replicas_a_retry_of_an_unconfirmed_report_confirms_it_not_makes_another(
        sentinel_set, tmp_path, tangerang_point):
    _primary, _replica, sentinels, procs = sentinel_set
    settings = on_sentinels(tmp_path, sentinels, 300)
    room = LiveRoom.open(settings)
    lat, lon = tangerang_point

    def create() -> tuple[int, object]:  # what an Open311 POST with an Idempotency-Key does
        incident = report_incident(room, category="genangan", lat=lat, lon=lon, source="t",
                                   by=SYSTEM)
        return 201, {"id": incident.id}

    def received() -> int:
        return sum(f["type"] == "report.received"
                   for _, f in room.redis.xrange(room.keys.stream("incidents")))

    try:
        procs["replica"].send_signal(signal.SIGSTOP)  # the replica hangs
        try:
            for _ in range(2):  # the first attempt, and its client's retry meanwhile
                with pytest.raises(NotReplicated):
                    once(room, SYSTEM, "warga-0001", create)
        finally:
            procs["replica"].send_signal(signal.SIGCONT)
        assert received() == 1  # done once on the primary, not acknowledged
        status, body = wait_for(lambda: _confirmed(room, create))
        assert status == 201 and get_incident(room, body["id"]).category == "genangan"
        assert received() == 1  # the retry confirmed the first report: no second one
    finally:
        room.close()


def _confirmed(room: LiveRoom, create) -> tuple[int, object] | None:
    try:
        return once(room, SYSTEM, "warga-0001", create)
    except NotReplicated:
        return None


def test_a_wait_for_replicas_longer_than_a_second_is_not_cut_short(sentinel_set, tmp_path,
                                                                     tangerang_point):
    _primary, _replica, sentinels, procs = sentinel_set
    settings = on_sentinels(tmp_path, sentinels, 1500)
    room = LiveRoom.open(settings)
    lat, lon = tangerang_point
    procs["replica"].send_signal(signal.SIGSTOP)
    try:  # (a socket timeout shorter than the wait answered a timeout error: a 500, and
        # a write done that its client, unanswered, sends again)
        with pytest.raises(NotReplicated):
            report_incident(room, category="genangan", lat=lat, lon=lon, source="t", by=SYSTEM)
    finally:
        procs["replica"].send_signal(signal.SIGCONT)
        room.close()


def test_with_min_replicas_a_tracker_s_unconfirmed_fix_gets_503_to_send_again(
        sentinel_set, tmp_path, tangerang_point):
    _primary, _replica, sentinels, procs = sentinel_set
    settings = on_sentinels(tmp_path, sentinels, 300)
    room = LiveRoom.open(settings)
    migrate(room.engine)
    device = add_device(room, "Pelacak", agency="dishub", by=SYSTEM)
    ingest = LocationIngest(room)
    lat, lon = tangerang_point

    def send() -> tuple[int, str]:
        return asyncio.run(ingest.ingest(
            f"id={device.secret}&lat={lat}&lon={lon}&timestamp={int(time.time())}".encode(),
            b"", "127.0.0.1"))

    try:
        assert send() == (200, "")
        procs["replica"].send_signal(signal.SIGSTOP)
        try:
            status, reason = send()
        finally:
            procs["replica"].send_signal(signal.SIGCONT)
        assert status == 503 and "replica" in reason  # (not a 500: a tracker sends it again)
    finally:
        room.close()

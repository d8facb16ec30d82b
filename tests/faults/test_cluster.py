"""Redis Cluster, proven on a real one: 3 primaries and 3 replicas of the test's own (spare
ports, never the machine's shared Redis). A room on it takes reports, dispatches, fixes and
runs its projections, its screens' reader follows the changes, two cities share it on slots
of their own, and after a kill -9 of the primary holding a city's slot the room writes to
the promoted replica by itself, with every acknowledged (and replicated) report kept."""

from __future__ import annotations

import asyncio
import time

import pytest
import redis

from liveroom.access import SYSTEM
from liveroom.archive import migrate
from liveroom.commands.incidents import dispatch_incident, get_incident, report_incident
from liveroom.commands.officers import record_locations, register_officer
from liveroom.commands.units import register_unit
from liveroom.config import SettingsError, load_settings
from liveroom.domain.errors import InvalidCommand, NotReplicated
from liveroom.domain.events import OfficerLocated
from liveroom.live.changes import ChangeHub
from liveroom.live.live_map import incidents_by_id, officers_by_id
from liveroom.live.overview import overview
from liveroom.room import LiveRoom
from liveroom.streams import matching
from tests.app_process import AppProcess, free_port
from tests.conftest import drain
from tests.faults import servers
from tests.faults.servers import wait_for


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """`servers.redis_cluster`'s: shared by the tests that kill nothing."""
    with servers.redis_cluster(tmp_path_factory.mktemp("cluster")) as found:
        yield found


def open_room(ports, path, city="tangerang", **settings) -> LiveRoom:
    """A room of `city` on the cluster, in its default namespace (`{lr:<city>}`)."""
    path.mkdir(exist_ok=True)
    room = LiveRoom.open(load_settings(
        env="test", data_dir=path, city=city, redis_url=None, redis_sentinels=None,
        redis_cluster=",".join(f"127.0.0.1:{port}" for port in ports[:3]),
        database_url=f"sqlite:///{path}/archive.db", simulator=False, projections=False,
        **settings))
    migrate(room.engine)
    return room


def point(room: LiveRoom) -> tuple[float, float]:
    inside = next(iter(room.city.districts.values())).geometry.representative_point()
    return inside.y, inside.x


def report(room: LiveRoom, nudge: float = 0.0):
    lat, lon = point(room)
    return report_incident(room, category="kebakaran", lat=lat, lon=lon + nudge, source="t",
                           attributes={"orang-terjebak": "tidak"}, by=SYSTEM)


def slot_primary(room: LiveRoom) -> int:
    """The port of the primary holding the room's slot (as the cluster says now)."""
    return room.redis.get_node_from_key(room.keys.config_version).port


async def reader_waits(room: LiveRoom) -> None:
    """Until the change hub's reader waits in its XREAD on the slot's primary: asyncio.run
    then cancels it there (Python 3.11's wait_for loses a cancel landing while redis-py
    sends a command, and the reader would read on)."""
    def waiting() -> bool:
        node = redis.Redis(port=slot_primary(room), decode_responses=True)
        return any(c["cmd"] == "xread" and "b" in c["flags"] for c in node.client_list())

    await asyncio.to_thread(wait_for, waiting)


def test_a_room_on_the_cluster_reports_dispatches_tracks_and_projects(cluster, tmp_path):
    ports, _, _ = cluster
    room = open_room(ports, tmp_path / "tangerang")
    try:
        register_officer(room, "dk-1", name="DK 1", agency="damkar", by=SYSTEM)
        register_unit(room, "damkar-01", call_sign="Damkar 01", agency="damkar",
                      crew=["dk-1"], by=SYSTEM)
        first, second = report(room), report(room, 0.01)
        dispatch_incident(room, first.id, units=["damkar-01"], by=SYSTEM)
        with pytest.raises(InvalidCommand) as busy:  # the unit's claim, in the append's script
            dispatch_incident(room, second.id, units=["damkar-01"], by=SYSTEM)
        assert busy.value.code == "unit_busy"
        lat, lon = point(room)
        record_locations(room, [OfficerLocated(officer_id="dk-1", occurred_at=room.clock(),
                                               actor="device", lat=lat, lon=lon)], by=SYSTEM)
        drain(room)
        assert overview(room, by=SYSTEM).open_by_status["assigned"] == 1
        assert incidents_by_id(room, [second.id])[second.id]["properties"]["status"] == "triaged"
        fix = officers_by_id(room, ["dk-1"])["dk-1"]
        assert fix["geometry"]["coordinates"] == [pytest.approx(lon), pytest.approx(lat)]
        assert room.redis.hget(room.live.unit("damkar-01"), "status") == "dispatched"
        keys = matching(room.redis, room.keys.pattern("*"))  # the city is one slot
        slot = room.redis.keyslot(room.keys.config_version)
        node = redis.Redis(port=slot_primary(room))
        assert len(keys) > 20 and node.cluster("countkeysinslot", slot) == len(keys)
    finally:
        room.close()


def test_the_screens_reader_on_the_cluster_sees_a_change(cluster, tmp_path):
    ports, _, _ = cluster
    room = open_room(ports, tmp_path / "tangerang", redis_namespace="{lr:hub-test}")

    async def scenario():
        hub = ChangeHub(room)
        screen = await hub.subscribe()
        incident = await asyncio.to_thread(report, room)
        await asyncio.to_thread(drain, room)
        change = await screen.next(10)
        await reader_waits(room)
        return incident, change

    try:
        incident, change = asyncio.run(scenario())
        assert change.incidents[incident.id]["properties"]["agency"] == "damkar"
    finally:
        room.close()


def test_two_cities_share_the_cluster_each_on_a_slot_and_a_primary_of_its_own(
        cluster, tmp_path):
    ports, _, _ = cluster
    rooms = [open_room(ports, tmp_path / city, city) for city in ("tangerang", "pandeglang")]
    try:
        incidents = [report(room) for room in rooms]
        for room in rooms:
            drain(room)
        for room, incident in zip(rooms, incidents, strict=True):
            assert overview(room, by=SYSTEM).latest[0].id == incident.id  # its own, only
            assert overview(room, by=SYSTEM).open_by_status["triaged"] == 1
        slots = {room.redis.keyslot(room.keys.config_version) for room in rooms}
        assert len(slots) == 2 and len({slot_primary(room) for room in rooms}) == 2
    finally:
        for room in rooms:
            room.close()


def test_after_the_slots_primary_dies_the_room_writes_to_the_promoted_replica(tmp_path):
    with servers.redis_cluster(tmp_path / "cluster") as (ports, procs, start):
        room = open_room(ports, tmp_path / "room")
        strict = open_room(ports, tmp_path / "strict", redis_min_replicas=1)  # same city
        try:
            kept = [report(strict, 0.001 * n) for n in range(5)]  # acknowledged: replicated
            primary = slot_primary(room)
            procs[primary].kill()  # kill -9
            procs[primary].wait()
            started = time.monotonic()
            after = wait_for(lambda: report(room, 0.01), 30)
            recovered = time.monotonic() - started
            assert recovered < 15, f"{recovered:.1f} s to write again"
            assert slot_primary(room) != primary
            written = [*kept, after]
            assert [get_incident(room, i.id).id for i in written] == [i.id for i in written]
            drain(room)  # the projections' transactions find the new primary too
            assert overview(room, by=SYSTEM).open_by_status["triaged"] == len(kept) + 1
            with pytest.raises(NotReplicated):  # its shard has no replica left: not acknowledged
                report(strict, 0.02)
            start(primary)
            wait_for(lambda: servers.cluster_node_ready(primary), 30)  # the new one's replica
            acknowledged = report(strict, 0.03)
            print(f"\ncluster failover: writing again after {recovered:.1f} s; with "
                  f"MIN_REPLICAS=1 acknowledged again {time.monotonic() - started:.1f} s "
                  "after the kill (once the old primary was back as a replica)")
            assert get_incident(room, acknowledged.id).id == acknowledged.id
        finally:
            room.close()
            strict.close()


def test_the_screens_reader_follows_the_city_to_the_promoted_replica(tmp_path):
    with servers.redis_cluster(tmp_path / "cluster") as (ports, procs, _):
        room = open_room(ports, tmp_path / "room")

        async def seen_by(screen, nudge: float) -> dict:
            incident = await asyncio.to_thread(wait_for, lambda: report(room, nudge), 30)
            await asyncio.to_thread(drain, room)
            seen: dict = {}
            while incident.id not in seen and (change := await screen.next(20)):
                seen.update(change.incidents)
            return seen.get(incident.id) or {}

        async def scenario():
            screen = await ChangeHub(room).subscribe()
            before = await seen_by(screen, 0)  # its reader follows the slot's primary
            procs[slot_primary(room)].kill()
            after = await seen_by(screen, 0.01)
            await reader_waits(room)
            return before, after

        try:
            before, after = asyncio.run(scenario())
            assert before["properties"]["status"] == after["properties"]["status"] == "triaged"
        finally:
            room.close()


@pytest.mark.parametrize(("variables", "named"), [
    ({"redis_cluster": "127.0.0.1:7000,nowhere"}, "LIVEROOM_REDIS_CLUSTER"),
    ({"redis_cluster": "127.0.0.1:7000", "redis_url": "redis://127.0.0.1:6379/0"},
     "LIVEROOM_REDIS_CLUSTER"),
    ({"redis_cluster": "127.0.0.1:7000", "redis_namespace": "lr-no-tag"},
     "LIVEROOM_REDIS_NAMESPACE"),
])
def test_a_bad_cluster_setting_stops_the_start_naming_the_variable(variables, named):
    with pytest.raises(SettingsError, match=named):
        load_settings(**{"redis_url": None, **variables})  # (not the environment's)


def test_an_unreachable_cluster_stops_a_command_in_one_line(tmp_path):
    nobody = f"127.0.0.1:{free_port()}"
    done = AppProcess({"LIVEROOM_DATA_DIR": str(tmp_path), "LIVEROOM_REDIS_CLUSTER": nobody},
                      tmp_path / "app.log").cli("units", "list")
    assert done.returncode == 1
    assert done.stderr.startswith("cannot reach Redis: ") and done.stderr.count("\n") == 1

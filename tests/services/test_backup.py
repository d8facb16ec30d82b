"""A backup of a working room restored into another deployment: the same incidents, tasks,
units, archive and photos, and projections that carry on from where the archive stood.

The other deployment is a new data dir (its own embedded Redis and SQLite) on embedded
defaults; on external servers, a new namespace on the same Redis and a scratch database
on the same PostgreSQL, dropped afterwards."""

from __future__ import annotations

import itertools
import os
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from sqlalchemy import create_engine, func, make_url, select, text

from liveroom.access import SYSTEM
from liveroom.archive import schema
from liveroom.backup import BackupError
from liveroom.backup.deployment import read_manifest, restore_backup, take_backup
from liveroom.commands.incidents import change_status, report_incident
from liveroom.commands.media import URL_PREFIX, store_photo
from liveroom.config import Settings
from liveroom.embedded import stop_embedded
from liveroom.live.dispatch import live_incident
from liveroom.live.keys import live_tasks
from liveroom.live.projection import LiveIncidents
from liveroom.projections.runner import ProjectionService, Projector
from liveroom.room import LiveRoom
from liveroom.streams import Keys, delete_matching
from tests.conftest import drain
from tests.projections.helpers import archive_state, busy_day, units_day
from tests.services.test_field import photo_bytes


@pytest.fixture
def target(settings, tmp_path) -> Iterator[Settings]:
    """Another deployment, empty, under a namespace of its own."""
    data_dir = tmp_path / "restored"
    external_redis = os.environ.get("LIVEROOM_REDIS_URL")
    scratch = None
    database_url = None
    if settings.database_url and settings.database_url.startswith("postgresql"):
        scratch = "lrtest_" + uuid.uuid4().hex[:10]
        with _admin() as conn:
            conn.execute(text(f"CREATE DATABASE {scratch}"))
        # the same schema name (the test's own), in a database of its own
        database_url = make_url(settings.database_url).set(database=scratch
                                                           ).render_as_string(False)
    target = Settings(data_dir=data_dir, redis_url=external_redis, database_url=database_url,
                      redis_namespace="{lrtest-" + uuid.uuid4().hex[:10] + "}",
                      projections=False, env="test")
    yield target
    if external_redis:
        client = redis.Redis.from_url(external_redis)
        delete_matching(client, Keys(target.namespace).pattern("*"))
        client.close()
    else:
        stop_embedded(data_dir)
    if scratch:
        with _admin() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {scratch} WITH (FORCE)"))


def _admin():
    url = make_url(os.environ["LIVEROOM_DATABASE_URL"]).set(drivername="postgresql+psycopg")
    return create_engine(url, isolation_level="AUTOCOMMIT").connect()


def incidents_seen(room: LiveRoom, ids: list[str]) -> dict:
    """What the control room sees of each incident: status, priority, its tasks."""
    seen = {}
    for incident_id in ids:
        incident = live_incident(room, incident_id, by=SYSTEM)
        seen[incident_id] = (incident["status"], incident.get("priority"), [
            (t.id, t.agency, t.status, t.unit_id, t.officer_id, t.body, t.reason)
            for t in live_tasks(incident)])
    return seen


def units_seen(room: LiveRoom) -> dict:
    keys = room.redis.scan_iter(match=room.keys.pattern("live", "unit", "*"), count=1000)
    return {key.removeprefix(room.keys.ns): room.redis.hgetall(key) for key in keys}


def archived(room: LiveRoom, incident_id: str) -> tuple[int, int]:
    """(incident rows, logged events) the archive holds of one incident."""
    with room.engine.connect() as conn:
        rows = conn.execute(select(func.count()).select_from(schema.incidents).where(
            schema.incidents.c.id == incident_id)).scalar_one()
        events = conn.execute(select(func.count()).select_from(schema.events).where(
            schema.events.c.aggregate_id == incident_id)).scalar_one()
    return rows, events


def groups(room: LiveRoom, stream: str) -> list[tuple]:
    return sorted((g["name"], g["last-delivered-id"], g["pending"])
                  for g in room.redis.xinfo_groups(room.keys.stream(stream)))


@pytest.fixture
def restored(target, clock) -> Iterator[LiveRoom]:
    """The target deployment, opened (once something has been restored into it)."""
    rooms: list[LiveRoom] = []

    def opened() -> LiveRoom:
        room = LiveRoom.open(target)
        room.clock = clock
        rooms.append(room)
        return room

    yield opened
    for room in rooms:
        room.close()


def test_a_restored_room_shows_the_same_room_and_its_projections_carry_on(
        room, clock, tangerang_point, tmp_path, target, restored):
    ids = busy_day(room, clock, tangerang_point) + units_day(room, clock, tangerang_point)
    photo = store_photo(room, photo_bytes())
    ids.append(report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0],
                               lon=tangerang_point[1] + 0.02, source="web", media_url=photo,
                               by=SYSTEM).id)
    drain(room)
    clock.advance(minutes=1)  # reported after the archive's projections last ran:
    late = report_incident(room, category="parkir-liar", lat=tangerang_point[0] + 0.01,
                           lon=tangerang_point[1] + 0.01, source="web", by=SYSTEM).id
    Projector(room, LiveIncidents(room), consumer="test").drain()  # live, not archived

    manifest = take_backup(room.settings, tmp_path / "backup")
    assert manifest["archive"]["rows"]["incidents"] == len(ids)  # not the late one
    with pytest.raises(BackupError, match="backup is of namespace"):
        restore_backup(target, tmp_path / "backup")
    done = restore_backup(target, tmp_path / "backup", ignore_mismatch=True)
    assert done["keys"] == manifest["redis"]["keys"]
    copy = restored()

    every = [*ids, late]
    assert incidents_seen(copy, every) == incidents_seen(room, every)
    assert units_seen(copy) == units_seen(room)
    assert archive_state(copy) == archive_state(room)
    name = photo.removeprefix(URL_PREFIX)
    assert (target.photos_dir / name).read_bytes() == (
        room.settings.photos_dir / name).read_bytes()
    assert archived(copy, late) == (0, 0)
    for name in ("incidents", "officers"):  # the streams, with their consumer groups
        assert copy.redis.xrange(copy.keys.stream(name)) == room.redis.xrange(
            room.keys.stream(name))
        assert groups(copy, name) == groups(room, name)

    drain(copy)  # the archive's projections carry on from its checkpoints
    drain(room)
    assert archive_state(copy) == archive_state(room)
    assert archived(copy, late) == (1, 2)  # received and triaged, once
    assert archived(copy, ids[0]) == archived(room, ids[0])  # nothing applied twice

    on_scene = next(i for i, seen in incidents_seen(copy, ids).items() if seen[0] == "on_scene")
    change_status(copy, on_scene, "resolved", by=SYSTEM)  # its aggregate came back too
    fresh = report_incident(copy, category="genangan", lat=tangerang_point[0] - 0.01,
                            lon=tangerang_point[1], source="web", by=SYSTEM).id
    drain(copy)
    assert incidents_seen(copy, [on_scene])[on_scene][0] == "resolved"
    assert archived(copy, fresh) == (1, 2)
    with copy.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(schema.incidents)
                            ).scalar_one() == len(every) + 1
    assert read_manifest(tmp_path / "backup") == manifest


def test_a_snapshot_missing_what_the_archive_copy_still_needs_is_not_kept(
        room, clock, tangerang_point, tmp_path):
    """As if a worker trimmed the streams between the archive's copy and the Redis
    snapshot: the archive would never see the entries in between."""
    for step in range(3):
        clock.advance(minutes=1)
        report_incident(room, category="sampah-menumpuk", lat=tangerang_point[0] + step * 1e-3,
                        lon=tangerang_point[1], source="web", by=SYSTEM)
        if step == 0:
            drain(room)  # the archive stands at the first report
    stream = room.keys.stream("incidents")
    newest = room.redis.xrevrange(stream, count=1)[0][0]
    room.redis.xtrim(stream, minid=newest, approximate=False)

    with pytest.raises(BackupError, match="trimmed past the archive's checkpoints") as refused:
        take_backup(room.settings, tmp_path / "backup")
    assert refused.value.code == 1
    assert not (tmp_path / "backup" / "manifest.json").exists()


@pytest.mark.skipif(not (os.environ.get("LIVEROOM_DATABASE_URL") or "").startswith(
    "postgresql"), reason="PostgreSQL's pg_dump")
def test_without_pg_dump_the_backup_says_what_to_install(room, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump is not on PATH: install") as refused:
        take_backup(room.settings, tmp_path / "backup")
    assert refused.value.code == 1


def test_a_backup_taken_under_a_flood_restores_an_archive_that_agrees_with_redis(
        room, clock, tangerang_point, tmp_path, target, restored):
    """Reports keep coming and the projections (and the trimmer) keep running while the
    backup is taken: restored and caught up, the archive logs for every incident exactly
    the events its aggregate counts, no more (an archive ahead of Redis) and no fewer."""
    room.settings = room.settings.model_copy(update={"trim_interval_seconds": 0.1})
    service = ProjectionService(room)
    stop = threading.Event()

    def flood() -> None:
        for n in itertools.count():
            if stop.is_set():
                return
            report_incident(room, category="sampah-menumpuk",
                            lat=tangerang_point[0] + (n % 8) * 1e-3,
                            lon=tangerang_point[1] + (n // 8 % 8) * 1e-3, source="web",
                            by=SYSTEM)
            time.sleep(0.002)

    service.start()
    reporter = threading.Thread(target=flood)
    reporter.start()
    try:
        time.sleep(1)
        manifest = take_backup(room.settings, tmp_path / "backup")
        time.sleep(0.3)
    finally:
        stop.set()
        reporter.join()
        service.stop()
    assert manifest["redis"]["streams"]["incidents"]["length"] > 0
    restore_backup(target, tmp_path / "backup", ignore_mismatch=True)
    copy = restored()
    drain(copy)

    versions = {}
    for key in copy.redis.scan_iter(match=copy.keys.pattern("agg", "incident", "*")):
        versions[key.rpartition(":")[2]] = int(copy.redis.hget(key, "version"))
    with copy.engine.connect() as conn:
        logged = dict(conn.execute(
            select(schema.events.c.aggregate_id, func.count()).where(
                schema.events.c.stream == "incidents").group_by(schema.events.c.aggregate_id)
        ).all())
    assert len(versions) > 20
    assert logged == versions

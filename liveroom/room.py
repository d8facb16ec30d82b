"""The LiveRoom: one deployment's settings, city pack and connections, opened once."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import redis
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from liveroom.cities import City, load_city
from liveroom.cities.overrides import overridden
from liveroom.config import Settings
from liveroom.connections import connect_database, connect_redis
from liveroom.domain.errors import ArchiveUnavailable
from liveroom.live.keys import LiveKeys
from liveroom.streams import EventStore, Keys

log = logging.getLogger(__name__)


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class LiveRoom:
    """What services, projections and the web app share. Open with `LiveRoom.open`.

    `city` is the city pack with the admins' changes laid over it; a change made
    by any worker is seen by every worker within CONFIG_CHECK_SECONDS.
    """

    settings: Settings
    pack: City
    redis: redis.Redis
    engine: Engine
    keys: Keys
    store: EventStore
    clock: Callable[[], datetime] = field(default=utc_now)
    _city: City | None = field(default=None, repr=False)
    _config_version: str | None = field(default=None, repr=False)
    _config_checked: float = field(default=0.0, repr=False)
    principals: dict = field(default_factory=dict, repr=False)
    """Bearer secrets' principals this process has looked up (`credential_principal`)."""

    CONFIG_CHECK_SECONDS = 2.0

    @property
    def city(self) -> City:
        now = time.monotonic()
        if self._city is None or now - self._config_checked > self.CONFIG_CHECK_SECONDS:
            self._config_checked = now
            version = self.redis.get(self.keys.config_version)
            if self._city is None or version != self._config_version:
                try:
                    self._city, self._config_version = overridden(self.pack, self.engine), version
                except (ArchiveUnavailable, SQLAlchemyError):  # keep serving what we had
                    log.warning("city configuration not reloaded: archive unavailable")
                    self._city = self._city or self.pack
        return self._city

    @functools.cached_property
    def live(self) -> LiveKeys:
        """The live read model's keys (`live.keys`), made once: queries ask on hot paths."""
        return LiveKeys(self.keys)

    def config_changed(self) -> None:
        """Tell every worker (this one at once) that the city's configuration changed."""
        self.redis.incr(self.keys.config_version)
        self._city = None

    @classmethod
    def open(cls, settings: Settings) -> LiveRoom:
        city = load_city(settings.city, settings.cities_dir)  # fails before anything starts
        if settings.tile_url:
            city = city.model_copy(update={"tile_url": settings.tile_url,
                                           "tile_attribution": settings.tile_attribution})
        client = connect_redis(settings)
        keys = Keys(settings.namespace)
        return cls(
            settings=settings,
            pack=city,
            redis=client,
            engine=connect_database(settings),
            keys=keys,
            store=EventStore(client, keys, settings.redis_min_replicas,
                             settings.redis_wait_ms),
        )

    def close(self) -> None:
        self.redis.close()
        self.engine.dispose()

"""Connections to Redis and the archive database: external by URL, else embedded."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import redis
import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel
from sqlalchemy import Engine, create_engine, event, make_url

from liveroom.config import Settings
from liveroom.embedded import use_embedded

SENTINEL_TIMEOUT = 1.0  # seconds a sentinel may take to say where the primary is
#: seconds a primary found through the sentinels may take to answer a command (its `WAIT`
#: added): one that hangs longer is failed over by them anyway
PRIMARY_TIMEOUT = 5.0


def redis_url(settings: Settings) -> str:
    """The Redis to use: `LIVEROOM_REDIS_URL`, or the embedded one in the data dir."""
    return settings.redis_url or use_embedded(settings.data_dir)


def connect_redis(settings: Settings) -> redis.Redis:
    """A client with string responses and health checks, for sync code paths: of the
    primary the sentinels name (found again after a failover), else of the one URL."""
    options = {"decode_responses": True, "health_check_interval": 30}
    if settings.sentinel_nodes:  # (the sentinels' own timeout is theirs alone: a WAIT for
        # replicas may take longer, and cut short it would leave a write done, unanswered)
        return Sentinel(settings.sentinel_nodes, sentinel_kwargs={
            "socket_timeout": SENTINEL_TIMEOUT}).master_for(
            settings.redis_master, socket_timeout=PRIMARY_TIMEOUT + settings.redis_wait_ms / 1000,
            **options)
    return redis.Redis.from_url(redis_url(settings), **options)


def connect_async_redis(settings: Settings, **options) -> aioredis.Redis:
    """The same for asyncio code (the change hub's reader)."""
    if settings.sentinel_nodes:
        return AsyncSentinel(settings.sentinel_nodes, sentinel_kwargs={
            "socket_timeout": SENTINEL_TIMEOUT}).master_for(settings.redis_master,
                                                            decode_responses=True, **options)
    return aioredis.from_url(redis_url(settings), decode_responses=True, **options)


def connect_database(settings: Settings) -> Engine:
    """The archive engine: PostgreSQL when configured, else SQLite in the data dir."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the driver, issue BEGIN (savepoints work), and take the
    # write lock up front so two writers never deadlock upgrading a read lock.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for attempt in range(50):  # WAL is kept in the file; switching needs a moment alone
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError:
            time.sleep(0.02 * (attempt + 1))
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()

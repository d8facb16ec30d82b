"""Connections to Redis and the archive database: external by URL, else embedded."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import redis
import redis.asyncio as aioredis
from redis.asyncio import cluster as aiocluster
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.client import Pipeline
from redis.cluster import ClusterNode, RedisCluster
from redis.commands.core import Script
from redis.exceptions import AskError, MovedError, RedisClusterException
from redis.sentinel import Sentinel
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import ExceptionContext

from liveroom.config import Settings
from liveroom.domain.errors import ArchiveUnavailable
from liveroom.embedded import use_embedded

log = logging.getLogger(__name__)
SENTINEL_TIMEOUT = 1.0  # seconds a sentinel may take to say where the primary is
#: seconds to wait for PostgreSQL to answer a new connection (libpq's connect_timeout),
#: unless the URL says (`?connect_timeout=N`): a host that does not answer at all must
#: not hold a request for minutes
PG_CONNECT_TIMEOUT = 3

#: seconds a primary found through the sentinels may take to answer a command (its `WAIT`
#: added): one that hangs longer is failed over by them anyway
PRIMARY_TIMEOUT = 5.0


class _ClusterScript(Script):
    """A script run by EVAL, routed like any command to the primary of its keys' slot:
    redis-py's own would, after a NOSCRIPT (a primary new since a failover), load it on
    every primary of the cluster, other cities' shards included, and fail while one of
    them is down. In a `slot_pipeline` it is loaded on that pipeline's node, as usual."""

    def __call__(self, keys=None, args=None, client=None):
        client = client or self.registered_client
        if isinstance(client, Pipeline):
            return super().__call__(keys, args, client)
        keys = list(keys or ())
        return client.eval(self.script, len(keys), *keys, *(args or ()))


def _moving_key(args: tuple) -> object | None:
    """The first key of a command whose keys move (XREAD, XREADGROUP, ZUNION), which
    redis-py's cluster clients would ask a node for (COMMAND GETKEYS: a round trip to
    any primary, maybe another city's) before every call; None for any other command."""
    name = str(args[0]).upper()
    if name in ("XREAD", "XREADGROUP"):
        words = [(a.decode() if isinstance(a, bytes) else str(a)).upper() for a in args]
        return args[words.index("STREAMS") + 1]
    return args[2] if name == "ZUNION" else None


class _Cluster(RedisCluster):
    def register_script(self, script: str) -> Script:
        return _ClusterScript(self, script)

    def determine_slot(self, *args):
        key = _moving_key(args)
        return super().determine_slot(*args) if key is None else self.keyslot(key)


class _AsyncCluster(aiocluster.RedisCluster):
    async def _determine_slot(self, command: str, *args):
        key = _moving_key((command, *args))
        if key is None:
            return await super()._determine_slot(command, *args)
        return self.keyslot(key)


def redis_url(settings: Settings) -> str:
    """The Redis to use: `LIVEROOM_REDIS_URL`, or the embedded one in the data dir."""
    return settings.redis_url or use_embedded(settings.data_dir)


def connect_redis(settings: Settings, decode_responses: bool = True) -> redis.Redis | RedisCluster:
    """A client with string responses (bytes without `decode_responses`: a backup's dumps)
    and health checks, for sync code paths: of the cluster (`RedisCluster`, routing each
    command to its slot's primary), of the primary the sentinels name (found again after a
    failover), else of the one URL."""
    options = {"decode_responses": decode_responses, "health_check_interval": 30}
    if settings.cluster_nodes:
        try:
            return _Cluster(
                startup_nodes=[ClusterNode(*node) for node in settings.cluster_nodes], **options)
        except RedisClusterException as exc:  # no node answered: unreachable, as a URL's
            raise redis.ConnectionError(str(exc)) from exc
    if settings.sentinel_nodes:  # (the sentinels' own timeout is theirs alone: a WAIT for
        # replicas may take longer, and cut short it would leave a write done, unanswered)
        return Sentinel(settings.sentinel_nodes, sentinel_kwargs={
            "socket_timeout": SENTINEL_TIMEOUT}).master_for(
            settings.redis_master, socket_timeout=PRIMARY_TIMEOUT + settings.redis_wait_ms / 1000,
            **options)
    return redis.Redis.from_url(redis_url(settings), **options)


def connect_async_redis(settings: Settings, **options) -> aioredis.Redis | aiocluster.RedisCluster:
    """The same for asyncio code (the change hub's reader)."""
    if settings.cluster_nodes:
        return _AsyncCluster(
            startup_nodes=[aiocluster.ClusterNode(*node) for node in settings.cluster_nodes],
            decode_responses=True, **options)
    if settings.sentinel_nodes:
        return AsyncSentinel(settings.sentinel_nodes, sentinel_kwargs={
            "socket_timeout": SENTINEL_TIMEOUT}).master_for(settings.redis_master,
                                                            decode_responses=True, **options)
    return aioredis.from_url(redis_url(settings), decode_responses=True, **options)


@contextmanager
def slot_pipeline(client: redis.Redis | RedisCluster, key: str,
                  transaction: bool = True) -> Iterator[Pipeline]:
    """A pipeline on one connection to the server holding `key` (a city's keys all share
    one slot): on a cluster, a plain pipeline on its slot's primary, so that scripts,
    WATCH/MULTI and WAIT (which counts this connection's writes) behave as on one Redis,
    which redis-py's ClusterPipeline does not offer; when that primary is gone or no
    longer holds the slot (a failover), the cluster's map is read again for the next try."""
    if not isinstance(client, RedisCluster):
        with client.pipeline(transaction=transaction) as pipe:
            yield pipe
        return
    node = client.get_redis_connection(client.get_node_from_key(key))
    try:
        with node.pipeline(transaction=transaction) as pipe:
            yield pipe
    except (redis.ConnectionError, redis.TimeoutError, MovedError, AskError):
        with suppress(redis.RedisError, RedisClusterException):  # (raising the first error)
            client.nodes_manager.initialize()
        raise


def slot_node(client: redis.Redis | RedisCluster, key: str) -> dict[str, ClusterNode]:
    """Where a command that names no key (SCAN, TIME, PING) must go to reach the server
    holding `key`: on a cluster its slot's primary (else every primary, or any node,
    would answer); elsewhere nothing to say."""
    if isinstance(client, RedisCluster):
        return {"target_nodes": client.get_node_from_key(key)}
    return {}


def connect_database(settings: Settings) -> Engine:
    """The archive engine: PostgreSQL when configured, else SQLite in the data dir.

    A connection that cannot be made or is lost raises `ArchiveUnavailable` wherever the
    archive is used (`_unavailable`). Pooled connections are pinged before use, so those a
    restarted server closed are replaced by themselves."""
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
    else:
        timeout = {} if "connect_timeout" in make_url(url).query else {
            "connect_timeout": PG_CONNECT_TIMEOUT}
        engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10,
                               connect_args=timeout)
    event.listen(engine, "handle_error", _unavailable())
    return engine


def _unavailable() -> Callable[[ExceptionContext], ArchiveUnavailable | None]:
    """The one place the archive's connection trouble becomes `ArchiveUnavailable`: no
    connection could be made (refused, timed out, the server starting or stopping) or
    the one in use was lost. Other errors stay as they are, and so does a failed
    pre-ping: the pool then connects afresh by itself. The cause (it names the database's
    host) goes to the log, at most every 10 s (an outage fails every request), never into
    an answer (the projections warn that they wait; a command's failure says it once)."""
    logged = float("-inf")

    def translate(context: ExceptionContext) -> ArchiveUnavailable | None:
        nonlocal logged
        if context.is_pre_ping or not (context.is_disconnect or context.connection is None):
            return None
        if time.monotonic() - logged > 10:
            logged = time.monotonic()
            log.info("archive database unavailable: %s",
                        " ".join(str(context.original_exception).split())[:300])
        return ArchiveUnavailable("the archive database is unavailable; try again shortly")

    return translate


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

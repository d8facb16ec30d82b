"""`backup DIR` and `restore DIR`: one deployment's consistent snapshot, and back.

A backup holds the archive's copy, the Redis namespace's keys (`namespace`), the photos,
and `manifest.json` (written last: a directory without it is no backup). They are taken
in that order, while the app runs:

- The archive first. It is a projection of the streams and keeps its checkpoints in
  itself, so it may lag the streams, never lead them: taken first, its checkpoints are at
  or behind the Redis snapshot taken after it, and after a restore its projections apply
  the entries in between, once (each batch moves the checkpoint in its own transaction).
  Taken after Redis, it could hold events appended between the two that the restored
  streams and aggregates never had.
- Redis second, in one atomic step. The streams are not trimmed while a backup runs
  (`Keys.backup_running`), and the snapshot must still hold every entry after the archive
  copy's checkpoints; if a trim slipped in all the same, both are taken again.
- Photos last: a photo is stored before the report that names it, so the copy has every
  photo the snapshot names.
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import orjson
import redis
from sqlalchemy import Engine

from liveroom.archive import migrate
from liveroom.backup import BackupError, archive, namespace
from liveroom.config import Settings
from liveroom.connections import connect_database, connect_redis
from liveroom.projections.archive import ArchiveIncidents, ArchiveOfficers
from liveroom.streams import STREAMS, Keys, id_tuple

MANIFEST = "manifest.json"
FORMAT = 1
MEDIA = "media"
ATTEMPTS = 3
HOLD_SECONDS = 3600  # trimming waits at most this long for a backup that died


def take_backup(settings: Settings, directory: Path) -> dict:
    """Write the deployment's snapshot into `directory` (new or empty); its manifest."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BackupError(f"{directory} is not an empty directory: a backup goes into a "
                          f"new one")
    directory.mkdir(parents=True, exist_ok=True)
    keys = Keys(settings.namespace)
    client, engine = connect_redis(settings, decode_responses=False), connect_database(settings)
    try:
        client.set(keys.backup_running, datetime.now(UTC).isoformat(), ex=HOLD_SECONDS)
        try:
            copy, snapshot = _archive_then_redis(client, engine, keys, directory)
        finally:
            client.delete(keys.backup_running)
        media = _copy_media(settings.photos_dir, directory / MEDIA)
    except BaseException as exc:
        _empty(directory)  # no half backup left behind
        if isinstance(exc, archive.CopyFailed | redis.ResponseError):
            raise BackupError(str(exc), 1) from None
        raise
    finally:
        client.close()
        engine.dispose()
    manifest = {
        "format": FORMAT, "taken_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "city": settings.city, "namespace": settings.namespace,
        "versions": {"redis": snapshot.version, "archive_schema": copy.revision,
                     **copy.versions},
        "redis": {"file": namespace.FILE, "keys": snapshot.keys, "streams": snapshot.streams},
        "archive": copy.manifest(), "media": media,
    }
    (directory / MANIFEST).write_bytes(orjson.dumps(manifest, option=orjson.OPT_INDENT_2))
    return manifest


def _archive_then_redis(client: redis.Redis, engine: Engine, keys: Keys, directory: Path):
    streams_of = {p.name: p.stream for p in (ArchiveIncidents, ArchiveOfficers)}
    for _ in range(ATTEMPTS):
        copy = archive.take(engine, directory)
        snapshot = namespace.take(client, keys, list(STREAMS), directory / namespace.FILE)
        if all(holds_after(snapshot.streams[stream], copy.checkpoints.get(name))
               for name, stream in streams_of.items()):
            return copy, snapshot
        _empty(directory)
    raise BackupError(f"the streams were trimmed past the archive's checkpoints while "
                      f"backing up, {ATTEMPTS} times (is a worker of an older version "
                      f"trimming?); nothing was kept", 1)


def holds_after(stream: dict, checkpoint: str | None) -> bool:
    """Whether a snapshot's stream still has every entry after `checkpoint` (what the
    archive copy reads after a restore). Trimming removes what lies before the slowest
    projection's checkpoint and keeps that entry, so a stream whose first entry lies past
    the archive's checkpoint has lost some; one the archive has read nothing of must have
    lost nothing (Redis 7 counts what was added; 6.2 cannot tell)."""
    if id_tuple(stream.get("last")) <= id_tuple(checkpoint):
        return True  # nothing was ever added after it
    if checkpoint is not None:
        return stream.get("first") is not None and (
            id_tuple(stream["first"]) <= id_tuple(checkpoint))
    return stream.get("added", stream["length"]) == stream["length"]


def _copy_media(source: Path, target: Path) -> dict:
    """Copy the stored photos (not one still being written); their count and bytes."""
    target.mkdir()
    files = size = 0
    for path in sorted(source.iterdir()) if source.is_dir() else []:
        if not path.is_file() or path.name.endswith(".part"):
            continue
        try:
            shutil.copy2(path, target / path.name)
        except FileNotFoundError:  # discarded meanwhile (its report was refused)
            continue
        files, size = files + 1, size + path.stat().st_size
    return {"dir": MEDIA, "files": files, "bytes": size}


def read_manifest(directory: Path) -> dict:
    try:
        manifest = orjson.loads((directory / MANIFEST).read_bytes())
    except FileNotFoundError:
        raise BackupError(f"{directory} holds no {MANIFEST}: not a complete backup") from None
    except orjson.JSONDecodeError as exc:
        raise BackupError(f"{directory / MANIFEST} is not valid JSON: {exc}") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')!r}; this LIVE Room reads "
                          f"format {FORMAT}")
    return manifest


def restore_backup(settings: Settings, directory: Path, *, force: bool = False,
                   ignore_mismatch: bool = False) -> dict:
    """Bring this deployment (its namespace, archive and media dir) to the backup's state;
    what was restored."""
    manifest = read_manifest(directory)
    _check_matches(settings, manifest, ignore_mismatch)
    keys = Keys(settings.namespace)
    client, engine = connect_redis(settings, decode_responses=False), connect_database(settings)
    try:
        _check_target(settings, manifest, client, engine, keys, force)
        try:
            archive.restore(engine, directory, manifest["archive"])
        except archive.CopyFailed as exc:
            raise BackupError(str(exc), 1) from None
        rows = archive.rows_of(engine)
        namespace.clear(client, keys)
        try:
            restored = namespace.restore(client, keys, directory / manifest["redis"]["file"])
        except redis.ResponseError as exc:
            raise BackupError(f"Redis refused a key: {exc} (restore again with --force "
                              f"once it is fixed)", 1) from None
        streams = {s: client.xlen(keys.stream(s)) for s in manifest["redis"]["streams"]}
        migrate(engine)  # (this code may be newer than the backup's)
        files = _restore_media(directory / manifest["media"]["dir"], settings.photos_dir)
    finally:
        client.close()
        engine.dispose()
    wanted = {s: info["length"] for s, info in manifest["redis"]["streams"].items()}
    if (rows, streams, restored, files) != (manifest["archive"]["rows"], wanted,
                                            manifest["redis"]["keys"],
                                            manifest["media"]["files"]):
        raise BackupError(f"restored, but not what the manifest lists: archive rows {rows}, "
                          f"streams {streams}, {restored} keys, {files} photos", 1)
    return {"taken_at": manifest["taken_at"], "keys": restored, "streams": streams,
            "rows": sum(rows.values()), "photos": files}


def _check_matches(settings: Settings, manifest: dict, ignore_mismatch: bool) -> None:
    if not ignore_mismatch:
        for what, theirs, ours in (("city", manifest["city"], settings.city),
                                   ("namespace", manifest["namespace"], settings.namespace)):
            if theirs != ours:
                raise BackupError(f"the backup is of {what} {theirs!r}, this deployment's "
                                  f"is {ours!r} (--ignore-mismatch restores it all the same)")
    dialect = "sqlite" if settings.sqlalchemy_url.startswith("sqlite") else "postgresql"
    if manifest["archive"]["dialect"] != dialect:
        raise BackupError(f"the backup's archive is {manifest['archive']['dialect']}, this "
                          f"deployment's is {dialect}")
    if not archive.known_revision(manifest["archive"]["revision"]):
        raise BackupError(f"the backup's archive schema {manifest['archive']['revision']} is "
                          f"newer than this LIVE Room's: restore it with the version that "
                          f"made it")


def _check_target(settings: Settings, manifest: dict, client: redis.Redis, engine: Engine,
                  keys: Keys, force: bool) -> None:
    ours, theirs = (namespace.version_tuple(v) for v in (
        client.info("server")["redis_version"], manifest["versions"]["redis"]))
    if ours < theirs:
        raise BackupError(f"the backup comes from Redis {manifest['versions']['redis']}; this "
                          f"Redis is older ({'.'.join(map(str, ours))}) and cannot read it")
    if namespace.holds_any(client, keys, "lease", "*"):
        raise BackupError(f"a LIVE Room process is running on {keys.ns} (it holds projection "
                          f"leases): stop it first")
    if manifest["archive"]["dialect"] == "postgresql" and (
            schema := archive.target_schema(engine)) != manifest["archive"]["schema"]:
        raise BackupError(f"the backup's archive is in schema {manifest['archive']['schema']!r}"
                          f", this database's search path puts it in {schema!r}")
    if force:
        return
    full = [what for what, holds in (
        (f"Redis namespace {keys.ns}", namespace.holds_any(client, keys)),
        ("the archive", not archive.is_empty(engine)),
        (f"the media dir {settings.photos_dir}",
         settings.photos_dir.is_dir() and any(settings.photos_dir.iterdir()))) if holds]
    if full:
        raise BackupError(f"this deployment already holds data ({', '.join(full)}): "
                          f"--force replaces it")


def _empty(directory: Path) -> None:
    """Remove what a directory holds (it may be a mount point: it stays)."""
    for path in directory.iterdir() if directory.is_dir() else []:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink()


def _restore_media(source: Path, target: Path) -> int:
    """Replace the media dir's contents with the backup's photos; how many."""
    _empty(target)
    shutil.copytree(source, target, dirs_exist_ok=True)
    return sum(1 for path in target.iterdir() if path.is_file())

"""One deployment's Redis keys as a file of records, and back.

The snapshot is every key of the namespace, `DUMP`ed with its time to live by one Lua
script: one instant of the deployment (a script runs alone), whichever Redis holds it
(embedded, external, behind Sentinel; a Cluster too, the namespace being one slot) and
whoever else shares it. Streams keep their consumer groups (`DUMP` carries them).
Restored with `RESTORE … REPLACE` under any namespace: the records name keys without it.
"""

from __future__ import annotations

import base64
import gzip
from dataclasses import dataclass
from pathlib import Path

import orjson
import redis

from liveroom.streams import Keys, delete_matching

FILE = "redis.jsonl.gz"
BATCH = 500

#: KEYS: streams to describe; ARGV[1]: the namespace's SCAN pattern, ARGV[2…]: key prefixes
#: to leave out. Returns {XINFO STREAM of each stream ({} if none), {key, pttl, dump, …}}.
_SNAPSHOT = """
local function skipped(key)
  for i = 2, #ARGV do
    if string.sub(key, 1, #ARGV[i]) == ARGV[i] then return true end
  end
  return false
end
local records, seen, cursor = {}, {}, '0'
repeat
  local page = redis.call('SCAN', cursor, 'MATCH', ARGV[1], 'COUNT', 1000)
  cursor = page[1]
  for _, key in ipairs(page[2]) do
    if not seen[key] and not skipped(key) then
      seen[key] = true
      records[#records + 1] = key
      records[#records + 1] = redis.call('PTTL', key)
      records[#records + 1] = redis.call('DUMP', key)
    end
  end
until cursor == '0'
local streams = {}
for i, key in ipairs(KEYS) do
  streams[i] = redis.call('EXISTS', key) == 1 and redis.call('XINFO', 'STREAM', key) or {}
end
return {streams, records}
"""


@dataclass(frozen=True)
class Snapshot:
    keys: int
    streams: dict[str, dict]  # stream name -> its length and ids, as of the snapshot
    version: str  # the Redis server's: a DUMP restores only into the same or a newer one


def skipped(keys: Keys) -> tuple[str, ...]:
    """What belongs to running processes, not to the data: projection leases, the backup's
    own mark."""
    return (keys.lease(""), keys.backup_running)


def take(client: redis.Redis, keys: Keys, streams: list[str], path: Path) -> Snapshot:
    """Write every key of the namespace (a bytes client) to `path`, from one instant."""
    infos, records = client.register_script(_SNAPSHOT)(
        keys=[keys.stream(s) for s in streams], args=[keys.pattern("*"), *skipped(keys)])
    with gzip.open(path, "wb") as out:
        for name, ttl, dump in zip(records[::3], records[1::3], records[2::3], strict=True):
            out.write(orjson.dumps({"k": name.decode()[len(keys.ns):], "t": ttl,
                                    "d": base64.b64encode(dump).decode()}) + b"\n")
    return Snapshot(len(records) // 3,
                    {s: _info(i) for s, i in zip(streams, infos, strict=True)},
                    client.info("server")["redis_version"])


def _info(reply: list) -> dict:
    """What the manifest and the completeness check need of XINFO STREAM."""
    text = {k.decode(): v for k, v in zip(reply[::2], reply[1::2], strict=True)}
    if not text:
        return {"length": 0}
    first = text.get("first-entry")
    info = {"length": text["length"], "first": first[0].decode() if first else None,
            "last": text["last-generated-id"].decode()}
    if "entries-added" in text:  # Redis 7 and later: all there is if none was removed
        info["added"] = text["entries-added"]
    return info


def restore(client: redis.Redis, keys: Keys, path: Path) -> int:
    """RESTORE every record under `keys`' namespace (replacing what is there), each with
    the time it had left at the snapshot; how many keys."""
    count = 0
    with gzip.open(path, "rb") as records, client.pipeline(transaction=False) as pipe:
        for line in records:
            record = orjson.loads(line)
            pipe.restore(keys.ns + record["k"], max(record["t"], 0),
                         base64.b64decode(record["d"]), replace=True)
            count += 1
            if count % BATCH == 0:
                pipe.execute()
        pipe.execute()
    return count


def clear(client: redis.Redis, keys: Keys) -> int:
    """Delete every key of the namespace (a restore with --force); how many."""
    return delete_matching(client, keys.pattern("*"))


def holds_any(client: redis.Redis, keys: Keys, *parts: str) -> bool:
    """Whether any key of the namespace (under `parts`) exists."""
    return next(client.scan_iter(match=keys.pattern(*parts or ("*",)), count=1000),
                None) is not None


def version_tuple(version: str) -> tuple[int, int]:
    major, minor, *_ = (int(p) for p in [*version.split(".")[:2], "0"])
    return major, minor

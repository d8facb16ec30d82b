"""The outbox: every message to a citizen waits here until a sender delivers it.

`enqueue` adds a message once per key (an incident's step for one reporter, or a reply in a
conversation): the key's marker and the stream entry are written by one script, so a policy
replaying the incidents stream, or a webhook retried by its provider, adds nothing twice.
"""

from __future__ import annotations

from typing import Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field

from liveroom.room import LiveRoom

Channel = Literal["whatsapp", "telegram", "sms", "email"]
#: how long a key's marker stops a second message with that key
MARKER_DAYS = 90
#: entries kept in the outbox stream (a sender's progress is its consumer group's)
OUTBOX_KEPT = 100_000

_ENQUEUE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'message', ARGV[1])
  return 1
end
return 0
"""


class Outgoing(BaseModel):
    """One message to one citizen on one channel (`to`: a phone in E.164, a Telegram chat
    id, an e-mail address), in their language, about an incident (or none: a reply)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: Channel
    to: str = Field(min_length=1, max_length=320)
    text: str = Field(min_length=1, max_length=4096)
    lang: Literal["id", "en"] = "id"
    subject: str | None = Field(default=None, max_length=200)  # e-mail
    media_url: str | None = Field(default=None, max_length=1000)  # a photo sent with it
    incident_id: str | None = Field(default=None, max_length=64)
    step: str | None = Field(default=None, max_length=40)  # `resolved`, `reply`, …


def outbox_stream(room: LiveRoom) -> str:
    return room.keys.stream("outbox")


def enqueue(room: LiveRoom, message: Outgoing, *, key: str) -> bool:
    """Add `message` unless one with `key` was added before; whether it was added."""
    return bool(room.redis.register_script(_ENQUEUE)(
        keys=[f"{room.keys.ns}:outbox:made:{key}", outbox_stream(room)],
        args=[orjson.dumps(message.model_dump(exclude_none=True)), MARKER_DAYS * 86400,
              OUTBOX_KEPT]))

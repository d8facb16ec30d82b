"""Where a citizen's chat report stands: one Redis hash per sender (`Keys.conversation`),
gone after `conversation_timeout_minutes` without a message."""

from __future__ import annotations

from liveroom.room import LiveRoom


def load(room: LiveRoom, channel: str, sender: str) -> dict[str, str]:
    return room.redis.hgetall(room.keys.conversation(channel, sender))


def save(room: LiveRoom, channel: str, sender: str, state: dict[str, str]) -> None:
    """Replace the conversation's state; its time-out starts again."""
    key = room.keys.conversation(channel, sender)
    pipe = room.redis.pipeline(transaction=True)
    pipe.delete(key)
    pipe.hset(key, mapping={k: v for k, v in state.items() if v is not None})
    pipe.expire(key, room.settings.conversation_timeout_minutes * 60)
    pipe.execute()


def clear(room: LiveRoom, channel: str, sender: str) -> None:
    room.redis.delete(room.keys.conversation(channel, sender))

"""Telegram Bot API webhooks: the secret token `setWebhook` was given, echoed in
`X-Telegram-Bot-Api-Secret-Token`, and an update's message (`text`, `location`,
`photo[]`) as `Inbound`. Pure: no I/O."""

from __future__ import annotations

import hmac

import orjson

from liveroom.channels import Inbound, Malformed, coordinates, text_of

CHANNEL = "telegram"
SECRET_HEADER = "x-telegram-bot-api-secret-token"


def signed(header: str | None, secret: str) -> bool:
    return hmac.compare_digest((header or "").encode(), secret.encode())


def decode(body: bytes, max_bytes: int) -> list[Inbound]:
    """The update's message (none for other updates: edits, callbacks, …); of a photo, the
    largest size Telegram says is at most `max_bytes`."""
    try:
        update = orjson.loads(body)
        update_id = update["update_id"]
    except (orjson.JSONDecodeError, KeyError, TypeError):
        raise Malformed("not a Telegram update") from None
    message = update.get("message")
    if not isinstance(message, dict):
        return []
    chat = message.get("chat")
    if not isinstance(chat, dict) or not isinstance(chat.get("id"), int):
        raise Malformed("a message without a chat")
    person = message.get("from") if isinstance(message.get("from"), dict) else chat
    name = " ".join(filter(None, (text_of(person.get("first_name")),
                                  text_of(person.get("last_name")))))
    base = {"channel": CHANNEL, "message_id": str(update_id), "sender": str(chat["id"]),
            "name": name[:100] or None}
    if isinstance(message.get("location"), dict):
        place = message["location"]
        return [Inbound(**base, location=coordinates(place.get("latitude"),
                                                     place.get("longitude")))]
    if isinstance(message.get("photo"), list):
        return [Inbound(**base, media=_largest(message["photo"], max_bytes))]
    return [Inbound(**base, text=text_of(message.get("text") or message.get("caption")))]


def _largest(sizes: list, max_bytes: int) -> str | None:
    fitting = [s for s in sizes if isinstance(s, dict) and isinstance(s.get("file_id"), str)
               and int(s.get("file_size") or 0) <= max_bytes]
    if not fitting:
        return None
    best = max(fitting, key=lambda s: int(s.get("width") or 0) * int(s.get("height") or 0))
    return best["file_id"][:200]

"""Telegram Bot API: `sendMessage`, or `sendPhoto` (by URL, the text as its caption) when
the message has a photo. https://core.telegram.org/bots/api#sendmessage"""

from __future__ import annotations

import httpx

from liveroom.notify.errors import SendError, checked, public_link
from liveroom.notify.outbox import Outgoing
from liveroom.room import LiveRoom

CAPTION_MAX = 1024  # a photo's caption; longer: the photo, then the text


def configured(room: LiveRoom) -> bool:
    return room.settings.sends_by("telegram")


def send(room: LiveRoom, client: httpx.Client, message: Outgoing) -> str:
    """Send; the Telegram message id."""
    settings = room.settings
    base = f"{settings.telegram_api_url}/bot{settings.telegram_bot_token}"
    photo = public_link(settings.public_url, message.media_url)
    if photo and len(message.text) <= CAPTION_MAX:
        body = {"chat_id": message.to, "photo": photo, "caption": message.text}
        response = checked("telegram", lambda: client.post(f"{base}/sendPhoto", json=body))
    else:
        if photo:
            checked("telegram", lambda: client.post(f"{base}/sendPhoto", json={
                "chat_id": message.to, "photo": photo}))
        body = {"chat_id": message.to, "text": message.text}
        response = checked("telegram", lambda: client.post(f"{base}/sendMessage", json=body))
    try:
        return str(response.json()["result"]["message_id"])
    except (ValueError, KeyError, TypeError):
        raise SendError(f"telegram: unexpected answer {response.text[:200]}",
                        retryable=False) from None

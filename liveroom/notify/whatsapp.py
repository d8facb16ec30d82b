"""WhatsApp Cloud API: `POST /{phone_number_id}/messages` with the bearer token. Inside the
customer's 24-hour window (they wrote to us: `mark_customer_window`) a session message
(text, or an image with the text as its caption); outside it the approved template
(`whatsapp_template`), the text its one body parameter.
https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages"""

from __future__ import annotations

import re

import httpx

from liveroom.notify.errors import SendError, checked, public_link
from liveroom.notify.outbox import Outgoing
from liveroom.room import LiveRoom

WINDOW_SECONDS = 24 * 3600
CAPTION_MAX = 1024


def configured(room: LiveRoom) -> bool:
    return room.settings.sends_by("whatsapp")


def mark_customer_window(room: LiveRoom, phone: str) -> None:
    """`phone` (E.164) just wrote to us: session messages may go to it for 24 hours."""
    room.redis.set(room.keys.notify("window", phone), "1", ex=WINDOW_SECONDS)


def in_customer_window(room: LiveRoom, phone: str) -> bool:
    return bool(room.redis.exists(room.keys.notify("window", phone)))


def body(room: LiveRoom, message: Outgoing) -> dict:
    """The request body: a session message inside the window, else the template."""
    s = room.settings
    head = {"messaging_product": "whatsapp", "recipient_type": "individual",
            "to": message.to.lstrip("+")}
    photo = public_link(s.public_url, message.media_url)
    if not in_customer_window(room, message.to):
        # (a template's parameter may hold no newline, tab or four spaces in a row)
        text = re.sub(r"\s*\n\s*|\t| {4,}", " ", message.text).strip()
        return {**head, "type": "template", "template": {
            "name": s.whatsapp_template, "language": {"code": s.whatsapp_template_language},
            "components": [{"type": "body", "parameters": [{"type": "text", "text": text}]}]}}
    if photo and len(message.text) <= CAPTION_MAX:
        return {**head, "type": "image", "image": {"link": photo, "caption": message.text}}
    return {**head, "type": "text", "text": {"preview_url": False, "body": message.text}}


def send(room: LiveRoom, client: httpx.Client, message: Outgoing) -> str:
    """Send; the WhatsApp message id (`wamid.…`)."""
    s = room.settings
    url = f"{s.whatsapp_api_url}/{s.whatsapp_phone_number_id}/messages"
    payload = body(room, message)
    response = checked("whatsapp", lambda: client.post(
        url, json=payload, headers={"Authorization": f"Bearer {s.whatsapp_token}"}))
    try:
        return str(response.json()["messages"][0]["id"])
    except (ValueError, KeyError, IndexError, TypeError):
        raise SendError(f"whatsapp: unexpected answer {response.text[:200]}",
                        retryable=False) from None

"""WhatsApp Business Cloud API webhooks: the subscription check (`GET`), the signature of
each notification (`X-Hub-Signature-256`), and its messages (`entry[].changes[].value.
messages[]` of type text, location, image) as `Inbound`. Pure: no I/O."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

import orjson

from liveroom.channels import Inbound, Malformed, coordinates, e164, text_of

CHANNEL = "whatsapp"
SIGNATURE_HEADER = "x-hub-signature-256"


def challenge(params: Mapping[str, str], verify_token: str) -> str | None:
    """The `hub.challenge` to answer a subscription request made with our verify token,
    else None (answered 403)."""
    given = params.get("hub.verify_token", "")
    if params.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            given.encode(), verify_token.encode()):
        return None
    return params.get("hub.challenge", "")[:200]


def signed(body: bytes, header: str | None, app_secret: str) -> bool:
    """Whether `header` is `sha256=<HMAC-SHA256 of body with the app secret>`."""
    expected = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected.encode(), (header or "").encode())


def decode(body: bytes) -> list[Inbound]:
    """The messages of a notification (statuses and other fields: none)."""
    try:
        data = orjson.loads(body)
        changes = [c for e in data["entry"] for c in e.get("changes", [])]
    except (orjson.JSONDecodeError, KeyError, TypeError, AttributeError):
        raise Malformed("not a WhatsApp Business notification") from None
    found = []
    for change in changes:
        value = change.get("value") if isinstance(change, dict) else None
        if not isinstance(value, dict):
            raise Malformed("a change without a value")
        names = {c.get("wa_id"): (c.get("profile") or {}).get("name")
                 for c in value.get("contacts") or [] if isinstance(c, dict)}
        for message in value.get("messages") or []:
            found.append(_message(message, names))
    return [m for m in found if m is not None]


def _message(message: object, names: dict) -> Inbound | None:
    if not isinstance(message, dict) or not isinstance(message.get("id"), str):
        raise Malformed("a message without an id")
    sender = e164(message.get("from"))
    kind = message.get("type")
    base = {"channel": CHANNEL, "message_id": message["id"][:200], "sender": sender,
            "name": text_of(names.get(message.get("from")))}
    body = message.get(kind) if isinstance(kind, str) else None
    if not isinstance(body, dict):
        return Inbound(**base)  # a type we do not take (audio, sticker, …): helped
    if kind == "text":
        return Inbound(**base, text=text_of(body.get("body")))
    if kind == "location":
        return Inbound(**base, location=coordinates(body.get("latitude"),
                                                    body.get("longitude")))
    if kind == "image" and isinstance(body.get("id"), str):
        return Inbound(**base, media=body["id"][:200])
    return Inbound(**base)

"""Citizens' chat channels: each provider's inbound webhook decoded to one shape
(`Inbound`), and the conversation that turns messages into a report."""

from __future__ import annotations

import re
from dataclasses import dataclass

from liveroom.access import Principal, Role

#: the longest text kept from one message (the event model's description limit)
MAX_TEXT = 4000
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class Malformed(ValueError):
    """A body that is not the provider's documented shape (answered 400, nothing stored)."""


@dataclass(frozen=True)
class Inbound:
    """One message from a citizen: `sender` is a phone in E.164 (WhatsApp, SMS) or a
    Telegram chat id; exactly one of `text`, `location` (lat, lon) or `media` (the
    provider's reference: a WhatsApp media id, a Telegram file id, a Twilio media URL)."""

    channel: str
    message_id: str
    sender: str
    name: str | None = None
    text: str | None = None
    location: tuple[float, float] | None = None
    media: str | None = None


def text_of(value: object) -> str | None:
    """A message's text without control characters, trimmed, cut to MAX_TEXT; or None."""
    if not isinstance(value, str):
        return None
    kept = "".join(c for c in value if c in "\t\n" or not (c < " " or "\x7f" <= c < "\xa0"
                                                         or "\ud800" <= c <= "\udfff"))
    return kept.strip()[:MAX_TEXT] or None


def coordinates(lat: object, lon: object) -> tuple[float, float]:
    """(lat, lon) as numbers in range, else Malformed."""
    try:
        point = float(lat), float(lon)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise Malformed("location needs numeric latitude and longitude") from None
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180):
        raise Malformed("location out of range")
    return point


def e164(number: object) -> str:
    """A provider's sender number (`16505551234`, `+16505551234`) as E.164, else Malformed
    (providers send numbers in E.164 already: no dialling rules applied)."""
    text = "+" + str(number or "").strip().lstrip("+")
    if not _E164.fullmatch(text):
        raise Malformed("the sender is not a phone number in E.164")
    return text


def citizen(channel: str) -> Principal:
    """Who reports from a chat (the events' actor, e.g. `whatsapp:citizen`)."""
    return Principal(kind=channel, name="citizen", roles=frozenset({Role.CITIZEN_APP}))


def reporter_of(message: Inbound, lang: str) -> dict[str, str]:
    """The sender as an event's `reporter`: their phone (WhatsApp, SMS) or Telegram chat."""
    contact = "telegram" if message.channel == "telegram" else "phone"
    found = {contact: message.sender, "lang": lang}
    if message.name:
        found["name"] = message.name[:100]
    return found

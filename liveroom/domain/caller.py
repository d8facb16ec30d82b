"""A caller's contact as an operator takes it down: a name and a phone number, the number
in E.164 (`phonenumbers`; Indonesian numbers understood as dialled, `0812…`); and `Caller`,
the one shape of someone who reported an incident. Personal data under UU 27/2022: never on
a public page, and masked on the wall for all but the incident's own people
(`access.roles.sees_callers`)."""

from __future__ import annotations

import re
from datetime import datetime

import phonenumbers
from pydantic import AwareDatetime, BaseModel, ConfigDict

from liveroom.domain.errors import InvalidCommand

#: where a number without a country code was dialled
REGION = "ID"
MAX_NAME = 100
MAX_PHONE = 40  # characters as typed, spaces and dashes included
MAX_EMAIL = 254  # RFC 5321's longest path, less the angle brackets
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]+")
_TELEGRAM = re.compile(r"-?[0-9]{1,20}")  # a chat's id
_LANG = re.compile(r"[a-z]{2,3}")
#: what a `reporter` may hold; all but `lang` is personal data (erased: `erased_reporter`)
REPORTER_KEYS = ("name", "first_name", "last_name", "phone", "email", "telegram", "lang")
#: a Caller's personal fields, erased a while after the incident closes
PERSONAL = ("name", "phone", "email", "telegram")


def phone_number(text: str, region: str = REGION) -> str:
    """`text` as E.164 (`+6281234567890`): as dialled in `region` (`0812…`), or with its
    country code (`+1 415…`, or digits alone: `14155552671`, as WhatsApp names a sender); a
    refusal when it is no phone number."""
    refusal = InvalidCommand(f"{text[:MAX_PHONE]!r} is not a phone number", rule="bad_phone")
    if len(text) > MAX_PHONE:
        raise refusal
    # as dialled here, or (digits alone: a WhatsApp sender's `wa_id`) with its country code
    for typed in (text, "+" + text.strip()) if text.strip().isdigit() else (text,):
        try:
            number = phonenumbers.parse(typed, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise refusal


def email_address(text: str) -> str:
    """`text` trimmed and in lower case; a refusal when it is no e-mail address."""
    address = text.strip().lower()
    if len(address) > MAX_EMAIL or not _EMAIL.fullmatch(address):
        raise InvalidCommand(f"{text[:60]!r} is not an e-mail address", rule="bad_email")
    return address


def reporter_contact(reporter: dict[str, str]) -> dict[str, str]:
    """The one rule for a `reporter` entering an event: known keys only, each trimmed, the
    phone in E.164, the e-mail in lower case, names at most `MAX_NAME`; empty parts left
    out. A refusal (InvalidCommand) names what is wrong."""
    found: dict[str, str] = {}
    for key, value in reporter.items():
        if key not in REPORTER_KEYS:
            raise InvalidCommand(f"a reporter has no {key[:40]!r}", rule="bad_contact")
        value = str(value).strip()
        if not value:
            continue
        if key == "phone":
            value = phone_number(value)
        elif key == "email":
            value = email_address(value)
        elif key == "telegram" and not _TELEGRAM.fullmatch(value):
            raise InvalidCommand("a Telegram chat id is a number", rule="bad_contact")
        elif key == "lang" and not _LANG.fullmatch(value):
            raise InvalidCommand("a language is a two- or three-letter code", rule="bad_contact")
        elif len(value) > MAX_NAME:
            raise InvalidCommand(f"a caller's {key} is at most {MAX_NAME} characters",
                                 rule="caller_name_too_long", limit=MAX_NAME)
        found[key] = value
    return found


def erased_reporter(reporter: dict) -> dict:
    """A `reporter` with its personal data erased: the language they asked for stays."""
    return {key: value for key, value in reporter.items() if key == "lang"}


def caller(name: str | None = None, phone: str | None = None) -> dict[str, str]:
    """A report's `reporter` from the desk's name and phone (`reporter_contact`'s rule)."""
    return reporter_contact({"name": name or "", "phone": phone or ""})


class Caller(BaseModel):
    """Someone who reported an incident: the channel (`source`: `whatsapp`, `telegram`,
    `sms`, `open311`, `web`, the desk's), what contact they left (an Open311 or citizen
    report may leave an e-mail, or nothing; a chat its sender), when, and, once merged from
    a duplicate, the incident they first reported to (`merged_from`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str
    at: AwareDatetime
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    telegram: str | None = None  # a Telegram chat's id (a WhatsApp or SMS sender: `phone`)
    lang: str | None = None  # the language they asked to be told in (`id` when none)
    merged_from: str | None = None
    erased: bool = False  # their personal data erased (`ReportersErased`)

    @classmethod
    def of(cls, source: str, reporter: dict[str, str], at: datetime) -> Caller:
        """From an event's `source` and `reporter` (the desk's name and phone, Open311's
        first and last name, e-mail and phone), keeping what is there."""
        name = reporter.get("name") or " ".join(
            filter(None, (reporter.get("first_name"), reporter.get("last_name"))))
        return cls(source=source, at=at, name=name or None, phone=reporter.get("phone") or None,
                   email=reporter.get("email") or None,
                   telegram=reporter.get("telegram") or None, lang=reporter.get("lang") or None)

    def moved_from(self, incident_id: str) -> Caller:
        """This caller on the survivor of `incident_id`; one moved before keeps its origin."""
        return self if self.merged_from else self.model_copy(update={"merged_from": incident_id})

    def masked(self) -> Caller:
        """As those not handling the incident see it: initials, the phone masked, no e-mail."""
        return self.model_copy(update={
            "name": initials(self.name) if self.name else None,
            "phone": masked_phone(self.phone) if self.phone else None, "email": None,
            "telegram": None})

    def without_contact(self) -> Caller:
        """This caller with their personal data erased (`PERSONAL`): the channel, when, the
        language and where they were merged from stay, so they still count."""
        return self.model_copy(update={**dict.fromkeys(PERSONAL), "erased": True})


def readable_phone(phone: str) -> str:
    """An E.164 number grouped as people read it (`+62 812-3456-789`); anything else (a
    masked one) as it is."""
    try:
        number = phonenumbers.parse(phone, REGION)
    except phonenumbers.NumberParseException:
        return phone
    if not phonenumbers.is_valid_number(number):
        return phone
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def masked_phone(phone: str) -> str:
    """`+62 812-****-789`: the country code, the first three and the last three digits, in
    the number's international grouping; `****` for what is no phone number."""
    try:
        number = phonenumbers.parse(phone, REGION)
    except phonenumbers.NumberParseException:
        return "****"
    grouped = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
    code, _, national = grouped.partition(" ")
    digits = sum(c.isdigit() for c in national)
    keep = min(3, digits // 3)
    seen, shown = 0, []
    for char in national:
        if char.isdigit():
            seen += 1
            char = char if seen <= keep or seen > digits - keep else "*"
        shown.append(char)
    return f"{code} {''.join(shown)}"


def initials(name: str) -> str:
    """`Ibu Sari` -> `I. S.`"""
    return " ".join(f"{word[0].upper()}." for word in name.split())

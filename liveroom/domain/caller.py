"""A caller's contact as an operator takes it down: a name and a phone number, the number
in E.164 (`phonenumbers`; Indonesian numbers understood as dialled, `0812…`). Personal data
under UU 27/2022: never on a public page."""

from __future__ import annotations

import phonenumbers

from liveroom.domain.errors import InvalidCommand

#: where a number without a country code was dialled
REGION = "ID"
MAX_NAME = 100
MAX_PHONE = 40  # characters as typed, spaces and dashes included


def phone_number(text: str, region: str = REGION) -> str:
    """`text` as E.164 (`+6281234567890`); a refusal when it is no phone number."""
    refusal = InvalidCommand(f"{text[:MAX_PHONE]!r} is not a phone number", rule="bad_phone")
    if len(text) > MAX_PHONE:
        raise refusal
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise refusal from None
    if not phonenumbers.is_valid_number(number):
        raise refusal
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def caller(name: str | None = None, phone: str | None = None) -> dict[str, str]:
    """A report's `reporter`: the name as given (trimmed), the phone in E.164; empty parts
    left out."""
    found: dict[str, str] = {}
    if name and name.strip():
        if len(name.strip()) > MAX_NAME:
            raise InvalidCommand(f"a caller's name is at most {MAX_NAME} characters",
                                 rule="caller_name_too_long", limit=MAX_NAME)
        found["name"] = name.strip()
    if phone and phone.strip():
        found["phone"] = phone_number(phone.strip())
    return found


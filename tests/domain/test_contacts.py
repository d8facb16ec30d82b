"""The one rule for a reporter's contact entering an event (`caller.reporter_contact`):
phones in E.164, e-mail addresses trimmed and in lower case, nothing unknown; events stored
before the rule still read; and what erasure leaves of a caller or an archived event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liveroom.domain.caller import Caller, email_address, reporter_contact
from liveroom.domain.erasure import scrubbed
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import (
    ReporterAdded,
    ReportersMerged,
    ReportReceived,
    decode,
    encode,
)

AT = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def received(**reporter) -> ReportReceived:
    return ReportReceived(incident_id="i-1", occurred_at=AT, actor="t", category="banjir",
                          lat=-6.2, lon=106.6, source="open311", reporter=reporter)


@pytest.mark.parametrize("typed, e164", [
    ("0812-3456-789", "+628123456789"), ("+62 812 3456 789", "+628123456789"),
    (" 62812 3456 789 ", "+628123456789"), ("(021) 5555-1234", "+622155551234"),
    ("6281234567890", "+6281234567890"), ("14155552671", "+14155552671"),  # WhatsApp's wa_id
    ("+44 7911 123456", "+447911123456"),
])
def test_phones_become_e164(typed, e164):
    assert received(phone=typed).reporter == {"phone": e164}


def test_addresses_are_trimmed_and_lower_case():
    assert email_address("  Sari.W@Contoh.ID ") == "sari.w@contoh.id"
    assert received(email=" Budi@Mail.COM").reporter == {"email": "budi@mail.com"}


@pytest.mark.parametrize("address", [
    "sari", "sari@", "@contoh.id", "sari@contoh", "sari @contoh.id", "a" * 65 + "@contoh.id",
    "a@" + "b" * 250 + ".id",
])
def test_what_is_no_address_is_refused(address):
    with pytest.raises(InvalidCommand, match="e-mail"):
        email_address(address)
    with pytest.raises(InvalidCommand, match="reporter"):
        received(email=address)


@pytest.mark.parametrize("reporter, rule", [
    ({"phone": "12"}, "bad_phone"), ({"alamat": "Jl. Satria"}, "bad_contact"),
    ({"telegram": "@sari"}, "bad_contact"), ({"name": "x" * 101}, "caller_name_too_long"),
    ({"lang": "bahasa"}, "bad_contact"),
])
def test_the_rule_names_what_is_wrong(reporter, rule):
    with pytest.raises(InvalidCommand) as refused:
        reporter_contact(reporter)
    assert refused.value.code == rule


def test_the_desk_and_a_chat_go_by_the_same_rule():
    added = ReporterAdded(incident_id="i-1", occurred_at=AT, actor="t", source="telegram",
                          reporter={"name": " Eko ", "telegram": " 12345 ", "lang": "en",
                                    "phone": ""})
    assert added.reporter == {"name": "Eko", "telegram": "12345", "lang": "en"}


def test_an_event_stored_before_the_rule_still_reads():
    fields = encode(received(phone="0812-3456-789"))
    fields["data"] = fields["data"].replace("+628123456789", "0812")  # as it was kept then
    assert decode(fields).reporter == {"phone": "0812"}
    with pytest.raises(InvalidCommand):  # (a new event is held to the rule)
        received(phone="0812")


def test_erasure_leaves_the_channel_the_time_and_the_language():
    caller = Caller(source="telegram", at=AT, name="Eko", phone="+628123456789",
                    email="e@x.id", telegram="12345", lang="en", merged_from="i-0")
    assert caller.without_contact() == Caller(source="telegram", at=AT, lang="en",
                                             merged_from="i-0", erased=True)
    body = received(first_name="Sari", email="s@x.id", lang="en").model_dump(mode="json")
    assert scrubbed(body)["reporter"] == {"lang": "en"}
    merged = ReportersMerged(incident_id="i-1", occurred_at=AT, actor="t", duplicate_id="i-2",
                             callers=[caller]).model_dump(mode="json")
    (kept,) = scrubbed(merged)["callers"]
    assert Caller.model_validate(kept) == caller.without_contact()

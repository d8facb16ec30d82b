"""The sender's settings are checked at start: a bad value names its variable."""

from __future__ import annotations

import pytest

from liveroom.config import SettingsError, load_settings


@pytest.mark.parametrize(("variable", "value"), [
    ("LIVEROOM_NOTIFY_PER_SECOND", '{"sms": 0}'),
    ("LIVEROOM_NOTIFY_PER_SECOND", '{"fax": 1}'),
    ("LIVEROOM_NOTIFY_MAX_ATTEMPTS", "0"),
    ("LIVEROOM_WHATSAPP_TEMPLATE", "Liveroom Update!"),
    ("LIVEROOM_WHATSAPP_TEMPLATE_LANGUAGE", "bahasa"),
])
def test_a_bad_value_stops_the_start_with_its_name(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=variable):
        load_settings()


def test_a_rate_given_for_one_channel_keeps_the_others(monkeypatch):
    monkeypatch.setenv("LIVEROOM_NOTIFY_PER_SECOND", '{"sms": 3}')
    assert load_settings().notify_per_second == {"whatsapp": 50.0, "telegram": 25.0,
                                                 "sms": 3.0, "email": 5.0}


def test_a_channel_half_configured_stops_the_start_naming_what_it_lacks(monkeypatch):
    monkeypatch.setenv("LIVEROOM_SMS_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setenv("LIVEROOM_SMS_AUTH_TOKEN", "secret")
    with pytest.raises(SettingsError, match=r"sms also needs LIVEROOM_SMS_FROM$"):
        load_settings()
    monkeypatch.setenv("LIVEROOM_SMS_FROM", "+15005550006")
    assert load_settings().sends_by("sms") and not load_settings().sends_by("email")

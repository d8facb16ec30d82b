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

"""Officer presence from the last fix, and shift windows that cross midnight."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liveroom.cities import load_city
from liveroom.domain.presence import moving, presence

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
STALE, OFFLINE = timedelta(minutes=10), timedelta(minutes=60)


@pytest.mark.parametrize(("silent", "expected"), [
    (timedelta(seconds=5), "online"), (timedelta(minutes=9, seconds=59), "online"),
    (timedelta(minutes=10), "stale"), (timedelta(minutes=59), "stale"),
    (timedelta(hours=1), "offline"), (None, "offline"),
])
def test_online_stale_offline(silent, expected):
    last = None if silent is None else NOW - silent
    assert presence(last, NOW, STALE, OFFLINE) == expected


def test_moving_follows_the_tracker_then_the_speed():
    assert moving(3.0) and not moving(0.2) and not moving(None)
    assert not moving(3.0, reported=False) and moving(0.0, reported=True)


def test_a_night_shift_belongs_to_the_day_it_starts():
    city = load_city("tangerang")
    night, zone = city.shifts["malam"], city.timezone
    after_midnight = datetime(2026, 11, 24, 0, 30, tzinfo=zone)
    day, start, end = night.instance_at(after_midnight, zone)
    assert (day.isoformat(), start.hour, end.day, end.hour) == ("2026-11-23", 23, 24, 7)
    assert night.instance_at(datetime(2026, 11, 24, 12, 0, tzinfo=zone), zone) is None
    early = datetime(2026, 11, 23, 22, 10, tzinfo=zone)  # within the hour before it starts
    assert night.instance_at(early, zone)[0].isoformat() == "2026-11-23"

"""Working days and working-day deadlines, on literal dates in Kota Tangerang (WIB)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from liveroom.cities import load_city
from liveroom.domain.calendar import due_after, is_working_day, sla_due

CITY = load_city("tangerang")
WIB = CITY.timezone


def wib(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=WIB)


def end_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 23, 59, 59, tzinfo=WIB)


def test_five_working_days_from_friday_evening_end_the_next_friday():
    assert due_after(wib(2026, 12, 4, 19, 30), 5, CITY) == end_of(date(2026, 12, 11))


def test_the_day_of_the_report_never_counts_even_an_early_working_morning():
    assert due_after(wib(2026, 12, 7, 7, 0), 1, CITY) == end_of(date(2026, 12, 8))


def test_a_weekend_report_counts_from_monday():
    assert due_after(wib(2026, 12, 5, 10, 0), 1, CITY) == end_of(date(2026, 12, 7))
    assert due_after(wib(2026, 12, 6, 23, 0), 2, CITY) == end_of(date(2026, 12, 8))


def test_christmas_and_the_packs_cuti_bersama_before_it_are_skipped():
    """Thu 24 Dec 2026 is cuti bersama (the pack), Fri 25 Dec Christmas (the package)."""
    friday = wib(2026, 12, 18, 19, 0)
    assert not is_working_day(date(2026, 12, 24), CITY)
    assert not is_working_day(date(2026, 12, 25), CITY)
    assert due_after(friday, 5, CITY) == end_of(date(2026, 12, 29))
    without_cuti_bersama = CITY.model_copy(update={"extra_days_off": frozenset()})
    assert is_working_day(date(2026, 12, 24), without_cuti_bersama)
    assert due_after(friday, 5, without_cuti_bersama) == end_of(date(2026, 12, 28))


def test_idul_fitri_2025_holidays_and_cuti_bersama_make_one_working_day_twelve_days():
    """Fri 28 Mar (cuti bersama, Nyepi), weekend, Idul Fitri 31 Mar and 1 Apr (public
    holidays), cuti bersama 2-4 Apr, weekend, cuti bersama 7 Apr."""
    assert due_after(wib(2025, 3, 27, 10, 0), 1, CITY) == end_of(date(2025, 4, 8))


def test_independence_day_is_not_a_working_day():
    assert not is_working_day(date(2026, 8, 17), CITY)  # a Monday
    assert due_after(wib(2026, 8, 14, 9, 0), 1, CITY) == end_of(date(2026, 8, 18))


def test_the_day_is_the_citys_not_utcs():
    """18:30 UTC on Monday 7 Dec 2026 is 01:30 WIB on Tuesday: Tuesday is the day of the
    report."""
    late = datetime(2026, 12, 7, 18, 30, tzinfo=UTC)
    assert due_after(late, 1, CITY) == end_of(date(2026, 12, 9))
    assert due_after(late, 1, CITY).utcoffset() == timedelta(hours=7)


def test_an_sla_in_minutes_is_plain_minutes_at_any_hour():
    saturday_night = wib(2026, 12, 5, 23, 0)
    assert sla_due(saturday_night, CITY, minutes=90) == saturday_night + timedelta(minutes=90)


def test_no_working_days_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        due_after(wib(2026, 12, 7, 9, 0), 0, CITY)

"""Working days and SLA deadlines: the one owner of the rule.

A working day is a Monday to Friday in the city's zone that is neither an Indonesian
public holiday (the `holidays` package's calendar for "ID") nor one of the city pack's
extra days off (`City.extra_days_off`: cuti bersama, the city's own days).

An SLA of N working days counts whole days, as LAPOR! does: the day of the report never
counts (whatever the hour), and the deadline is the end of the Nth working day after it,
23:59:59 local time. A report on Friday evening with 5 working days is due at the end of
the next Friday; a public holiday in between moves it one working day later.
"""

from __future__ import annotations

import functools
from datetime import date, datetime, time, timedelta

import holidays

from liveroom.cities import Category, City

END_OF_DAY = time(23, 59, 59)


@functools.lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    """Indonesia's public holidays in `year` (the package estimates the Islamic ones of
    years it has no official dates for yet)."""
    return frozenset(holidays.country_holidays("ID", years=year))


def is_working_day(day: date, city: City) -> bool:
    """Monday to Friday, not a public holiday, not one of the city's extra days off."""
    return (day.weekday() < 5 and day not in public_holidays(day.year)
            and day not in city.extra_days_off)


def due_after(start: datetime, working_days: int, city: City) -> datetime:
    """The end (23:59:59 local) of the `working_days`th working day after `start`'s local
    day, as an aware time in the city's zone."""
    if working_days < 1:
        raise ValueError("working_days must be at least 1")
    day, counted = start.astimezone(city.timezone).date(), 0
    while counted < working_days:
        day += timedelta(days=1)
        counted += is_working_day(day, city)
    return datetime.combine(day, END_OF_DAY, city.timezone)


def sla_due(start: datetime, city: City, minutes: int | None = None,
            working_days: int | None = None) -> datetime:
    """A deadline given in minutes or in working days (one of the two)."""
    if working_days is not None:
        return due_after(start, working_days, city)
    if minutes is None:
        raise ValueError("an SLA needs minutes or working days")
    return start + timedelta(minutes=minutes)


def sla_dues(category: Category, reported_at: datetime, city: City) -> tuple[datetime, datetime]:
    """(acknowledge_due, resolve_due) of a report of `category` made at `reported_at`."""
    return (sla_due(reported_at, city, category.sla_acknowledge_minutes,
                    category.sla_acknowledge_working_days),
            sla_due(reported_at, city, category.sla_resolve_minutes,
                    category.sla_resolve_working_days))

"""Officers' performance over a period, from the archive: attendance, punctuality, minutes
on post, their tasks' times and SLA compliance, and the city's score."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, literal, select

from liveroom.access import Action, Principal
from liveroom.archive import schema
from liveroom.archive.sql import seconds_between
from liveroom.reporting.kpi.figures import Scope, Times, percent, response_times
from liveroom.reporting.kpi.satisfaction import satisfaction
from liveroom.room import LiveRoom


@dataclass(frozen=True)
class OfficerPerformance:
    """One officer over a period: attendance (of the days their shift ran), punctuality (of
    the days present, arrived within the grace), minutes on post within the shift, the
    tasks they resolved with their times, and the score the city's formula gives."""

    officer_id: str
    name: str
    agency: str
    expected_days: int
    present_days: int
    on_time_days: int
    minutes_on_post: int
    times: Times | None
    #: their reporters' ratings (`kpi.satisfaction`): how many, and the mean as 0-100
    ratings: int = 0
    satisfaction: float | None = None

    @property
    def attendance(self) -> float | None:
        return percent(self.present_days, self.expected_days)

    @property
    def punctuality(self) -> float | None:
        return percent(self.on_time_days, self.present_days)

    def score(self, weights: dict[str, float]) -> float | None:
        """Σ weight × measure (0–100), the weights of measures without data spread over the
        others; None with no data at all."""
        measures = {"attendance": self.attendance, "punctuality": self.punctuality,
                    "acknowledge_sla": self.times.acknowledge_sla if self.times else None,
                    "resolve_sla": self.times.resolve_sla if self.times else None,
                    "satisfaction": self.satisfaction}
        known = {name: value for name, value in measures.items() if value is not None}
        weight = sum(weights.get(name, 0) for name in known)
        if not weight:
            return None
        return round(sum(weights.get(name, 0) * value for name, value in known.items())
                     / weight, 1)


def officer_performance(room: LiveRoom, scope: Scope, *, by: Principal,
                        at: datetime | None = None, times: list[Times] | None = None
                        ) -> list[OfficerPerformance]:
    """Every active officer of the scope's agency (or those the principal may see); `times`:
    their response times as of `at`, when already known."""
    at = at or room.clock()
    city, officers, attendance = room.city, schema.officers, schema.attendance
    by.check(Action.VIEW_KPI, scope.agency)
    agencies = [scope.agency] if scope.agency else sorted(by.agencies)
    who = select(officers.c.id, officers.c.name, officers.c.agency).where(
        officers.c.active.is_(True), *([officers.c.agency.in_(agencies)] if agencies else []))
    today = at.astimezone(city.timezone).date()
    first, last = scope.period.first, min(scope.period.last, today)
    grace = case(*[(attendance.c.shift == code, shift.grace_minutes * 60.0)
                   for code, shift in city.shifts.items()], else_=0.0)
    start = _later(attendance.c.checked_in_at, attendance.c.shift_start)
    end = _earlier(func.coalesce(attendance.c.checked_out_at, attendance.c.shift_end),
                   attendance.c.shift_end)
    on_time = seconds_between(attendance.c.shift_start, attendance.c.checked_in_at) <= grace
    days = (select(attendance.c.officer_id, func.count(func.distinct(attendance.c.day)),
                   func.count(func.distinct(case((on_time, attendance.c.day)))),
                   func.sum(_later(seconds_between(start, end), literal(0.0))))
            .where(attendance.c.day >= first, attendance.c.day <= last)
            .group_by(attendance.c.officer_id))
    with room.engine.connect() as conn:
        people = conn.execute(who).all()
        present = {row[0]: row[1:] for row in conn.execute(days)}
    held = {t.key: t for t in (times if times is not None else response_times(
        room, scope, by=by, group="officer", at=at))}
    rated = {s.key: s for s in satisfaction(room, scope, by=by, group="officer")}
    expected = max(0, (last - first).days + 1 - (
        last == today and not _shift_started(city, today, at)))
    return [OfficerPerformance(
        officer_id=officer_id, name=name, agency=agency, expected_days=expected,
        present_days=present.get(officer_id, (0, 0, 0))[0],
        on_time_days=int(present.get(officer_id, (0, 0, 0))[1] or 0),
        minutes_on_post=round(float(present.get(officer_id, (0, 0, 0))[2] or 0) / 60),
        times=held.get(officer_id), ratings=rated[officer_id].ratings if officer_id in rated
        else 0, satisfaction=rated[officer_id].score if officer_id in rated else None)
        for officer_id, name, agency in people]


def _shift_started(city, today: date, at: datetime) -> bool:
    """Whether today's default shift has started by `at` (today then counts as expected)."""
    start, _ = city.shifts[city.default_shift].window(today, city.timezone)
    return at >= start


def _later(a, b):
    return case((a > b, a), else_=b)


def _earlier(a, b):
    return case((a < b, a), else_=b)

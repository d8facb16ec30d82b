"""The daily attendance recap, per officer, post (unit) and agency, from the archive, in
the city's time (WIB).

For each officer and day from their registration on: present (checked in by the end
of the grace period), late, or absent; whether they left early (checked out themselves
before the shift's end less its grace); minutes on post (check-in to check-out, within
the shift); the spoofing flags their fixes earned that day; and the marks for review
their check-ins earned (`domain.check_in_review`), with the evidence. Every officer is
expected on every day of their shift (rosters with days off are not modelled yet).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime, timedelta

import orjson
from sqlalchemy import and_, select

from liveroom.access import Action, Principal
from liveroom.archive import schema
from liveroom.cities import City, Shift
from liveroom.i18n import translate
from liveroom.reporting.spreadsheets import csv_bytes, xlsx_bytes
from liveroom.room import LiveRoom

MAX_DAYS = 93


@dataclass(frozen=True)
class Review:
    """A check-in's mark for review: its rule and the evidence."""

    rule: str
    checked_in_at: datetime
    evidence: dict


@dataclass(frozen=True)
class RecapRow:
    day: date
    officer_id: str
    name: str
    agency: str
    post_id: str | None
    shift: str
    status: str  # present, late, absent, or scheduled (the shift has not begun yet)
    first_in: datetime | None
    last_out: datetime | None
    left_early: bool
    minutes_on_post: int
    late_minutes: int
    flags: int
    review: tuple[Review, ...] = ()


def daily_recap(room: LiveRoom, first: date, last: date, *, by: Principal,
                agency: str | None = None) -> list[RecapRow]:
    """One row per officer per day, days ascending, officers by agency and id."""
    by.check(Action.VIEW_KPI, agency)
    if last < first or (last - first).days >= MAX_DAYS:
        raise ValueError(f"a recap covers 1 to {MAX_DAYS} days, first day first")
    city, zone = room.city, room.city.timezone
    officers_t, attendance_t, flags_t = schema.officers, schema.attendance, schema.location_flags
    officer_query = select(officers_t).where(officers_t.c.active.is_(True))
    if agency:
        officer_query = officer_query.where(officers_t.c.agency == agency)
    elif by.agencies:
        officer_query = officer_query.where(officers_t.c.agency.in_(sorted(by.agencies)))
    start = datetime.combine(first, datetime.min.time(), zone)
    end = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone)
    with room.engine.connect() as conn:
        officers = conn.execute(officer_query.order_by(officers_t.c.agency,
                                                       officers_t.c.id)).all()
        sessions = conn.execute(select(attendance_t).where(and_(
            attendance_t.c.day >= first, attendance_t.c.day <= last))).all()
        flag_rows = conn.execute(
            select(flags_t.c.officer_id, flags_t.c.at).where(and_(
                flags_t.c.at >= start, flags_t.c.at < end))).all()
        reviews_t = schema.check_in_reviews
        review_rows = conn.execute(select(reviews_t).where(and_(  # (a night shift's day
            reviews_t.c.checked_in_at >= start - timedelta(days=1),  # is not its date)
            reviews_t.c.checked_in_at < end + timedelta(days=1))).order_by(reviews_t.c.id)).all()
        now = room.clock()
    reviews: dict[tuple[str, datetime], list[Review]] = defaultdict(list)
    for row in review_rows:
        reviews[(row.officer_id, row.checked_in_at)].append(
            Review(row.rule, row.checked_in_at, row.evidence))
    by_officer_day: dict[tuple[str, date], list] = defaultdict(list)
    for session in sessions:
        by_officer_day[(session.officer_id, session.day)].append(session)
    flag_count: dict[tuple[str, date], int] = defaultdict(int)
    for row in flag_rows:
        flag_count[(row.officer_id, row.at.astimezone(zone).date())] += 1
    rows = []
    for day in (first + timedelta(days=n) for n in range((last - first).days + 1)):
        for officer in officers:
            if officer.registered_at >= _shift(city, officer).window(day, zone)[1]:
                continue  # registered after that day's shift was over
            sessions_of_day = by_officer_day.get((officer.id, day), [])
            marks = tuple(mark for session in sessions_of_day
                          for mark in reviews.get((officer.id, session.checked_in_at), ()))
            rows.append(_row(city, officer, day, sessions_of_day,
                             flag_count.get((officer.id, day), 0), now, marks))
    return rows


def _shift(city: City, officer) -> Shift:
    return city.shifts.get(officer.shift or "") or city.shifts[city.default_shift]


def _row(city: City, officer, day: date, sessions: list, flags: int,
         now: datetime, review: tuple[Review, ...]) -> RecapRow:
    shift = _shift(city, officer)
    start, end = shift.window(day, city.timezone)
    grace = timedelta(minutes=shift.grace_minutes)
    common = dict(day=day, officer_id=officer.id, name=officer.name, agency=officer.agency,
                  post_id=officer.post_id, shift=shift.code, flags=flags, review=review)
    if not sessions:
        status = "scheduled" if now < start + grace else "absent"
        return RecapRow(**common, status=status, first_in=None, last_out=None,
                        left_early=False, minutes_on_post=0, late_minutes=0)
    first_in = min(s.checked_in_at for s in sessions)
    outs = [s.checked_out_at for s in sessions if s.checked_out_at is not None]
    still_in = any(s.checked_out_at is None for s in sessions)
    last_out = None if still_in or not outs else max(outs)
    minutes = 0.0
    for s in sessions:
        until = s.checked_out_at or min(now, end)
        overlap = (min(until, end) - max(s.checked_in_at, start)).total_seconds() / 60
        minutes += max(0.0, overlap)
    last_session = max(sessions, key=lambda s: s.checked_in_at)
    left_early = (last_out is not None and last_session.check_out_method != "shift_end"
                  and last_out < end - grace)
    late = first_in > start + grace
    return RecapRow(**common, status="late" if late else "present", first_in=first_in,
                    last_out=last_out, left_early=left_early, minutes_on_post=int(minutes),
                    late_minutes=int((first_in - start).total_seconds() // 60) if late else 0)


@dataclass(frozen=True)
class Summary:
    """Totals of a group of recap rows (an agency, a post, or everyone)."""

    key: str
    officer_days: int
    present: int
    late: int
    absent: int
    scheduled: int
    left_early: int
    minutes_on_post: int
    to_review: int  # officer-days with a check-in marked for review

    @property
    def attendance_rate(self) -> float | None:
        """Of the shifts that have begun, the share attended (None before any began)."""
        due = self.officer_days - self.scheduled
        return (self.present + self.late) / due if due else None


def summarize(rows: list[RecapRow], key: str = "agency") -> list[Summary]:
    """Totals per `agency` or per `post_id` (the unit), sorted by key."""
    groups: dict[str, list[RecapRow]] = defaultdict(list)
    for row in rows:
        groups[str(getattr(row, key) or "-")].append(row)
    return [Summary(name, len(g), sum(r.status == "present" for r in g),
                    sum(r.status == "late" for r in g), sum(r.status == "absent" for r in g),
                    sum(r.status == "scheduled" for r in g), sum(r.left_early for r in g),
                    sum(r.minutes_on_post for r in g), sum(bool(r.review) for r in g))
            for name, g in sorted(groups.items())]


def review_text(review: tuple[Review, ...], city: City, lang: str) -> str:
    """The marks and their evidence, in words (for the page and the exports)."""
    zone = city.timezone

    def clock(moment: str) -> str:
        return datetime.fromisoformat(moment).astimezone(zone).strftime("%H:%M")

    said = []
    for mark in review:
        if mark.rule == "no_approach":
            evidence = translate("review.no_approach.evidence", lang,
                                 time=clock(mark.evidence["first_fix_at"]),
                                 lat=f"{mark.evidence['lat']:.5f}",
                                 lon=f"{mark.evidence['lon']:.5f}")
        else:
            evidence = ", ".join(f"{f['address']} {clock(f['at'])}"
                                 for f in mark.evidence.get("fixes", []))
        said.append(f"{translate(f'review.{mark.rule}', lang)}: {evidence}")
    return "; ".join(said)


def _cells(row: RecapRow, city: City, lang: str) -> list:
    zone = city.timezone
    values = asdict(row)
    values["review"] = review_text(row.review, city, lang)
    values["status"] = translate(f"attendance.{row.status}", lang)
    for name in ("first_in", "last_out"):
        moment = values[name]
        values[name] = moment.astimezone(zone).strftime("%H:%M") if moment else ""
    values["day"] = row.day.isoformat()
    return [values[f.name] for f in fields(RecapRow)]


def headers(lang: str) -> list[str]:
    return [translate(f"attendance.column.{f.name}", lang) for f in fields(RecapRow)]


def recap_csv(rows: list[RecapRow], city: City, lang: str) -> bytes:
    return csv_bytes(headers(lang), (_cells(row, city, lang) for row in rows))


def recap_xlsx(rows: list[RecapRow], city: City, lang: str) -> bytes:
    totals = [[s.key, s.officer_days, s.present, s.late, s.absent, s.scheduled, s.left_early,
               s.minutes_on_post, s.to_review, None if s.attendance_rate is None
               else round(s.attendance_rate, 3)] for s in summarize(rows)]
    return xlsx_bytes([
        (translate("attendance.title", lang), headers(lang),
         (_cells(row, city, lang) for row in rows)),
        (translate("attendance.by_agency", lang),
         [translate(f"attendance.summary.{name}", lang) for name in (
             "agency", "officer_days", "present", "late", "absent", "scheduled",
             "left_early", "minutes_on_post", "to_review", "attendance_rate")], totals),
    ])


def recent_flags(room: LiveRoom, *, by: Principal, limit: int = 30) -> list[dict]:
    """The latest spoofing flags, newest first, with their evidence (from the live model)."""
    by.check(Action.VIEW_KPI)
    flags = [orjson.loads(raw) for raw in room.redis.zrevrange(
        room.live.recent_flags, 0, limit * 4)]
    officers = room.redis.pipeline(transaction=False)
    for flag in flags:
        officers.hget(room.live.officer(flag["officer_id"]), "agency")
    agencies = officers.execute() if flags else []
    return [f for f, agency in zip(flags, agencies, strict=True)
            if not by.agencies or agency in by.agencies][:limit]

"""The officer aggregate: registration and attendance (check-in/out at a post)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel

from liveroom.cities import City, Shift
from liveroom.domain.errors import AttendanceRefused, InvalidCommand
from liveroom.domain.events import Event, OfficerCheckedIn, OfficerCheckedOut, OfficerRegistered


class Officer(BaseModel):
    """What commands need to know about one field officer."""

    id: str
    name: str
    agency: str
    post_id: str | None = None
    active: bool = True
    shift: str | None = None
    on_duty_post: str | None = None
    checked_in_at: AwareDatetime | None = None
    shift_end: AwareDatetime | None = None  # of the shift checked in to
    #: checked out by hand before this shift end: their fixes do not check them in again
    left_early_until: AwareDatetime | None = None


def decide_register(
    city: City, officer_id: str, name: str, agency: str, post_id: str | None,
    now: datetime, actor: str, shift: str | None = None,
) -> OfficerRegistered:
    if agency not in city.agencies:
        raise InvalidCommand(f"unknown agency {agency!r}")
    if post_id is not None and post_id not in city.posts:
        raise InvalidCommand(f"unknown post {post_id!r}")
    if shift is not None and shift not in city.shifts:
        raise InvalidCommand(f"unknown shift {shift!r}; known: {', '.join(city.shifts)}")
    return OfficerRegistered(
        officer_id=officer_id, occurred_at=now, actor=actor, name=name, agency=agency,
        post_id=post_id, shift=shift,
    )


def shift_of(city: City, officer: Officer) -> Shift:
    return city.shifts.get(officer.shift or "") or city.shifts[city.default_shift]


def decide_check_in(
    city: City, officer: Officer, post_id: str, lat: float, lon: float, method: str,
    at: datetime, actor: str, accuracy: float | None = None,
    max_accuracy_m: float | None = None,
) -> OfficerCheckedIn:
    """Check in at `at` (the fix's time): only inside the geofence of a post of the
    officer's agency (their own post, if they have one), in their shift's window, and —
    when `max_accuracy_m` is given — with a fix at least that accurate. An officer who
    checked out by hand before their shift's end is checked in again only by hand."""
    post = city.posts.get(post_id)
    if post is None:
        raise InvalidCommand(f"unknown post {post_id!r}")
    if method == "fix" and officer.left_early_until and at < officer.left_early_until:
        raise AttendanceRefused("left_early", f"officer {officer.id} checked out by hand "
                                "this shift; only the button checks them in again")
    if officer.on_duty_post is not None:
        raise AttendanceRefused(
            "already_checked_in",
            f"officer {officer.id} is already checked in at {officer.on_duty_post}",
        )
    if post.agency != officer.agency or officer.post_id not in (None, post_id):
        raise AttendanceRefused("not_your_post", f"{post.name} is not officer {officer.id}'s post",
                                post=post.name)
    if max_accuracy_m is not None and (accuracy is None or not 0 < accuracy <= max_accuracy_m):
        raise AttendanceRefused("poor_accuracy",
                                f"location accuracy {accuracy} m is not good enough to check "
                                f"in (at most {max_accuracy_m:g} m)",
                                accuracy=round(accuracy or 0), limit=f"{max_accuracy_m:g}")
    if not post.contains(lat, lon):
        raise AttendanceRefused("outside_geofence",
                                f"({lat}, {lon}) is outside the geofence of {post.name}",
                                post=post.name)
    shift = shift_of(city, officer)
    instance = shift.instance_at(at, city.timezone)
    if instance is None:
        raise AttendanceRefused("outside_shift",
                                f"{at.astimezone(city.timezone):%H:%M} is outside the "
                                f"{shift.name.en.lower()} shift ({shift.start:%H:%M}–"
                                f"{shift.end:%H:%M})",
                                start=f"{shift.start:%H:%M}", end=f"{shift.end:%H:%M}")
    day, start, end = instance
    return OfficerCheckedIn(
        officer_id=officer.id, occurred_at=at, actor=actor, agency=officer.agency,
        post_id=post_id, lat=lat, lon=lon, accuracy=accuracy, shift=shift.code,
        shift_day=day, shift_start=start, shift_end=end,
        method=method,  # type: ignore[arg-type]
    )


def decide_check_out(
    officer: Officer, now: datetime, actor: str, method: str,
    lat: float | None = None, lon: float | None = None,
) -> OfficerCheckedOut:
    if officer.on_duty_post is None:
        raise AttendanceRefused("not_checked_in", f"officer {officer.id} is not checked in")
    if officer.checked_in_at is not None and now < officer.checked_in_at:
        raise InvalidCommand(f"officer {officer.id} checked in later than {now.isoformat()}")
    return OfficerCheckedOut(
        officer_id=officer.id, occurred_at=now, actor=actor, agency=officer.agency,
        post_id=officer.on_duty_post,
        lat=lat, lon=lon, method=method,  # type: ignore[arg-type]
    )


def evolve(officer: Officer | None, event: Event) -> Officer:
    """Fold one event into the officer's state (location fixes do not change it)."""
    match event:
        case OfficerRegistered():
            return Officer(
                id=event.officer_id, name=event.name, agency=event.agency,
                post_id=event.post_id, shift=event.shift,
            )
        case OfficerCheckedIn() if officer is not None:
            return officer.model_copy(update=dict(
                on_duty_post=event.post_id, checked_in_at=event.occurred_at,
                shift_end=event.shift_end, left_early_until=None,
            ))
        case OfficerCheckedOut() if officer is not None:
            early = event.method == "explicit" and officer.shift_end is not None and (
                event.occurred_at < officer.shift_end)
            return officer.model_copy(update=dict(
                on_duty_post=None, checked_in_at=None, shift_end=None,
                left_early_until=officer.shift_end if early else None))
    if officer is None:
        raise InvalidCommand(f"{event.type} for an officer who was never registered")
    return officer

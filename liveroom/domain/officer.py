"""The officer aggregate: registration and attendance (check-in/out at a post)."""

from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel

from liveroom.cities import City
from liveroom.domain.errors import InvalidCommand
from liveroom.domain.events import Event, OfficerCheckedIn, OfficerCheckedOut, OfficerRegistered


class Officer(BaseModel):
    """What commands need to know about one field officer."""

    id: str
    name: str
    agency: str
    post_id: str | None = None
    active: bool = True
    on_duty_post: str | None = None
    checked_in_at: AwareDatetime | None = None


def decide_register(
    city: City, officer_id: str, name: str, agency: str, post_id: str | None,
    now: datetime, actor: str,
) -> OfficerRegistered:
    if agency not in city.agencies:
        raise InvalidCommand(f"unknown agency {agency!r}")
    if post_id is not None and post_id not in city.posts:
        raise InvalidCommand(f"unknown post {post_id!r}")
    return OfficerRegistered(
        officer_id=officer_id, occurred_at=now, actor=actor, name=name, agency=agency,
        post_id=post_id,
    )


def decide_check_in(
    city: City, officer: Officer, post_id: str, lat: float, lon: float, method: str,
    now: datetime, actor: str,
) -> OfficerCheckedIn:
    """Check-in is accepted only inside the post's geofence."""
    post = city.posts.get(post_id)
    if post is None:
        raise InvalidCommand(f"unknown post {post_id!r}")
    if officer.on_duty_post is not None:
        raise InvalidCommand(
            f"officer {officer.id} is already checked in at {officer.on_duty_post}"
        )
    if not post.contains(lat, lon):
        raise InvalidCommand(f"({lat}, {lon}) is outside the geofence of {post.name}")
    return OfficerCheckedIn(
        officer_id=officer.id, occurred_at=now, actor=actor, agency=officer.agency,
        post_id=post_id, lat=lat, lon=lon,
        method=method,  # type: ignore[arg-type]
    )


def decide_check_out(
    officer: Officer, now: datetime, actor: str, method: str,
    lat: float | None = None, lon: float | None = None,
) -> OfficerCheckedOut:
    if officer.on_duty_post is None:
        raise InvalidCommand(f"officer {officer.id} is not checked in")
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
                id=event.officer_id, name=event.name, agency=event.agency, post_id=event.post_id
            )
        case OfficerCheckedIn() if officer is not None:
            return officer.model_copy(
                update=dict(on_duty_post=event.post_id, checked_in_at=event.occurred_at)
            )
        case OfficerCheckedOut() if officer is not None:
            return officer.model_copy(update=dict(on_duty_post=None, checked_in_at=None))
    if officer is None:
        raise InvalidCommand(f"{event.type} for an officer who was never registered")
    return officer

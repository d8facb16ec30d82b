"""Officer commands: register, check in and out at a post, record location fixes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from liveroom.access import Action, Principal
from liveroom.commands import aggregates
from liveroom.domain import officer as domain
from liveroom.domain.errors import ConcurrencyConflict, InvalidCommand, NotFound
from liveroom.domain.events import OfficerLocated
from liveroom.domain.officer import Officer
from liveroom.room import LiveRoom

KIND = "officer"


def get_officer(room: LiveRoom, officer_id: str) -> Officer:
    return aggregates.load(room, KIND, Officer, officer_id)[1]


def register_officer(
    room: LiveRoom, officer_id: str, *, name: str, agency: str, by: Principal,
    post_id: str | None = None, shift: str | None = None,
) -> Officer:
    """Add a field officer; refused if the id is taken."""
    by.check(Action.REGISTER_OFFICER, agency)
    event = domain.decide_register(
        room.city, officer_id, name, agency, post_id, room.clock(), by.actor, shift
    )
    state = domain.evolve(None, event)
    try:
        aggregates.create(room, KIND, officer_id, [event], state)
    except ConcurrencyConflict:
        raise InvalidCommand(f"officer {officer_id!r} already exists") from None
    return state


def check_in(
    room: LiveRoom, officer_id: str, *, post_id: str, lat: float, lon: float, by: Principal,
    accuracy: float | None = None, method: str = "explicit", at: datetime | None = None,
) -> Officer:
    """Check in at a post. Explicit check-ins (the phone's button) need a fix at least
    `checkin_max_accuracy_m` accurate; check-ins from fixes (method "fix") happen at the
    fix's time and have been screened for spoofing already."""
    limit = room.settings.checkin_max_accuracy_m if method == "explicit" else None

    def decide(officer: Officer):
        by.check(Action.ATTEND, officer.agency, officer.id)
        return domain.decide_check_in(
            room.city, officer, post_id, lat, lon, method, at or room.clock(), by.actor,
            accuracy, limit,
        )

    return aggregates.execute(room, KIND, Officer, domain.evolve, officer_id, decide)


def check_out(
    room: LiveRoom, officer_id: str, *, by: Principal, method: str = "explicit",
    lat: float | None = None, lon: float | None = None, at: datetime | None = None,
) -> Officer:
    def decide(officer: Officer):
        by.check(Action.ATTEND, officer.agency, officer.id)
        return domain.decide_check_out(officer, at or room.clock(), by.actor, method, lat, lon)

    return aggregates.execute(room, KIND, Officer, domain.evolve, officer_id, decide)


def record_locations(
    room: LiveRoom, fixes: Sequence[OfficerLocated], *, by: Principal
) -> list[str]:
    """Append a batch of fixes in one pipeline; refused whole if any is not the sender's."""
    officer_ids = sorted({fix.officer_id for fix in fixes})
    pipe = room.redis.pipeline(transaction=False)
    for officer_id in officer_ids:
        pipe.exists(room.keys.aggregate(KIND, officer_id))
    unknown = [oid for oid, found in zip(officer_ids, pipe.execute(), strict=True) if not found]
    if unknown:
        raise NotFound(f"unknown officer(s): {', '.join(unknown)}")
    for officer_id in officer_ids:
        by.check(Action.ATTEND, officer_id=officer_id)
    return room.store.append_many(fixes)

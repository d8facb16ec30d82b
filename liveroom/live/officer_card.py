"""What the control room sees of one officer: duty, presence and open tasks from the live
model; today's attendance and the last hour's track from the archive (while it is down,
the card without them, and says so: the officer can still be given an incident)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from liveroom.access import Action, Principal
from liveroom.archive import schema
from liveroom.domain.errors import ArchiveUnavailable, NotFound
from liveroom.live.dispatch import OfficerStatus, officer_statuses, officer_tasks
from liveroom.reporting.attendance import RecapRow, daily_recap
from liveroom.room import LiveRoom

TRACK_MINUTES = 60


@dataclass(frozen=True)
class OfficerCard:
    status: OfficerStatus
    tasks: list[dict]
    attendance: RecapRow | None  # today's, for those who may read the recap
    track: list[tuple[float, float]]  # (lat, lon) over the last hour, oldest first
    archive_down: bool = False  # attendance and the archived track could not be read


def officer_card(room: LiveRoom, officer_id: str, *, by: Principal) -> OfficerCard:
    statuses = officer_statuses(room, [officer_id])
    if not statuses:
        raise NotFound(f"no officer {officer_id!r}")
    status = statuses[0]
    by.check(Action.VIEW_LIVE, status.agency)
    tasks = officer_tasks(room, officer_id, by=by)
    latest = [(status.lat, status.lon)] if status.lat is not None and status.lon is not None \
        else []
    today = room.clock().astimezone(room.city.timezone).date()
    try:
        attendance = next((row for row in daily_recap(room, today, today, by=by,
                                                      agency=status.agency)
                           if row.officer_id == officer_id), None) if by.can(
            Action.VIEW_KPI, status.agency) else None
        return OfficerCard(status, tasks, attendance, archived_track(room, status) + latest)
    except ArchiveUnavailable:
        return OfficerCard(status, tasks, None, latest, archive_down=True)


def archived_track(room: LiveRoom, status: OfficerStatus) -> list[tuple[float, float]]:
    """The archived (sampled) fixes of the last hour, oldest first."""
    since = room.clock() - timedelta(minutes=TRACK_MINUTES)
    table = schema.officer_locations
    with room.engine.connect() as conn:
        return [(row.lat, row.lon) for row in conn.execute(
            select(table.c.lat, table.c.lon)
            .where(table.c.officer_id == status.id, table.c.at >= since)
            .order_by(table.c.at))]

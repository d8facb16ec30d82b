"""Every public change of every report in a time window, for mySociety's Open311
`servicerequestupdates` extension: read from the archive's status history, oldest first.
The same public words as the citizen's status page (the step's name; a rejection's reason),
never who made the change nor anything of the reporters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from liveroom.archive import schema
from liveroom.domain.lifecycle import Status
from liveroom.room import LiveRoom

#: the longest window one request may ask for, the window when none is given, and the most
#: updates one answer holds (a client pages on by `start_date`: the last one's time)
MAX_WINDOW = timedelta(days=31)
DEFAULT_WINDOW = timedelta(days=1)
MAX_UPDATES = 1000


@dataclass(frozen=True)
class Update:
    update_id: str  # the stream id of the event (stable across rebuilds)
    service_request_id: str
    status: str  # our lifecycle status (`reports.open311_status` maps it)
    at: datetime
    reason: str | None = None
    media_url: str | None = None


def updates_between(room: LiveRoom, start: datetime, end: datetime) -> list[Update]:
    """The status changes made from `start` to `end` (both included), oldest first, at
    most `MAX_UPDATES`."""
    table = schema.status_history
    query = (select(table.c.event_id, table.c.incident_id, table.c.to_status, table.c.at,
                    table.c.reason, table.c.media_url)
             .where(table.c.at >= start, table.c.at <= end)
             .order_by(table.c.at, table.c.id).limit(MAX_UPDATES))
    with room.engine.connect() as conn:
        rows = conn.execute(query).all()
    return [Update(row.event_id, row.incident_id, row.to_status, row.at,
                   row.reason if row.to_status == Status.REJECTED.value else None,
                   row.media_url if row.to_status == Status.RESOLVED.value else None)
            for row in rows]

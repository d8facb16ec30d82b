"""What the public may read about reports: for Open311 clients and the citizen status page.

Reads the archive; a report accepted a moment ago that the archive has not
caught up with yet is read from its aggregate instead (all but the full
history), so a citizen following the link they were just given sees it at once.
So is every report asked for by its id while the archive is down; lists need it.
No reporter contact details and no officer names leave through here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, select

from liveroom.archive import schema
from liveroom.commands import aggregates
from liveroom.commands.incidents import KIND
from liveroom.domain.errors import ArchiveUnavailable, NotFound
from liveroom.domain.incident import Incident
from liveroom.domain.lifecycle import TERMINAL, Status
from liveroom.room import LiveRoom

#: statuses an Open311 client sees as `closed`
CLOSED = frozenset({s.value for s in TERMINAL} | {Status.RESOLVED.value})
MAX_RESULTS = 1000
#: a step from these back to triaged is a reopening (`IncidentReopened`)
REOPENED_FROM = frozenset({Status.RESOLVED.value, Status.CLOSED.value})


def open311_status(status: str) -> str:
    """Our lifecycle status as Open311 names it: `closed` (`CLOSED`) or `open`."""
    return "closed" if status in CLOSED else "open"


@dataclass(frozen=True)
class Step:
    status: str
    at: datetime
    reason: str | None = None
    media_url: str | None = None  # the officer's photo, on resolve
    #: reopened by its reporter (`reason`: what they said); the step back to triaged
    reopened: bool = False


@dataclass(frozen=True)
class PublicReport:
    id: str
    category: str
    status: str
    lat: float
    lon: float
    reported_at: datetime
    updated_at: datetime
    agency: str | None = None
    district: str | None = None
    description: str = ""
    address: str | None = None
    media_url: str | None = None
    attributes: dict = field(default_factory=dict)
    resolve_due: datetime | None = None
    duplicate_of: str | None = None
    history: tuple[Step, ...] = ()

    @property
    def closed(self) -> bool:
        return open311_status(self.status) == "closed"


def _from_row(row, history: tuple[Step, ...] = ()) -> PublicReport:
    return PublicReport(
        id=row.id, category=row.category, status=row.status, lat=row.lat, lon=row.lon,
        reported_at=row.reported_at, updated_at=row.updated_at, agency=row.agency,
        district=row.district, description=row.description or "", address=row.address,
        media_url=row.media_url, attributes=row.attributes or {}, resolve_due=row.resolve_due,
        duplicate_of=row.duplicate_of, history=history,
    )


def _from_aggregate(incident: Incident) -> PublicReport:
    updated = incident.updated_at or incident.reported_at
    return PublicReport(
        id=incident.id, category=incident.category, status=incident.status.value,
        lat=incident.lat, lon=incident.lon, reported_at=incident.reported_at,
        updated_at=updated, agency=incident.agency, district=incident.district,
        description=incident.description, address=incident.address,
        media_url=incident.media_url, attributes=incident.attributes,
        resolve_due=incident.resolve_due, duplicate_of=incident.duplicate_of,
        history=(Step(incident.status.value, updated),),
    )


def find_reports(room: LiveRoom, *, categories: list[str] | None = None,
                 closed: bool | None = None, start: datetime | None = None,
                 end: datetime | None = None) -> list[PublicReport]:
    """Reports newest first: of these categories, closed or open (as `CLOSED` says),
    reported between `start` and `end` (each None: any)."""
    table = schema.incidents
    query = select(table)
    if categories:
        query = query.where(table.c.category.in_(categories))
    if closed is not None:
        query = query.where(table.c.status.in_(CLOSED) if closed
                            else table.c.status.not_in(CLOSED))
    if start:
        query = query.where(table.c.reported_at >= start)
    if end:
        query = query.where(table.c.reported_at <= end)
    return _reports(room, query)


def _reports(room: LiveRoom, query: Select) -> list[PublicReport]:
    query = query.order_by(schema.incidents.c.reported_at.desc()).limit(MAX_RESULTS)
    with room.engine.connect() as conn:
        return [_from_row(row) for row in conn.execute(query)]


def reports_by_id(room: LiveRoom, ids: list[str]) -> list[PublicReport]:
    """The reports with these ids that exist, in the order asked."""
    try:
        found = {r.id: r for r in _reports(room, select(schema.incidents).where(
            schema.incidents.c.id.in_(ids)))}
    except ArchiveUnavailable:
        found = {}
    for missing in (i for i in ids if i not in found):
        try:
            found[missing] = _from_aggregate(aggregates.load(room, KIND, Incident, missing)[1])
        except NotFound:
            continue
    return [found[i] for i in dict.fromkeys(ids) if i in found]


def public_report(room: LiveRoom, incident_id: str) -> PublicReport:
    """One report with its status history; NotFound if there is no such report."""
    table = schema.status_history
    try:
        with room.engine.connect() as conn:
            row = conn.execute(select(schema.incidents).where(
                schema.incidents.c.id == incident_id)).first()
            steps = conn.execute(
                select(table.c.to_status, table.c.at, table.c.reason, table.c.media_url,
                       table.c.from_status)
                .where(table.c.incident_id == incident_id).order_by(table.c.at, table.c.id)
            ).all() if row else []
    except ArchiveUnavailable:
        row = None
    if row is not None:
        return _from_row(row, tuple(Step(*s[:4], reopened=s.from_status in REOPENED_FROM
                                         and s.to_status == Status.TRIAGED.value)
                                    for s in steps))
    return _from_aggregate(aggregates.load(room, KIND, Incident, incident_id)[1])

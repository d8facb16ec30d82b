"""The SQL archive projections: the durable event log and the tables KPIs read.

Every event except location fixes goes into `events` (the log a rebuild reads
once streams are trimmed) and into the audit trail. Fixes are sampled into
`officer_locations`, and each officer's latest fix is kept in `officer_positions`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Table, and_, bindparam, delete, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError

from liveroom.archive import insert_ignoring_duplicates, rollups, schema, upsert
from liveroom.domain.errors import ArchiveUnavailable
from liveroom.domain.events import (
    INCIDENTS,
    OFFICERS,
    CheckInMarkedForReview,
    Event,
    FixFlagged,
    IncidentAssigned,
    IncidentEscalated,
    IncidentRated,
    IncidentReassigned,
    IncidentReopened,
    IncidentStatusChanged,
    NoteAdded,
    OfficerCheckedIn,
    OfficerCheckedOut,
    OfficerLocated,
    OfficerRegistered,
    ReporterAdded,
    ReportersErased,
    ReportersMerged,
    ReportReceived,
    ReportTriaged,
    TaskForwarded,
    TaskReleased,
    UnitChanged,
    UnitRegistered,
    UnitStatusSet,
)
from liveroom.projections import rows
from liveroom.projections.base import (
    DEAD_LETTERS_KEPT,
    CheckpointMoved,
    DeadLetter,
    Entry,
    Projection,
)
from liveroom.projections.erasure import erase_rows
from liveroom.streams import id_tuple

Handler = Callable[["Batch", Event, str], None]


class Batch:
    """One transaction's worth of archive writes, with what handlers share."""

    def __init__(
        self, projection: ArchiveProjection, conn: Connection, log: bool, buffered: bool
    ) -> None:
        self.projection = projection
        self.conn = conn
        self.log = log  # False when replaying the log itself
        self.positions: dict[str, dict] = {}
        self.touched: set[str] = set()  # incidents whose rows change (their days' rollups)
        #: Rows of append-only tables, written with one executemany at the end of the
        #: batch (fast path); None when each event must stand alone (savepoints).
        self.appended: dict[Table, list[dict]] | None = {} if buffered else None

    def append(self, table: Table, **row) -> None:
        """Add a row to an append-only table nothing else in the batch reads or updates."""
        if self.appended is None:
            self.conn.execute(insert(table), row)
        else:
            self.appended.setdefault(table, []).append(row)

    def flush(self) -> None:
        for table, appended in (self.appended or {}).items():
            self.conn.execute(insert(table), appended)
        self.appended = {} if self.appended is not None else None

    @property
    def room(self):
        return self.projection.room


def is_transient(exc: BaseException) -> bool:
    """The archive unavailable, or other trouble of the database's and not the event's
    (a lock timeout, a deadlock): retry the batch later rather than dead-letter an event."""
    return isinstance(exc, ArchiveUnavailable) or (
        isinstance(exc, DBAPIError) and exc.connection_invalidated) or (
        type(exc).__name__ in ("OperationalError", "InterfaceError")
    )


class ArchiveProjection(Projection):
    handlers: dict[type[Event], Handler] = {}
    derived: tuple = ()

    def checkpoint(self) -> str | None:
        with self.room.engine.connect() as conn:
            return self._checkpoint(conn)

    def _checkpoint(self, conn: Connection, lock: bool = False) -> str | None:
        query = select(schema.projection_checkpoints.c.position).where(
            schema.projection_checkpoints.c.name == self.name
        )
        if lock and conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return conn.execute(query).scalar_one_or_none()

    def set_checkpoint(self, position: str) -> None:
        with self.room.engine.begin() as conn:
            self._set_checkpoint(conn, position)

    def _set_checkpoint(self, conn: Connection, position: str) -> None:
        upsert(conn, schema.projection_checkpoints, [{
            "name": self.name, "position": position, "updated_at": self.room.clock(),
        }], key="name")

    def apply(
        self, entries: list[Entry], expected: str | None, log: bool = True
    ) -> list[DeadLetter]:
        """Fast path: the batch in one transaction; if an event fails, again event by event."""
        try:
            return self._apply(entries, expected, isolate=False, log=log)
        except CheckpointMoved:
            raise
        except Exception as exc:
            if is_transient(exc):
                raise
            return self._apply(entries, expected, isolate=True, log=log)

    def _apply(self, entries: list[Entry], expected: str | None, isolate: bool, log: bool):
        """All entries in one transaction; with `isolate`, each in a savepoint.

        With `log=False` (a rebuild replaying the log) the event log is not
        written and the checkpoint stays where it is.
        """
        dead: list[DeadLetter] = []
        with self.room.engine.begin() as conn:
            if self._checkpoint(conn, lock=True) != expected:
                raise CheckpointMoved(self.name)
            batch = Batch(self, conn, log, buffered=not isolate)
            self.prepare(batch, entries)
            for entry in entries:
                if entry.event is None:
                    dead.append(DeadLetter(entry, entry.error or "undecodable"))
                    continue
                if not isolate:
                    self.handle(batch, entry)
                    continue
                try:
                    with conn.begin_nested():
                        self.handle(batch, entry)
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    dead.append(DeadLetter(entry, f"{type(exc).__name__}: {exc}"))
            batch.flush()
            self.finish(batch)
            if log:
                self._set_checkpoint(conn, entries[-1].id)
            for letter in dead:
                self.room.redis.xadd(self.dead_letter_key, letter.fields(self.name, self.stream),
                                     maxlen=DEAD_LETTERS_KEPT, approximate=True)
        return dead

    def handle(self, batch: Batch, entry: Entry) -> None:
        event = entry.event
        assert event is not None
        handler = self.handlers.get(type(event))
        if handler is None:
            raise ValueError(f"{self.name} has no handler for {event.type}")
        if batch.log and not isinstance(event, OfficerLocated):
            ms, seq = id_tuple(entry.id)
            batch.append(schema.events, stream=self.stream, id=entry.id, ms=ms, seq=seq,
                         type=event.type, v=event.version, aggregate_id=event.aggregate_id,
                         occurred_at=event.occurred_at, data=entry.fields["data"])
            batch.append(schema.audit_log, at=event.occurred_at, actor=event.actor,
                         action=event.type, target=event.aggregate_id,
                         details=entry.fields["data"], event_id=f"{self.stream}:{entry.id}")
        handler(batch, event, entry.id)

    def prepare(self, batch: Batch, entries: list[Entry]) -> None:
        """Load what the batch's handlers need, in one query."""

    def finish(self, batch: Batch) -> None:
        """Write what handlers gathered over the batch."""

    def replayed(self) -> None:
        """After a rebuild has replayed the whole log (`projections.rebuild`)."""

    def reset(self) -> None:
        """Empty the derived tables; the event log and location history stay."""
        with self.room.engine.begin() as conn:
            for table in self.derived:
                conn.execute(delete(table))
            conn.execute(delete(schema.projection_checkpoints).where(
                schema.projection_checkpoints.c.name == self.name))


def _insert(batch: Batch, table, **row) -> None:
    """Parameters, not `.values()`: the compiled statement is cached and reused."""
    batch.conn.execute(insert(table), row)


# --- incidents ---------------------------------------------------------------------------

_UPDATE_INCIDENT = update(schema.incidents).where(schema.incidents.c.id == bindparam("b_id"))
_TASK = and_(schema.tasks.c.incident_id == bindparam("b_id"),
             schema.tasks.c.task_id == bindparam("b_task"))
_UPDATE_TASK = update(schema.tasks).where(_TASK)
_END_TASKS = update(schema.tasks).where(and_(schema.tasks.c.incident_id == bindparam("b_id"),
                                             schema.tasks.c.status.in_(rows.RUNNING_TASKS)))


def _received(batch: Batch, e: ReportReceived, event_id: str) -> None:
    _insert(batch, schema.incidents, **rows.incident_row(e))
    batch.append(schema.status_history, **rows.history_row(e, event_id))


def _changed(batch: Batch, e: rows.Change, event_id: str) -> None:
    """Triaged, a task dispatched, forwarded, reassigned, stepped or released, or the
    incident's status changed: as `rows` maps it."""
    if isinstance(e, IncidentAssigned | TaskForwarded):
        _insert(batch, schema.tasks, **rows.task_row(e, event_id))
    elif rows.moves_task(e):
        batch.conn.execute(_UPDATE_TASK, {"b_id": e.incident_id, "b_task": e.task_id,
                                          **rows.task_changes(e)})  # type: ignore[arg-type]
    if rows.ends_tasks(e):
        reason = e.reason or e.to_status.value  # type: ignore[union-attr]
        batch.conn.execute(_END_TASKS, {"b_id": e.incident_id,
                                        **rows.released(e.occurred_at, reason)})
    batch.conn.execute(_UPDATE_INCIDENT, {"b_id": e.incident_id, **rows.incident_changes(e)})
    if rows.moves(e):
        batch.append(schema.status_history, **rows.history_row(e, event_id))


_ADD_REPORTER = (update(schema.incidents).where(schema.incidents.c.id == bindparam("b_id"))
                 .values(reporters=schema.incidents.c.reporters + 1,
                         updated_at=bindparam("b_at")))


def _reporter(batch: Batch, e: ReporterAdded, _event_id: str) -> None:
    batch.conn.execute(_ADD_REPORTER, {"b_id": e.incident_id, "b_at": e.occurred_at})


_ADD_MERGED = (update(schema.incidents).where(schema.incidents.c.id == bindparam("b_id"))
               .values(reporters=schema.incidents.c.reporters + bindparam("b_count")))


def _merged(batch: Batch, e: ReportersMerged, _event_id: str) -> None:
    """The survivor counts the duplicate's callers; the duplicate's row keeps its own."""
    batch.conn.execute(_ADD_MERGED, {"b_id": e.incident_id, "b_count": len(e.callers)})


def _erased(batch: Batch, e: ReportersErased, _event_id: str) -> None:
    batch.flush()  # (the batch's own log rows first: they are scrubbed too)
    erase_rows(batch.conn, e)


def _note(batch: Batch, e: NoteAdded, event_id: str) -> None:
    batch.append(schema.incident_notes, incident_id=e.incident_id, at=e.occurred_at,
                 actor=e.actor, text=e.text, event_id=event_id)


_FLAG = update(schema.incidents).where(schema.incidents.c.id == bindparam("b_id"),
                                       schema.incidents.c.flagged_at.is_(None))


def _escalated(batch: Batch, e: IncidentEscalated, _event_id: str) -> None:
    """A raised priority is the incident's priority, a flag flags it (the first is kept);
    every step is in the event log and the audit trail too."""
    changes = rows.escalation_changes(e)
    if flagged_at := changes.pop("flagged_at", None):
        batch.conn.execute(_FLAG, {"b_id": e.incident_id, "flagged_at": flagged_at})
    if changes:
        batch.conn.execute(_UPDATE_INCIDENT, {"b_id": e.incident_id, **changes})


def _rated(batch: Batch, e: IncidentRated, event_id: str) -> None:
    batch.append(schema.incident_ratings, **rows.rating_row(e, event_id))
    batch.conn.execute(_UPDATE_INCIDENT, {"b_id": e.incident_id, "updated_at": e.occurred_at})


def _reopened(batch: Batch, e: IncidentReopened, event_id: str) -> None:
    """Triaged again, fresh SLA, its steps' times cleared; the step back in its history."""
    batch.conn.execute(_UPDATE_INCIDENT, {"b_id": e.incident_id, **rows.reopen_changes(e)})
    batch.append(schema.status_history, **rows.reopen_history_row(e, event_id))


class ArchiveIncidents(ArchiveProjection):
    name = "archive-incidents"
    stream = INCIDENTS
    derived = (schema.incidents, schema.tasks, schema.status_history,
               schema.incident_notes, schema.incident_ratings, *schema.ROLLUP_TABLES)
    handlers = {
        ReportReceived: _received,
        ReportTriaged: _changed,
        IncidentAssigned: _changed,
        IncidentReassigned: _changed,
        IncidentStatusChanged: _changed,
        TaskReleased: _changed,
        TaskForwarded: _changed,
        NoteAdded: _note,
        ReporterAdded: _reporter,
        ReportersMerged: _merged,
        ReportersErased: _erased,
        IncidentEscalated: _escalated,
        IncidentRated: _rated,
        IncidentReopened: _reopened,
    }

    def prepare(self, batch: Batch, entries: list[Entry]) -> None:
        batch.touched = {e.event.aggregate_id for e in entries  # (what rollups count)
                         if e.event is not None and not isinstance(e.event, NoteAdded)}

    def finish(self, batch: Batch) -> None:
        """The days the batch's incidents were reported on, rolled up again (same
        transaction: a rollup never disagrees with the rows); a rebuild rolls up every day
        once, at the end (`replayed`)."""
        if batch.log:
            zone = self.room.city.timezone
            rollups.recompute(batch.conn, zone,
                              rollups.days_of(batch.conn, zone, batch.touched))

    def replayed(self) -> None:
        with self.room.engine.begin() as conn:
            rollups.recompute(conn, self.room.city.timezone)


# --- officers ----------------------------------------------------------------------------

def _registered(batch: Batch, e: OfficerRegistered, _event_id: str) -> None:
    _insert(batch, schema.officers, **rows.officer_row(e))


def _located(batch: Batch, e: OfficerLocated, event_id: str) -> None:
    """Keep the latest fix; sample one into history every `location_sample_seconds`."""
    current = batch.positions.get(e.officer_id)
    if current is not None and e.occurred_at <= current["at"]:
        return  # late or repeated fix
    sample_every = timedelta(seconds=batch.room.settings.location_sample_seconds)
    sampled_at: datetime | None = current and current["sampled_at"]
    if sampled_at is None or e.occurred_at - sampled_at >= sample_every:
        insert_ignoring_duplicates(batch.conn, schema.officer_locations, [{
            "officer_id": e.officer_id, "at": e.occurred_at, "lat": e.lat, "lon": e.lon,
            "speed": e.speed, "bearing": e.bearing, "accuracy": e.accuracy,
            "battery": e.battery,
        }])
        sampled_at = e.occurred_at
    batch.positions[e.officer_id] = {
        "officer_id": e.officer_id, "event_id": event_id, "at": e.occurred_at,
        "data": e.model_dump_json(), "sampled_at": sampled_at, "dirty": True,
    }


def _checked_in(batch: Batch, e: OfficerCheckedIn, event_id: str) -> None:
    _insert(batch, schema.attendance,
            **rows.attendance_row(e, event_id, batch.room.city.timezone))


_CHECK_OUT = (
    update(schema.attendance)
    .where(and_(schema.attendance.c.officer_id == bindparam("b_officer"),
                schema.attendance.c.checked_out_at.is_(None)))
)


def _checked_out(batch: Batch, e: OfficerCheckedOut, _event_id: str) -> None:
    batch.conn.execute(_CHECK_OUT, {"b_officer": e.officer_id, **rows.check_out_changes(e)})


def _flagged(batch: Batch, e: FixFlagged, _event_id: str) -> None:
    insert_ignoring_duplicates(batch.conn, schema.location_flags, [{
        "officer_id": e.officer_id, "fix_id": e.fix_id, "rule": e.rule, "at": e.fix_at,
        "lat": e.lat, "lon": e.lon, "evidence": e.evidence}])


def _marked(batch: Batch, e: CheckInMarkedForReview, _event_id: str) -> None:
    insert_ignoring_duplicates(batch.conn, schema.check_in_reviews, [{
        "officer_id": e.officer_id, "checked_in_at": e.checked_in_at, "rule": e.rule,
        "evidence": e.evidence}])


def _unit_registered(batch: Batch, e: UnitRegistered, _event_id: str) -> None:
    _insert(batch, schema.units, **rows.unit_row(e))


_UPDATE_UNIT = update(schema.units).where(schema.units.c.id == bindparam("b_id"))


def _unit_changed(batch: Batch, e: UnitChanged | UnitStatusSet, _event_id: str) -> None:
    batch.conn.execute(_UPDATE_UNIT, {"b_id": e.unit_id, **rows.unit_changes(e)})


class ArchiveOfficers(ArchiveProjection):
    name = "archive-officers"
    stream = OFFICERS
    derived = (schema.officers, schema.units, schema.attendance, schema.location_flags,
               schema.check_in_reviews)
    handlers = {
        CheckInMarkedForReview: _marked,
        OfficerRegistered: _registered,
        FixFlagged: _flagged,
        OfficerLocated: _located,
        OfficerCheckedIn: _checked_in,
        OfficerCheckedOut: _checked_out,
        UnitRegistered: _unit_registered,
        UnitChanged: _unit_changed,
        UnitStatusSet: _unit_changed,
    }

    def prepare(self, batch: Batch, entries: list[Entry]) -> None:
        ids = {e.event.officer_id for e in entries if isinstance(e.event, OfficerLocated)}
        if not ids:
            return
        table = schema.officer_positions
        stored = batch.conn.execute(select(table).where(table.c.officer_id.in_(sorted(ids))))
        batch.positions = {row.officer_id: dict(row._mapping, dirty=False) for row in stored}

    def finish(self, batch: Batch) -> None:
        moved = [
            {key: value for key, value in row.items() if key != "dirty"}
            for row in batch.positions.values() if row["dirty"]
        ]
        upsert(batch.conn, schema.officer_positions, moved, key="officer_id")

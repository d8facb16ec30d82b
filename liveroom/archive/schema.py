"""The SQL archive: the durable event log and the tables KPIs are queried from."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC on the way in and out, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the archive")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def _event_id() -> Column:
    """The stream id of the event a row came from: replays stay idempotent."""
    return Column("event_id", String(40), nullable=False, unique=True)


events = Table(
    "events", metadata,
    Column("stream", String(32), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("ms", BigInteger, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("type", String(64), nullable=False),
    Column("v", Integer, nullable=False),
    Column("aggregate_id", String(64), nullable=False, index=True),
    Column("occurred_at", UTCDateTime, nullable=False, index=True),
    Column("data", Text, nullable=False),
    Index("ix_events_order", "stream", "ms", "seq"),
)

incidents = Table(
    "incidents", metadata,
    Column("id", String(64), primary_key=True),
    Column("category", String(64), nullable=False, index=True),
    Column("agency", String(32), index=True),
    Column("priority", Integer),
    Column("district", String(16), index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("address", Text),
    Column("source", String(40), nullable=False),
    Column("media_url", Text),
    Column("reporter", JSON),
    Column("attributes", JSON),
    Column("officer_id", String(64), index=True),
    Column("duplicate_of", String(64)),
    Column("reported_at", UTCDateTime, nullable=False, index=True),
    Column("acknowledge_due", UTCDateTime),
    Column("resolve_due", UTCDateTime),
    *(Column(f"{step}_at", UTCDateTime) for step in (
        "triaged", "assigned", "acknowledged", "en_route", "on_scene",
        "resolved", "closed", "rejected", "duplicate",
    )),
    Column("updated_at", UTCDateTime, nullable=False, index=True),
    # the first caller and each added since (`ReporterAdded`): reports, where rows count
    # incidents
    Column("reporters", Integer, nullable=False, default=1, server_default="1"),
    # first flagged by an escalation rule (`flag`: a deadline missed, for the KPI page)
    Column("flagged_at", UTCDateTime, index=True),
    # how often a reporter reopened it (`IncidentReopened`), and when last
    Column("reopened", Integer, nullable=False, server_default="0"),
    Column("reopened_at", UTCDateTime),
    # the reporters' personal data erased (`ReportersErased`): `reporter` is NULL since
    Column("contacts_erased_at", UTCDateTime),
)

tasks = Table(  # one row per task of an incident (`domain.task`): a unit's, an officer's
    "tasks", metadata,  # or an outside body's part, as it stands now
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", String(64), nullable=False),
    Column("task_id", String(8), nullable=False),
    Column("agency", String(32), nullable=False, index=True),
    Column("unit_id", String(64), index=True),
    Column("officer_id", String(64), index=True),  # the officer on it (a unit's first crew)
    Column("crew", JSON),
    Column("body", String(40)),  # forwarded: the outside body, its reference, follow-up
    Column("reference", String(100)),
    Column("follow_up_due", UTCDateTime),
    Column("status", String(16), nullable=False),
    Column("dispatched_at", UTCDateTime, nullable=False, index=True),  # first sent
    Column("assigned_at", UTCDateTime, nullable=False),  # to its unit or officer now
    *(Column(f"{step}_at", UTCDateTime) for step in (
        "acknowledged", "en_route", "on_scene", "done", "released")),
    Column("release_reason", Text),
    # where the unit or officer was when it was assigned (the event's fresh fix), if known
    Column("dispatched_lat", Float),
    Column("dispatched_lon", Float),
    _event_id(),  # the dispatch's (or forward's)
    UniqueConstraint("incident_id", "task_id"),
)

units = Table(
    "units", metadata,
    Column("id", String(64), primary_key=True),
    Column("call_sign", String(40), nullable=False),
    Column("agency", String(32), nullable=False, index=True),
    Column("post_id", String(64)),
    Column("kind", String(40), nullable=False, default=""),
    Column("crew", JSON),
    Column("tracker", String(64)),
    Column("active", Boolean, nullable=False, default=True),
    Column("registered_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

status_history = Table(
    "status_history", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", String(64), nullable=False, index=True),
    Column("from_status", String(16)),
    Column("to_status", String(16), nullable=False),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(200), nullable=False),
    Column("reason", Text),
    Column("media_url", Text),  # the officer's photo of the work done, on resolve
    _event_id(),
)

incident_notes = Table(
    "incident_notes", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", String(64), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("text", Text, nullable=False),
    _event_id(),
)

incident_ratings = Table(  # a reporter's rating of a resolution (`IncidentRated`)
    "incident_ratings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("incident_id", String(64), nullable=False, index=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("rating", Integer, nullable=False),
    Column("comment", Text),
    Column("source", String(40), nullable=False),
    Column("resolution", Integer, nullable=False),
    Column("resolved_at", UTCDateTime, nullable=False),
    Column("agency", String(32), nullable=False, index=True),
    Column("district", String(16)),
    Column("category", String(64), nullable=False),
    Column("officers", JSON),  # who did the work (their done tasks' officers)
    _event_id(),
)


def _counts(name: str, *key: Column) -> Table:
    """Per local day (of the report) and key: how many incidents were reported and how
    many reports they had (`rollups.REPORTS`), and the SLA counts as if every deadline had
    passed (`archive.rollups`); '' stands for no value in a key."""
    return Table(
        name, metadata, Column("day", Date, primary_key=True), *key,
        Column("reported", Integer, nullable=False),
        Column("reports", Integer, nullable=False, server_default="0"),
        Column("acknowledge_on_time", Integer, nullable=False),
        Column("acknowledge_counted", Integer, nullable=False),
        Column("resolve_on_time", Integer, nullable=False),
        Column("resolve_counted", Integer, nullable=False),
        # the SLA counts hold as of any moment from this one on: the latest deadline or step
        # of the row's incidents (NULL: none)
        Column("settled_at", UTCDateTime, index=True),
    )


def _durations(name: str, *key: Column) -> Table:
    """How many took how long to reach a step, per day (or month: its first day) and key."""
    return Table(name, metadata, Column("day", Date, primary_key=True), *key,
                 Column("step", String(16), primary_key=True),
                 Column("bucket", Integer, primary_key=True),
                 Column("n", Integer, nullable=False))


def _incident_key() -> list[Column]:
    return [Column("agency", String(32), primary_key=True),
            Column("district", String(16), primary_key=True),
            Column("category", String(64), primary_key=True)]


def _officer_key() -> list[Column]:
    return [Column("officer_id", String(64), primary_key=True),
            Column("agency", String(32), primary_key=True)]


# daily rollups, kept by the archive projection in the batch's transaction, rebuildable
incident_days = _counts("incident_days", *_incident_key(),
                        Column("source", String(40), primary_key=True))
incident_day_durations = _durations("incident_day_durations", *_incident_key())
incident_month_durations = _durations("incident_month_durations", *_incident_key())
officer_days = _counts("officer_days", *_officer_key())  # (of the officer who held it last)
officer_day_durations = _durations("officer_day_durations", *_officer_key())
officer_month_durations = _durations("officer_month_durations", *_officer_key())
ROLLUP_TABLES = (incident_days, incident_day_durations, incident_month_durations,
                 officer_days, officer_day_durations, officer_month_durations)

officers = Table(
    "officers", metadata,
    Column("id", String(64), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("agency", String(32), nullable=False, index=True),
    Column("post_id", String(64)),
    Column("shift", String(32)),
    Column("active", Boolean, nullable=False, default=True),
    Column("registered_at", UTCDateTime, nullable=False),
)

officer_locations = Table(
    "officer_locations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("officer_id", String(64), nullable=False),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("speed", Float),
    Column("bearing", Float),
    Column("accuracy", Float),
    Column("battery", Float),
    UniqueConstraint("officer_id", "at"),
)

officer_positions = Table(
    "officer_positions", metadata,
    Column("officer_id", String(64), primary_key=True),
    Column("event_id", String(40), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("data", Text, nullable=False),
    Column("sampled_at", UTCDateTime, nullable=False),
)

attendance = Table(
    "attendance", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("officer_id", String(64), nullable=False, index=True),
    Column("post_id", String(64), nullable=False),
    Column("day", Date, nullable=False, index=True),
    Column("checked_in_at", UTCDateTime, nullable=False),
    Column("check_in_method", String(16), nullable=False),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("checked_out_at", UTCDateTime),
    Column("check_out_method", String(16)),
    Column("shift", String(32)),
    Column("shift_start", UTCDateTime),
    Column("shift_end", UTCDateTime),
    _event_id(),
)

location_flags = Table(
    "location_flags", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("officer_id", String(64), nullable=False, index=True),
    Column("fix_id", String(40), nullable=False),
    Column("rule", String(32), nullable=False),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("lat", Float, nullable=False),
    Column("lon", Float, nullable=False),
    Column("evidence", JSON, nullable=False),
    UniqueConstraint("fix_id", "rule"),
)

check_in_reviews = Table(  # check-ins that count but a supervisor should look at
    "check_in_reviews", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("officer_id", String(64), nullable=False),
    Column("checked_in_at", UTCDateTime, nullable=False, index=True),
    Column("rule", String(32), nullable=False),
    Column("evidence", JSON, nullable=False),
    UniqueConstraint("officer_id", "checked_in_at", "rule"),
)

projection_checkpoints = Table(
    "projection_checkpoints", metadata,
    Column("name", String(64), primary_key=True),
    Column("position", String(40), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

users = Table(
    "users", metadata,
    Column("username", String(64), primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("password_hash", String(200), nullable=False),
    Column("roles", JSON, nullable=False),
    Column("agencies", JSON, nullable=False),
    Column("officer_id", String(64)),
    Column("active", Boolean, nullable=False, default=True),
    Column("demo", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

credentials = Table(
    "credentials", metadata,
    Column("id", String(32), primary_key=True),
    Column("kind", String(16), nullable=False, index=True),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("username", String(64)),
    Column("role", String(32)),
    Column("agency", String(32)),
    Column("officer_id", String(64)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("revoked_at", UTCDateTime),
    Column("last_used_at", UTCDateTime),
)

audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTCDateTime, nullable=False, index=True),
    Column("actor", String(200), nullable=False, index=True),
    Column("action", String(64), nullable=False),
    Column("target", String(200), nullable=False),
    Column("details", Text, nullable=False),
    Column("event_id", String(40), unique=True),
)

city_overrides = Table(
    "city_overrides", metadata,
    Column("city", String(64), primary_key=True),
    Column("kind", String(16), primary_key=True),
    Column("code", String(64), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("updated_by", String(200), nullable=False),
)

#: Tables derived from the event log, emptied by a rebuild. The event log and
#: the location tables (fixes are sampled, not all kept as events) are not.
DERIVED = (incidents, tasks, status_history, incident_notes, incident_ratings, *ROLLUP_TABLES,
           officers, units, attendance)

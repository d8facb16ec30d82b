"""incidents' tasks (a row per unit's, officer's or outside body's part) and units, in
place of one assignment row per officer: derived from the event log, like the tables they
replace, so `python -m liveroom rebuild archive-incidents archive-officers` fills them for
the events archived before (nothing here can fold events); and when an incident was first
flagged by an escalation rule (`incidents.flagged_at`), filled here from the event log

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

STEPS = ("acknowledged", "en_route", "on_scene", "done", "released")


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("task_id", sa.String(length=8), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("unit_id", sa.String(length=64), nullable=True),
        sa.Column("officer_id", sa.String(length=64), nullable=True),
        sa.Column("crew", sa.JSON(), nullable=True),
        sa.Column("body", sa.String(length=40), nullable=True),
        sa.Column("reference", sa.String(length=100), nullable=True),
        _at("follow_up_due"),
        sa.Column("status", sa.String(length=16), nullable=False),
        _at("dispatched_at", nullable=False),
        _at("assigned_at", nullable=False),
        *(_at(f"{step}_at") for step in STEPS),
        sa.Column("release_reason", sa.Text(), nullable=True),
        sa.Column("dispatched_lat", sa.Float(), nullable=True),
        sa.Column("dispatched_lon", sa.Float(), nullable=True),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("event_id", name=op.f("uq_tasks_event_id")),
        sa.UniqueConstraint("incident_id", "task_id",
                            name=op.f("uq_tasks_incident_id_task_id")),
    )
    for column in ("agency", "unit_id", "officer_id", "dispatched_at"):
        op.create_index(op.f(f"ix_tasks_{column}"), "tasks", [column])
    op.create_table(
        "units",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("call_sign", sa.String(length=40), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("post_id", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("crew", sa.JSON(), nullable=True),
        sa.Column("tracker", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _at("registered_at", nullable=False),
        _at("updated_at", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
    )
    op.create_index(op.f("ix_units_agency"), "units", ["agency"])
    op.drop_table("assignments")
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(_at("flagged_at"))
        batch.create_index(batch.f("ix_incidents_flagged_at"), ["flagged_at"])
    _flagged()


def _flagged() -> None:
    """Each incident's first `flag` escalation in the log, as its `flagged_at`."""
    conn = op.get_bind()
    events, incidents = sa.table("events", sa.column("aggregate_id"), sa.column("type"),
                                 sa.column("occurred_at", sa.DateTime(timezone=True)),
                                 sa.column("data")), sa.table(
        "incidents", sa.column("id"), sa.column("flagged_at", sa.DateTime(timezone=True)))
    first: dict[str, object] = {}
    for incident_id, at, data in conn.execute(
            sa.select(events.c.aggregate_id, events.c.occurred_at, events.c.data)
            .where(events.c.type == "incident.escalated").order_by(events.c.occurred_at)):
        if json.loads(data).get("action") == "flag":
            first.setdefault(incident_id, at)
    for incident_id, at in first.items():
        conn.execute(sa.update(incidents).where(incidents.c.id == incident_id)
                     .values(flagged_at=at))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_index(batch.f("ix_incidents_flagged_at"))
        batch.drop_column("flagged_at")
    op.create_table(
        "assignments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("previous_officer_id", sa.String(length=64), nullable=True),
        sa.Column("agency", sa.String(length=32), nullable=False),
        _at("assigned_at", nullable=False),
        _at("ended_at"),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignments")),
        sa.UniqueConstraint("event_id", name=op.f("uq_assignments_event_id")),
    )
    for column in ("incident_id", "officer_id"):
        op.create_index(op.f(f"ix_assignments_{column}"), "assignments", [column])
    op.drop_table("units")
    op.drop_table("tasks")

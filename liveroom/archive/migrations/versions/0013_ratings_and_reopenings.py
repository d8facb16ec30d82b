"""Reporters' ratings (`incident_ratings`, one row per `incident.rated`) and reopenings
(`incidents.reopened`, `incidents.reopened_at`): new events, so nothing to fill from the
log

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("reopened", sa.Integer(), nullable=False,
                                         server_default="0"))
    op.add_column("incidents", sa.Column("reopened_at", sa.DateTime(timezone=True),
                                         nullable=True))
    op.create_table(
        "incident_ratings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("resolution", sa.Integer(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("district", sa.String(length=16), nullable=True),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("officers", sa.JSON(), nullable=True),
        sa.Column("event_id", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_incident_ratings")),
        sa.UniqueConstraint("event_id", name=op.f("uq_incident_ratings_event_id")),
    )
    for column in ("incident_id", "at", "agency"):
        op.create_index(op.f(f"ix_incident_ratings_{column}"), "incident_ratings", [column])


def downgrade() -> None:
    op.drop_table("incident_ratings")
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("reopened_at")
        batch.drop_column("reopened")

"""daily incident rollups: counts, SLA counts and duration histograms per day

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _key() -> list[sa.Column]:
    return [sa.Column("day", sa.Date(), nullable=False),
            sa.Column("agency", sa.String(length=32), nullable=False),
            sa.Column("district", sa.String(length=16), nullable=False),
            sa.Column("category", sa.String(length=64), nullable=False)]


def upgrade() -> None:
    op.create_table(
        "incident_days", *_key(),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("reported", sa.Integer(), nullable=False),
        sa.Column("acknowledge_on_time", sa.Integer(), nullable=False),
        sa.Column("acknowledge_counted", sa.Integer(), nullable=False),
        sa.Column("resolve_on_time", sa.Integer(), nullable=False),
        sa.Column("resolve_counted", sa.Integer(), nullable=False),
        sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("day", "agency", "district", "category", "source",
                                name=op.f("pk_incident_days")),
    )
    op.create_table(
        "incident_day_durations", *_key(),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("bucket", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("day", "agency", "district", "category", "step", "bucket",
                                name=op.f("pk_incident_day_durations")),
    )


def downgrade() -> None:
    op.drop_table("incident_day_durations")
    op.drop_table("incident_days")

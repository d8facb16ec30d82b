"""attendance shifts and location flags

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "location_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("fix_id", sa.String(length=40), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location_flags")),
        sa.UniqueConstraint("fix_id", "rule", name=op.f("uq_location_flags_fix_id_rule")),
    )
    with op.batch_alter_table("location_flags") as batch:
        batch.create_index(batch.f("ix_location_flags_at"), ["at"], unique=False)
        batch.create_index(batch.f("ix_location_flags_officer_id"), ["officer_id"],
                           unique=False)
    with op.batch_alter_table("attendance") as batch:
        batch.add_column(sa.Column("shift", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("shift_start", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("shift_end", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("officers") as batch:
        batch.add_column(sa.Column("shift", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("officers") as batch:
        batch.drop_column("shift")
    with op.batch_alter_table("attendance") as batch:
        batch.drop_column("shift_end")
        batch.drop_column("shift_start")
        batch.drop_column("shift")
    with op.batch_alter_table("location_flags") as batch:
        batch.drop_index(batch.f("ix_location_flags_officer_id"))
        batch.drop_index(batch.f("ix_location_flags_at"))
    op.drop_table("location_flags")

"""check-ins marked for review, with their evidence

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_in_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("officer_id", sa.String(length=64), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_in_reviews")),
        sa.UniqueConstraint("officer_id", "checked_in_at", "rule",
                            name=op.f("uq_check_in_reviews_officer_id_checked_in_at_rule")),
    )
    with op.batch_alter_table("check_in_reviews") as batch:
        batch.create_index(batch.f("ix_check_in_reviews_checked_in_at"), ["checked_in_at"],
                           unique=False)


def downgrade() -> None:
    op.drop_table("check_in_reviews")

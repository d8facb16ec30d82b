"""an index on incidents.updated_at: the backlog reads the open incidents and those changed
since the moment it is measured at, not every incident

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(op.f("ix_incidents_updated_at"), "incidents", ["updated_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_incidents_updated_at"), table_name="incidents")

"""the daily rollups count reports too (the sum of incidents.reporters, duplicates left
out), and are emptied: every start fills empty rollups from the incidents
(`rollups.fill_if_empty`), so the days rolled up before count their reports as well

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

COUNTS = ("incident_days", "officer_days")
ROLLUPS = (*COUNTS, "incident_day_durations", "incident_month_durations",
           "officer_day_durations", "officer_month_durations")


def upgrade() -> None:
    for table in COUNTS:
        op.add_column(table, sa.Column("reports", sa.Integer(), nullable=False,
                                       server_default="0"))
    for table in ROLLUPS:  # (derived: refilled whole at the next start)
        op.execute(sa.text(f"DELETE FROM {table}"))


def downgrade() -> None:
    for table in COUNTS:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("reports")

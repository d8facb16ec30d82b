"""incidents.reporters: how many callers reported an incident (the desk adds callers to an
open incident instead of a second one)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("reporters", sa.Integer(), nullable=False,
                                         server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("reporters")

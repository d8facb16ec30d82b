"""incidents.contacts_erased_at: when the reporters' personal data was erased (UU 27/2022,
`commands.erasure`), so the erasure finds the incidents still to erase

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("incidents", sa.Column("contacts_erased_at", sa.DateTime(timezone=True),
                                         nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("contacts_erased_at")

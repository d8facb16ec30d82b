"""daily rollups of incidents and of officers' tasks: counts, SLA counts and duration
histograms per day (and per month)

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

KEYS = {"incident": (("agency", 32), ("district", 16), ("category", 64)),
        "officer": (("officer_id", 64), ("agency", 32))}


def _key(kind: str) -> list[sa.Column]:
    return [sa.Column("day", sa.Date(), nullable=False),
            *(sa.Column(name, sa.String(length=size), nullable=False)
              for name, size in KEYS[kind])]


def _names(kind: str) -> list[str]:
    return ["day", *(name for name, _ in KEYS[kind])]


def upgrade() -> None:
    for kind in KEYS:
        extra = [sa.Column("source", sa.String(length=40), nullable=False)] if (
            kind == "incident") else []
        op.create_table(
            f"{kind}_days", *_key(kind), *extra,
            *(sa.Column(name, sa.Integer(), nullable=False) for name in (
                "reported", "acknowledge_on_time", "acknowledge_counted", "resolve_on_time",
                "resolve_counted")),
            sa.Column("settled_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint(*_names(kind), *(["source"] if extra else []),
                                    name=op.f(f"pk_{kind}_days")),
        )
        op.create_index(op.f(f"ix_{kind}_days_settled_at"), f"{kind}_days", ["settled_at"])
        for span in ("day", "month"):
            op.create_table(
                f"{kind}_{span}_durations", *_key(kind),
                sa.Column("step", sa.String(length=16), nullable=False),
                sa.Column("bucket", sa.Integer(), nullable=False),
                sa.Column("n", sa.Integer(), nullable=False),
                sa.PrimaryKeyConstraint(*_names(kind), "step", "bucket",
                                        name=op.f(f"pk_{kind}_{span}_durations")),
            )


def downgrade() -> None:
    for kind in KEYS:
        for table in (f"{kind}_days", f"{kind}_day_durations", f"{kind}_month_durations"):
            op.drop_table(table)

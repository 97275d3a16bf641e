"""Production schedules: per plan version and period, the detailed schedule of its production
orders (KPIs and operations as JSON; see :mod:`ledger.schedules`), published by
``chainlab schedule --publish``.

Revision ID: 0006
Revises: 0005
Create Date: 2027-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "plan_schedules",
        sa.Column("plan_version_id", sa.Integer(), sa.ForeignKey("plan_versions.id"),
                  primary_key=True),
        sa.Column("period", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("plan_schedules")

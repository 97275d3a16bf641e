"""Plan reports: per plan version, the JSON the planner's web page shows (sites, lanes and
flows, production and hours per plant, DC stock, bottlenecks; see :mod:`ledger.report`),
stored when a plan is published with its network.

Revision ID: 0003
Revises: 0002
Create Date: 2027-01-18
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "plan_reports",
        sa.Column("plan_version_id", sa.Integer(), sa.ForeignKey("plan_versions.id"),
                  primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("plan_reports")

"""Owners: an API key may name the owner it acts for (an integrator, a team); promises record
the owner of the key that made them, so that sales keys see and cancel only their owner's.

Existing keys keep no owner: each is its own owner (``key:<prefix>``). Existing promises get
the owner ``key:<prefix>`` of the key that made them (their ``actor``), so each key still sees
what it promised; a promise made without a key (``actor`` not ``key:...``) has no owner and
is seen by admin, ERP and planner keys only.

Revision ID: 0004
Revises: 0003
Create Date: 2027-02-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

OWNER = sa.String(64)


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("owner", OWNER, nullable=True))
    op.add_column("promises", sa.Column("owner", OWNER, nullable=True))
    op.create_index("ix_promises_owner", "promises", ["owner"])
    op.execute("UPDATE promises SET owner = actor WHERE actor LIKE 'key:%'")


def downgrade() -> None:
    op.drop_index("ix_promises_owner", table_name="promises")
    with op.batch_alter_table("promises") as batch:
        batch.drop_column("owner")
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("owner")

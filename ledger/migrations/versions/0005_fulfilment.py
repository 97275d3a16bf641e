"""Fulfilment: a shipment may name the promise line it fulfils (``stock_moves.promise_line_id``)
and a promise line keeps what has shipped against it (``promise_lines.shipped``), so a
shipment consumes its promise's reservation instead of counting twice against ATP.

Existing lines have shipped nothing; existing moves fulfil no line.

Revision ID: 0005
Revises: 0004
Create Date: 2027-02-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from chainlab.ledger.types import fixed_ddl_type

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMNs: a batch (table copy) on SQLite would drop the journals' triggers; the
    # line is checked when the move is posted, as order_number is
    op.add_column("promise_lines", sa.Column("shipped", fixed_ddl_type(), nullable=False,
                                             server_default="0"))
    op.add_column("stock_moves", sa.Column("promise_line_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_stock_moves_promise_line_id", "stock_moves", ["promise_line_id"])


def downgrade() -> None:
    op.drop_index("ix_stock_moves_promise_line_id", table_name="stock_moves")
    op.drop_column("stock_moves", "promise_line_id")
    op.drop_column("promise_lines", "shipped")

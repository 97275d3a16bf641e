"""Order promising: what a plan version's network says about sourcing and making (lanes,
routings, bills of material, resource hours per bucket), customer tiers and allocation quotas,
promises with their sales-order lines and the stock, hours and quota they hold; an index on
the moves posted against planned orders.

Revision ID: 0002
Revises: 0001
Create Date: 2027-01-11
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

#: exact decimals: NUMERIC(20, 6), integer micro-units on SQLite (see ledger.types.Fixed)
FIXED = sa.Numeric(20, 6).with_variant(sa.BigInteger(), "sqlite")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
ID = sa.String(64)


def _version() -> sa.Column:
    return sa.Column("plan_version_id", sa.Integer(), sa.ForeignKey("plan_versions.id"),
                     primary_key=True)


def upgrade() -> None:
    op.create_table(
        "plan_lanes", _version(),
        sa.Column("origin", ID, primary_key=True),
        sa.Column("destination", ID, primary_key=True),
        sa.Column("product", ID, primary_key=True),
        sa.Column("mode", sa.String(32), primary_key=True),
        sa.Column("lead_time_days", FIXED, nullable=False),
        sa.Column("cost_per_unit", FIXED, nullable=False),
    )
    op.create_table(
        "plan_routings", _version(),
        sa.Column("plant", ID, primary_key=True),
        sa.Column("product", ID, primary_key=True),
        sa.Column("resource", ID, nullable=False),
        sa.Column("hours_per_unit", FIXED, nullable=False),
        sa.Column("lead_time_days", FIXED, nullable=False),
        sa.Column("unit_cost", FIXED, nullable=False),
    )
    op.create_table(
        "plan_bom", _version(),
        sa.Column("plant", ID, primary_key=True),
        sa.Column("product", ID, primary_key=True),
        sa.Column("component", ID, primary_key=True),
        sa.Column("quantity", FIXED, nullable=False),
    )
    op.create_table(
        "plan_capacity", _version(),
        sa.Column("plant", ID, primary_key=True),
        sa.Column("resource", ID, primary_key=True),
        sa.Column("period_start", sa.Date(), primary_key=True),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("available_hours", FIXED, nullable=False),
        sa.Column("used_hours", FIXED, nullable=False),
    )
    op.create_table(
        "customer_tiers",
        sa.Column("customer", ID, primary_key=True),
        sa.Column("tier", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "allocation_quotas",
        sa.Column("product", ID, sa.ForeignKey("items.id"), primary_key=True),
        sa.Column("tier", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("period_start", sa.Date(), primary_key=True),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("quantity", FIXED, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.CheckConstraint("period_start < period_end", name="ck_allocation_quotas_period"),
    )
    op.create_table(
        "promises",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("customer", ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("fill", sa.String(16), nullable=False),
        sa.Column("tier", sa.Integer(), nullable=True),
        sa.Column("ship_complete", sa.Boolean(), nullable=False),
        sa.Column("allow_partial", sa.Boolean(), nullable=False),
        sa.Column("plan_version_id", sa.Integer(), sa.ForeignKey("plan_versions.id"),
                  nullable=True),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=True),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.Column("cancelled_at", TS, nullable=True),
    )
    op.create_index("ix_promises_customer", "promises", ["customer"])
    op.create_table(
        "promise_lines",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("promise_id", sa.BigInteger(), sa.ForeignKey("promises.id"), nullable=False),
        sa.Column("line", sa.Integer(), nullable=False),
        sa.Column("product", ID, nullable=False),
        sa.Column("quantity", FIXED, nullable=False),
        sa.Column("ship_date", sa.Date(), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("source", ID, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("route", sa.String(300), nullable=False),
    )
    op.create_index("ix_promise_lines_promise_id", "promise_lines", ["promise_id"])
    op.create_index("ix_promise_lines_source_product", "promise_lines", ["source", "product"])
    op.create_table(
        "promise_reservations",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("promise_id", sa.BigInteger(), sa.ForeignKey("promises.id"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("site", ID, nullable=False),
        sa.Column("item", ID, nullable=False),
        sa.Column("tier", sa.Integer(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("quantity", FIXED, nullable=False),
        sa.Column("expires_at", TS, nullable=True),
    )
    op.create_index("ix_promise_reservations_promise_id", "promise_reservations",
                    ["promise_id"])
    op.create_index("ix_promise_reservations_item", "promise_reservations", ["item", "kind"])
    op.create_index("ix_stock_moves_product_order", "stock_moves", ["product", "order_number"])


def downgrade() -> None:
    op.drop_index("ix_stock_moves_product_order", table_name="stock_moves")
    for t in ("promise_reservations", "promise_lines", "promises", "allocation_quotas",
              "customer_tiers", "plan_capacity", "plan_bom", "plan_routings", "plan_lanes"):
        op.drop_table(t)

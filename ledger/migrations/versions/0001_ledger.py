"""The ledger: master data, plan versions and planned orders, stock moves, double-entry journal,
API keys, idempotency records; append-only triggers on the journals.

Revision ID: 0001
Revises:
Create Date: 2027-01-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

#: exact decimals: NUMERIC(20, 6), integer micro-units on SQLite (see ledger.types.Fixed)
FIXED = sa.Numeric(20, 6).with_variant(sa.BigInteger(), "sqlite")
BIGID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
TS = sa.DateTime(timezone=True)
APPEND_ONLY = ("stock_moves", "journal_entries", "journal_lines", "order_events",
               "plan_versions")
#: master data: updated by syncs, never deleted (orders and moves refer to it)
NO_DELETE = ("items", "locations")


def upgrade() -> None:
    op.create_table(
        "items",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("standard_cost", FIXED, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "locations",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
    )
    op.create_table(
        "accounts",
        sa.Column("code", sa.String(80), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("site", sa.String(64), sa.ForeignKey("locations.id"), nullable=True),
    )
    op.create_table(
        "plan_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("network", sa.String(200), nullable=False),
        sa.Column("source", sa.String(500), nullable=False),
        sa.Column("previous_id", sa.Integer(), sa.ForeignKey("plan_versions.id"), nullable=True),
        sa.Column("order_count", sa.Integer(), nullable=False),
        sa.Column("carried_count", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_plan_versions_content_hash", "plan_versions", ["content_hash"])
    # no per-row foreign keys here: publishing checks every order's product and sites against
    # the master data in its transaction, and items, locations and plan versions can never be
    # deleted (triggers below); per-row checks would cost four index probes per planned order
    op.create_table(
        "planned_orders",
        sa.Column("plan_version_id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("number", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("product", sa.String(64), nullable=False),
        sa.Column("from_site", sa.String(64), nullable=False),
        sa.Column("to_site", sa.String(64), nullable=False),
        sa.Column("quantity", FIXED, nullable=False),
        sa.Column("release_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("carried_from", sa.Integer(), nullable=True),
        sa.CheckConstraint("release_date <= due_date", name="ck_planned_orders_dates"),
    )
    op.create_index("ix_planned_orders_version_product", "planned_orders",
                    ["plan_version_id", "product"])
    op.create_table(
        "order_events",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("plan_version_id", sa.Integer(), sa.ForeignKey("plan_versions.id"),
                  nullable=False),
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("from_status", sa.String(16), nullable=False),
        sa.Column("to_status", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "ledger_state",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("current_plan_id", sa.Integer(), sa.ForeignKey("plan_versions.id"),
                  nullable=True),
        sa.Column("next_order_number", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(sa.table("ledger_state", sa.column("id", sa.Integer()),
                            sa.column("current_plan_id", sa.Integer()),
                            sa.column("next_order_number", sa.BigInteger())),
                   [{"id": 1, "current_plan_id": None, "next_order_number": 1}])
    op.create_table(
        "journal_entries",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("memo", sa.String(500), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "journal_lines",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("entry_id", sa.BigInteger(), sa.ForeignKey("journal_entries.id"),
                  nullable=False),
        sa.Column("account", sa.String(80), sa.ForeignKey("accounts.code"), nullable=False),
        sa.Column("debit", FIXED, nullable=False),
        sa.Column("credit", FIXED, nullable=False),
        sa.CheckConstraint("debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)",
                           name="ck_journal_lines_one_side"),
    )
    op.create_index("ix_journal_lines_entry_id", "journal_lines", ["entry_id"])
    op.create_index("ix_journal_lines_account", "journal_lines", ["account"])
    op.create_table(
        "stock_moves",
        sa.Column("id", BIGID, primary_key=True, autoincrement=True),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("site", sa.String(64), sa.ForeignKey("locations.id"), nullable=False),
        sa.Column("product", sa.String(64), sa.ForeignKey("items.id"), nullable=False),
        sa.Column("quantity", FIXED, nullable=False),
        sa.Column("delta", FIXED, nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("reference", sa.String(200), nullable=False),
        sa.Column("order_number", sa.BigInteger(), nullable=True),
        sa.Column("unit_cost", FIXED, nullable=False),
        sa.Column("value", FIXED, nullable=False),
        sa.Column("entry_id", sa.BigInteger(), sa.ForeignKey("journal_entries.id"),
                  nullable=False),
        sa.Column("reverses", sa.BigInteger(), sa.ForeignKey("stock_moves.id"), nullable=True,
                  unique=True),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_index("ix_stock_moves_site_product", "stock_moves", ["site", "product"])
    op.create_index("ix_stock_moves_product", "stock_moves", ["product"])
    op.create_table(
        "api_keys",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("prefix", sa.String(32), nullable=False, unique=True),
        sa.Column("secret_hash", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("principal", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("operation", sa.String(100), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    for table in APPEND_ONLY:
        _refuse_changes(table, ("UPDATE", "DELETE"))
    for table in NO_DELETE:
        _refuse_changes(table, ("DELETE",))


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY + NO_DELETE:
        if dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
    if dialect != "sqlite":
        op.execute("DROP FUNCTION IF EXISTS chainlab_append_only()")
    for t in ("idempotency_records", "api_keys", "stock_moves", "journal_lines",
              "journal_entries", "ledger_state", "order_events", "planned_orders",
              "plan_versions", "accounts", "locations", "items"):
        op.drop_table(t)


def _refuse_changes(table: str, events: tuple[str, ...]) -> None:
    """Triggers that make ``events`` (UPDATE, DELETE; and TRUNCATE on PostgreSQL) on ``table``
    fail with a message that says what to do instead."""
    if op.get_bind().dialect.name == "sqlite":
        for event in events:
            msg = (f"{table} is append-only: post a reversal instead of changing or deleting "
                   f"rows" if "UPDATE" in events else f"{table} rows are never deleted: "
                   f"rows that are no longer used are marked inactive")
            op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{msg}'); END")
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION chainlab_append_only() RETURNS trigger AS $$
        BEGIN
            IF TG_OP = 'UPDATE' OR TG_ARGV[0] = 'journal' THEN
                RAISE EXCEPTION '% is append-only: post a reversal instead of changing or '
                    'deleting rows', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
            END IF;
            RAISE EXCEPTION '% rows are never deleted: rows that are no longer used are marked '
                'inactive', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
        END $$ LANGUAGE plpgsql""")
    kind = "journal" if "UPDATE" in events else "master"
    op.execute(f"CREATE TRIGGER {table}_append_only BEFORE {' OR '.join(events)} ON {table} "
               f"FOR EACH ROW EXECUTE FUNCTION chainlab_append_only('{kind}')")
    op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
               f"FOR EACH STATEMENT EXECUTE FUNCTION chainlab_append_only('{kind}')")

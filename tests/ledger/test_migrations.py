"""The schema comes from the migrations, matches the ORM, and the journals are append-only."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from chainlab.ledger import Ledger, SchemaError, db
from chainlab.ledger.tables import APPEND_ONLY, NO_DELETE, Base
from chainlab.models import NotFoundError


def test_upgrade_creates_head_and_is_idempotent(database_url):
    engine = db.connect(database_url)
    try:
        assert db.current_revision(engine) is None
        with pytest.raises(SchemaError, match="chainlab db upgrade"):
            db.check_schema(engine)
        assert db.upgrade(engine) == db.head_revision()
        assert db.upgrade(engine) == db.head_revision()
        db.check_schema(engine)
        names = set(sa.inspect(engine).get_table_names())
        assert set(Base.metadata.tables) <= names
    finally:
        engine.dispose()


def test_ledger_refuses_a_database_without_schema(database_url):
    with pytest.raises(SchemaError, match="has no ledger schema"):
        Ledger(database_url)


def test_downgrade_and_upgrade_again(database_url):
    engine = db.connect(database_url)
    try:
        db.upgrade(engine)
        _downgrade(engine)
        assert db.current_revision(engine) is None
        assert "stock_moves" not in sa.inspect(engine).get_table_names()
        db.upgrade(engine)
        assert db.current_revision(engine) == db.head_revision()
    finally:
        engine.dispose()


def _downgrade(engine):
    from alembic import command
    cfg = db.alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")


def test_orm_matches_migrations(led):
    """Autogenerate finds nothing to change: the ORM classes and the migrations agree."""
    def compare_type(ctx, inspected, metadata_col, inspected_type, metadata_type):
        # Fixed/UTCDateTime are TypeDecorators over exactly the migrations' column types
        impl = getattr(metadata_type, "impl", metadata_type)
        if ctx.dialect.name == "sqlite" and type(metadata_type).__name__ == "Fixed":
            return not isinstance(inspected_type, sa.BigInteger)
        return None if impl is metadata_type else ctx.impl.compare_type(
            inspected, sa.Column(metadata_col.name, impl))

    with led.engine.connect() as conn:
        mc = MigrationContext.configure(conn, opts={"compare_type": compare_type})
        diff = compare_metadata(mc, Base.metadata)
    assert diff == []


@pytest.mark.parametrize("table", APPEND_ONLY)
def test_journals_refuse_update_and_delete(tiny_led, table):
    led = tiny_led
    led.post_move("receipt", "DC1", "FG1", 5)
    if table == "order_events":
        import pandas as pd
        led.publish_orders(pd.DataFrame([{
            "type": "transfer", "product": "FG1", "from_site": "PLANT1", "to_site": "DC1",
            "quantity": 5.0, "release_date": "2027-01-04", "due_date": "2027-01-11"}]))
        led.set_order_status(led.orders().orders[0].number, "firm")
    if table == "plan_versions":
        import pandas as pd
        led.publish_orders(pd.DataFrame([{
            "type": "transfer", "product": "FG1", "from_site": "PLANT1", "to_site": "DC1",
            "quantity": 5.0, "release_date": "2027-01-04", "due_date": "2027-01-11"}]))
    for sql in (f"UPDATE {table} SET id = id", f"DELETE FROM {table}"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), \
                led.engine.begin() as conn:
            conn.exec_driver_sql(sql)
    with led.engine.connect() as conn:
        assert conn.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar() >= 1
    if table == "plan_versions":
        assert led.plan().order_count == 1
    if led.engine.dialect.name == "postgresql":
        with pytest.raises(sa.exc.DatabaseError, match="append-only"), \
                led.engine.begin() as conn:
            conn.exec_driver_sql(f"TRUNCATE {table} CASCADE")


@pytest.mark.parametrize("table", NO_DELETE)
def test_master_data_is_never_deleted(tiny_led, table):
    with pytest.raises(sa.exc.DatabaseError, match="never deleted"), \
            tiny_led.engine.begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM {table}")
    with tiny_led.engine.begin() as conn:  # updates are how a sync changes it
        conn.exec_driver_sql(f"UPDATE {table} SET name = 'x'")


def test_upgrade_from_0002_adds_plan_reports(database_url, tiny):
    """A ledger with versions published before plan reports existed migrates to head: the old
    versions have none (404 with what to do), the next publish with a network stores one."""
    engine = db.connect(database_url)
    try:
        db.upgrade(engine, "0002")
        assert "plan_reports" not in sa.inspect(engine).get_table_names()
        led = Ledger(engine, check=False)
        led.sync(tiny)
        led.publish_orders(pd.DataFrame([{
            "type": "transfer", "product": "FG1", "from_site": "PLANT1", "to_site": "DC1",
            "quantity": 5.0, "release_date": "2027-01-04", "due_date": "2027-01-11"}]))
        assert db.upgrade(engine) == db.head_revision()
        led = Ledger(engine)
        assert "plan_reports" in sa.inspect(engine).get_table_names()
        with pytest.raises(NotFoundError, match="plan version 1 was published without"):
            led.plan_report()
        led.publish(Path(__file__).parents[1] / "data" / "tiny_plan", network=tiny)
        assert led.plan_report()["plan_version_id"] == 2
        assert led.plan_report()["network"] == "tiny"
    finally:
        engine.dispose()


def test_upgrade_from_0003_gives_promises_the_owner_of_their_key(database_url):
    """0004: keys made before owners are their own owner (``key:<prefix>``) and keep seeing
    what they promised; a promise made without a key has no owner (sales keys do not see it,
    the others do)."""
    import datetime as dt
    import hashlib

    engine = db.connect(database_url)
    try:
        db.upgrade(engine, "0003")
        now = dt.datetime(2027, 1, 4, tzinfo=dt.UTC)
        keys_t = sa.table("api_keys", *(sa.column(c) for c in (
            "prefix", "secret_hash", "role", "name", "created_at")))
        promises_t = sa.table("promises", *(sa.column(c) for c in (
            "customer", "status", "fill", "ship_complete", "allow_partial", "reference",
            "answer", "actor", "created_at", "confirmed_at")))
        with engine.begin() as conn:
            conn.execute(keys_t.insert().values(
                prefix="0123abcd", secret_hash=hashlib.sha256(b"s3cret").hexdigest(), role="sales",
                name="old", created_at=now))
            for actor in ("key:0123abcd", ""):
                conn.execute(promises_t.insert().values(
                    customer="C1", status="confirmed", fill="complete", ship_complete=False,
                    allow_partial=False, reference="", answer="[]", actor=actor,
                    created_at=now, confirmed_at=now))
        assert db.upgrade(engine) == db.head_revision()
        led = Ledger(engine)
        key = led.authenticate("clk_0123abcd_s3cret")
        assert key is not None and key.owner == "key:0123abcd" and key.owner_name is None
        mine, keyless = led.promises()
        assert (mine.owner, keyless.owner) == ("key:0123abcd", None)
        assert [p.id for p in led.promises(owner=key.owner)] == [mine.id]
        with pytest.raises(NotFoundError):
            led.get_promise(keyless.id, owner=key.owner)
    finally:
        engine.dispose()

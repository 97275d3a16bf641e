"""Connecting to the ledger database and migrating it.

SQLite (the default, a file) runs in WAL mode with foreign keys on; write transactions
(:func:`writing`) start with ``BEGIN IMMEDIATE`` so concurrent writers queue on the busy timeout
instead of failing on a lock upgrade; everything else uses plain deferred transactions, so
readers never wait for a writer. PostgreSQL gets
a connection pool sized for the API's worker threads.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import weakref
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import StaticPool

from chainlab.ledger.errors import SchemaError

MIGRATIONS = Path(__file__).with_name("migrations")
#: any 64-bit number: serialises concurrent ``db upgrade`` runs on PostgreSQL
_UPGRADE_LOCK = 0x63686C6C65646772


def default_database_url() -> str:
    """``CHAINLAB_DATABASE_URL``, else a SQLite file in the user's data folder
    (``$XDG_DATA_HOME/chainlab/ledger.db``, by default ``~/.local/share/chainlab/ledger.db``)."""
    url = os.environ.get("CHAINLAB_DATABASE_URL")
    if url:
        return url
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return f"sqlite:///{base / 'chainlab' / 'ledger.db'}"


def redact(url: str | sa.URL) -> str:
    """The URL without its password, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def connect(url: str | sa.URL | None = None, *, pool_size: int = 20,
            sqlite_timeout: float = 60.0) -> Engine:
    """An engine for ``url`` (default :func:`default_database_url`); a SQLite file's folder is
    created if missing. ``sqlite_timeout`` is how long a writer waits for the lock, in seconds."""
    url = make_url(url or default_database_url())
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, sqlite_timeout)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() in ("", "psycopg2"):
        url = url.set(drivername="postgresql+psycopg")
    # no pre-ping (a round trip per checkout); a connection the server dropped fails one
    # request with 503 and is replaced
    return sa.create_engine(url, pool_size=pool_size, max_overflow=pool_size,
                            pool_recycle=1800)


def _sqlite_engine(url: sa.URL, timeout: float) -> Engine:
    memory = url.database in (None, "", ":memory:")
    if not memory:
        Path(url.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    kw = {"poolclass": StaticPool} if memory else {"pool_size": 20, "max_overflow": 20}
    engine = sa.create_engine(url, connect_args={"timeout": timeout, "check_same_thread": False},
                              **kw)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves, below
        cur = dbapi_conn.cursor()
        if not memory:
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        mode = "IMMEDIATE" if conn.get_execution_options().get("chainlab_write") else "DEFERRED"
        # on the driver's connection: SQLAlchemy's execution path costs a read more than the
        # BEGIN itself
        conn.connection.driver_connection.execute(f"BEGIN {mode}")

    return engine


@contextlib.contextmanager
def reading(engine: Engine):
    """A connection for reads: one transaction, so every query in it sees one snapshot on
    SQLite (WAL) and PostgreSQL (REPEATABLE READ, read only)."""
    with engine.connect() as conn:
        if engine.dialect.name != "sqlite":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


@contextlib.contextmanager
def writing(engine: Engine):
    """A connection in a write transaction, committed at the end of the ``with`` block, rolled
    back on an error (``BEGIN IMMEDIATE`` on SQLite).

    SQLite has one writer at a time; the threads of one process queue for it on a lock, in
    order, rather than on SQLite's busy handler, which polls with growing sleeps (other
    processes still meet the busy timeout)."""
    lock = _WRITE_LOCKS.get(engine) if engine.dialect.name == "sqlite" else None
    if engine.dialect.name == "sqlite" and lock is None:
        lock = _WRITE_LOCKS.setdefault(engine, threading.Lock())
    with lock or contextlib.nullcontext(), engine.connect() as conn:
        conn.execution_options(chainlab_write=True)
        with conn.begin():
            yield conn


_WRITE_LOCKS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def lock_key(name: str) -> int:
    """The advisory-lock key of what ``name`` names (``item:FG1``, ``res:PLANT1:LINE1``): the
    first 8 bytes of its SHA-256 as a signed 64-bit number."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


def advisory_lock(conn: sa.Connection, keys: list[int]) -> None:
    """Take transaction advisory locks on ``keys`` in order (PostgreSQL; on SQLite the write
    transaction already excludes every other writer)."""
    if conn.dialect.name == "postgresql" and keys:
        conn.exec_driver_sql("SELECT count(pg_advisory_xact_lock(k)) FROM "
                             "unnest(%(keys)s::bigint[]) AS k", {"keys": keys})


@contextlib.contextmanager
def autocommit(engine: Engine):
    """The driver's own connection (psycopg), from ``engine``'s pool, on which every statement
    is a transaction of its own: no ``BEGIN`` and ``COMMIT`` round trips, and none of
    SQLAlchemy's work per statement, for hot writes that are one statement (a data-modifying
    ``WITH`` query commits all or nothing). The driver's errors come out as SQLAlchemy's
    (``IntegrityError``, ``OperationalError``, ...); a connection the server dropped is
    discarded, not returned to the pool."""
    dbapi = engine.dialect.loaded_dbapi
    fairy = engine.raw_connection()
    driver = fairy.driver_connection
    try:
        driver.autocommit = True
        yield driver
    except dbapi.Error as e:
        if engine.dialect.is_disconnect(e, fairy.dbapi_connection, None):
            fairy.invalidate(e)
        raise sa.exc.DBAPIError.instance(None, None, e, dbapi.Error,
                                         dialect=engine.dialect) from e
    finally:
        try:
            if fairy.is_valid:
                driver.autocommit = False
        except dbapi.Error as e:
            fairy.invalidate(e)
        fairy.close()


# ------------------------------------------------------------------ migrations

def alembic_config(url: str | sa.URL | None = None) -> Config:
    """An Alembic configuration for the packaged migrations (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url is not None:
        cfg.set_main_option("sqlalchemy.url",
                            make_url(url).render_as_string(hide_password=False)
                            .replace("%", "%%"))
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The schema revision the database is at, or None when it has no ledger schema."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Create or migrate the ledger schema to ``revision``, in one transaction; concurrent
    upgrades of one PostgreSQL database wait for each other. Returns the revision reached."""
    cfg = alembic_config()
    with writing(engine) as conn:
        if conn.dialect.name == "postgresql":
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_UPGRADE_LOCK})")
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current_revision(engine)


def check_schema(engine: Engine) -> None:
    """Raise :class:`SchemaError` unless the database is at the newest revision."""
    have, want = current_revision(engine), head_revision()
    if have != want:
        state = "has no ledger schema" if have is None else f"is at revision {have}, not {want}"
        raise SchemaError(f"the database {redact(engine.url)} {state}; run "
                          f"`chainlab db upgrade --database-url <url>` to create or migrate it")

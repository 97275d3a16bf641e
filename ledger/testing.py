"""Throwaway ledger databases for tests and benchmarks (yours and chainlab's).

:func:`scratch_postgres` creates a uniquely named PostgreSQL database next to the one a URL names
and drops it afterwards, so test runs on one server never see each other's rows;
:func:`schema_url` gives a URL whose connections live in their own schema of that database, for
a fresh ledger per test at the cost of a ``CREATE SCHEMA``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import make_url


def _admin(url) -> sa.Engine:
    return sa.create_engine(make_url(url).set(drivername="postgresql+psycopg"),
                            isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


@contextlib.contextmanager
def scratch_postgres(url: str, prefix: str = "chainlab_t") -> Iterator[str]:
    """A new empty database on the server of ``url`` (whose user may create databases);
    yields its URL and drops it (closing its connections) at the end."""
    name = f"{prefix}_{os.getpid()}_{secrets.token_hex(4)}"
    admin = _admin(url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            yield make_url(url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()


def schema_url(url: str, schema: str | None = None) -> str:
    """Create schema ``schema`` (default: a random name) in the database of ``url`` and return a
    URL whose connections use it (``search_path``)."""
    schema = schema or f"t_{secrets.token_hex(6)}"
    admin = _admin(url)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    finally:
        admin.dispose()
    u = make_url(url)
    return u.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


def drop_schema(url: str) -> None:
    """Drop the schema of a :func:`schema_url` URL, with everything in it."""
    u = make_url(url)
    schema = dict(u.query).get("options", "").removeprefix("-csearch_path=")
    if not schema:
        return
    admin = _admin(u.difference_update_query(["options"]))
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        admin.dispose()


__all__ = ["drop_schema", "schema_url", "scratch_postgres"]

"""Alembic migrations of the ledger schema, run by :func:`ledger.db.upgrade` (``chainlab db
upgrade``) with a configuration built in code, so no ``alembic.ini`` is needed and they work from
an installed package. New revision (developers): ``alembic -c /dev/null`` is not needed; run
``python -m ledger.migrations revision -m "what changes"``.
"""

"""Alembic migrations of the ledger schema, run by :func:`ledger.db.upgrade` (``chainlab db
upgrade``) with a configuration built in code, so no ``alembic.ini`` is needed and they work from
an installed package. A new revision (developers): ``python -m ledger.migrations "what changes"``.
"""

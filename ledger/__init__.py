"""The ERP ledger (SQLAlchemy 2; SQLite by default, PostgreSQL in production): items, locations,
plan versions, planned orders, stock moves, double-entry postings, promises; ATP/CTP over it.
"""

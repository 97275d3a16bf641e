"""Ledger errors. Each derives from :class:`models.ChainlabError` and a builtin; bad input is
:class:`models.ValidationError` and unknown things :class:`models.NotFoundError`, as elsewhere."""

from __future__ import annotations

from chainlab.models.errors import ChainlabError, NotFoundError, ValidationError


class LedgerError(ChainlabError):
    """Root of the ledger's own errors."""


class ConflictError(LedgerError, RuntimeError):
    """The request is well-formed but conflicts with the ledger's state (HTTP 409)."""


class TransitionError(ConflictError):
    """An order status change the life cycle does not allow (planned -> firm -> released ->
    closed, forward only), or on an order that is not in the current plan."""


class IdempotencyKeyReused(LedgerError, ValueError):
    """An ``Idempotency-Key`` sent again with a different request body (HTTP 422)."""


class SchemaError(LedgerError, RuntimeError):
    """The database has no ledger schema, or an older one: run ``chainlab db upgrade``."""


class AppendOnlyError(LedgerError, PermissionError):
    """An attempt to change or delete a journal row; corrections are reversals."""


__all__ = ["AppendOnlyError", "ConflictError", "IdempotencyKeyReused", "LedgerError",
           "NotFoundError", "SchemaError", "TransitionError", "ValidationError"]

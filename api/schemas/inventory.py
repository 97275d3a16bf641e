"""``/v1/inventory`` and ``/v1/ledger/trial-balance``: on-hand and the accounts."""

from __future__ import annotations

from chainlab.api.schemas.common import Number, Record


class InventoryRow(Record):
    """On-hand of a product at a site (the sum of its moves), valued at standard cost."""

    site: str
    product: str
    on_hand: Number
    value: Number


class AccountRow(Record):
    account: str
    name: str
    kind: str
    debit: Number
    credit: Number
    balance: Number


class TrialBalance(Record):
    """Every account's debits and credits; ``balanced`` when the totals agree."""

    accounts: list[AccountRow]
    total_debit: Number
    total_credit: Number
    balanced: bool

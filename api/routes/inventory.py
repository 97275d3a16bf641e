"""``GET /v1/inventory`` (on-hand) and ``GET /v1/ledger/trial-balance``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from chainlab.api.deps import get_ledger, require
from chainlab.api.problems import PROBLEM_RESPONSES
from chainlab.api.routes import DecimalRoute
from chainlab.api.schemas import AccountRow, InventoryRow, TrialBalance
from chainlab.ledger import KeyInfo, Ledger, Role

router = APIRouter(prefix="/v1", tags=["inventory"], route_class=DecimalRoute,
                   responses=PROBLEM_RESPONSES)


@router.get("/inventory", response_model=list[InventoryRow])
def inventory(led: Annotated[Ledger, Depends(get_ledger)],
              _: Annotated[KeyInfo, Depends(require(Role.ERP, Role.PLANNER, Role.SALES))],
              site: Annotated[str | None, Query(max_length=64)] = None,
              product: Annotated[str | None, Query(max_length=64)] = None):
    """On-hand by site and product (the sum of the stock moves), valued at standard cost."""
    return [InventoryRow.model_validate(b, from_attributes=True)
            for b in led.inventory(site=site, product=product)]


@router.get("/ledger/trial-balance", response_model=TrialBalance)
def trial_balance(led: Annotated[Ledger, Depends(get_ledger)],
                  _: Annotated[KeyInfo, Depends(require(Role.ERP, Role.PLANNER))]):
    """Debits, credits and balance of every account; the totals are equal."""
    tb = led.trial_balance()
    return TrialBalance(accounts=[AccountRow.model_validate(a, from_attributes=True)
                                  for a in tb.accounts],
                        total_debit=tb.total_debit, total_credit=tb.total_credit,
                        balanced=tb.balanced)

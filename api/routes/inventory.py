"""``GET /v1/inventory`` (on-hand) and ``GET /v1/ledger/trial-balance``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from chainlab.api.deps import AnyKey, ErpOrPlannerKey, LedgerDep
from chainlab.api.problems import PROBLEM_RESPONSES
from chainlab.api.routing import DecimalRoute
from chainlab.api.schemas.common import Day
from chainlab.api.schemas.inventory import InventoryRow, TrialBalance

router = APIRouter(prefix="/v1", tags=["inventory"], route_class=DecimalRoute,
                   responses=PROBLEM_RESPONSES)


@router.get("/inventory", response_model=list[InventoryRow])
def inventory(led: LedgerDep, _: AnyKey,
              site: Annotated[str | None, Query(max_length=64)] = None,
              product: Annotated[str | None, Query(max_length=64)] = None,
              as_of: Annotated[Day | None, Query(description="count only the moves dated on "
                                                             "or before this day")] = None):
    """On-hand by site and product, valued at standard cost: the sum of every posted stock
    move (the stock the books hold, as the trial balance's inventory accounts), or with
    ``as_of`` of the moves dated on or before that day (``as_of`` = today: what is on hand
    now; ATP counts that, and a move dated later from its date on)."""
    return [InventoryRow.model_validate(b)
            for b in led.inventory(site=site, product=product, as_of=as_of)]


@router.get("/ledger/trial-balance", response_model=TrialBalance)
def trial_balance(led: LedgerDep, _: ErpOrPlannerKey):
    """Debits, credits and balance of every account; the totals are equal."""
    return TrialBalance.model_validate(led.trial_balance())

"""``/v1/atp``: check what can be promised (reserves nothing), read ATP tables, and the
planner's allocation tiers and quotas."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path, Query, Response

from chainlab.api import problems
from chainlab.api.deps import AnyKey, LedgerDep, PlannerKey, PlannerOrSalesKey, SalesKey
from chainlab.api.routing import DecimalRoute
from chainlab.api.schemas.atp import AtpSite, CustomerTier, Quota, QuotasPut, TierPut
from chainlab.api.schemas.promises import AtpAnswer, PromiseCreate

router = APIRouter(prefix="/v1/atp", tags=["order promising"], route_class=DecimalRoute,
                   responses=problems.PROBLEM_RESPONSES)


@router.post("/check", response_model=AtpAnswer)
def check(led: LedgerDep, _: SalesKey, body: Annotated[PromiseCreate, Body()]):
    """Can the customer get these quantities by these dates? Each line gets what can be
    promised (ATP from the DCs with a lane to the customer, then CTP from spare capacity),
    the date, the source, the reason and, when not as asked, the alternatives. Reserves
    nothing: promise it with ``POST /v1/promises``."""
    answer = AtpAnswer.model_validate(led.check(body.ledger_request()))
    # validated once here; sent as is (the route's response_model documents it)
    return Response(answer.model_dump_json(), media_type="application/json")


@router.get("", response_model=list[AtpSite], responses=problems.responses(404))
def atp_tables(led: LedgerDep, _: AnyKey,
               product: Annotated[str, Query(min_length=1, max_length=64)],
               site: Annotated[str | None, Query(min_length=1, max_length=64)] = None):
    """The ATP table of a product per day at every plant and DC (or one ``site``): supply,
    commitments, ATP after backward consumption, and what a new promise may take."""
    return [AtpSite.of(t) for t in led.atp(product, site=site).values()]


@router.get("/quotas", response_model=list[Quota])
def list_quotas(led: LedgerDep, _: PlannerOrSalesKey,
                product: Annotated[str | None, Query(min_length=1, max_length=64)] = None):
    """Allocation quotas per product, tier and period, and how much active promises use."""
    return [Quota.model_validate(q) for q in led.quotas(product)]


@router.put("/quotas", response_model=list[Quota])
def put_quotas(led: LedgerDep, _: PlannerKey, body: Annotated[QuotasPut, Body()]):
    """Set quotas: customers of tier ``t`` may be promised, in a period, their tier's quota
    and the unused quota of lower tiers (``t+1``, ...), never a higher tier's."""
    return [Quota.model_validate(q)
            for q in led.set_quotas(body.ledger_quotas(), replace=body.replace)]


@router.get("/tiers", response_model=list[CustomerTier])
def list_tiers(led: LedgerDep, _: PlannerOrSalesKey):
    """Customers that have an allocation tier (others count as the lowest tier)."""
    return [CustomerTier(customer=c, tier=t) for c, t in led.customer_tiers().items()]


@router.put("/tiers/{customer}", response_model=CustomerTier)
def put_tier(led: LedgerDep, _: PlannerKey,
             customer: Annotated[str, Path(min_length=1, max_length=64)],
             body: Annotated[TierPut, Body()]):
    """Put a customer in an allocation tier (1 the highest), or in none (null)."""
    return CustomerTier(customer=customer, tier=led.set_customer_tier(customer, body.tier))

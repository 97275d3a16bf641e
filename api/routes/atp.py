"""``/v1/atp``: check what can be promised (reserves nothing), read ATP tables, and the
planner's allocation tiers and quotas."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Response

from chainlab.api.deps import get_ledger, require
from chainlab.api.problems import PROBLEM_RESPONSES
from chainlab.api.routes import DecimalRoute
from chainlab.api.schemas_promise import (
                                 AtpAnswer,
                                 AtpDay,
                                 AtpSite,
                                 CustomerTier,
                                 PromiseCreate,
                                 Quota,
                                 QuotasPut,
                                 TierPut,
)
from chainlab.ledger import KeyInfo, Ledger, Role
from chainlab.ledger.promising import LineRequest, PromiseRequest
from chainlab.ledger.promising import Quota as LedgerQuota

router = APIRouter(prefix="/v1/atp", tags=["order promising"], route_class=DecimalRoute,
                   responses=PROBLEM_RESPONSES)
LedgerDep = Annotated[Ledger, Depends(get_ledger)]
Sales = Annotated[KeyInfo, Depends(require(Role.SALES))]
Readers = Annotated[KeyInfo, Depends(require(Role.SALES, Role.PLANNER, Role.ERP))]
Planner = Annotated[KeyInfo, Depends(require(Role.PLANNER))]
PlannerOrSales = Annotated[KeyInfo, Depends(require(Role.PLANNER, Role.SALES))]
NOT_FOUND = {404: PROBLEM_RESPONSES[422] | {"description": "Not Found"}}


def to_request(body: PromiseCreate) -> PromiseRequest:
    """The ledger's request from the HTTP body."""
    return PromiseRequest(
        customer=body.customer,
        lines=tuple(LineRequest(ln.product, ln.quantity, ln.requested_date)
                    for ln in body.lines),
        ship_complete=body.ship_complete, allow_partial=body.allow_partial,
        quote_minutes=body.quote_minutes, reference=body.reference)


@router.post("/check", response_model=AtpAnswer)
def check(led: LedgerDep, _: Sales, body: Annotated[PromiseCreate, Body()]):
    """Can the customer get these quantities by these dates? Each line gets what can be
    promised (ATP from the DCs with a lane to the customer, then CTP from spare capacity),
    the date, the source, the reason and, when not as asked, the alternatives. Reserves
    nothing: promise it with ``POST /v1/promises``."""
    answer = AtpAnswer.model_validate(led.check(to_request(body)).as_dict())
    # validated once here; sent as is (the route's response_model documents it)
    return Response(answer.model_dump_json(), media_type="application/json")


@router.get("", response_model=list[AtpSite], responses=NOT_FOUND)
def atp_tables(led: LedgerDep, _: Readers,
               product: Annotated[str, Query(min_length=1, max_length=64)],
               site: Annotated[str | None, Query(min_length=1, max_length=64)] = None):
    """The ATP table of a product per day at every plant and DC (or one ``site``): supply,
    commitments, ATP after backward consumption, and what a new promise may take."""
    out = []
    for s, t in led.atp(product, site=site).items():
        out.append(AtpSite(site=s, product=product, available_now=t.available(t.today),
                           available_in_all=t.final,
                           days=[AtpDay(date=r.date, supply=r.supply, demand=r.demand,
                                        atp=r.atp, cumulative=r.cumulative,
                                        receipts=list(r.refs)) for r in t.rows()]))
    return out


@router.get("/quotas", response_model=list[Quota])
def list_quotas(led: LedgerDep, _: PlannerOrSales,
                product: Annotated[str | None, Query(min_length=1, max_length=64)] = None):
    """Allocation quotas per product, tier and period, and how much active promises use."""
    return [Quota.model_validate(q, from_attributes=True) for q in led.quotas(product)]


@router.put("/quotas", response_model=list[Quota])
def put_quotas(led: LedgerDep, _: Planner, body: Annotated[QuotasPut, Body()]):
    """Set quotas: customers of tier ``t`` may be promised, in a period, their tier's quota
    and the unused quota of lower tiers (``t+1``, ...), never a higher tier's."""
    quotas = [LedgerQuota(q.product, q.tier, q.period_start, q.period_end, q.quantity)
              for q in body.quotas]
    return [Quota.model_validate(q, from_attributes=True)
            for q in led.set_quotas(quotas, replace=body.replace)]


@router.get("/tiers", response_model=list[CustomerTier])
def list_tiers(led: LedgerDep, _: PlannerOrSales):
    """Customers that have an allocation tier (others count as the lowest tier)."""
    return [CustomerTier(customer=c, tier=t) for c, t in led.customer_tiers().items()]


@router.put("/tiers/{customer}", response_model=CustomerTier)
def put_tier(led: LedgerDep, _: Planner,
             customer: Annotated[str, Path(min_length=1, max_length=64)],
             body: Annotated[TierPut, Body()]):
    """Put a customer in an allocation tier (1 the highest), or in none (null)."""
    return CustomerTier(customer=customer, tier=led.set_customer_tier(customer, body.tier))

"""Available-to-promise (ATP) per product x site x day, read from the ledger.

Supply and commitments of one product at one stocking site (:func:`load_tables`):

======================= ====== ===========================================================
event                   sign   date
======================= ====== ===========================================================
on hand                 +      today (the sum of the stock moves dated today or before)
stock moves dated       +/-    their date: a receipt posted ahead counts from its date on, as a
after today                    projected receipt, never as stock today
receipt of an open      +      its due date (today when past due): the open quantity, the
order of the current           order's quantity less what was already received against it
plan (production,              (moves that carry its ``order_number``)
purchase, transfer in)
in transit              +      a closed transfer shipped but not received yet: due date
transfer out (planned)  -      release date: the open quantity, less what has shipped
component issue         -      a planned production order's release date at its plant:
                               quantity x BOM less what was already issued against it
promised                -      the ship date of an active promise (a quote until it expires)
======================= ====== ===========================================================

With ``S(d)`` and ``C(d)`` the cumulative supply and commitments up to day ``d``, the quantity a
new commitment may take on day ``d`` without breaking any earlier one is

    ATP(d) = min over k >= d of ( S(k) - C(k) )     (clipped at 0)

which is cumulative ATP with backward consumption: a shortfall later on is covered by the
supply before it, so ``ATP`` never falls as ``d`` grows and a new promise on ``d`` lowers
``ATP`` on and before ``d`` only as far as the later commitments need (:meth:`AtpTable.rows`
shows the table in the textbook form: per-day ATP after backward consumption, and its running
sum).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from decimal import Decimal
from itertools import accumulate
from operator import sub

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger.accounts import STOCKING_KINDS
from chainlab.ledger.ctp import Statics
from chainlab.ledger.errors import NotFoundError
from chainlab.ledger.tables import (
                           AllocationQuota,
                           Item,
                           OrderEvent,
                           PlannedOrder,
                           PromiseReservation,
                           StockMove,
)
from chainlab.ledger.types import SumOfFixed, fixed_sum, quantize

MOVES = StockMove.__table__
ORDERS = PlannedOrder.__table__
RESERVATIONS = PromiseReservation.__table__
ITEMS = Item.__table__
ZERO = Decimal(0)


@dataclass(frozen=True)
class Event:
    """A change of supply (+) or commitments (-) of one product at one site on ``date``;
    ``ref`` says what it is ("production order 1042 at PLANT2")."""

    date: dt.date
    quantity: Decimal
    kind: str  # on_hand, receipt, in_transit, transfer_out, component, promised, moved
    ref: str | tuple = ""  # text, or (order type, number, from, to) (see :func:`describe`)


@dataclass(frozen=True)
class AtpRow:
    """One day of an ATP table: supply and commitments on the day, per-day ATP after backward
    consumption (``atp``) and the quantity a new promise may take that day (``cumulative``)."""

    date: dt.date
    supply: Decimal
    demand: Decimal
    atp: Decimal
    cumulative: Decimal
    refs: tuple[str, ...] = ()


class AtpTable:
    """Supply and commitments of ``product`` at ``site`` from ``today`` on (see the module
    docstring); :meth:`available` and :meth:`earliest` answer, :meth:`reserve` commits."""

    __slots__ = (
        "_avail",
        "_dates",
        "_demand",
        "_net",
        "_refs",
        "_supply",
        "product",
        "site",
        "today",
    )

    def __init__(self, site: str, product: str, today: dt.date, events=()):
        self.site, self.product, self.today = site, product, today
        supply: dict[dt.date, Decimal] = {}
        demand: dict[dt.date, Decimal] = {}
        refs: dict[dt.date, list] = {}
        for e in events:
            d = max(e.date, today)
            if e.quantity >= 0:
                supply[d] = supply.get(d, ZERO) + e.quantity
                if e.kind in ("receipt", "in_transit") and e.ref:
                    refs.setdefault(d, []).append((e.quantity, e.ref))
            else:
                demand[d] = demand.get(d, ZERO) - e.quantity
        self._dates = sorted(supply.keys() | demand.keys())
        self._supply = [supply.get(d, ZERO) for d in self._dates]
        self._demand = [demand.get(d, ZERO) for d in self._dates]
        self._refs = refs
        self._rebuild()

    def _rebuild(self) -> None:
        # net(d) = S(d) - C(d); avail(d) = min over k >= d of net(k)
        self._net = list(accumulate(map(sub, self._supply, self._demand)))
        self._avail = list(accumulate(reversed(self._net), min))[::-1]

    def copy(self) -> AtpTable:
        t = AtpTable.__new__(AtpTable)
        t.site, t.product, t.today = self.site, self.product, self.today
        t._dates, t._supply, t._demand = self._dates[:], self._supply[:], self._demand[:]
        t._refs, t._net, t._avail = self._refs, self._net[:], self._avail[:]
        return t

    # ------------------------------------------------------------ questions

    def available(self, day: dt.date) -> Decimal:
        """What a new commitment may take on ``day`` without breaking an earlier one."""
        if day < self.today:
            return ZERO
        i = bisect_right(self._dates, day) - 1
        return max(self._avail[i], ZERO) if i >= 0 else ZERO

    @property
    def final(self) -> Decimal:
        """What is available once every known receipt is in."""
        return max(self._avail[-1], ZERO) if self._avail else ZERO

    @property
    def shortfall(self) -> Decimal:
        """How far commitments exceed supply at their worst (0 when every one is covered)."""
        return max(-min(self._avail, default=ZERO), ZERO)

    def earliest(self, quantity: Decimal, day: dt.date) -> dt.date | None:
        """The first day on or after ``day`` with ``quantity`` available (None: never)."""
        day = max(day, self.today)
        if self.available(day) >= quantity:
            return day
        i = bisect_right(self._dates, day)
        # _avail does not fall: the first index from i on that holds enough
        lo, hi = i, len(self._dates)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._avail[mid] >= quantity:
                hi = mid
            else:
                lo = mid + 1
        return self._dates[lo] if lo < len(self._dates) else None

    def dates_after(self, day: dt.date) -> list[dt.date]:
        """Days after ``day`` on which availability rises."""
        i = bisect_right(self._dates, day)
        out, prev = [], self.available(day)
        for d, a in zip(self._dates[i:], self._avail[i:]):
            if a > prev:
                out.append(d)
                prev = a
        return out

    def receipts_on(self, day: dt.date) -> list[str]:
        """What arrives on ``day``, largest first."""
        return [describe(ref) for _, ref in sorted(self._refs.get(day, ()),
                                                   key=lambda x: -x[0])]

    def rows(self) -> list[AtpRow]:
        """The table by day: supply, demand, ATP after backward consumption, cumulative."""
        out, prev = [], ZERO
        for d, s, c, a in zip(self._dates, self._supply, self._demand, self._avail):
            cum = max(a, ZERO)
            out.append(AtpRow(d, s, c, a - prev if out else a, cum,
                              tuple(describe(r) for _, r in self._refs.get(d, ()))))
            prev = a
        return out

    # ------------------------------------------------------------ commitments

    def reserve(self, quantity: Decimal, day: dt.date) -> None:
        """Commit ``quantity`` on ``day`` (the caller checked :meth:`available`)."""
        day = max(day, self.today)
        i = bisect_left(self._dates, day)
        if i == len(self._dates) or self._dates[i] != day:
            self._dates.insert(i, day)
            self._supply.insert(i, ZERO)
            self._demand.insert(i, ZERO)
        self._demand[i] += quantity
        self._rebuild()

    def __repr__(self) -> str:
        return (f"<AtpTable {self.product} at {self.site} from {self.today}: "
                f"{len(self._dates)} days, {self.available(self.today)} now, {self.final} "
                f"in all>")


# ------------------------------------------------------------------ reading the ledger

def _statements():
    """The statements :func:`load_tables` runs, built once (a check runs them in well under a
    millisecond each): sums of moves and holds (and the quotas of the products, for the first
    tables a request reads), and the plan's orders."""
    M, R, O = MOVES.c, RESERVATIONS.c, ORDERS.c
    Q = AllocationQuota.__table__.c
    products = sa.bindparam("products", expanding=True)
    sites = sa.bindparam("sites", expanding=True)
    now = sa.bindparam("now", type_=R.expires_at.type)
    active = sa.or_(R.expires_at.is_(None), R.expires_at > now)
    fixed = R.quantity.type
    none_day = sa.cast(sa.null(), sa.Date())
    none_q = sa.cast(sa.null(), fixed)
    none_n = sa.cast(sa.null(), sa.BigInteger())
    pos = fixed_sum(sa.case((M.delta > 0, M.delta), else_=0))
    neg = fixed_sum(sa.case((M.delta < 0, -M.delta), else_=0))
    branches = [
        # promised: stock held by active promises, by ship day
        sa.select(sa.literal("r").label("t"), R.site, R.item.label("product"),
                  R.date.label("day"), none_day.label("day2"), none_n.label("number"),
                  fixed_sum(R.quantity).label("q1"),
                  sa.type_coerce(none_q, SumOfFixed()).label("q2"))
        .where(R.kind == "stock", R.item.in_(products), R.site.in_(sites), active)
        .group_by(R.site, R.item, R.date),
        # every move, and the last date of one (a move dated after today is read again by
        # _AHEAD, by its date: rare, so the common case is one pass over the moves)
        sa.select(sa.literal("h"), M.site, M.product, sa.func.max(M.date), none_day, none_n,
                  fixed_sum(M.delta), none_q)
        .where(M.product.in_(products), M.site.in_(sites))
        .group_by(M.site, M.product),
        # moves against planned orders: in and out per order, site and product
        sa.select(sa.literal("p"), M.site, M.product, none_day, none_day, M.order_number, pos,
                  neg)
        .where(M.product.in_(products), M.order_number.is_not(None))
        .group_by(M.order_number, M.site, M.product)]
    quotas = [
        # allocation quotas: (tier, period) of each product
        sa.select(sa.literal("q"), sa.literal(""), Q.product, Q.period_start, Q.period_end,
                  sa.cast(Q.tier, sa.BigInteger()), Q.quantity, none_q)
        .where(Q.product.in_(products)),
        # what active promises use of them, by ship day
        sa.select(sa.literal("u"), sa.literal(""), R.item, R.date, none_day,
                  sa.cast(R.tier, sa.BigInteger()),
                  fixed_sum(R.quantity), none_q)
        .where(R.kind == "quota", R.item.in_(products), active)
        .group_by(R.item, R.tier, R.date)]
    orders = (sa.select(O.number, O.type, O.product, O.from_site, O.to_site, O.quantity,
                        O.release_date, O.due_date, O.status)
              .where(O.plan_version_id == sa.bindparam("plan"),
                     O.product.in_(sa.bindparam("order_products", expanding=True)),
                     sa.or_(O.to_site.in_(sa.bindparam("to_sites", expanding=True)),
                            O.from_site.in_(sa.bindparam("from_sites", expanding=True)))))
    ahead = (sa.select(M.site, M.product, M.date, fixed_sum(M.delta))
             .where(M.product.in_(products), M.site.in_(sites),
                    M.date > sa.bindparam("today", type_=sa.Date()))
             .group_by(M.site, M.product, M.date))
    return sa.union_all(*branches), sa.union_all(*branches, *quotas), orders, ahead


_SUMS, _SUMS_AND_QUOTAS, _ORDERS, _AHEAD = _statements()

#: changes whenever an order's status does (a scalar subquery: the last ``order_events`` id)
ORDERS_MARKER = sa.select(sa.func.coalesce(sa.func.max(OrderEvent.__table__.c.id), 0)
                          ).scalar_subquery()


def load_tables(conn: Connection, plan_id: int | None, wanted: set[tuple[str, str]],
                statics: Statics, today: dt.date, now: dt.datetime, *,
                quotas: list | None = None, orders_marker: int | None = None
                ) -> dict[tuple[str, str], AtpTable]:
    """The :class:`AtpTable` of every (site, product) in ``wanted``, from one snapshot: on hand,
    the open orders of plan version ``plan_id``, moves against them, active promises. With a
    list ``quotas``, the allocation quotas of the products (``("q", product, start, end,
    tier, quantity)``) and what promises use of them (``("u", product, day, tier,
    quantity)``) are appended to it, read in the same round trip. With ``orders_marker`` (the
    last ``order_events`` id, see :data:`ORDERS_MARKER`) the plan's orders are kept in
    ``statics`` and read again only when an order's status has changed since."""
    if not wanted:
        return {}
    events: dict[tuple[str, str], list[Event]] = {k: [] for k in wanted}
    sites = sorted({s for s, _ in wanted})
    products = sorted({p for _, p in wanted})
    progress: dict[tuple[int, str, str], tuple[Decimal, Decimal]] = {}
    moved: dict[tuple[str, str], Decimal] = {}
    ahead = False
    for t, site, product, day, day2, number, q1, q2 in conn.execute(
            _SUMS if quotas is None else _SUMS_AND_QUOTAS,
            {"products": products, "sites": sites, "now": now}):
        if t == "p":
            progress[(number, site, product)] = (q1 or ZERO, q2 or ZERO)
        elif t == "q":
            quotas.append(("q", product, day, day2, int(number), q1))
        elif t == "u":
            quotas.append(("u", product, day, int(number), q1))
        elif t == "h":
            if (site, product) in events:
                moved[(site, product)] = q1
                ahead |= day > today
        elif (site, product) in events and q1:
            events[(site, product)].append(Event(day, -q1, "promised", "promised"))
    if ahead:
        # moves dated after today count on their date, not in today's stock
        for site, product, day, q in conn.execute(
                _AHEAD, {"products": products, "sites": sites, "today": today}):
            if (site, product) in events and q:
                moved[(site, product)] -= q
                events[(site, product)].append(Event(
                    day, q, "receipt" if q > 0 else "moved", f"stock moves dated {day}"))
    for key, q in moved.items():
        if q:
            events[key].append(Event(today, q, "on_hand", "on hand"))
    if plan_id is not None:
        _order_events(conn, plan_id, wanted, events, statics, progress, products, sites,
                      orders_marker)
    return {k: AtpTable(k[0], k[1], today, ev) for k, ev in events.items()}


def product_tables(conn: Connection, plan_id: int | None, statics: Statics, product: str, *,
                   site: str | None, today: dt.date, now: dt.datetime) -> dict[str, AtpTable]:
    """The :class:`AtpTable` of ``product`` at every plant and DC of ``statics`` (or at
    ``site``), by site, for plan version ``plan_id``. Raises :class:`NotFoundError` when the
    product or site is not in the ledger."""
    if conn.execute(sa.select(ITEMS.c.id).where(ITEMS.c.id == product)).scalar() is None:
        raise NotFoundError(f"product {product!r} is not an item of the ledger")
    if site is not None and statics.kinds.get(site) not in STOCKING_KINDS:
        raise NotFoundError(f"{site!r} is not a plant or DC of the ledger")
    sites = [site] if site is not None else sorted(
        s for s, k in statics.kinds.items() if k in STOCKING_KINDS)
    tables = load_tables(conn, plan_id, {(s, product) for s in sites}, statics, today, now)
    return {s: tables[(s, product)] for s in sites}


def _order_events(conn, plan_id, wanted, events, statics, progress, products, sites,
                  marker) -> None:
    """Add the events of the plan's orders to ``events``. Without moves posted against the
    orders (``progress``), a version's order events depend only on the orders' statuses, so
    with a ``marker`` they are kept in ``statics`` and built once."""
    components = {(s, p) for s, p in wanted if statics.parents({p})}
    parents = statics.parents({p for _, p in components})
    order_products = sorted(set(products) | parents)
    key = (tuple(order_products), tuple(sites), marker, frozenset(wanted))
    if marker is not None and not progress:
        cached = statics.order_rows.get(key)
        if cached is None:
            cached = {k: [] for k in wanted}
            _build_order_events(conn, plan_id, wanted, cached, statics, {}, components,
                                order_products, sites)
            if len(statics.order_rows) > 4096:
                statics.order_rows.clear()
            statics.order_rows[key] = cached
        for k, ev in cached.items():
            events[k].extend(ev)
        return
    _build_order_events(conn, plan_id, wanted, events, statics, progress, components,
                        order_products, sites)


def _build_order_events(conn, plan_id, wanted, events, statics, progress, components,
                        order_products, sites) -> None:
    nothing = (ZERO, ZERO)
    for num, type_, product, frm, to, qty, release, due, status in conn.execute(
            _ORDERS, {"plan": plan_id, "order_products": order_products, "to_sites": sites,
                      "from_sites": sites}):
        closed = status == "closed"
        if (to, product) in wanted:
            got = progress.get((num, to, product), nothing)[0]
            if not closed:
                if qty - got > 0:
                    events[(to, product)].append(
                        Event(due, qty - got, "receipt", (type_, num, frm, to)))
            elif type_ == "transfer":
                shipped = progress.get((num, frm, product), nothing)[1]
                if shipped - got > 0:
                    events[(to, product)].append(Event(due, shipped - got, "in_transit",
                                                       ("in transit", num, frm, to)))
        if closed:
            continue
        if type_ == "transfer" and frm != to and (frm, product) in wanted:
            shipped = progress.get((num, frm, product), nothing)[1]
            if qty - shipped > 0:
                events[(frm, product)].append(Event(release, shipped - qty, "transfer_out",
                                                    f"transfer order {num} to {to}"))
        if type_ == "production" and components:
            for comp, per in statics.components(frm, product):
                if (frm, comp) in components:
                    issued = progress.get((num, frm, comp), nothing)[1]
                    need = quantize(qty * per) - issued
                    if need > 0:
                        events[(frm, comp)].append(Event(
                            release, -need, "component",
                            f"production order {num} of {product}"))


def describe(ref) -> str:
    """An event's reference as text: receipts keep (type, number, from, to) until asked."""
    if isinstance(ref, str):
        return ref
    kind, num, frm, to = ref
    if kind == "production":
        return f"production order {num} at {to}"
    if kind == "purchase":
        return f"purchase order {num} from {frm}"
    if kind == "in transit":
        return f"transfer order {num} from {frm} (in transit)"
    return f"transfer order {num} from {frm}"

"""One replication as a SimPy model: stock points, lanes, lines and suppliers under daily demand.

The clock counts days from the calendar start. Within day ``t`` events happen in this order,
and every process below keeps to it:

1. **receive** (t + 0): shipments due today arrive (at a site that is down they wait at the gate
   until it is up again); received stock first fills what the stock point owes (customer
   backorders and downstream orders, oldest first).
2. **order** (t + 0.25 + level/1024): stock points due for review compute their inventory
   position ``IP = on hand + on order - owed`` and order what their policy says from their
   source; downstream stock points (lower level) review before their upstream, so an upstream
   sees today's orders before its own review. In plan mode the plan's releases of the period
   happen here on its first day instead. An order to an upstream stock point is served from its
   stock at once (what it lacks is owed); a shipment that takes 0 days arrives at once.
3. **supply** (t + 0.453125): suppliers with limited capacity release queued orders, oldest
   first, within today's capacity; each leaves after the supplier's lead time.
4. **produce** (t + 0.46875): each production line works today's hours on its jobs in order,
   as far as hours and the components already delivered to the job allow; output goes into the
   plant's stock point (and on to what it owes).
5. **demand** (t + 0.5): each customer's demand of the day is filled from its stock point;
   what stock cannot fill is backordered (or lost, as the options say).
6. **cost** (t + 0.75): end-of-day stock and backlog are recorded; KPIs and costs are computed
   from these records afterwards (:mod:`simulation.kpis`).

Shipments to customers take the lane's transit time: a customer order line is on time in full
(OTIF) when its last unit arrives by the requested date (order day + nominal transit +
``order_lead_days``).

Stock is a number per stock point (what a ``simpy.Container`` of unlimited capacity would
hold, without an event per put and get); processes are plain generator functions that take
the environment and what they work on. Goods in transit are one SimPy timeout each, whose
callback receives them (a process would cost two more events); the customer demand of all
stock points is one process (they sell in stock-point order at the same instant).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import simpy

from chainlab.simulation.build import Buy, BuyRelease, Make, MakeRelease, SimModel, Transfer
from chainlab.simulation.options import Replenishment
from chainlab.simulation.trace import Flows, Trace

RECEIVE = 0.0
ORDER = 0.25
SUPPLY = 0.453125
PRODUCE = 0.46875
DEMAND = 0.5
RECORD = 0.75
#: quantities below this are zero (float noise of partial fills)
EPS = 1e-9



# ---------------------------------------------------------------- what is owed and worked on
# Mutable while the replication runs (``qty`` goes down as it is filled); compared by identity.


@dataclass(slots=True, eq=False)
class TransferOrder:
    """A downstream stock point's order: ``qty`` units still to ship to node ``to`` on
    ``lane``."""

    qty: float
    to: int
    lane: int


@dataclass(slots=True, eq=False)
class Job:
    """A production job at node ``node``: ``qty`` units still to make by ``source``;
    ``kit[slot]`` units of component ``source.components[slot]`` delivered to it and not yet
    used."""

    qty: float
    node: int
    source: Make
    kit: list[float]


@dataclass(slots=True, eq=False)
class KitOrder:
    """Components for a job: ``qty`` units still to deliver into ``job.kit[slot]``."""

    qty: float
    job: Job
    slot: int


@dataclass(slots=True, eq=False)
class CustomerOrder:
    """A backorder of customer stream ``stream``: ``qty`` units still owed of the demand of
    day ``day``, requested by day ``due``."""

    qty: float
    stream: int
    due: int
    day: int


Order = TransferOrder | KitOrder | CustomerOrder


@dataclass(slots=True, eq=False)
class SupplyOrder:
    """An order queued at a supplier with limited capacity: ``qty`` units still to release,
    shipped on ``lane`` (None: no lane) to node ``to``, leaving ``delay`` days after release."""

    qty: float
    lane: int | None
    to: int
    delay: int


class World:
    """The state of one replication: SimPy environment, stock, what is owed and on order,
    random inputs (demand, transit days) and the records the KPIs are computed from."""

    def __init__(self, model: SimModel, demand: np.ndarray, lead: np.ndarray, slack: int):
        self.model = model
        self.env = simpy.Environment()
        D = self.days = model.days
        N = len(model.nodes)
        #: units on hand per node
        self.level = [n.on_hand for n in model.nodes]
        self.on_order = [0.0] * N
        self.owed = [0.0] * N
        self.cust_owed = [0.0] * N
        self.backlog = [deque() for _ in range(N)]
        self.site_of = [n.site_index for n in model.nodes]
        self.product_of = [n.product for n in model.nodes]
        self.down = [row.tolist() for row in model.down]
        self.demand = demand.tolist()
        self.lead = lead.tolist()
        self.lane_cost = model.lanes["cost"].tolist()
        self.nominal = model.lanes["nominal"].tolist()
        self.stream_lane = model.streams["lane"].tolist()
        self.stream_node = model.streams["node"].tolist()
        self.slack = slack
        sup = model.supplies
        self.sup_cost = sup["unit_cost"].tolist()
        self.sup_lead = sup["lead_days"].tolist()
        self.sup_product = sup["product"].tolist()
        # an unlimited supplier cut to 0 ships nothing (inf * 0 would be nan)
        self.sup_cap = [np.where(scale == 0, 0.0, cap * np.where(scale == 0, 1.0, scale)).tolist()
                        for cap, scale in zip(sup["cap_per_day"].to_numpy(), model.supply_scale)]
        self.sup_queue = [deque() for _ in range(len(sup))]
        self.sup_queued = [0.0] * len(sup)
        self.jobs = [[] for _ in range(len(model.lines))]
        # records
        M = len(model.streams)
        self.on_hand_rows: list[list[float]] = []
        self.owed_rows: list[list[float]] = []
        self.filled = [[0.0] * D for _ in range(M)]
        self.lost = [[0.0] * D for _ in range(M)]
        self.otif = [[0] * D for _ in range(M)]
        # backordered units by the day they were demanded: filled later, filled later but by
        # the end of that day's period, and the days they waited (units x days)
        self.late_filled = [[0.0] * D for _ in range(M)]
        self.late_in_period = [[0.0] * D for _ in range(M)]
        self.late_days = [[0.0] * D for _ in range(M)]
        self.bucket = model.bucket_days
        self.stockout = [[0] * D for _ in range(N)]
        self.transport = [0.0] * D
        self.purchase = [0.0] * D
        self.production = [0.0] * D
        products = sorted({n.product for n in model.nodes} | set(model.streams["product"]))
        # units per product for the unit balance (see :class:`simulation.trace.Flows`)
        self.bought = dict.fromkeys(products, 0.0)
        self.made = dict.fromkeys(products, 0.0)
        self.consumed = dict.fromkeys(products, 0.0)
        self.delivered = dict.fromkeys(products, 0.0)
        self.in_transit = dict.fromkeys(products, 0.0)
        self.wip = dict.fromkeys(products, 0.0)

    # ------------------------------------------------------------ moving goods

    def ship(self, n: int, order: Order, q: float, day: int) -> None:
        """``q`` units taken from node ``n`` go to what ``order`` is for."""
        p = self.product_of[n]
        if isinstance(order, TransferOrder):
            lane = order.lane
            self.transport[day] += q * self.lane_cost[lane]
            self.send(order.to, q, day + self.lead[lane][day], p)
        elif isinstance(order, KitOrder):
            order.job.kit[order.slot] += q
            self.wip[p] += q
        else:
            m = order.stream
            lane = self.stream_lane[m]
            self.transport[day] += q * self.lane_cost[lane]
            self.delivered[p] += q
            self.cust_owed[n] -= q
            d0 = order.day
            self.late_filled[m][d0] += q
            self.late_days[m][d0] += q * (day - d0)
            if day // self.bucket == d0 // self.bucket:
                self.late_in_period[m][d0] += q
            if order.qty <= EPS and day + self.lead[lane][day] <= order.due:
                self.otif[m][d0] = 1

    def send(self, to: int, q: float, arrive: int, product: str) -> None:
        """Put ``q`` units in transit to node ``to``, arriving on day ``arrive``."""
        self.in_transit[product] += q
        if arrive < self.days:
            env = self.env
            env.timeout(max(0.0, arrive + RECEIVE - env.now)).callbacks.append(
                _Arrival(self, to, q, arrive))

    def receive(self, n: int, q: float, day: int) -> None:
        """``q`` units arrive at node ``n`` (from transit or production)."""
        self.level[n] += q
        self.on_order[n] -= q
        self.drain(n, day)

    def drain(self, n: int, day: int) -> None:
        """Fill what node ``n`` owes from its stock, oldest first."""
        queue, level = self.backlog[n], self.level
        if self.down[self.site_of[n]][day]:
            return
        while queue and level[n] > EPS:
            order = queue[0]
            q = min(order.qty, level[n])
            level[n] -= q
            order.qty -= q
            self.owed[n] -= q
            if order.qty <= EPS:
                order.qty = 0.0
                queue.popleft()
            self.ship(n, order, q, day)

    def request(self, n: int, order: Order, day: int) -> None:
        """An order reaches node ``n``: served from stock at once, the rest owed."""
        level = self.level
        if not self.backlog[n] and not self.down[self.site_of[n]][day] and level[n] > EPS:
            q = min(order.qty, level[n])
            level[n] -= q
            order.qty -= q
            if order.qty <= EPS:
                order.qty = 0.0
                self.ship(n, order, q, day)
                return
            self.ship(n, order, q, day)
        self.backlog[n].append(order)
        self.owed[n] += order.qty

    def place(self, n: int, q: float, day: int) -> None:
        """Node ``n`` orders ``q`` units from its source."""
        src = self.model.nodes[n].source
        self.on_order[n] += q
        if isinstance(src, Transfer):
            self.request(src.upstream, TransferOrder(q, n, src.lane), day)
        elif isinstance(src, Make):
            self.start_job(n, src, q, day)
        elif isinstance(src, Buy):
            s, lane = src.supply, src.lane
            if src.others and self.sup_queued[s] + q > self.sup_cap[s][day]:
                s, lane = self.soonest(src, q, day)
            self.buy(s, lane, n, q, day, self.sup_lead[s])

    def soonest(self, src: Buy, q: float, day: int) -> tuple[int, int | None]:
        """The cheapest offer with capacity left today for ``q`` more units; when every one is
        booked, the offer expected to deliver first (queue / daily capacity + supplier lead
        time + nominal transit days), cheapest first among equals."""
        offers = ((src.supply, src.lane),) + src.others
        best = None
        for rank, (s, lane) in enumerate(offers):
            cap = self.sup_cap[s][day]
            if self.sup_queued[s] + q <= cap:
                return s, lane
            wait = (self.sup_queued[s] + q) / cap if cap > 0 else math.inf
            eta = wait + self.sup_lead[s] + (self.nominal[lane] if lane is not None else 0)
            if best is None or (eta, rank) < best[0]:
                best = ((eta, rank), s, lane)
        return best[1], best[2]

    def start_job(self, n: int, src: Make, q: float, day: int) -> None:
        job = Job(q, n, src, [0.0] * len(src.components))
        self.jobs[src.line].append(job)
        for slot, (c, per) in enumerate(src.components):
            self.request(c, KitOrder(q * per, job, slot), day)

    def buy(self, s: int, lane, to: int, q: float, day: int, delay: int) -> None:
        cap = self.sup_cap[s]
        if cap[day] == math.inf and not self.sup_queue[s]:
            self.dispatch(s, lane, to, q, day, delay)
        else:
            self.sup_queue[s].append(SupplyOrder(q, lane, to, delay))
            self.sup_queued[s] += q

    def dispatch(self, s: int, lane, to: int, q: float, day: int, delay: int) -> None:
        """Supplier ``s`` releases ``q`` units: they leave ``delay`` days later."""
        p = self.sup_product[s]
        self.purchase[day] += q * self.sup_cost[s]
        self.bought[p] += q
        depart = day + delay
        if lane is None:
            self.send(to, q, depart, p)
            return
        self.transport[day] += q * self.lane_cost[lane]
        arrive = depart + self.lead[lane][depart] if depart < self.days else self.days
        self.send(to, q, arrive, p)

    # ------------------------------------------------------------ output

    def records(self) -> Trace:
        """The replication's records (after the run)."""
        m = self.model
        end_owed = np.zeros(len(m.streams))
        for queue in self.backlog:
            for order in queue:
                if isinstance(order, CustomerOrder):
                    end_owed[order.stream] += order.qty
        end_stock = {p: 0.0 for p in self.bought}
        for n, c in zip(m.nodes, self.level):
            end_stock[n.product] += c
        N = len(m.nodes)
        on_hand = np.array(self.on_hand_rows, dtype=float).reshape(-1, N).T
        owed = np.array(self.owed_rows, dtype=float).reshape(-1, N).T
        flows = Flows(bought=self.bought, made=self.made, consumed=self.consumed,
                      delivered=self.delivered, in_transit=self.in_transit, wip=self.wip,
                      end_stock=end_stock)
        return Trace(
            on_hand=np.ascontiguousarray(on_hand), cust_backlog=np.ascontiguousarray(owed),
            stockout=np.array(self.stockout, bool),
            filled=np.array(self.filled), lost=np.array(self.lost),
            otif=np.array(self.otif, dtype=bool),
            late_filled=np.array(self.late_filled),
            late_in_period=np.array(self.late_in_period),
            late_days=np.array(self.late_days),
            transport=np.array(self.transport), purchase=np.array(self.purchase),
            production=np.array(self.production), end_owed=end_owed, flows=flows,
            events=_events(self.env))


def _events(env: simpy.Environment) -> int:
    """Events scheduled so far (SimPy numbers them; the counter is internal)."""
    eid = getattr(env, "_eid", None)
    return int(next(eid)) if eid is not None else -1


# ---------------------------------------------------------------- processes


class _Arrival:
    """Goods on a lane, as the callback of their timeout: they arrive on day ``arrive``, or
    when the site reopens."""

    __slots__ = ("w", "to", "q", "arrive")

    def __init__(self, w: World, to: int, q: float, arrive: int):
        self.w, self.to, self.q, self.arrive = w, to, q, arrive

    def __call__(self, _event) -> None:
        w, to, arrive = self.w, self.to, self.arrive
        down = w.down[w.site_of[to]]
        day = arrive
        while day < w.days and down[day]:
            day += 1
        if day >= w.days:
            return
        if day > arrive:
            self.arrive = day
            w.env.timeout(day + RECEIVE - w.env.now).callbacks.append(self)
            return
        w.in_transit[w.product_of[to]] -= self.q
        w.receive(to, self.q, day)


def review(env, w: World, n: int):
    """Node ``n`` reviews its position every ``review_days`` and orders per its policy."""
    node = w.model.nodes[n]
    policy, R = node.policy, node.policy.review_days
    at = ORDER + node.level / 1024
    level, down = w.level, w.down[node.site_index]
    on_order, owed = w.on_order, w.owed
    for day in range(0, w.days, R):
        yield env.timeout(day + at - env.now)
        if down[day]:
            continue
        q = policy.order(level[n] + on_order[n] - owed[n])
        if q > EPS:
            w.place(n, q, day)


def sell(env, w: World, by_node: dict[int, list[int]]):
    """Customer demand: each day, at each node in node order, filled from stock, the rest
    backordered or lost."""
    backorder = w.model.backlog
    level, owed, cust_owed, delivered, transport = (w.level, w.owed, w.cust_owed, w.delivered,
                                                    w.transport)
    points = []
    for n, streams in sorted(by_node.items()):
        rows = [(m, w.demand[m], w.filled[m], w.lost[m], w.otif[m], w.lead[w.stream_lane[m]],
                 w.lane_cost[w.stream_lane[m]], w.nominal[w.stream_lane[m]] + w.slack)
                for m in streams]
        points.append((n, w.down[w.site_of[n]], rows, w.product_of[n], w.backlog[n],
                       w.stockout[n]))
    for day in range(w.days):
        yield env.timeout(day + DEMAND - env.now)
        for n, down, rows, p, backlog, stockout in points:
            left = 0.0 if down[day] else level[n]
            sold = cost = 0.0
            for m, demand, filled, lost, otif, lead, c, due in rows:
                q = demand[day]
                if q <= 0:
                    continue
                f = min(q, left)
                if f > EPS:
                    left -= f
                    sold += f
                    cost += f * c
                    filled[day] = f
                else:
                    f = 0.0
                short = q - f
                if short > EPS:
                    stockout[day] = 1
                    if backorder:
                        backlog.append(CustomerOrder(short, m, day + due, day))
                        owed[n] += short
                        cust_owed[n] += short
                    else:
                        lost[day] = short
                elif lead[day] <= due:
                    otif[day] = 1
            if sold > 0:
                level[n] -= min(sold, level[n])
                transport[day] += cost
                delivered[p] += sold


def line(env, w: World, k: int, hours: float):
    """Production line ``k``: each day, ``hours`` (times the day's capacity change) of work on
    its jobs in order."""
    jobs = w.jobs[k]
    down = w.down[w.model.sites.index(w.model.lines.at[k, "plant"])]
    scale = w.model.line_scale[k].tolist()
    for day in range(w.days):
        yield env.timeout(day + PRODUCE - env.now)
        if not jobs or down[day] or scale[day] == 0:
            continue
        budget = hours * scale[day] if scale[day] != 1 else hours
        for job in list(jobs):
            q, n, src, kit = job.qty, job.node, job.source, job.kit
            hpu = src.hours_per_unit
            if hpu > 0:
                q = min(q, budget / hpu)
            for slot, (c, per) in enumerate(src.components):
                q = min(q, kit[slot] / per)
            if q <= EPS:
                continue
            for slot, (c, per) in enumerate(src.components):
                kit[slot] -= q * per
                pc = w.product_of[c]
                w.wip[pc] -= q * per
                w.consumed[pc] += q * per
            job.qty -= q
            if job.qty <= EPS:
                jobs.remove(job)
            budget -= q * hpu
            w.production[day] += q * src.unit_cost
            w.made[w.product_of[n]] += q
            w.receive(n, q, day)
            if hpu > 0 and budget <= EPS:
                break


def supplier(env, w: World, s: int, site: int):
    """A supplier with limited capacity: queued orders released oldest first each day."""
    queue, cap, down = w.sup_queue[s], w.sup_cap[s], w.down[site]
    for day in range(w.days):
        yield env.timeout(day + SUPPLY - env.now)
        if not queue or down[day]:
            continue
        left = cap[day]
        while queue and left > EPS:
            order = queue[0]
            q = min(order.qty, left)
            order.qty -= q
            left -= q
            w.sup_queued[s] -= q
            if order.qty <= EPS:
                queue.popleft()
            w.dispatch(s, order.lane, order.to, q, day, order.delay)


def release_plan(env, w: World):
    """Plan mode: on the first day of each period, the period's releases."""
    for day in sorted(w.model.releases):
        yield env.timeout(day + ORDER - env.now)
        for rel in w.model.releases[day]:
            if isinstance(rel, MakeRelease):
                w.on_order[rel.node] += rel.qty
                w.start_job(rel.node, w.model.nodes[rel.node].source, rel.qty, day)
            elif isinstance(rel, BuyRelease):
                w.on_order[rel.to] += rel.qty
                w.buy(rel.supply, rel.lane, rel.to, rel.qty, day, 0)
            else:
                w.on_order[rel.to] += rel.qty
                w.request(rel.origin, TransferOrder(rel.qty, rel.to, rel.lane), day)


def reopen(env, w: World, site: int, nodes: list[int]):
    """After an outage, the site's stock points fill what they came to owe."""
    down = w.down[site]
    for day in range(1, w.days):
        if down[day - 1] and not down[day]:
            yield env.timeout(day + RECEIVE - env.now)
            for n in nodes:
                w.drain(n, day)


def record(env, w: World):
    """End of day: stock and customer backlog of every node."""
    level, owed = w.level, w.cust_owed
    for day in range(w.days):
        yield env.timeout(day + RECORD - env.now)
        w.on_hand_rows.append(level[:])
        w.owed_rows.append(owed[:])


# ---------------------------------------------------------------- a replication


def run(model: SimModel, demand: np.ndarray, lead: np.ndarray, order_lead_days: int = 0) -> Trace:
    """One replication with the given demand (streams x days) and transit days (lanes x days);
    returns its records."""
    w = World(model, demand, lead, order_lead_days)
    env = w.env
    by_node: dict[int, list[int]] = {}
    for m, n in enumerate(w.stream_node):
        by_node.setdefault(n, []).append(m)
    if by_node:
        env.process(sell(env, w, by_node))
    if model.replenishment is Replenishment.POLICY:
        order = sorted(range(len(model.nodes)), key=lambda i: (model.nodes[i].level, i))
        for n in order:
            if model.nodes[n].source is not None:
                env.process(review(env, w, n))
    else:
        env.process(release_plan(env, w))
    for k, h in enumerate(model.lines["hours_per_day"].tolist()):
        env.process(line(env, w, k, h))
    sup = model.supplies
    for s in range(len(sup)):
        if np.isfinite(sup.at[s, "cap_per_day"]) or (model.supply_scale[s] != 1).any():
            env.process(supplier(env, w, s, model.sites.index(sup.at[s, "supplier"])))
    for site in np.flatnonzero(model.down.any(axis=1)):
        nodes = [i for i, n in enumerate(model.nodes) if n.site_index == site]
        if nodes:
            env.process(reopen(env, w, int(site), nodes))
    env.process(record(env, w))
    env.run(until=model.days)
    return w.records()

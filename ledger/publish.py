"""Publishing a plan: a new plan version with all its planned orders, made current in the same
transaction.

Readers see the previous version or the new one, never a mix: the orders, the version row and
the switch of the current pointer commit together (a process killed half-way leaves nothing).
Publishing the plan that is already current changes nothing (same content hash). Orders the ERP
has firmed or released in the current version are carried into the new one with their numbers,
and the new plan's orders with the same type, product, sites and due date are reduced by their
quantity (the firm order already covers it), as MRP nets firm planned orders.

Published with its network, a plan also brings the stock it starts from (:class:`OpeningStock`):
each site and product of the network's inventory with stock on hand and no stock move in the
ledger yet gets one opening move (:func:`ledger.moves.post_opening_stock`), in the same
transaction. After that the ledger's own moves are the truth: a republish, a newer plan or
another network posts no opening stock where there are moves.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger import ctp
from chainlab.ledger import report as plan_report
from chainlab.ledger.moves import ITEMS, LOCATIONS, post_opening_stock
from chainlab.ledger.orders import ORDERS, STATE, VERSIONS, lock_state
from chainlab.ledger.planned import ORDER_COLUMNS
from chainlab.ledger.tables import utcnow
from chainlab.ledger.types import MAX_AMOUNT, SCALE, OrderStatus
from chainlab.models.errors import Issue, ValidationError
from chainlab.models.records import JsonRecord

_INSERT_COLUMNS = ["plan_version_id", "number", "type", "product", "from_site", "to_site",
                   "quantity", "release_date", "due_date", "status", "carried_from"]


@dataclass(frozen=True)
class PublishResult(JsonRecord):
    """``plan_version`` is current now; ``created`` is False when that plan already was (same
    ``content_hash``). ``orders`` counts the version's orders, ``carried`` those kept from the
    previous version (firm or released), ``opening_moves`` the opening stock moves posted
    (:class:`OpeningStock`; 0 without a network, or when each site and product with stock
    already had moves)."""

    plan_version: int
    orders: int
    carried: int
    created: bool
    content_hash: str
    previous: int | None
    opening_moves: int = 0


@dataclass(frozen=True)
class OpeningStock:
    """The stock a plan starts from: ``on_hand`` (site, product, quantity) from the network's
    inventory table, posted on ``date``, the start of the plan's first period."""

    on_hand: tuple[tuple[str, str, Decimal], ...]
    date: dt.date
    reference: str = ""

    @classmethod
    def of(cls, net) -> OpeningStock:
        """The opening stock of network ``net``: its inventory's ``on_hand`` > 0."""
        q = net.inventory["on_hand"]
        rows = tuple((str(s), str(p), Decimal(str(x))) for (s, p), x in q[q > 0].items())
        return cls(rows, net.calendar.start, f"opening balance from network {net.name}")


def publish_orders(conn: Connection, orders: pd.DataFrame, content_hash: str, *,
                   name: str = "", network: str = "", source: str = "",
                   promising: ctp.PromisingData | None = None,
                   report: dict | None = None,
                   opening: OpeningStock | None = None) -> PublishResult:
    """Write ``orders`` (:data:`ledger.planned.ORDER_COLUMNS`) as a new current plan version,
    inside the caller's transaction. Products and sites must be in the master data.

    ``promising`` (lanes, routings, bills of material, resource hours) is stored with the
    version for order promising; without it the previous version's is carried over
    (:func:`ledger.ctp.store`). ``report`` (:func:`ledger.report.plan_report`) is stored with
    the version for the web page; without it the version has none. ``opening`` stock is
    posted where the ledger has no moves yet, also when the plan is already current."""
    current = lock_state(conn, exclusive=True)
    # under the lock, so a publish sees the opening moves of the one before it
    opened = len(post_opening_stock(conn, opening.on_hand, opening.date,
                                    reference=opening.reference)) if opening else 0
    if current is not None:
        cur = conn.execute(sa.select(VERSIONS.c.content_hash, VERSIONS.c.order_count,
                                     VERSIONS.c.carried_count)
                           .where(VERSIONS.c.id == current)).one()
        if cur.content_hash == content_hash:
            return PublishResult(current, cur.order_count, cur.carried_count, False,
                                 content_hash, None, opened)
    orders = _checked(conn, orders)
    carried = _carried(conn, current)
    orders = _net(orders, carried)

    n = len(orders)
    first = conn.execute(STATE.update().where(STATE.c.id == 1)
                         .values(next_order_number=STATE.c.next_order_number + n)
                         .returning(STATE.c.next_order_number)).scalar_one() - n
    total = n + len(carried)
    plan_id = conn.execute(VERSIONS.insert().returning(VERSIONS.c.id).values(
        name=name[:200], content_hash=content_hash, network=network[:200], source=source[:500],
        previous_id=current, order_count=total, carried_count=len(carried),
        created_at=utcnow())).scalar_one()

    rows = pd.DataFrame({
        "plan_version_id": plan_id, "number": np.arange(first, first + n, dtype=np.int64),
        **{c: orders[c].to_numpy() for c in ORDER_COLUMNS},
        "status": OrderStatus.PLANNED.value, "carried_from": None,
    })
    if len(carried):
        keep = carried.assign(plan_version_id=plan_id)
        rows = pd.concat([keep[_INSERT_COLUMNS], rows[_INSERT_COLUMNS]], ignore_index=True)
    _bulk_insert(conn, rows[_INSERT_COLUMNS])
    ctp.store(conn, plan_id, promising, rows, current)
    if report is not None:
        plan_report.store(conn, plan_id, report)
    conn.execute(STATE.update().where(STATE.c.id == 1).values(current_plan_id=plan_id))
    return PublishResult(plan_id, total, len(carried), True, content_hash, current, opened)


def _first(bad: np.ndarray, position: np.ndarray, n: int = 10) -> np.ndarray:
    """The places of the first ``n`` bad rows in the caller's order (``position``)."""
    i = np.flatnonzero(bad)
    return i[np.argsort(position[i], kind="stable")][:n]


def _checked(conn: Connection, orders: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ORDER_COLUMNS if c not in orders.columns]
    if missing:
        raise ValidationError(f"planned orders lack column(s) {', '.join(missing)}")
    # issues name an order by its row in the caller's table (its index: the caller sorts
    # a table by its content to hash it, and the row numbers must still be the caller's)
    position = orders.index.to_numpy()
    orders = orders[ORDER_COLUMNS].reset_index(drop=True)
    items = set(conn.execute(sa.select(ITEMS.c.id)).scalars())
    sites = set(conn.execute(sa.select(LOCATIONS.c.id)).scalars())
    issues = []
    for col, known, what in (("product", items, "an item"), ("from_site", sites, "a location"),
                             ("to_site", sites, "a location")):
        bad = ~orders[col].isin(known)
        for i in _first(bad.to_numpy(), position):
            issues.append(Issue("orders", f"{col} {orders[col].iloc[i]!r} is not {what} of the "
                                          f"ledger; publish with the plan's network (its sites "
                                          f"and products become master data)",
                                row=int(position[i]), column=col))
    q = pd.to_numeric(orders["quantity"], errors="coerce")
    for i in _first((q.isna() | (q <= 0) | (q > float(MAX_AMOUNT))).to_numpy(), position):
        issues.append(Issue("orders", f"quantity {orders['quantity'].iloc[i]} must be a number "
                                      f"> 0 and at most {MAX_AMOUNT:,f}", row=int(position[i]),
                            column="quantity"))
    rel = pd.to_datetime(orders["release_date"], errors="coerce")
    due = pd.to_datetime(orders["due_date"], errors="coerce")
    for i in _first((rel.isna() | due.isna() | (rel > due)).to_numpy(), position):
        issues.append(Issue("orders", f"release_date {orders['release_date'].iloc[i]} and "
                                      f"due_date {orders['due_date'].iloc[i]} must be dates with "
                                      f"release <= due", row=int(position[i]),
                            column="due_date"))
    if issues:
        raise ValidationError(issues)
    orders["quantity"] = q.round(SCALE)
    orders["release_date"], orders["due_date"] = rel.dt.date, due.dt.date
    return orders


def _carried(conn: Connection, current: int | None) -> pd.DataFrame:
    """The current version's firm and released orders, as rows to insert."""
    if current is None:
        return pd.DataFrame(columns=_INSERT_COLUMNS)
    keep = [s.value for s in OrderStatus if s.carried]
    rows = conn.execute(sa.select(*[ORDERS.c[c] for c in _INSERT_COLUMNS])
                        .where(ORDERS.c.plan_version_id == current, ORDERS.c.status.in_(keep))
                        .order_by(ORDERS.c.number)).mappings().all()
    df = pd.DataFrame(rows, columns=_INSERT_COLUMNS)
    if len(df):
        df["carried_from"] = [c if c is not None else current for c in df["carried_from"]]
        df["quantity"] = df["quantity"].astype(float)
    return df


def _net(orders: pd.DataFrame, carried: pd.DataFrame) -> pd.DataFrame:
    """New orders less the carried quantity of the same type, product, sites and due date."""
    if not len(carried) or not len(orders):
        return orders
    key = ["type", "product", "from_site", "to_site", "due_date"]
    firm = carried.groupby(key, as_index=False)["quantity"].sum().rename(
        columns={"quantity": "firm"})
    out = orders.merge(firm, on=key, how="left")
    # one firm quantity per key: spend it on that key's orders in their order
    out["firm"] = out["firm"].fillna(0.0)
    before = out.groupby(key, sort=False)["quantity"].cumsum() - out["quantity"]
    out["quantity"] = (out["quantity"] - (out["firm"] - before).clip(lower=0)).clip(lower=0)
    out["quantity"] = out["quantity"].round(SCALE)
    return out[out["quantity"] > 0][ORDER_COLUMNS].reset_index(drop=True)


def _bulk_insert(conn: Connection, rows: pd.DataFrame) -> None:
    """Insert the orders fast, inside the caller's transaction: COPY on PostgreSQL, one
    executemany on SQLite (quantities as micro-units, see :class:`ledger.types.Fixed`)."""
    if not len(rows):
        return
    rows = rows.assign(carried_from=pd.array(rows["carried_from"].astype(float), dtype="Int64"),
                       number=rows["number"].astype(np.int64),
                       quantity=rows["quantity"].astype(float))
    if conn.dialect.name == "postgresql":
        buf = io.StringIO()
        text = rows.assign(**{c: pd.to_datetime(rows[c]).to_numpy().astype("datetime64[D]")
                              .astype(str) for c in ("release_date", "due_date")})
        text.to_csv(buf, index=False, header=False, float_format=f"%.{SCALE}f",
                    lineterminator="\n")
        raw = conn.connection.driver_connection
        cols = ", ".join(_INSERT_COLUMNS)
        copy = f"COPY planned_orders ({cols}) FROM STDIN WITH (FORMAT csv)"
        with raw.cursor() as cur, cur.copy(copy) as cp:
            cp.write(buf.getvalue())
        return
    if conn.dialect.name == "sqlite":
        cols = {c: rows[c].tolist() for c in _INSERT_COLUMNS}
        cols["quantity"] = np.rint(rows["quantity"].to_numpy(dtype=float) * 10**SCALE).astype(
            np.int64).tolist()
        for c in ("release_date", "due_date"):
            cols[c] = pd.to_datetime(rows[c]).to_numpy().astype("datetime64[D]").astype(
                str).tolist()
        cols["carried_from"] = [None if c is pd.NA else int(c) for c in cols["carried_from"]]
        data = list(zip(*(cols[c] for c in _INSERT_COLUMNS)))
        sql = (f"INSERT INTO planned_orders ({', '.join(_INSERT_COLUMNS)}) "
               f"VALUES ({', '.join('?' * len(_INSERT_COLUMNS))})")
        conn.exec_driver_sql(sql, data)
        return
    conn.execute(ORDERS.insert(), rows.to_dict("records"))

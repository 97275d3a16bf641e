"""The :class:`Ledger`: one object over one database that opens the transactions and calls the
functions of :mod:`ledger.moves`, :mod:`ledger.orders`, :mod:`ledger.publish`, ... inside them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Self

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger import db, idempotency, keys, masterdata, moves, orders, planned, publish
from ledger.idempotency import Idempotency
from ledger.keys import KeyInfo
from ledger.masterdata import SyncResult
from ledger.moves import Balance, Move, MoveIn, TrialBalance
from ledger.orders import Order, OrderFilter, OrderPage, PlanInfo
from ledger.publish import PublishResult
from ledger.types import MoveType, OrderStatus, Role
from models.errors import NotFoundError


class Ledger:
    """The ERP ledger in one database (a URL or an Engine; default
    :func:`ledger.db.default_database_url`).

    >>> led = Ledger("sqlite:///ledger.db", upgrade=True)
    >>> led.publish("out/plan", network=net)            # doctest: +SKIP
    >>> led.post_moves([MoveIn("receipt", "DC1", "FG1", Decimal(5), dt.date.today())])
    ...                                                  # doctest: +SKIP

    ``upgrade=True`` creates or migrates the schema first; otherwise a database without the
    current schema raises :class:`ledger.errors.SchemaError` on first use (``check=False``
    skips that check).
    """

    def __init__(self, database: str | sa.URL | Engine | None = None, *, upgrade: bool = False,
                 check: bool = True):
        self.engine = database if isinstance(database, Engine) else db.connect(database)
        self._owns_engine = not isinstance(database, Engine)
        if upgrade:
            db.upgrade(self.engine)
        elif check:
            db.check_schema(self.engine)

    def __repr__(self) -> str:
        return f"<Ledger {db.redact(self.engine.url)}>"

    def close(self) -> None:
        """Close the connections (of an engine this ledger made)."""
        if self._owns_engine:
            self.engine.dispose()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def upgrade(self, revision: str = "head") -> str:
        return db.upgrade(self.engine, revision)

    # ------------------------------------------------------------ master data and plans

    def sync(self, net) -> SyncResult:
        """Make items, locations and accounts match network ``net``."""
        with db.writing(self.engine) as conn:
            return masterdata.sync_master_data(conn, net)

    def publish(self, plan, *, network=None, name: str = "", source: str = "",
                idempotency: Idempotency | None = None) -> PublishResult:
        """Publish a plan (a folder written by ``Plan.to_folder``, a ``Plan``, or a DataFrame of
        planned orders with :data:`ledger.planned.ORDER_COLUMNS`) as the new current version.

        With ``network`` (a :class:`models.Network`) the master data is synced from it in the
        same transaction, and a plan folder or ``Plan`` is turned into orders with its calendar
        and lead times (:func:`ledger.planned.planned_orders_from_plan`). Without it the plan
        must refer only to sites and products the ledger already has."""
        if isinstance(plan, pd.DataFrame):
            table = plan
        else:
            kinds = None
            if network is None:
                with db.reading(self.engine) as conn:
                    kinds = masterdata.site_kinds(conn)
                if not kinds:
                    raise NotFoundError("the ledger has no master data yet; publish this plan "
                                        "with its network (network=..., --network NET)")
            table = planned.planned_orders_from_plan(plan, network, site_kinds=kinds)
            if not source and isinstance(plan, (str, Path)):
                source = str(Path(plan).resolve())
        net_name = network.name if network is not None else ""
        return self.publish_orders(table, name=name or net_name, network=network,
                                   source=source, idempotency=idempotency)

    def publish_orders(self, table: pd.DataFrame, *, name: str = "", network=None,
                       sites: pd.DataFrame | None = None, products: pd.DataFrame | None = None,
                       source: str = "", idempotency: Idempotency | None = None
                       ) -> PublishResult:
        """Publish planned orders (:data:`ledger.planned.ORDER_COLUMNS`), first syncing the
        master data from ``network`` or from ``sites``/``products`` tables when given."""
        table = table[planned.ORDER_COLUMNS].sort_values(
            planned.ORDER_COLUMNS[:4] + planned.ORDER_COLUMNS[5:], kind="stable")
        net_name = network.name if network is not None else ""
        digest = planned.content_hash(table)

        def work(conn):
            if network is not None or sites is not None or products is not None:
                masterdata.sync_master_data(conn, network, sites=sites, products=products,
                                            deactivate=network is not None)
            return publish.publish_orders(conn, table, digest, name=name, network=net_name,
                                          source=source).as_dict()

        answer, _ = _run(self.engine, idempotency, work)
        return PublishResult(**answer)

    def plans(self, *, limit: int = 100, before: int | None = None) -> list[PlanInfo]:
        with db.reading(self.engine) as conn:
            return orders.plan_versions(conn, limit=limit, before=before)

    def plan(self, plan_id: int | None = None) -> PlanInfo:
        """Plan version ``plan_id``, or the current one."""
        with db.reading(self.engine) as conn:
            return orders.get_plan(conn, plan_id)

    def orders(self, plan_id: int | None = None, filters: OrderFilter | None = None, *,
               cursor: str | None = None, limit: int = 100) -> OrderPage:
        """A page of a version's orders (default: the current version, or the cursor's)."""
        with db.reading(self.engine) as conn:
            if plan_id is None:
                plan_id = (orders.decode_cursor(cursor)[0] if cursor
                           else orders.get_plan(conn).id)
            return orders.list_orders(conn, plan_id, filters or OrderFilter(), cursor=cursor,
                                      limit=limit)

    def iter_orders(self, plan_id: int | None = None, filters: OrderFilter | None = None
                    ) -> Iterator[Order]:
        """Every matching order of a version, from one consistent snapshot."""
        with db.reading(self.engine) as conn:
            plan_id = plan_id if plan_id is not None else orders.get_plan(conn).id
            orders.get_plan(conn, plan_id)
            yield from orders.iter_orders(conn, plan_id, filters or OrderFilter())

    def order(self, number: int, plan_id: int | None = None) -> Order:
        with db.reading(self.engine) as conn:
            return orders.get_order(conn, number, plan_id)

    def set_order_status(self, number: int, status: OrderStatus | str, *, actor: str = "",
                         idempotency: Idempotency | None = None) -> Order:
        """Move order ``number`` of the current plan forward to ``status``."""
        answer, _ = _run(self.engine, idempotency, lambda conn: orders.set_order_status(
            conn, number, OrderStatus(status), actor=actor).as_dict())
        return _order(answer)

    # ------------------------------------------------------------ stock moves

    def post_moves(self, items: Sequence[MoveIn], *, actor: str = "",
                   idempotency: Idempotency | None = None) -> list[Move]:
        """Post moves atomically, each with its balanced journal entry; a retry with the same
        ``idempotency`` key returns the first answer and posts nothing."""
        answer, _ = _run(self.engine, idempotency, lambda conn: [
            m.as_dict() for m in moves.post_moves(conn, items, actor=actor)])
        return [_move(d) for d in answer]

    def post_move(self, type: MoveType | str, site: str, product: str, quantity,
                  date: dt.date | None = None, *, reference: str = "",
                  order_number: int | None = None, actor: str = "") -> Move:
        """Post one move (``date`` defaults to today)."""
        m = MoveIn(MoveType(type), site, product, Decimal(str(quantity)),
                   date or dt.date.today(), reference, order_number)
        return self.post_moves([m], actor=actor)[0]

    def reverse_move(self, move_id: int, *, date: dt.date | None = None, reference: str = "",
                     actor: str = "", idempotency: Idempotency | None = None) -> Move:
        """Correct a move by posting its reversal."""
        answer, _ = _run(self.engine, idempotency, lambda conn: moves.reverse_move(
            conn, move_id, date=date, reference=reference, actor=actor).as_dict())
        return _move(answer)

    def move(self, move_id: int) -> Move:
        with db.reading(self.engine) as conn:
            return moves.get_move(conn, move_id)

    def moves(self, *, site: str | None = None, product: str | None = None,
              after: int | None = None, limit: int = 100) -> list[Move]:
        with db.reading(self.engine) as conn:
            return moves.list_moves(conn, site=site, product=product, after=after, limit=limit)

    def inventory(self, *, site: str | None = None, product: str | None = None
                  ) -> list[Balance]:
        """On-hand by site and product (the sum of the moves)."""
        with db.reading(self.engine) as conn:
            return moves.inventory(conn, site=site, product=product)

    def trial_balance(self) -> TrialBalance:
        with db.reading(self.engine) as conn:
            return moves.trial_balance(conn)

    # ------------------------------------------------------------ API keys

    def create_key(self, role: Role | str, *, name: str = "") -> tuple[str, KeyInfo]:
        """A new API key (returned once, stored hashed) and its record."""
        with db.writing(self.engine) as conn:
            return keys.create_key(conn, role, name=name)

    def authenticate(self, key: str) -> KeyInfo | None:
        with db.reading(self.engine) as conn:
            return keys.authenticate(conn, key)

    def revoke_key(self, prefix: str) -> KeyInfo:
        with db.writing(self.engine) as conn:
            return keys.revoke_key(conn, prefix)

    def api_keys(self) -> list[KeyInfo]:
        with db.reading(self.engine) as conn:
            return keys.list_keys(conn)


def _run(engine, idem, work):
    return idempotency.run(engine, idem, work)


def _dec(x) -> Decimal:
    return Decimal(str(x))


def _date(x) -> dt.date:
    return x if isinstance(x, dt.date) else dt.date.fromisoformat(x)


def _move(d: dict) -> Move:
    """A :class:`Move` from :meth:`Move.as_dict` (possibly through JSON)."""
    created = d["created_at"]
    if isinstance(created, str):
        created = dt.datetime.fromisoformat(created)
    return Move(id=int(d["id"]), type=MoveType(d["type"]), site=d["site"], product=d["product"],
                quantity=_dec(d["quantity"]), delta=_dec(d["delta"]), date=_date(d["date"]),
                reference=d["reference"], order_number=d["order_number"],
                unit_cost=_dec(d["unit_cost"]), value=_dec(d["value"]),
                entry_id=int(d["entry_id"]), reverses=d["reverses"], created_at=created)


def _order(d: dict) -> Order:
    return Order(number=int(d["number"]), plan_version_id=int(d["plan_version_id"]),
                 type=orders.OrderType(d["type"]), product=d["product"],
                 from_site=d["from_site"], to_site=d["to_site"], quantity=_dec(d["quantity"]),
                 release_date=_date(d["release_date"]), due_date=_date(d["due_date"]),
                 status=OrderStatus(d["status"]), carried_from=d["carried_from"])

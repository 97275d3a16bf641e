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

from chainlab.ledger import (
    atp,
    ctp,
    db,
    idempotency,
    keys,
    masterdata,
    moves,
    orders,
    planned,
    publish,
    report,
    schedules,
)
from chainlab.ledger.idempotency import Idempotency
from chainlab.ledger.keys import KeyInfo
from chainlab.ledger.masterdata import SyncResult
from chainlab.ledger.moves import Balance, Move, MoveIn, TrialBalance
from chainlab.ledger.orders import Order, OrderFilter, OrderPage, PlanInfo
from chainlab.ledger.promising import fulfilment, promiser, store
from chainlab.ledger.promising import quotas as allocation
from chainlab.ledger.promising.quotas import Quota
from chainlab.ledger.promising.types import (
    Answer,
    Commitment,
    PromiseRecord,
    PromiseRequest,
    PromiseStatus,
)
from chainlab.ledger.publish import PublishResult
from chainlab.ledger.types import MoveType, OrderStatus, Role
from chainlab.models.errors import NotFoundError


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
        #: promising data of plan versions read so far (a version never changes)
        self._statics: dict[int | None, ctp.Statics] = {}
        #: site kinds and standard costs, for posting moves without reading them each time
        self._master = moves.MasterData()
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
        self._statics.clear()
        with db.writing(self.engine) as conn:
            result = masterdata.sync_master_data(conn, net)
        self._master = moves.MasterData()  # read costs and kinds again
        return result

    def publish(self, plan, *, network=None, name: str = "", source: str = "",
                idempotency: Idempotency | None = None) -> PublishResult:
        """Publish a plan (a folder written by ``Plan.to_folder``, a ``Plan``, or a DataFrame of
        planned orders with :data:`ledger.planned.ORDER_COLUMNS`) as the new current version.

        With ``network`` (a :class:`models.Network`) the master data is synced from it in the
        same transaction, its inventory's ``on_hand`` is posted as opening stock where the
        ledger has no stock moves yet (:class:`ledger.publish.OpeningStock`), a plan folder or
        ``Plan`` is turned into orders with its calendar and lead times
        (:func:`ledger.planned.planned_orders_from_plan`), and the version gets its report for
        the web page (:func:`ledger.report.plan_report`, see :meth:`plan_report`). Without it
        the plan must refer only to sites and products the ledger already has, and the
        version has no report."""
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
        data = (ctp.promising_data(None if isinstance(plan, pd.DataFrame) else plan, network)
                if network is not None else None)
        body = (report.plan_report(plan, network, name=name or net_name)
                if network is not None and not isinstance(plan, pd.DataFrame) else None)
        return self.publish_orders(table, name=name or net_name, network=network,
                                   source=source, idempotency=idempotency, promising=data,
                                   report=body)

    def publish_orders(self, table: pd.DataFrame, *, name: str = "", network=None,
                       sites: pd.DataFrame | None = None, products: pd.DataFrame | None = None,
                       source: str = "", idempotency: Idempotency | None = None,
                       promising: ctp.PromisingData | None = None,
                       report: dict | None = None) -> PublishResult:
        """Publish planned orders (:data:`ledger.planned.ORDER_COLUMNS`), first syncing the
        master data from ``network`` or from ``sites``/``products`` tables when given; with
        ``network``, its opening stock is posted too (:class:`ledger.publish.OpeningStock`).

        ``promising`` (or else ``network``'s lanes, routings, bills of material and resource
        hours) is stored with the version for order promising; with neither, the previous
        version's is carried (:mod:`ledger.ctp`). ``report`` (:func:`ledger.report.plan_report`)
        is stored with a new version for the web page; without it the version has none."""
        if promising is None and network is not None:
            promising = ctp.promising_data(None, network)
        # sorted to hash; the index keeps each order's row in ``table`` for error messages
        table = table[planned.ORDER_COLUMNS].reset_index(drop=True).sort_values(
            planned.ORDER_COLUMNS[:4] + planned.ORDER_COLUMNS[5:], kind="stable")
        net_name = network.name if network is not None else ""
        digest = planned.content_hash(table)
        opening = publish.OpeningStock.of(network) if network is not None else None

        def work(conn):
            if network is not None or sites is not None or products is not None:
                masterdata.sync_master_data(conn, network, sites=sites, products=products,
                                            deactivate=network is not None)
            return publish.publish_orders(conn, table, digest, name=name, network=net_name,
                                          source=source, promising=promising,
                                          report=report, opening=opening).as_dict()

        answer, _ = _run(self.engine, idempotency, work)
        if network is not None or sites is not None or products is not None:
            self._master = moves.MasterData()  # read costs and kinds again
        return PublishResult.from_dict(answer)

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

    def plan_report(self, plan_id: int | None = None) -> dict:
        """The report of plan version ``plan_id`` (default: the current one) for the planner's
        web page (:mod:`ledger.report`). Raises :class:`NotFoundError` when there is no such
        version, or it was published without its plan and network (orders only)."""
        with db.reading(self.engine) as conn:
            return report.load(conn, plan_id)

    def publish_schedule(self, schedule: dict, *, plan_id: int | None = None, plan=None,
                         network=None) -> dict:
        """Store a production schedule (:mod:`ledger.schedules`: ``period``, ``week_start``,
        ``summary``, ``operations``) with plan version ``plan_id``, or else with the newest
        version whose orders are those of ``plan`` (a plan folder, read with ``network`` as
        :meth:`publish` does). Replaces that version's schedule of the same period; returns
        the stored schedule."""
        if plan_id is None:
            if plan is None:
                raise ValueError("give plan_id, or the plan (folder) the schedule was made from")
            kinds = None
            if network is None:
                with db.reading(self.engine) as conn:
                    kinds = masterdata.site_kinds(conn)
            digest = planned.content_hash(
                planned.planned_orders_from_plan(plan, network, site_kinds=kinds))
            with db.reading(self.engine) as conn:
                plan_id = schedules.version_of(conn, digest)
        answer, _ = _run(self.engine, None,
                         lambda conn: schedules.store(conn, plan_id, schedule))
        return answer

    def plan_schedules(self, plan_id: int | None = None, period: int | None = None
                       ) -> list[dict]:
        """The published schedules of plan version ``plan_id`` (default: the current one), one
        per period, or only ``period``'s (:class:`NotFoundError` when there is none)."""
        with db.reading(self.engine) as conn:
            return schedules.load(conn, plan_id, period)

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
        return Order.from_dict(answer)

    # ------------------------------------------------------------ stock moves

    def post_moves(self, items: Sequence[MoveIn], *, actor: str = "",
                   idempotency: Idempotency | None = None) -> list[Move]:
        """Post moves atomically, each with its balanced journal entry; a retry with the same
        ``idempotency`` key returns the first answer and posts nothing."""
        done = None
        fulfils = any(m.promise_line is not None for m in items)
        if self.engine.dialect.name == "postgresql" and not fulfils:
            done = moves.post_moves_autocommit(self.engine, items, self._master, actor=actor,
                                               idem=idempotency)
        if done is None:  # SQLite, shipments of promise lines, invalid moves, stale master data

            def post(conn):
                posted = moves.post_moves(conn, items, actor=actor)
                fulfilment.consume(conn, items)
                return [m.as_dict() for m in posted]

            done = _run(self.engine, idempotency, post)
        return [Move.from_dict(d) for d in done[0]]

    def post_move(self, type: MoveType | str, site: str, product: str, quantity,
                  date: dt.date | None = None, *, reference: str = "",
                  order_number: int | None = None, promise_line: int | None = None,
                  actor: str = "") -> Move:
        """Post one move (``date`` defaults to today); a shipment may name the
        ``promise_line`` it fulfils."""
        m = MoveIn(MoveType(type), site, product, Decimal(str(quantity)),
                   date or dt.date.today(), reference, order_number, promise_line)
        return self.post_moves([m], actor=actor)[0]

    def reverse_move(self, move_id: int, *, date: dt.date | None = None, reference: str = "",
                     actor: str = "", idempotency: Idempotency | None = None) -> Move:
        """Correct a move by posting its reversal."""
        def reverse(conn):
            m = moves.reverse_move(conn, move_id, date=date, reference=reference, actor=actor)
            if m.promise_line is not None:
                fulfilment.unconsume(conn, m.promise_line, abs(m.delta), dt.date.today())
            return m.as_dict()

        answer, _ = _run(self.engine, idempotency, reverse)
        return Move.from_dict(answer)

    def move(self, move_id: int) -> Move:
        with db.reading(self.engine) as conn:
            return moves.get_move(conn, move_id)

    def moves(self, *, site: str | None = None, product: str | None = None,
              after: int | None = None, limit: int = 100) -> list[Move]:
        with db.reading(self.engine) as conn:
            return moves.list_moves(conn, site=site, product=product, after=after, limit=limit)

    def inventory(self, *, site: str | None = None, product: str | None = None,
                  as_of: dt.date | None = None) -> list[Balance]:
        """On-hand by site and product: the sum of every posted move (the books' stock), or
        with ``as_of`` of the moves dated on or before it (ATP counts the stock as of today
        and a move dated later from its date on)."""
        with db.reading(self.engine) as conn:
            return moves.inventory(conn, site=site, product=product, as_of=as_of)

    def trial_balance(self) -> TrialBalance:
        with db.reading(self.engine) as conn:
            return moves.trial_balance(conn)

    # ------------------------------------------------------------ order promising

    def _statics_for(self, conn, plan_id: int | None) -> ctp.Statics:
        st = self._statics.get(plan_id)
        if st is None:
            st = ctp.load_statics(conn, plan_id)
            if plan_id is not None:  # without a plan, sites may still come
                if len(self._statics) > 16:
                    self._statics.clear()
                self._statics[plan_id] = st
        return st

    def check(self, request: PromiseRequest, *, today: dt.date | None = None,
              now: dt.datetime | None = None) -> Answer:
        """What can be promised for ``request`` (ATP, then CTP) and why; reserves nothing.
        ``today`` (default: today) is the first day anything can ship; ``now`` decides which
        quotes still hold."""
        today, now = today or dt.date.today(), now or _utcnow()
        with db.reading(self.engine) as conn:
            book = store.prepare(conn, self._statics_for, request, today, now, write=False)
            return promiser.answer(book, request)

    def promise(self, request: PromiseRequest, *, actor: str = "", owner: str | None = None,
                idempotency: Idempotency | None = None, today: dt.date | None = None,
                now: dt.datetime | None = None) -> PromiseRecord:
        """Promise ``request`` in one transaction that locks what it reads: confirmed when
        every line can come in full on its date, partial (with ``allow_partial``) when less
        or later, quoted with ``quote_minutes``. Raises
        :class:`ledger.promising.PromiseConflict` (its ``answer`` says what can be promised)
        when it cannot be promised as asked. A retry with the same ``idempotency`` key
        returns the first promise and promises nothing more. The promise belongs to ``owner``
        (see :mod:`ledger.keys`); the ``owner`` of the other promise methods limits them to
        that owner's promises (None: every promise)."""
        today, now = today or dt.date.today(), now or _utcnow()

        def work(conn):
            book = store.prepare(conn, self._statics_for, request, today, now, write=True)
            ans = promiser.answer(book, request)
            return store.record(conn, request, ans, book, actor=actor, now=now,
                                owner=owner).as_dict()

        answer, _ = _run(self.engine, idempotency, work)
        return PromiseRecord.from_dict(answer)

    def get_promise(self, promise_id: int, *, now: dt.datetime | None = None,
                    owner: str | None = None) -> PromiseRecord:
        with db.reading(self.engine) as conn:
            return store.get(conn, promise_id, now or _utcnow(), owner=owner)

    def promises(self, *, customer: str | None = None,
                 status: PromiseStatus | str | None = None, after: int | None = None,
                 limit: int = 100, now: dt.datetime | None = None, owner: str | None = None
                 ) -> list[PromiseRecord]:
        """Promises in id order, filtered (``after`` an id for the next page)."""
        with db.reading(self.engine) as conn:
            return store.list_promises(
                conn, now or _utcnow(), customer=customer,
                status=PromiseStatus(status) if status is not None else None, after=after,
                limit=limit, owner=owner)

    def cancel_promise(self, promise_id: int, *, idempotency: Idempotency | None = None,
                       now: dt.datetime | None = None, owner: str | None = None
                       ) -> PromiseRecord:
        """Cancel a promise: what it held is available again."""
        now = now or _utcnow()
        answer, _ = _run(self.engine, idempotency, lambda conn: store.cancel(
            conn, promise_id, now, owner=owner).as_dict())
        return PromiseRecord.from_dict(answer)

    def confirm_promise(self, promise_id: int, *, idempotency: Idempotency | None = None,
                        now: dt.datetime | None = None, owner: str | None = None
                        ) -> PromiseRecord:
        """Confirm a quote before it expires (409 after)."""
        now = now or _utcnow()
        answer, _ = _run(self.engine, idempotency, lambda conn: store.confirm(
            conn, promise_id, now, owner=owner).as_dict())
        return PromiseRecord.from_dict(answer)

    def commitments(self, *, source: str | None = None, product: str | None = None,
                    customer: str | None = None, ship_from: dt.date | None = None,
                    ship_to: dt.date | None = None, include_quotes: bool = False,
                    after: int | None = None, limit: int = 1000,
                    now: dt.datetime | None = None, owner: str | None = None
                    ) -> tuple[list[Commitment], int | None]:
        """Sales-order lines of active promises (what the ERP ships) and the ``after`` of the
        next page (None on the last)."""
        with db.reading(self.engine) as conn:
            return store.commitments(conn, now or _utcnow(), source=source,
                                         product=product, customer=customer,
                                         ship_from=ship_from, ship_to=ship_to,
                                         include_quotes=include_quotes, after=after,
                                         limit=limit, owner=owner)

    def atp(self, product: str, *, site: str | None = None, today: dt.date | None = None,
            now: dt.datetime | None = None) -> dict[str, atp.AtpTable]:
        """The ATP table of ``product`` at every plant and DC (or at ``site``)."""
        today, now = today or dt.date.today(), now or _utcnow()
        with db.reading(self.engine) as conn:
            plan_id = orders.current_plan_id(conn)
            return atp.product_tables(conn, plan_id, self._statics_for(conn, plan_id), product,
                                      site=site, today=today, now=now)

    def set_customer_tier(self, customer: str, tier: int | None) -> int | None:
        """Put a customer in an allocation tier (1 the highest; None: no tier)."""
        with db.writing(self.engine) as conn:
            return allocation.set_tier(conn, customer, tier)

    def customer_tiers(self) -> dict[str, int]:
        with db.reading(self.engine) as conn:
            return allocation.tiers(conn)

    def set_quotas(self, quotas: Sequence[Quota], *, replace: bool = False) -> list[Quota]:
        """Add or change allocation quotas; ``replace`` drops the other quotas of the products
        named. Returns the quotas of those products."""
        with db.writing(self.engine) as conn:
            allocation.set_quotas(conn, list(quotas), replace_products=replace)
        names = {q.product for q in quotas}
        return [q for q in self.quotas() if q.product in names]

    def quotas(self, product: str | None = None, *, now: dt.datetime | None = None
               ) -> list[Quota]:
        """Allocation quotas and how much of each active promises use."""
        with db.reading(self.engine) as conn:
            return allocation.list_quotas(conn, now or _utcnow(), product)

    # ------------------------------------------------------------ API keys

    def create_key(self, role: Role | str, *, name: str = "", owner: str | None = None
                   ) -> tuple[str, KeyInfo]:
        """A new API key (returned once, stored hashed) and its record; ``owner``: who it acts
        for (keys of one owner share promises and scenario jobs; None: the key alone)."""
        with db.writing(self.engine) as conn:
            return keys.create_key(conn, role, name=name, owner=owner)

    def authenticate(self, key: str) -> KeyInfo | None:
        with db.reading(self.engine) as conn:
            return keys.authenticate(conn, key)

    def revoke_key(self, prefix: str) -> KeyInfo:
        """Revoke a key by its prefix (again: no change)."""
        with db.writing(self.engine) as conn:
            return keys.revoke_key(conn, prefix)

    def api_keys(self, *, revoked: bool = True) -> list[KeyInfo]:
        """The keys' records (never the keys); ``revoked=False``: active ones only."""
        with db.reading(self.engine) as conn:
            return keys.list_keys(conn, revoked=revoked)


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _run(engine, idem, work):
    return idempotency.run(engine, idem, work)

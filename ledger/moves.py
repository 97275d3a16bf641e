"""Stock moves and their double-entry postings; on-hand and the trial balance.

Every function takes a SQLAlchemy ``Connection`` inside a transaction (see :class:`ledger.Ledger`
for the ones that open their own), so a list of moves and an idempotency record commit together
or not at all.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from chainlab.ledger import accounts, db, idempotency, types
from chainlab.ledger.errors import ConflictError, NotFoundError, ValidationError
from chainlab.ledger.idempotency import Idempotency
from chainlab.ledger.tables import (
    Account,
    Item,
    JournalEntry,
    JournalLine,
    Location,
    StockMove,
    utcnow,
)
from chainlab.ledger.types import QUANTUM, MoveType, SumOfFixed, fixed_sum, quantize
from chainlab.models.calendar import out_of_range
from chainlab.models.errors import Issue
from chainlab.models.records import JsonRecord
from chainlab.models.schema import SiteKind

MOVES = StockMove.__table__
ENTRIES = JournalEntry.__table__
LINES = JournalLine.__table__
ITEMS = Item.__table__
LOCATIONS = Location.__table__
ACCOUNTS = Account.__table__

#: largest quantity or value of a move (see ledger.types.MAX_AMOUNT)
MAX_AMOUNT = types.MAX_AMOUNT


@dataclass(frozen=True)
class MoveIn:
    """A stock move to post. ``quantity`` > 0 in the product's unit; for an adjustment it is
    signed (+ found, - lost). ``order_number`` optionally names the planned order it executes;
    ``promise_line`` the promise line a shipment fulfils (see
    :func:`ledger.promising.fulfilment.consume`)."""

    type: MoveType
    site: str
    product: str
    quantity: Decimal
    date: dt.date
    reference: str = ""
    order_number: int | None = None
    promise_line: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "type", MoveType(self.type))


@dataclass(frozen=True)
class Move(JsonRecord):
    """A posted move: ``delta`` is its effect on on-hand, ``value`` = |delta| x ``unit_cost``
    the amount of its journal entry ``entry_id``; ``reverses`` names the move it corrects."""

    id: int
    type: MoveType
    site: str
    product: str
    quantity: Decimal
    delta: Decimal
    date: dt.date
    reference: str
    order_number: int | None
    unit_cost: Decimal
    value: Decimal
    entry_id: int
    reverses: int | None
    created_at: dt.datetime
    #: the promise line this shipment fulfils (or whose fulfilment this reversal undoes)
    promise_line: int | None = None


@dataclass(frozen=True)
class Balance:
    """On-hand of a product at a site (the sum of its moves) and its value at standard cost."""

    site: str
    product: str
    on_hand: Decimal
    value: Decimal


@dataclass(frozen=True)
class AccountBalance:
    account: str
    name: str
    kind: str
    debit: Decimal
    credit: Decimal

    @property
    def balance(self) -> Decimal:
        """Debit minus credit."""
        return self.debit - self.credit


@dataclass(frozen=True)
class TrialBalance:
    """Every account's debits and credits; ``balanced`` when they sum to the same total."""

    accounts: list[AccountBalance] = field(default_factory=list)

    @property
    def total_debit(self) -> Decimal:
        return sum((a.debit for a in self.accounts), Decimal(0))

    @property
    def total_credit(self) -> Decimal:
        return sum((a.credit for a in self.accounts), Decimal(0))

    @property
    def balanced(self) -> bool:
        return self.total_debit == self.total_credit

    def balance(self, account: str) -> Decimal:
        return next((a.balance for a in self.accounts if a.account == account), Decimal(0))


# ------------------------------------------------------------------ posting

def post_moves(conn: Connection, moves: Sequence[MoveIn], *, actor: str = "") -> list[Move]:
    """Post ``moves`` (all or none): validate them against the master data, write each with a
    balanced journal entry at standard cost, and return them as posted, in order.

    Raises :class:`ValidationError` naming each bad move (``moves[i]``), its field and the fix.
    """
    if not moves:
        raise ValidationError([Issue("moves", "no moves to post; send at least one")])
    kinds, costs = _master_data(conn, {m.site for m in moves}, {m.product for m in moves})
    return _write(conn, _batch(_checked(moves, kinds, costs), actor))


def _checked(moves: Sequence[MoveIn], kinds: dict[str, str], costs: dict[str, Decimal]
             ) -> list[tuple[MoveIn, Decimal, Decimal, None]]:
    """(move, on-hand effect, standard cost, None) of each move; raises
    :class:`ValidationError` naming what is wrong with them."""
    issues: list[Issue] = []
    deltas = []
    for i, m in enumerate(moves):
        where = f"moves[{i}]" if len(moves) > 1 else "move"
        if m.type is MoveType.OPENING:
            issues.append(Issue(where, "opening moves come from the network's inventory when a "
                                       "plan is published with it; post a receipt or an "
                                       "adjustment instead", column="type"))
        deltas.append(_check(m, where, kinds, costs, issues))
    if issues:
        raise ValidationError(issues)
    return [(m, d, costs[m.product], None) for m, d in zip(moves, deltas)]


class MasterData:
    """The kinds of sites and standard costs of products read so far, so that posting a move
    needs no round trip to read them (:func:`post_moves_autocommit`). They can go stale (a
    sync changes a cost or a kind): the statement that writes checks them against the tables
    and writes nothing when they differ."""

    def __init__(self):
        self._kinds: dict[str, str] = {}
        self._costs: dict[str, Decimal] = {}

    def get(self, engine: Engine, sites: set[str], products: set[str]
            ) -> tuple[dict[str, str], dict[str, Decimal]]:
        """Kinds of ``sites`` and costs of ``products`` that exist; reads those not known."""
        kinds = {s: self._kinds[s] for s in sites if s in self._kinds}
        costs = {p: self._costs[p] for p in products if p in self._costs}
        if len(kinds) < len(sites) or len(costs) < len(products):
            with db.reading(engine) as conn:
                new_kinds, new_costs = _master_data(conn, sites - kinds.keys(),
                                                    products - costs.keys())
            self._kinds.update(new_kinds)
            self._costs.update(new_costs)
            kinds |= new_kinds
            costs |= new_costs
        return kinds, costs

    def forget(self, sites: Iterable[str], products: Iterable[str]) -> None:
        """Read these again next time."""
        for s in sites:
            self._kinds.pop(s, None)
        for p in products:
            self._costs.pop(p, None)


def post_moves_autocommit(engine: Engine, moves: Sequence[MoveIn], master: MasterData, *,
                          actor: str = "", idem: Idempotency | None = None
                          ) -> tuple[list[dict], bool] | None:
    """:func:`post_moves` with :func:`ledger.idempotency.run` on PostgreSQL in two statements
    in autocommit mode (:func:`ledger.db.autocommit`), where a transaction takes six round
    trips: the first reads the idempotency record or else draws the ids, the second writes
    the entries, moves, lines and idempotency record, all or nothing, as one statement does.

    Validates against ``master``; the writing statement checks that its costs and kinds are
    still those of the tables. Returns (the moves as :meth:`Move.as_dict`, replayed), or None,
    having written nothing, when the moves are invalid or ``master`` was stale: the caller
    then posts them in a transaction (:func:`post_moves`), which reads the master data and
    says what is wrong."""
    if not moves:
        raise ValidationError([Issue("moves", "no moves to post; send at least one")])
    sites, products = {m.site for m in moves}, {m.product for m in moves}
    kinds, costs = master.get(engine, sites, products)
    try:
        batch = _batch(_checked(moves, kinds, costs), actor)
    except ValidationError:
        master.forget(sites, products)
        return None
    scope = ({"principal": idem.principal, "key": idem.key} if idem is not None
             else {"principal": None, "key": None})
    try:
        with db.autocommit(engine) as pg:
            ids, found = [], None
            for operation, request_hash, response, entry_id, move_id in pg.execute(
                    _PG_IDS, scope | {"n": len(moves)}):
                if response is not None:
                    found = (operation, request_hash, response)
                else:
                    ids.append((entry_id, move_id))
            if found is not None:
                return idempotency.stored_answer(idem, *found), True
            entry_ids, move_ids = sorted(e for e, _ in ids), sorted(m for _, m in ids)
            for p, e in zip(batch.params, entry_ids):
                p["entry_id"] = e
            answer = [m.as_dict() for m in _posted(batch, move_ids)]
            record = ({"operation": idem.operation, "request_hash": idem.request_hash,
                       "response": idempotency.encode(answer)} if idem is not None
                      else {"operation": None, "request_hash": None, "response": None})
            args = scope | record | {
                "rows": _pg_rows(batch, entry_ids, move_ids, kinds), "count": len(moves),
                "actor": actor, "now": batch.now, "idem": idem is not None}
            written = pg.execute(_PG_POST, args).fetchone()[0]
    except sa.exc.IntegrityError as e:
        if idem is None:
            raise
        return idempotency.replay_after_conflict(engine, idem, e)
    if not written:
        master.forget(sites, products)
        return None
    return answer, False


def _pg_rows(batch: _Batch, entry_ids: list[int], move_ids: list[int],
             kinds: dict[str, str]) -> str:
    """The rows of :data:`_PG_POST` as one JSON parameter (far cheaper to send than an array
    per column; decimals as strings, so exact)."""
    return json.dumps([
        {"eid": e, "mid": i, "date": p["date"], "memo": memo, "type": p["type"],
         "site": p["site"], "kind": kinds[p["site"]], "product": p["product"],
         "quantity": p["quantity"], "delta": p["delta"], "reference": p["reference"],
         "order_number": p["order_number"], "unit_cost": p["unit_cost"], "value": p["value"],
         "dr": side[0][0], "cr": side[1][0]}
        for e, i, p, memo, side in zip(entry_ids, move_ids, batch.params, batch.memos,
                                       batch.sides)], default=str)


def post_opening_stock(conn: Connection, on_hand: Iterable[tuple[str, str, Decimal]],
                       date: dt.date, *, reference: str = "", actor: str = "") -> list[Move]:
    """Post the stock the ledger starts from: one ``opening`` move (Dr INV:site, Cr OPENING at
    standard cost) for each (site, product, quantity) of ``on_hand`` with quantity > 0 at a
    plant or DC whose site and product has no stock move yet. Where the ledger has moves, they
    are the truth and the opening stock is not posted, so posting the same stock again posts
    nothing. Quantities are rounded to the ledger's 6 places. Returns the moves posted, by
    site and product.

    Inside the caller's transaction, which must keep another caller from posting opening stock
    at the same time (a publish holds the ledger's state lock)."""
    wanted = {}
    for site, product, q in on_hand:
        q = quantize(q)
        if q > 0:
            wanted[(str(site), str(product))] = q
    if not wanted:
        return []
    sites, products = {s for s, _ in wanted}, {p for _, p in wanted}
    kinds, costs = _master_data(conn, sites, products)
    have = {(r.site, r.product) for r in conn.execute(
        sa.select(MOVES.c.site, MOVES.c.product).distinct()
        .where(MOVES.c.site.in_(sites), MOVES.c.product.in_(products)))}
    items = [MoveIn(MoveType.OPENING, s, p, q, date, reference[:200])
             for (s, p), q in sorted(wanted.items())
             if (s, p) not in have and kinds.get(s) in accounts.STOCKING_KINDS]
    if not items:
        return []
    issues: list[Issue] = []
    deltas = [_check(m, f"opening stock of {m.product} at {m.site}", kinds, costs, issues)
              for m in items]
    if issues:
        raise ValidationError(issues)
    return _write(conn, _batch([(m, d, costs[m.product], None) for m, d in zip(items, deltas)],
                               actor))


def _master_data(conn: Connection, sites: set[str], products: set[str]
                 ) -> tuple[dict[str, str], dict[str, Decimal]]:
    """Kinds of ``sites`` and standard costs of ``products`` that exist, in one round trip."""
    q = sa.union_all(
        sa.select(sa.literal("L").label("t"), LOCATIONS.c.id, LOCATIONS.c.kind,
                  sa.cast(sa.null(), ITEMS.c.standard_cost.type).label("cost"))
        .where(LOCATIONS.c.id.in_(sites)),
        sa.select(sa.literal("I"), ITEMS.c.id, sa.literal(""), ITEMS.c.standard_cost)
        .where(ITEMS.c.id.in_(products)))
    kinds, costs = {}, {}
    for t, id_, kind, cost in conn.execute(q):
        if t == "L":
            kinds[id_] = kind
        else:
            costs[id_] = cost
    return kinds, costs


def _check(m: MoveIn, where: str, kinds: dict, costs: dict, issues: list[Issue]) -> Decimal:
    """The move's on-hand effect; appends what is wrong with it to ``issues``."""
    kind = kinds.get(m.site)
    if kind is None:
        issues.append(Issue(where, f"site {m.site!r} is not a location of the ledger; publish a "
                                   f"plan of its network first or fix the site id", column="site"))
    elif kind not in accounts.STOCKING_KINDS:
        issues.append(Issue(where, f"site {m.site!r} is a {kind}; stock is kept only at plants "
                                   f"and DCs", column="site"))
    elif m.type in (MoveType.PRODUCTION, MoveType.CONSUMPTION) and kind != SiteKind.PLANT:
        issues.append(Issue(where, f"{m.type.value} happens at plants; {m.site!r} is a {kind}",
                            column="site"))
    if m.product not in costs:
        issues.append(Issue(where, f"product {m.product!r} is not an item of the ledger; publish "
                                   f"a plan of its network first or fix the product id",
                            column="product"))
    for name in ("site", "product", "reference"):
        if "\x00" in str(getattr(m, name) or ""):
            issues.append(Issue(where, f"{name} holds a NUL character (\\u0000); remove it",
                                column=name))
    if not isinstance(m.date, dt.date) or isinstance(m.date, dt.datetime):
        issues.append(Issue(where, f"date {m.date!r} is not a date", column="date"))
    elif (why := out_of_range(m.date)) is not None:
        issues.append(Issue(where, why, column="date"))
    try:
        q = Decimal(m.quantity)
    except (InvalidOperation, TypeError, ValueError):
        issues.append(Issue(where, f"quantity {m.quantity!r} is not a number", column="quantity"))
        return Decimal(0)
    if not q.is_finite() or abs(q) > MAX_AMOUNT:
        issues.append(Issue(where, f"quantity {m.quantity} is out of range: at most "
                                   f"{MAX_AMOUNT:,f} in size", column="quantity"))
        return Decimal(0)
    if q != q.quantize(QUANTUM):
        issues.append(Issue(where, f"quantity {m.quantity} has more than 6 decimal places; "
                                   f"round it", column="quantity"))
    cost = costs.get(m.product)
    if cost is not None and abs(q) * cost > MAX_AMOUNT:
        issues.append(Issue(where, f"quantity {m.quantity} at standard cost {cost} is worth "
                                   f"{quantize(abs(q) * cost):,f}, over the largest value of a "
                                   f"move ({MAX_AMOUNT:,f}); split it into moves of at most "
                                   f"{quantize(MAX_AMOUNT / cost):,f}", column="quantity"))
    if m.type is MoveType.ADJUSTMENT:
        if q == 0:
            issues.append(Issue(where, "adjustment quantity must not be 0 (+ found, - lost)",
                                column="quantity"))
        return q
    if q <= 0:
        issues.append(Issue(where, f"quantity {m.quantity} must be > 0 for a {m.type.value}; "
                                   f"to correct a move, reverse it", column="quantity"))
    return q * m.type.sign


@dataclass(frozen=True)
class _Batch:
    """Moves ready to insert: their column values, journal memos and (account, debit, credit)
    lines, and the time they are posted."""

    params: list[dict]
    memos: list[str]
    sides: list[list[tuple[str, Decimal, Decimal]]]
    actor: str
    now: dt.datetime


def _batch(rows: list[tuple[MoveIn, Decimal, Decimal, int | None]], actor: str) -> _Batch:
    """The values of moves (move, on-hand effect, standard cost, reversed move id) to insert;
    raises :class:`ValidationError` when an amount is out of the ledger's range."""
    now = utcnow()
    values = [quantize(abs(delta) * cost) for _, delta, cost, _ in rows]
    for (m, _, _, _), v in zip(rows, values):
        if v > MAX_AMOUNT:
            raise ValidationError([Issue(
                f"{m.type.value} of {m.product} at {m.site}",
                f"its value {v:,f} is over the largest value of a move ({MAX_AMOUNT:,f}); "
                f"split it", column="quantity")])
    memos = []
    for m, delta, _, rev in rows:
        memo = f"{m.type.value} {abs(delta)} {m.product} at {m.site}"
        memos.append((memo if rev is None else f"reversal of move {rev}: {memo}")[:500])
    params = [{"type": m.type.value, "site": m.site, "product": m.product,
               "quantity": quantize(m.quantity), "delta": quantize(delta), "date": m.date,
               "reference": m.reference or "", "order_number": m.order_number,
               "unit_cost": cost, "value": v, "reverses": rev, "actor": actor,
               "created_at": now, "promise_line_id": m.promise_line}
              for (m, delta, cost, rev), v in zip(rows, values)]
    sides = [accounts.move_lines(m.type, m.site, delta, v)
             for (m, delta, _, _), v in zip(rows, values)]
    return _Batch(params, memos, sides, actor, now)


def _write(conn: Connection, batch: _Batch) -> list[Move]:
    """Insert moves, one journal entry each, and the entries' lines."""
    params, now = batch.params, batch.now
    if conn.dialect.name == "postgresql":
        ids = _insert_postgres(conn, batch)
        for p, (entry_id, _) in zip(params, ids):
            p["entry_id"] = entry_id
        move_ids = [i for _, i in ids]
    else:
        entry_ids = _insert_returning_ids(conn, ENTRIES, [
            {"date": p["date"], "kind": "move", "memo": memo, "created_at": now}
            for p, memo in zip(params, batch.memos)])
        for p, e in zip(params, entry_ids):
            p["entry_id"] = e
        move_ids = _insert_returning_ids(conn, MOVES, params)
        conn.execute(LINES.insert(), [
            {"entry_id": e, "account": acc, "debit": dr, "credit": cr}
            for e, lines in zip(entry_ids, batch.sides) for acc, dr, cr in lines])
    return _posted(batch, move_ids)


def _posted(batch: _Batch, move_ids: list[int]) -> list[Move]:
    """The moves of ``batch`` as posted with ``move_ids`` (its params carry the entry ids)."""
    return [Move(id=i, type=MoveType(p["type"]), site=p["site"], product=p["product"],
                 quantity=p["quantity"], delta=p["delta"], date=p["date"],
                 reference=p["reference"], order_number=p["order_number"],
                 unit_cost=quantize(p["unit_cost"]), value=p["value"], entry_id=p["entry_id"],
                 reverses=p["reverses"], created_at=batch.now,
                 promise_line=p["promise_line_id"])
            for i, p in zip(move_ids, batch.params)]


#: PostgreSQL: entries, moves and lines of a batch in one statement (one round trip); the entry
#: ids come from the entries' sequence so the moves and lines can refer to them
_PG_INSERT = """
WITH src AS (
    SELECT s.*, nextval(pg_get_serial_sequence('journal_entries', 'id')) AS eid
    FROM unnest(%(n)s::int[], %(date)s::date[], %(memo)s::text[], %(type)s::text[],
                %(site)s::text[], %(product)s::text[], %(quantity)s::numeric[],
                %(delta)s::numeric[], %(reference)s::text[], %(order_number)s::bigint[],
                %(unit_cost)s::numeric[], %(value)s::numeric[], %(reverses)s::bigint[],
                %(dr)s::text[], %(cr)s::text[], %(promise_line_id)s::bigint[])
         AS s(n, date, memo, type, site, product, quantity, delta, reference, order_number,
              unit_cost, value, reverses, dr, cr, promise_line_id)
), e AS (
    INSERT INTO journal_entries (id, date, kind, memo, created_at)
    SELECT eid, date, 'move', memo, %(now)s FROM src
), m AS (
    INSERT INTO stock_moves (type, site, product, quantity, delta, date, reference,
                             order_number, unit_cost, value, entry_id, reverses, actor,
                             created_at, promise_line_id)
    SELECT type, site, product, quantity, delta, date, reference, order_number, unit_cost,
           value, eid, reverses, %(actor)s, %(now)s, promise_line_id FROM src ORDER BY n
    RETURNING id, entry_id
), l AS (
    INSERT INTO journal_lines (entry_id, account, debit, credit)
    SELECT eid, dr, value, 0 FROM src UNION ALL SELECT eid, cr, 0, value FROM src
)
SELECT src.eid, m.id FROM m JOIN src ON src.eid = m.entry_id ORDER BY src.n
"""


def _insert_postgres(conn: Connection, batch: _Batch) -> list[tuple[int, int]]:
    """(entry id, move id) of each move, inserted with its entry and lines in one statement."""
    params = batch.params
    cols = {c: [p[c] for p in params] for c in ("date", "type", "site", "product", "quantity",
                                                "delta", "reference", "order_number",
                                                "unit_cost", "value", "reverses",
                                                "promise_line_id")}
    # each move has two lines, the debit first: (account, amount, 0), (account, 0, amount)
    args = cols | {"n": list(range(len(params))), "memo": batch.memos,
                   "dr": [s[0][0] for s in batch.sides], "cr": [s[1][0] for s in batch.sides],
                   "actor": batch.actor, "now": batch.now}
    return [(int(e), int(i)) for e, i in conn.exec_driver_sql(_PG_INSERT, args).all()]


#: PostgreSQL, for :func:`post_moves_autocommit`: the answer stored under an idempotency key
#: (operation, request_hash, response), or else ``n`` new (entry id, move id) pairs
_PG_IDS = """
SELECT operation, request_hash, response, NULL::bigint, NULL::bigint
FROM idempotency_records WHERE principal = %(principal)s AND key = %(key)s
UNION ALL
SELECT NULL, NULL, NULL, nextval(seq.e), nextval(seq.m)
FROM generate_series(1, %(n)s),
     (SELECT pg_get_serial_sequence('journal_entries', 'id')::regclass AS e,
             pg_get_serial_sequence('stock_moves', 'id')::regclass AS m) AS seq
WHERE NOT EXISTS (SELECT FROM idempotency_records
                  WHERE principal = %(principal)s AND key = %(key)s)
"""

#: PostgreSQL, for :func:`post_moves_autocommit`: entries, moves, lines and the idempotency
#: record (when ``idem``) in one statement, so in one transaction; it writes only when every
#: move's standard cost and site kind are still those the moves were checked against, and
#: returns whether it wrote
_PG_POST = """
WITH src AS (
    SELECT * FROM json_to_recordset(%(rows)s::json)
         AS s(eid bigint, mid bigint, date date, memo text, type text, site text, kind text,
              product text, quantity numeric, delta numeric, reference text,
              order_number bigint, unit_cost numeric, value numeric, dr text, cr text)
), ok AS (
    SELECT count(*) = %(count)s AS ok
    FROM src JOIN items i ON i.id = src.product AND i.standard_cost = src.unit_cost
             JOIN locations l ON l.id = src.site AND l.kind = src.kind
), e AS (
    INSERT INTO journal_entries (id, date, kind, memo, created_at)
    SELECT eid, date, 'move', memo, %(now)s FROM src WHERE (SELECT ok FROM ok)
), m AS (
    INSERT INTO stock_moves (id, type, site, product, quantity, delta, date, reference,
                             order_number, unit_cost, value, entry_id, actor, created_at)
    SELECT mid, type, site, product, quantity, delta, date, reference, order_number,
           unit_cost, value, eid, %(actor)s, %(now)s FROM src WHERE (SELECT ok FROM ok)
), l AS (
    INSERT INTO journal_lines (entry_id, account, debit, credit)
    SELECT eid, dr, value, 0 FROM src WHERE (SELECT ok FROM ok)
    UNION ALL SELECT eid, cr, 0, value FROM src WHERE (SELECT ok FROM ok)
), k AS (
    INSERT INTO idempotency_records (principal, key, operation, request_hash, response,
                                     created_at)
    SELECT %(principal)s, %(key)s, %(operation)s, %(request_hash)s, %(response)s, %(now)s
    WHERE %(idem)s AND (SELECT ok FROM ok)
)
SELECT ok FROM ok
"""


def _insert_returning_ids(conn: Connection, table: sa.Table, rows: list[dict]) -> list[int]:
    if len(rows) == 1:
        return [conn.execute(table.insert().returning(table.c.id), rows[0]).scalar_one()]
    res = conn.execute(table.insert().returning(table.c.id, sort_by_parameter_order=True), rows)
    return list(res.scalars())


def post_journal_entry(conn: Connection, date: dt.date, kind: str, memo: str,
                       lines: Iterable[tuple[str, Decimal]]) -> int:
    """Post one entry from (account, signed amount) pairs (+ debit, - credit); they must sum to
    zero. Returns the entry's id."""
    lines = [(a, quantize(x)) for a, x in lines if quantize(x) != 0]
    total = sum((x for _, x in lines), Decimal(0))
    if total != 0:
        raise ValueError(f"unbalanced entry {memo!r}: debits - credits = {total}")
    (entry_id,) = _insert_returning_ids(conn, ENTRIES, [{"date": date, "kind": kind,
                                                         "memo": memo[:500],
                                                         "created_at": utcnow()}])
    if lines:
        conn.execute(LINES.insert(), [{"entry_id": entry_id, "account": a,
                                       "debit": max(x, Decimal(0)),
                                       "credit": max(-x, Decimal(0))} for a, x in lines])
    return entry_id


def reverse_move(conn: Connection, move_id: int, *, date: dt.date | None = None,
                 reference: str = "", actor: str = "") -> Move:
    """Correct move ``move_id`` by posting its reversal (same type, opposite on-hand effect, at
    today's standard cost); a move is reversed at most once and a reversal is not reversed."""
    if date is not None and (why := out_of_range(date)) is not None:
        raise ValidationError([Issue("reversal", why, column="date")])
    row = conn.execute(sa.select(MOVES).where(MOVES.c.id == move_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"stock move {move_id} does not exist")
    if row["reverses"] is not None:
        raise ConflictError(f"stock move {move_id} is itself the reversal of move "
                            f"{row['reverses']}; post the move again instead")
    done = conn.execute(sa.select(MOVES.c.id).where(MOVES.c.reverses == move_id)).scalar()
    if done is not None:
        raise ConflictError(f"stock move {move_id} was already reversed by move {done}")
    cost = conn.execute(sa.select(ITEMS.c.standard_cost)
                        .where(ITEMS.c.id == row["product"])).scalar_one()
    m = MoveIn(type=MoveType(row["type"]), site=row["site"], product=row["product"],
               quantity=row["quantity"], date=date or dt.date.today(),
               reference=reference or f"reversal of {move_id}", order_number=row["order_number"],
               promise_line=row["promise_line_id"])
    try:
        with conn.begin_nested():
            return _write(conn, _batch([(m, -row["delta"], cost, move_id)], actor))[0]
    except sa.exc.IntegrityError:
        raise ConflictError(f"stock move {move_id} was reversed by another request just now")


# ------------------------------------------------------------------ reading

def get_move(conn: Connection, move_id: int) -> Move:
    row = conn.execute(sa.select(MOVES).where(MOVES.c.id == move_id)).mappings().first()
    if row is None:
        raise NotFoundError(f"stock move {move_id} does not exist")
    return _move(row)


def list_moves(conn: Connection, *, site: str | None = None, product: str | None = None,
               after: int | None = None, limit: int = 100) -> list[Move]:
    """Moves in posting order (by id), after id ``after``, at most ``limit``."""
    q = sa.select(MOVES).order_by(MOVES.c.id).limit(limit)
    if site:
        q = q.where(MOVES.c.site == site)
    if product:
        q = q.where(MOVES.c.product == product)
    if after is not None:
        q = q.where(MOVES.c.id > after)
    return [_move(r) for r in conn.execute(q).mappings()]


def _move(r) -> Move:
    return Move(id=r["id"], type=MoveType(r["type"]), site=r["site"], product=r["product"],
                quantity=r["quantity"], delta=r["delta"], date=r["date"],
                reference=r["reference"], order_number=r["order_number"],
                unit_cost=r["unit_cost"], value=r["value"], entry_id=r["entry_id"],
                reverses=r["reverses"], created_at=r["created_at"],
                promise_line=r["promise_line_id"])


def inventory(conn: Connection, *, site: str | None = None, product: str | None = None,
              as_of: dt.date | None = None) -> list[Balance]:
    """On-hand by site and product: the sum of the moves' ``delta`` (every posted move, the
    stock the books hold, or with ``as_of`` the moves dated on or before it), valued at
    standard cost; sorted by site, product."""
    on_hand = fixed_sum(MOVES.c.delta).label("on_hand")
    q = (sa.select(MOVES.c.site, MOVES.c.product, on_hand, ITEMS.c.standard_cost)
         .join(ITEMS, ITEMS.c.id == MOVES.c.product)
         .group_by(MOVES.c.site, MOVES.c.product, ITEMS.c.standard_cost)
         .order_by(MOVES.c.site, MOVES.c.product))
    if site:
        q = q.where(MOVES.c.site == site)
    if product:
        q = q.where(MOVES.c.product == product)
    if as_of is not None:
        q = q.where(MOVES.c.date <= as_of)
    return [Balance(r.site, r.product, quantize(r.on_hand),
                    quantize(r.on_hand * r.standard_cost)) for r in conn.execute(q)]


def trial_balance(conn: Connection) -> TrialBalance:
    """Debits and credits of every account (also those without postings)."""
    zero = sa.literal(0)
    q = (sa.select(ACCOUNTS.c.code, ACCOUNTS.c.name, ACCOUNTS.c.kind,
                   sa.func.coalesce(fixed_sum(LINES.c.debit), zero).label("debit"),
                   sa.func.coalesce(fixed_sum(LINES.c.credit), zero).label("credit"))
         .select_from(ACCOUNTS.outerjoin(LINES, LINES.c.account == ACCOUNTS.c.code))
         .group_by(ACCOUNTS.c.code, ACCOUNTS.c.name, ACCOUNTS.c.kind)
         .order_by(ACCOUNTS.c.code))
    return TrialBalance([AccountBalance(r.code, r.name, r.kind, _dec(r.debit, conn),
                                        _dec(r.credit, conn)) for r in conn.execute(q)])


def _dec(x, conn) -> Decimal:
    """A SUM that went through coalesce (which may drop the column type): a Decimal."""
    if isinstance(x, Decimal):
        return quantize(x)
    return SumOfFixed().process_result_value(x, conn.dialect)


def unbalanced_entries(conn: Connection) -> list[int]:
    """Ids of journal entries whose debits and credits differ (none, in a sound ledger)."""
    debit, credit = fixed_sum(LINES.c.debit), fixed_sum(LINES.c.credit)
    # on SQLite the sums compare as text, which can differ for equal totals: the database
    # finds the candidates, Python compares their totals exactly
    q = (sa.select(LINES.c.entry_id, debit, credit).group_by(LINES.c.entry_id)
         .having(debit != credit).order_by(LINES.c.entry_id))
    return [e for e, d, c in conn.execute(q) if d != c]

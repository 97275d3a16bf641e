"""Master data from a network: items (products at standard cost), locations (sites) and the
chart of accounts (:mod:`ledger.accounts`).

Syncing adds what is new and updates names, units, kinds and standard costs; it never deletes
(moves and orders refer to them): an item or site the network no longer has is marked inactive.
A changed standard cost revalues the stock on hand (an entry INV:site against REVAL), so
inventory accounts keep equalling on-hand x standard cost.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from chainlab.ledger import accounts
from chainlab.ledger.moves import ACCOUNTS, ITEMS, LOCATIONS, MOVES, post_journal_entry
from chainlab.ledger.types import MAX_AMOUNT, fixed_sum, quantize
from chainlab.models.errors import Issue, ValidationError
from chainlab.models.schema import SiteKind


@dataclass(frozen=True)
class SyncResult:
    """What a sync changed: counts of items and locations added, updated, deactivated, and the
    ids of revaluation entries posted."""

    items_added: int = 0
    items_updated: int = 0
    items_deactivated: int = 0
    locations_added: int = 0
    locations_updated: int = 0
    locations_deactivated: int = 0
    revaluations: tuple[int, ...] = ()


def sync_master_data(conn: Connection, net=None, *, sites: pd.DataFrame | None = None,
                     products: pd.DataFrame | None = None, deactivate: bool = True,
                     today: dt.date | None = None) -> SyncResult:
    """Make items, locations and accounts match a network (or ``sites`` with ``id``, ``kind``,
    ``name`` and ``products`` with ``id``, ``standard_cost``, ``name``, ``unit``)."""
    if net is not None:
        sites = net.sites.reset_index()
        products = net.products.reset_index()
    sites = _frame(sites, ["id", "kind"], ["name"])
    products = _frame(products, ["id", "standard_cost"], ["name", "unit"])
    _check(sites, products)
    today = today or dt.date.today()
    n = {}

    have = {r.id: r for r in conn.execute(sa.select(LOCATIONS))}
    new = [{"id": s.id, "kind": s.kind, "name": s.name, "active": True}
           for s in sites.itertuples() if s.id not in have]
    changed = [{"k": s.id, "kind": s.kind, "name": s.name, "active": True}
               for s in sites.itertuples() if s.id in have and
               (have[s.id].kind, have[s.id].name, have[s.id].active) != (s.kind, s.name, True)]
    gone = [k for k, r in have.items() if r.active and k not in set(sites["id"])] \
        if deactivate else []
    if new:
        conn.execute(LOCATIONS.insert(), new)
    if changed:
        conn.execute(LOCATIONS.update().where(LOCATIONS.c.id == sa.bindparam("k")), changed)
    if gone:
        conn.execute(LOCATIONS.update().where(LOCATIONS.c.id.in_(gone)).values(active=False))
    n.update(locations_added=len(new), locations_updated=len(changed),
             locations_deactivated=len(gone))

    _ensure_accounts(conn, sites)

    have = {r.id: r for r in conn.execute(sa.select(ITEMS))}
    new = [{"id": p.id, "name": p.name, "unit": p.unit, "standard_cost": p.standard_cost,
            "active": True} for p in products.itertuples() if p.id not in have]
    changed, revalue = [], []
    for p in products.itertuples():
        old = have.get(p.id)
        if old is None:
            continue
        if (old.name, old.unit, old.standard_cost, old.active) != (p.name, p.unit,
                                                                   p.standard_cost, True):
            changed.append({"k": p.id, "name": p.name, "unit": p.unit,
                            "standard_cost": p.standard_cost, "active": True})
        if old.standard_cost != p.standard_cost:
            revalue.append((p.id, old.standard_cost, p.standard_cost))
    gone = [k for k, r in have.items() if r.active and k not in set(products["id"])] \
        if deactivate else []
    if new:
        conn.execute(ITEMS.insert(), new)
    if changed:
        conn.execute(ITEMS.update().where(ITEMS.c.id == sa.bindparam("k")), changed)
    if gone:
        conn.execute(ITEMS.update().where(ITEMS.c.id.in_(gone)).values(active=False))
    entries = tuple(_revalue(conn, pid, old, new_cost, today) for pid, old, new_cost in revalue)
    return SyncResult(items_added=len(new), items_updated=len(changed),
                      items_deactivated=len(gone), revaluations=tuple(e for e in entries if e),
                      **n)


def site_kinds(conn: Connection) -> dict[str, str]:
    """Kind of every location the ledger has (supplier, plant, dc, customer)."""
    return dict(conn.execute(sa.select(LOCATIONS.c.id, LOCATIONS.c.kind)).all())


def _frame(df, required, optional) -> pd.DataFrame:
    if df is None:
        return pd.DataFrame(columns=required + optional)
    df = df.reset_index() if "id" not in df.columns else df
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ValidationError(f"master data needs column(s) {', '.join(missing)}")
    out = df[[c for c in required + optional if c in df.columns]].copy()
    for c in optional:
        out[c] = out[c].fillna("").astype(str) if c in out.columns else ""
    out["id"] = out["id"].astype(str)
    if "standard_cost" in out.columns:
        out["standard_cost"] = [quantize(x) for x in out["standard_cost"]]
    return out


def _check(sites: pd.DataFrame, products: pd.DataFrame) -> None:
    issues = []
    for s in sites.itertuples():
        if s.kind not in tuple(SiteKind):
            issues.append(Issue("sites", f"site {s.id!r} has kind {s.kind!r}; use supplier, "
                                         f"plant, dc or customer", column="kind"))
    for p in products.itertuples():
        if not p.standard_cost.is_finite() or p.standard_cost < 0:
            issues.append(Issue("products", f"product {p.id!r} has standard_cost "
                                            f"{p.standard_cost}; it must be >= 0",
                                column="standard_cost"))
    for name, df in (("sites", sites), ("products", products)):
        dup = df["id"][df["id"].duplicated()]
        if len(dup):
            issues.append(Issue(name, f"id {dup.iloc[0]!r} appears more than once", column="id"))
        long = df["id"][df["id"].str.len() > 64]
        if len(long):
            issues.append(Issue(name, f"id {long.iloc[0][:20]!r}... is longer than 64 characters",
                                column="id"))
    if issues:
        raise ValidationError(issues)


def _ensure_accounts(conn: Connection, sites: pd.DataFrame) -> None:
    have = set(conn.execute(sa.select(ACCOUNTS.c.code)).scalars())
    want = [{"code": code, "name": name, "kind": kind.value, "site": None}
            for code, (name, kind) in accounts.FIXED_ACCOUNTS.items()]
    want += [{"code": accounts.inventory_account(s.id), "name": f"Inventory at {s.id}",
              "kind": "asset", "site": s.id}
             for s in sites.itertuples() if s.kind in accounts.STOCKING_KINDS]
    new = [a for a in want if a["code"] not in have]
    if new:
        conn.execute(ACCOUNTS.insert(), new)


#: most journal lines of MAX_AMOUNT one site's revaluation may take
_MAX_REVALUATION_LINES = 1000


def _revalue(conn: Connection, product: str, old: Decimal, new: Decimal,
             today: dt.date) -> int | None:
    """Revalue the stock of ``product`` from standard cost ``old`` to ``new``."""
    rows = conn.execute(sa.select(MOVES.c.site, fixed_sum(MOVES.c.delta).label("q"))
                        .where(MOVES.c.product == product).group_by(MOVES.c.site)).all()
    lines = []
    for site, q in rows:
        amount = quantize(q * new) - quantize(q * old)
        # a journal line holds at most MAX_AMOUNT: a larger revaluation takes several
        if abs(amount) > _MAX_REVALUATION_LINES * MAX_AMOUNT:
            raise ValidationError([Issue(
                "products", f"changing the standard cost of {product} from {old} to {new} "
                            f"revalues its stock at {site} ({q:,f}) by {amount:,f}, more than "
                            f"the ledger can post ({_MAX_REVALUATION_LINES} x "
                            f"{MAX_AMOUNT:,f}); change the cost in smaller steps",
                column="standard_cost")])
        sign = 1 if amount > 0 else -1
        rest = abs(amount)
        while rest:
            part = min(rest, MAX_AMOUNT) * sign
            lines += [(accounts.inventory_account(site), part), (accounts.REVAL, -part)]
            rest -= abs(part)
    if not lines:
        return None
    return post_journal_entry(conn, today, "revaluation",
                              f"standard cost of {product} {old} -> {new}", lines)

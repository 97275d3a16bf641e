"""Validation: every problem in a network, each naming the file, row, column, value and the fix.

Rules (errors unless marked):

- files and columns: missing required files or columns, unreadable CSV, bad numbers, dates and
  choices, blanks in required columns, negative quantities and costs (in :mod:`models.io`);
- keys: duplicate IDs and duplicate keys (a lane is keyed by origin, destination, product, mode);
- references: every site, product, component and resource named must exist;
- kinds: lanes never leave a customer or enter a supplier; BOMs, production and resources are at
  plants; supply comes from suppliers; demand is at customers;
- BOM cycles;
- reachability: every customer x product with demand must be reachable from a source (supply,
  stock on hand, or production whose components are themselves reachable at the plant);
- warnings: unused lanes, products nobody demands or consumes, demand outside the calendar,
  sites without lanes, unknown extra columns and files.
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

from chainlab.models.calendar import Calendar
from chainlab.models.errors import Issue, Severity
from chainlab.models.schema import TABLES, SiteKind

W = Severity.WARNING
_LIMIT = 20


@dataclass
class Report:
    """The outcome of validation: ``errors`` and ``warnings`` (lists of :class:`Issue`)."""

    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.errors

    def as_dict(self) -> dict:
        return {"valid": self.valid, "errors": [i.as_dict() for i in self.errors],
                "warnings": [i.as_dict() for i in self.warnings]}

    @classmethod
    def of(cls, issues: list[Issue]) -> "Report":
        return cls([i for i in issues if i.severity is Severity.ERROR],
                   [i for i in issues if i.severity is Severity.WARNING])


def check(path) -> Report:
    """Validate a network folder or ``.xlsx`` workbook: reading, parsing and every rule."""
    from chainlab.models import io as _io

    p = Path(path)
    raw = _io.read_excel(p) if p.suffix.lower() in (".xlsx", ".xlsm") else _io.read_folder(p)
    issues = list(raw.issues)
    cal = None
    if raw.meta:
        _, _, cal = _io.parse_meta(raw.meta, issues)
    parsed = {}
    for n, df in raw.tables.items():
        f = TABLES[n].file if p.is_dir() else f"{p.name}[{n}]"
        parsed[n] = _io.parse_table(TABLES[n], df, issues, file=f)
    prior = any(i.severity is Severity.ERROR for i in issues)
    issues += check_tables(parsed, cal, xlsx=None if p.is_dir() else p.name, prior_errors=prior)
    return Report.of(issues)


def validate(net) -> Report:
    """Validate a :class:`~models.Network` in memory (after edits, say); rows are named when
    the table still has the rows it was read with."""
    tables = {}
    for n, df in net.tables().items():
        df = df.copy()
        rows = net.rows.get(n)
        df["_row"] = rows if rows is not None and len(rows) == len(df) else np.arange(len(df)) + 2
        tables[n] = df
    return Report.of(check_tables(tables, net.calendar))


class _Ctx:
    """Collects issues for one table with the file row of each row."""

    def __init__(self, issues: list[Issue], name: str, df: pd.DataFrame, xlsx: str | None):
        self.issues, self.df = issues, df
        self.file = f"{xlsx}[{name}]" if xlsx else TABLES[name].file
        self.rows = df["_row"].to_numpy() if "_row" in df else np.arange(len(df)) + 2

    def flag(self, mask, column: str, template: str, severity=Severity.ERROR, values=None):
        """One issue per flagged row (the first few), ``{v}`` = the cell value, or
        ``values(i)`` when a function of the row position is given."""
        idx = np.flatnonzero(np.asarray(mask))
        if not len(idx):
            return
        if values is None:
            col = self.df[column].to_numpy()
            values = col.__getitem__
        elif not callable(values):
            values = np.asarray(values, dtype=object).__getitem__
        for i in idx[:_LIMIT]:
            self.issues.append(Issue(self.file, template.format(v=values(i)), row=int(self.rows[i]),
                                     column=column, severity=severity))
        if len(idx) > _LIMIT:
            self.issues.append(Issue(self.file, f"... and {len(idx) - _LIMIT} more rows like "
                                     "the ones above", column=column, severity=severity))


def check_tables(tables: dict[str, pd.DataFrame], cal: Calendar | None,
                 xlsx: str | None = None, prior_errors: bool = False) -> list[Issue]:
    """Every rule beyond parsing, over parsed tables (key columns as columns, ``_row``).

    A required table that could not be read is left out of the reference checks (so one bad
    sites.csv does not flag every id elsewhere); reachability runs only on error-free data.
    """
    from chainlab.models.io import empty_table

    issues: list[Issue] = []
    t = {n: tables.get(n) if tables.get(n) is not None else empty_table(TABLES[n]) for n in TABLES}
    ctx = {n: _Ctx(issues, n, df, xlsx) for n, df in t.items()}
    sites, products = t["sites"], t["products"]
    kind = dict(zip(sites["id"].tolist(), sites["kind"].tolist()))
    site_ids, product_ids = set(kind), set(products["id"])

    # duplicate keys
    for n, table in TABLES.items():
        if not table.unique_key or not all(k in t[n] for k in table.key):
            continue
        df = t[n]
        dup = df.duplicated(list(table.key), keep="first").to_numpy()
        if dup.any():
            keyname = table.key[0] if len(table.key) == 1 else "+".join(table.key)
            first = df.drop_duplicates(list(table.key), keep="first")
            first_row = {tuple(k): r for k, r in zip(first[list(table.key)].itertuples(index=False),
                                                      ctx[n].rows[~dup])}
            keys = df[list(table.key)]

            def described(i, keys=keys, first_row=first_row):
                k = tuple(keys.iloc[i])
                shown = "/".join(str(x) for x in k if x != "")
                return f"'{shown}' (first on row {first_row.get(k)})"

            ctx[n].flag(dup, table.key[0], "duplicate " + keyname + " {v}; each must appear once "
                        "(remove or merge this row)", values=described)

    def ref(n, col, known, what, fix, allow_blank=False):
        if (known is site_ids and "sites" not in tables) or (
                known is product_ids and "products" not in tables):
            return None
        df = t[n]
        s = df[col].astype(str)
        bad = ~s.isin(known).to_numpy()
        if allow_blank:
            bad &= (s != "").to_numpy()
        else:
            bad &= (s != "").to_numpy()  # blanks in required columns are reported by parsing
        ctx[n].flag(bad, col, f"'{{v}}' is not {what}; {fix}")
        return bad

    res_keys = set(zip(t["resources"]["plant"], t["resources"]["resource"]))
    add_site = "add it to sites.csv or fix the id"
    add_prod = "add it to products.csv or fix the id"
    ref("lanes", "origin", site_ids, "a site", add_site)
    ref("lanes", "destination", site_ids, "a site", add_site)
    ref("lanes", "product", product_ids, "a product", add_prod, allow_blank=True)
    ref("bom", "product", product_ids, "a product", add_prod)
    ref("bom", "component", product_ids, "a product", add_prod)
    ref("bom", "plant", site_ids, "a site", add_site, allow_blank=True)
    ref("production", "plant", site_ids, "a site", add_site)
    ref("production", "product", product_ids, "a product", add_prod)
    ref("resources", "plant", site_ids, "a site", add_site)
    ref("supply", "supplier", site_ids, "a site", add_site)
    ref("supply", "product", product_ids, "a product", add_prod)
    ref("inventory", "site", site_ids, "a site", add_site)
    ref("inventory", "product", product_ids, "a product", add_prod)
    ref("demand", "customer", site_ids, "a site", add_site)
    ref("demand", "product", product_ids, "a product", add_prod)
    ref("capacity_changes", "site", site_ids, "a site", add_site)
    ref("capacity_changes", "product", product_ids, "a product", add_prod, allow_blank=True)
    cc = t["capacity_changes"]
    cc_res = (cc["resource"] != "").to_numpy()
    bad = cc_res & ~np.array([(p, r) in res_keys for p, r in zip(cc["site"], cc["resource"])],
                             dtype=bool)
    ctx["capacity_changes"].flag(bad, "resource", "'{v}' is not a resource of this site; name "
                                 "one of resources.csv or leave it blank for the whole site")
    backwards = (pd.to_datetime(cc["end"]) < pd.to_datetime(cc["start"])).to_numpy()
    ctx["capacity_changes"].flag(backwards, "end", "{v} is before start; end is the last day of "
                                 "the change", values=lambda i: str(cc["end"].iat[i])[:10])

    # production.resource must be a resource of that plant
    prod = t["production"]
    has_res = (prod["resource"] != "").to_numpy()
    bad = has_res & ~np.array([(p, r) in res_keys for p, r in zip(prod["plant"], prod["resource"])],
                              dtype=bool)
    ctx["production"].flag(bad, "resource", "'{v}' is not a resource of this plant; add it to "
                           "resources.csv (plant, resource, hours_per_period) or fix the id")
    uses_hours = (prod["hours_per_unit"].to_numpy(dtype=float) > 0) & ~has_res
    ctx["production"].flag(uses_hours, "resource", "is blank but hours_per_unit > 0; name the "
                           "resource whose hours this product uses")

    # lots: max_lot >= min_lot, multiples > 0, a setup's hours need a resource
    def num(df, c):
        return df[c].to_numpy(dtype=float)

    lo, hi = num(prod, "min_lot"), num(prod, "max_lot")
    ctx["production"].flag(~np.isnan(hi) & (hi < lo), "max_lot", "{v} is below min_lot; raise "
                           "max_lot or lower min_lot (no quantity could be made)")
    for n, c in (("production", "lot_multiple"), ("supply", "order_multiple")):
        ctx[n].flag(num(t[n], c) == 0, c, "is 0; give a positive multiple or leave it blank "
                    "for any quantity")
    ctx["production"].flag((num(prod, "setup_hours") > 0) & ~has_res, "setup_hours",
                           "{v} hours per setup but no resource; name the resource they use")

    # kinds
    def kind_is(n, col, allowed, msg):
        s = t[n][col]
        k = s.map(kind).astype(object).fillna("")
        bad = (k != "").to_numpy() & ~k.isin(allowed).to_numpy()
        sv, kinds = s.to_numpy(), k.to_numpy()
        ctx[n].flag(bad, col, msg, values=lambda i: f"{sv[i]}' is a {kinds[i]}")

    kind_is("lanes", "origin", (SiteKind.SUPPLIER, SiteKind.PLANT, SiteKind.DC),
            "'{v}; lanes cannot leave a customer (reverse the lane or fix the origin)")
    kind_is("lanes", "destination", (SiteKind.PLANT, SiteKind.DC, SiteKind.CUSTOMER),
            "'{v}; lanes cannot enter a supplier (reverse the lane or fix the destination)")
    kind_is("bom", "plant", (SiteKind.PLANT,),
            "'{v}; a BOM row's plant must be a plant (or blank for every plant)")
    kind_is("production", "plant", (SiteKind.PLANT,),
            "'{v}; only plants produce (use a plant id)")
    kind_is("resources", "plant", (SiteKind.PLANT,), "'{v}; resources belong to plants")
    kind_is("supply", "supplier", (SiteKind.SUPPLIER,),
            "'{v}; supply.csv rows must name a supplier")
    kind_is("demand", "customer", (SiteKind.CUSTOMER,),
            "'{v}; demand must be at a customer site")
    kind_is("inventory", "site", (SiteKind.SUPPLIER, SiteKind.PLANT, SiteKind.DC),
            "'{v}; customers hold no stock in the network (remove the row)")
    lanes = t["lanes"]
    ctx["lanes"].flag((lanes["origin"] == lanes["destination"]).to_numpy(), "destination",
                      "'{v}' is also the origin; a lane must join two different sites")
    bom = t["bom"]
    ctx["bom"].flag((bom["product"] == bom["component"]).to_numpy(), "component",
                    "'{v}' is the product itself; a product cannot consume itself")

    # BOM cycles
    g = nx.DiGraph()
    g.add_edges_from(zip(bom["product"], bom["component"]))
    g.remove_edges_from(nx.selfloop_edges(g))
    cycles_found = False
    try:
        cyc = nx.find_cycle(g)
        cycles_found = True
        path = " -> ".join([cyc[0][0]] + [e[1] for e in cyc])
        row_of = dict(zip(zip(bom["product"], bom["component"]), ctx["bom"].rows))
        issues.append(Issue(ctx["bom"].file, f"BOM cycle {path}: a product ends up needing "
                            "itself; remove one of these rows", row=int(row_of[cyc[-1][:2]]),
                            column="component"))
    except nx.NetworkXNoCycle:
        pass

    # demand dates
    d = t["demand"]
    if cal is not None and len(d):
        per = cal.period_of(d["date"])
        outside = ~pd.isna(d["date"]).to_numpy() & ((per < 0) | (per >= cal.periods))
        if outside.any():
            ctx["demand"].flag(outside, "date", f"{{v}} is outside the calendar ({cal.start} to "
                               f"{cal.end}) and is not planned", severity=W,
                               values=pd.to_datetime(d["date"]).dt.strftime("%Y-%m-%d").to_numpy())

    if not prior_errors and not cycles_found and not any(
            i.severity is Severity.ERROR for i in issues):
        _reachability(t, ctx, kind, issues)
    _usage_warnings(t, ctx, kind, issues)
    return issues


def _reachability(t, ctx, kind, issues):
    """Error for each demanded customer x product that no source can reach.

    Products are visited components first; a product is available at its suppliers, where it
    is on hand, and at plants that make it once all its components are available there; from
    those sites it spreads along every lane that carries it.
    """
    d = t["demand"]
    if d.empty:
        return
    lanes = t["lanes"]
    generic = defaultdict(list)
    specific = defaultdict(lambda: defaultdict(list))
    for o, dst, p in zip(lanes["origin"].tolist(), lanes["destination"].tolist(),
                         lanes["product"].tolist()):
        if p:
            specific[p][o].append(dst)
        else:
            generic[o].append(dst)

    bom = t["bom"]
    prod = t["production"]
    g = nx.DiGraph()
    g.add_nodes_from(t["products"]["id"])
    g.add_edges_from(zip(bom["component"], bom["product"]))
    order = list(nx.topological_sort(g))
    recipe = defaultdict(lambda: defaultdict(list))  # product -> plant ('' = all) -> components
    for p, c, pl in zip(bom["product"], bom["component"], bom["plant"]):
        recipe[p][pl].append(c)
    supplied = defaultdict(set)
    for s, p in zip(t["supply"]["supplier"], t["supply"]["product"]):
        supplied[p].add(s)
    inv = t["inventory"]
    for s, p, q in zip(inv["site"], inv["product"], inv["on_hand"]):
        if q > 0:
            supplied[p].add(s)
    makers = defaultdict(list)
    for pl, p in zip(prod["plant"], prod["product"]):
        makers[p].append(pl)

    cache: dict = {}
    at: dict[str, set] = {}
    for p in order:
        seeds = set(supplied[p])
        for pl in makers[p]:
            comps = recipe[p].get(pl) or recipe[p].get("", [])
            if all(pl in at.get(c, ()) for c in comps):
                seeds.add(pl)
        key = (frozenset(seeds), p in specific)
        if key[1] or key not in cache:
            seen, queue = set(seeds), deque(seeds)
            spec = specific.get(p, {})
            while queue:
                u = queue.popleft()
                for v in generic.get(u, ()):
                    if v not in seen:
                        seen.add(v)
                        queue.append(v)
                for v in spec.get(u, ()):
                    if v not in seen:
                        seen.add(v)
                        queue.append(v)
            if key[1]:
                at[p] = seen
                continue
            cache[key] = seen
        at[p] = cache[key]

    pairs = d[["customer", "product"]].drop_duplicates()
    cust, prods = pairs["customer"].tolist(), pairs["product"].tolist()
    bad = [i for i, (c, p) in enumerate(zip(cust, prods)) if c not in at.get(p, ())]
    if bad:
        first = np.zeros(len(d), bool)
        first[pairs.index.to_numpy()[bad]] = True  # the first demand row of each pair
        dc, dp = d["customer"].to_numpy(), d["product"].to_numpy()
        ctx["demand"].flag(first, "customer", "no source can reach {v}: add a lane to this "
                           "customer from a site that gets the product, or a supplier / plant / "
                           "stock for it", values=lambda i: f"customer '{dc[i]}' with product '{dp[i]}'")


def _usage_warnings(t, ctx, kind, issues):
    d, lanes, products = t["demand"], t["lanes"], t["products"]
    demanded = set(d["product"].unique())
    consumed = set(t["bom"]["component"].unique())
    unused = ~products["id"].isin(demanded | consumed).to_numpy()
    if len(d) or len(t["bom"]):
        ctx["products"].flag(unused, "id", "product '{v}' is neither demanded nor a component of "
                             "anything", severity=W)
    customers_with_demand = set(d["customer"].unique())
    dest_kind = lanes["destination"].map(kind).astype(object).fillna("").to_numpy()
    idle = ((dest_kind == SiteKind.CUSTOMER)
            & ~lanes["destination"].isin(customers_with_demand).to_numpy())
    if len(d):
        ctx["lanes"].flag(idle, "destination", "lane to customer '{v}', which has no demand, "
                          "is never used", severity=W)
    touched = set(lanes["origin"]) | set(lanes["destination"])
    ctx["sites"].flag(~t["sites"]["id"].isin(touched).to_numpy(), "id",
                      "site '{v}' has no lanes in or out", severity=W)
    # structural holes that plan "optimal" on nothing but stock, backlog and lost sales
    sites, prod = t["sites"], t["production"]
    plants = (sites["kind"] == SiteKind.PLANT).to_numpy()
    ctx["sites"].flag(plants & ~sites["id"].isin(set(prod["plant"])).to_numpy(), "id",
                      "plant '{v}' makes nothing: production.csv has no row for it; add what it "
                      "makes there (or make it a dc)", severity=W)
    sourced = set(t["supply"]["product"]) | set(prod["product"])
    ctx["products"].flag((products["id"].isin(demanded) & ~products["id"].isin(sourced)
                          ).to_numpy(), "id",
                         "product '{v}' is demanded but no supplier sells it and no plant makes "
                         "it: only its stock on hand can serve demand; add it to supply.csv or "
                         "production.csv", severity=W)

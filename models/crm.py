"""CRM data: sales orders and opportunities (CONTRACTS §2), read and checked against a network.

A CRM folder holds ``orders.csv`` (required) and ``opportunities.csv`` (optional: without it there
is no pipeline). The same records can come as JSON, ``{"orders": [...], "opportunities": [...]}``
(a ``.json`` file, or lists of dicts through :meth:`CrmData.from_records`), so the API can take
them as they are.

Every problem is reported at once, each naming the file, the row as counted in the file (header
= row 1; for JSON records ``orders[3]``, counted from 0) and the column, with the bad value and
the fix; a CRM with any error gives no :class:`CrmData` at all (no partial model).

The demand model built from this data lives in :mod:`models.demand`.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path

import numpy as np
import pandas as pd

from chainlab.models import io as _io
from chainlab.models.errors import Issue, Severity, ValidationError
from chainlab.models.schema import Field, Kind, SiteKind, Table

W = Severity.WARNING


class OrderStatus(StrEnum):
    """Where a CRM order is (``orders.csv`` ``status``; blank: the CRM does not say)."""

    OPEN = "open"
    SHIPPED = "shipped"
    #: not demand any more
    CANCELLED = "cancelled"


class OpportunityStatus(StrEnum):
    """Where a CRM opportunity is (``opportunities.csv`` ``status``); won and lost are closed."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


ORDER_STATUS = tuple(s.value for s in OrderStatus)
OPPORTUNITY_STATUS = tuple(s.value for s in OpportunityStatus)

_S, _F, _D, _C = Kind.STR, Kind.FLOAT, Kind.DATE, Kind.CHOICE


def _f(name, kind, meaning, *, required=False, unit="", choices=(), nonneg=False):
    return Field(name, kind, meaning, required, None, unit, tuple(choices), nonneg)


#: orders.csv: one row per sales order line
ORDERS = Table(
    "orders",
    (
        _f("order_id", _S, "unique order (line) ID", required=True),
        _f("customer", _S, "customer site ID of the network", required=True),
        _f("product", _S, "product ID of the network", required=True),
        _f("order_date", _D, "day the order was placed", required=True),
        _f("quantity", _F, "units ordered", required=True, unit="units", nonneg=True),
        _f("requested_date", _D, "delivery day the customer asked for; blank = order_date"),
        _f("unit_price", _F, "price per unit", unit="currency/unit", nonneg=True),
        _f("opportunity_id", _S, "the opportunity this order came from; blank = run-rate business"),
        _f("status", _C, "open, shipped or cancelled; cancelled orders are not demand",
           choices=ORDER_STATUS),
    ),
    key=("order_id",),
    meaning="sales orders (the order history and the open orders in hand)",
    required_file=True,
)

#: opportunities.csv: one row per opportunity of the sales pipeline
OPPORTUNITIES = Table(
    "opportunities",
    (
        _f("opportunity_id", _S, "unique opportunity ID", required=True),
        _f("customer", _S, "customer site ID of the network", required=True),
        _f("product", _S, "product ID of the network", required=True),
        _f("quantity", _F, "units the deal is for", required=True, unit="units", nonneg=True),
        _f("stage", _S, "sales stage (e.g. Prospecting ... Negotiation, Closed Won)",
           required=True),
        _f("created_date", _D, "day the opportunity was opened", required=True),
        _f("expected_close_date", _D, "day sales expects it to close", required=True),
        _f("status", _C, "open, won or lost", required=True, choices=OPPORTUNITY_STATUS),
        _f("probability", _F, "the CRM's own win probability (0..1)", nonneg=True),
        _f("amount", _F, "deal value", unit="currency", nonneg=True),
        _f("closed_date", _D, "day it was won or lost (required when won or lost)"),
        _f("expected_delivery_date", _D, "delivery day sales expects if won"),
        _f("last_open_stage", _S, "the stage a closed opportunity was in when it closed; "
                                  "blank = its stage"),
    ),
    key=("opportunity_id",),
    meaning="the sales pipeline: open opportunities and the closed history",
)

CRM_TABLES = {t.name: t for t in (ORDERS, OPPORTUNITIES)}


@dataclass(frozen=True)
class CrmData:
    """Checked CRM records, typed (dates as ``datetime64``), keyed by the network's IDs.

    ``orders`` gains ``delivery_date`` (``requested_date``, or ``order_date`` when blank);
    ``opportunities`` gains ``close_stage`` (the stage a closed opportunity closed from:
    ``last_open_stage`` when given, else ``stage``). Both keep ``_row``, the row in the source,
    for messages. ``warnings`` lists legal but suspicious data.
    """

    orders: pd.DataFrame
    opportunities: pd.DataFrame
    source: str = ""
    warnings: tuple[Issue, ...] = field(default=())

    # ------------------------------------------------------------ construction

    @classmethod
    def from_folder(cls, path, net) -> CrmData:
        """Read a CRM folder (``orders.csv``, optional ``opportunities.csv``)."""
        root = Path(path)
        issues: list[Issue] = []
        if not root.is_dir():
            raise ValidationError([Issue(str(root), "is not a folder; give the CRM folder that "
                                                    "holds orders.csv and opportunities.csv")])
        raw: dict[str, pd.DataFrame] = {}
        for t in (ORDERS, OPPORTUNITIES):
            p = root / t.file
            if not p.exists():
                if t.required_file:
                    issues.append(Issue(t.file, "is missing; it is required (columns "
                                        + ", ".join(t.required_columns) + ")"))
                else:
                    issues.append(Issue(t.file, "is missing; the demand model has no sales "
                                                "pipeline", severity=W))
                continue
            df = _io.read_csv_text(p, t, issues)
            if df is not None:
                raw[t.name] = df
        return _build(raw, net, issues, str(root), lambda t: t.file)

    @classmethod
    def from_records(cls, orders: list[dict], opportunities: list[dict] | None, net,
                     source: str = "") -> CrmData:
        """Build from JSON-like records (lists of dicts with the CSV's column names; dates as
        ISO strings). Messages name a record as ``orders[3]`` (counted from 0)."""
        issues: list[Issue] = []
        raw = {}
        for t, recs in ((ORDERS, orders), (OPPORTUNITIES, opportunities)):
            if recs is None:
                continue
            if not isinstance(recs, list) or not all(isinstance(r, dict) for r in recs):
                issues.append(Issue(t.name, "must be a list of objects (one per record)"))
                continue
            if recs:  # no records = an empty table, whatever its columns
                raw[t.name] = _records_frame(recs)
        return _build(raw, net, issues, source, lambda t: t.name, json_rows=True)

    @classmethod
    def from_json(cls, path, net) -> CrmData:
        """Read ``{"orders": [...], "opportunities": [...]}`` from a JSON file."""
        p = Path(path)
        try:
            doc = json.loads(p.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ValidationError([Issue(p.name, f"is not valid JSON: {e}")]) from None
        if not isinstance(doc, dict) or "orders" not in doc:
            raise ValidationError([Issue(p.name, 'must be an object {"orders": [...], '
                                                 '"opportunities": [...]}')])
        return cls.from_records(doc["orders"], doc.get("opportunities"), net, source=str(p))

    # ------------------------------------------------------------ views

    def as_of(self, date) -> CrmData:
        """The CRM as it stood at the start of ``date``: orders placed before it (those for
        delivery on or after it still open); opportunities
        created before it, those closed on or after it turned back into open ones at the stage
        they closed from (``last_open_stage``; blank when the CRM does not tell, and then the
        demand model gives them the pooled win rate), with no CRM probability. Used by the
        backtest."""
        d = np.datetime64(pd.Timestamp(date), "ns")
        o = self.orders[self.orders["order_date"].to_numpy() < d].copy()
        # shipped since, for delivery on or after the date: still open then
        since = ((o["status"] == OrderStatus.SHIPPED).to_numpy()
                 & (o["delivery_date"].to_numpy() >= d))
        o.loc[since, "status"] = OrderStatus.OPEN.value
        opp = self.opportunities[self.opportunities["created_date"].to_numpy() < d].copy()
        later = ((opp["status"] != OpportunityStatus.OPEN).to_numpy()
                 & ~(opp["closed_date"].to_numpy() < d))
        opp.loc[later, "status"] = OpportunityStatus.OPEN.value
        opp.loc[later, "stage"] = opp.loc[later, "last_open_stage"]
        opp.loc[later, "probability"] = np.nan
        opp.loc[later, "closed_date"] = pd.NaT
        opp.loc[later, "close_stage"] = ""
        return replace(self, orders=o.reset_index(drop=True),
                       opportunities=opp.reset_index(drop=True))

    def summary(self) -> dict:
        o, p = self.orders, self.opportunities
        return {
            "orders": len(o),
            "first_order": _iso(o["order_date"].min()) if len(o) else None,
            "last_order": _iso(o["order_date"].max()) if len(o) else None,
            "cancelled_orders": int((o["status"] == OrderStatus.CANCELLED).sum()),
            "orders_from_opportunities": int((o["opportunity_id"] != "").sum()),
            "opportunities": len(p),
            "open_opportunities": int((p["status"] == OpportunityStatus.OPEN).sum()),
            "won_opportunities": int((p["status"] == OpportunityStatus.WON).sum()),
            "lost_opportunities": int((p["status"] == OpportunityStatus.LOST).sum()),
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (f"<CrmData {self.source!r}: {s['orders']} orders {s['first_order']}.."
                f"{s['last_order']}, {s['opportunities']} opportunities "
                f"({s['open_opportunities']} open)>")


def load_crm(path, net) -> CrmData:
    """Read CRM data for ``net``: a CRM folder (CONTRACTS §2) or a ``.json`` file of records.

    Raises :class:`~models.errors.ValidationError` listing every problem found."""
    p = Path(path)
    if p.suffix.lower() == ".json":
        return CrmData.from_json(p, net)
    return CrmData.from_folder(p, net)


# ---------------------------------------------------------------- reading helpers


def _iso(v) -> str | None:
    return None if pd.isna(v) else pd.Timestamp(v).date().isoformat()


def _text(v) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (dt.datetime, pd.Timestamp)):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _records_frame(records: list[dict]) -> pd.DataFrame:
    """Records as a text table like :func:`models.io.read_csv_text` gives (``_row`` = index)."""
    cols: list[str] = []
    for r in records:
        cols += [str(k) for k in r if str(k) not in cols]
    df = pd.DataFrame({c: [_text(r.get(c)) for r in records] for c in cols},
                      index=pd.RangeIndex(len(records)), dtype=object)
    df["_row"] = np.arange(len(records)) + 2  # as if in a file: header = row 1
    return df


def _each(issues, file, rows, col, msgs, limit=20, severity=Severity.ERROR):
    """One issue per offending row (the first ``limit``), then one that counts the rest."""
    rows, msgs = list(rows), list(msgs)
    for r, m in zip(rows[:limit], msgs[:limit]):
        issues.append(Issue(file, m, row=int(r), column=col, severity=severity))
    if len(rows) > limit:
        issues.append(Issue(file, f"... {len(rows) - limit} more rows with the same problem",
                            column=col, severity=severity))


# ---------------------------------------------------------------- checks


def _check_ids(df, file, col, known, what, issues, kind_of=None):
    """Every ID in ``col`` names a network site of kind ``what`` (or a product)."""
    ids = df[col].to_numpy(dtype=object)
    present = ids != ""
    unknown = present & ~np.isin(ids, np.asarray(list(known), dtype=object))
    if unknown.any():
        fix = ("add it to sites.csv with kind customer, or fix the id"
               if what == SiteKind.CUSTOMER
               else "add it to products.csv, or fix the id")
        where = "site" if what == SiteKind.CUSTOMER else "product"
        _each(issues, file, df["_row"].to_numpy()[unknown], col,
              [f"{what} '{v}' is not a {where} of the network; {fix}" for v in ids[unknown]])
    if kind_of is not None:
        wrong = present & ~unknown & (np.array([kind_of.get(v, what) for v in ids]) != what)
        if wrong.any():
            _each(issues, file, df["_row"].to_numpy()[wrong], col,
                  [f"'{v}' is a {kind_of[v]} site, not a customer; orders and opportunities "
                   "name the customer who buys" for v in ids[wrong]])


def _check_unique(df, file, col, issues):
    ids = df[col]
    dup = ids.duplicated(keep="first").to_numpy() & (ids != "").to_numpy()
    if dup.any():
        first = df.drop_duplicates(col).set_index(col)["_row"]
        _each(issues, file, df["_row"].to_numpy()[dup], col,
              [f"'{v}' is a duplicate {col} (first on row {first[v]}); every {col} must be unique"
               for v in ids[dup]])


def _check_order(df, file, early, late, issues, what, severity=Severity.ERROR):
    """``late`` is not before ``early`` where both are given."""
    a, b = df[early].to_numpy(), df[late].to_numpy()
    bad = ~pd.isna(a) & ~pd.isna(b) & (b < a)
    if bad.any():
        _each(issues, file, df["_row"].to_numpy()[bad], late,
              [f"{_iso(y)} is before {early} {_iso(x)}; {what}" for x, y in zip(a[bad], b[bad])],
              severity=severity)


def _probability_scale(df, file, issues):
    """Probabilities as fractions: a file written in percent (some > 1, all <= 100) is scaled
    with a warning; values over 1 otherwise are errors."""
    p = df["probability"].to_numpy(dtype=float)
    over = ~np.isnan(p) & (p > 1)
    if not over.any():
        return
    if np.nanmax(p) <= 100:
        df["probability"] = p / 100.0
        issues.append(Issue(file, "probability looks like percent (values up to "
                                  f"{np.nanmax(p):g}); read as fractions (divided by 100)",
                            column="probability", severity=W))
    else:
        _each(issues, file, df["_row"].to_numpy()[over], "probability",
              [f"{v:g} is not a probability; write fractions like 0.25" for v in p[over]])


def _build(raw, net, issues, source, file_of, json_rows=False) -> CrmData:
    customers = set(net.sites.index)
    kind_of = net.sites["kind"].to_dict()
    products = set(net.products.index)
    parsed = {}
    for t in (ORDERS, OPPORTUNITIES):
        if t.name in raw:
            parsed[t.name] = _io.parse_table(t, raw[t.name], issues, file=file_of(t))
        else:
            parsed[t.name] = _io.empty_table(t)
    o, p = parsed["orders"], parsed["opportunities"]
    fo, fp = file_of(ORDERS), file_of(OPPORTUNITIES)
    for df, f in ((o, fo), (p, fp)):
        if len(df):
            _check_ids(df, f, "customer", customers, SiteKind.CUSTOMER, issues, kind_of)
            _check_ids(df, f, "product", products, "product", issues)
    _check_unique(o, fo, "order_id", issues)
    _check_order(o, fo, "order_date", "requested_date", issues,
                 "a delivery cannot be asked for before the order; fix either date")
    _check_unique(p, fp, "opportunity_id", issues)
    _check_order(p, fp, "created_date", "closed_date", issues,
                 "an opportunity cannot close before it was created; fix either date")
    _check_order(p, fp, "created_date", "expected_close_date", issues,
                 "the expected close date was set before the opportunity existed",
                 severity=W)
    closed = (p["status"] != OpportunityStatus.OPEN).to_numpy() & (p["status"] != "").to_numpy()
    undated = closed & pd.isna(p["closed_date"]).to_numpy()
    if undated.any():
        _each(issues, fp, p["_row"].to_numpy()[undated], "closed_date",
              [f"is blank, but the opportunity is {s}; give the day it was {s} (it dates "
               "the slippage of close dates)" for s in p["status"].to_numpy()[undated]])
    if len(p):
        _probability_scale(p, fp, issues)
    linked = o["opportunity_id"].to_numpy(dtype=object)
    stray = (linked != "") & ~np.isin(linked, p["opportunity_id"].to_numpy(dtype=object))
    if stray.any() and "opportunities" in raw:
        _each(issues, fo, o["_row"].to_numpy()[stray], "opportunity_id",
              [f"'{v}' is not in {fp}; the order still counts as pipeline business, not "
               "run-rate" for v in linked[stray]], severity=W)
    if json_rows:
        issues[:] = [_record_issue(i) for i in issues]
    errors = [i for i in issues if i.severity is Severity.ERROR]
    if errors:
        raise ValidationError(errors)
    o = o.assign(delivery_date=o["requested_date"].where(o["requested_date"].notna(),
                                                         o["order_date"]))
    stage = p["last_open_stage"].where(p["last_open_stage"] != "", p["stage"])
    p = p.assign(close_stage=stage.where(p["status"] != OpportunityStatus.OPEN, ""))
    return CrmData(o, p, source, tuple(i for i in issues if i.severity is W))


def _record_issue(i: Issue) -> Issue:
    """Record ``k`` (from 0) was numbered row ``k + 2``: name it ``orders[k]``; an issue of the
    header (row 1: a missing or unknown column) names the list alone."""
    if i.row is None:
        return i
    if i.row == 1:
        return replace(i, row=None)
    return replace(i, file=f"{i.file}[{i.row - 2}]", row=None)

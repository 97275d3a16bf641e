"""The network: component tables with a schema, a calendar, and a networkx graph view."""

from __future__ import annotations

import copy as _copy
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import yaml

from chainlab.models import io as _io
from chainlab.models.calendar import Calendar
from chainlab.models.errors import Issue, Severity, ValidationError
from chainlab.models.files import atomic_file, atomic_folder
from chainlab.models.schema import TABLES, Distribution, SiteKind, SiteStatus, lane_id

#: tables with one ID column use it as index; the others a MultiIndex of their key columns.
#: lanes are indexed by their readable ID (see :func:`models.schema.lane_id`); demand by row.
TABLE_NAMES = tuple(TABLES)


def _keyed(name: str, df: pd.DataFrame) -> pd.DataFrame:
    """A parsed table (key columns as columns) indexed the way the Network holds it."""
    t = TABLES[name]
    df = df.drop(columns=["_row"], errors="ignore")
    if name == "lanes":
        ids = [lane_id(o, d, p, m) for o, d, p, m in zip(
            df["origin"], df["destination"], df["product"], df["mode"])]
        return df.set_axis(pd.Index(ids, name="id"), axis=0)
    if name == "demand":
        return df.reset_index(drop=True)
    return df.set_index(list(t.key))


class Network:
    """A supply network: ``sites``, ``products``, ``bom``, ``production``, ``resources``,
    ``supply``, ``lanes``, ``inventory``, ``demand`` (pandas DataFrames keyed by the network's
    IDs), a :class:`Calendar`, a name and a currency.

    Build one with :meth:`from_folder` or :meth:`from_excel`; the tables can then be read and
    changed like any DataFrame (``net.lanes.loc["PLANT1>DC_EAST", "cost_per_unit"]``).
    """

    def __init__(self, name: str, calendar: Calendar, tables: dict[str, pd.DataFrame],
                 currency: str = "USD", source: str | None = None,
                 rows: dict[str, np.ndarray] | None = None,
                 warnings: list[Issue] | None = None):
        self.name = name
        self.currency = currency
        self.calendar = calendar
        self.source = source
        #: file row of each table row, by position (for messages); absent for built tables
        self.rows = rows or {}
        #: warnings found while loading (legal but suspicious data)
        self.warnings = list(warnings or [])
        for n in TABLE_NAMES:
            df = tables.get(n)
            if df is None:
                df = _keyed(n, _io.empty_table(TABLES[n]))
            setattr(self, n, df)

    # ------------------------------------------------------------ construction

    @classmethod
    def from_tables(cls, name: str, calendar: Calendar, currency: str = "USD",
                    **tables: pd.DataFrame) -> "Network":
        """Build from DataFrames whose key columns are ordinary columns (missing optional
        columns take the schema defaults). Raises :class:`ValidationError` on bad data."""
        issues: list[Issue] = []
        parsed = {}
        for n, df in tables.items():
            if n not in TABLES:
                raise ValueError(f"unknown table {n!r}; known: {', '.join(TABLES)}")
            text = _io.to_text_frame(TABLES[n], _with_all_columns(TABLES[n], df))
            text["_row"] = np.arange(len(text)) + 2
            parsed[n] = _io.parse_table(TABLES[n], text, issues)
        return _finish(name, currency, calendar, parsed, issues, source=None, validate=True)

    @classmethod
    def from_folder(cls, path, *, validate: bool = True) -> "Network":
        """Read a network folder (CONTRACTS §1). Raises :class:`ValidationError` listing every
        problem; warnings are kept in ``net.warnings``."""
        return _load(_io.read_folder(path), validate)

    @classmethod
    def from_excel(cls, path, *, validate: bool = True) -> "Network":
        """Read a workbook whose sheets are the tables (sheet name = file stem) plus a
        ``network`` sheet of key/value rows."""
        return _load(_io.read_excel(path), validate)

    # ------------------------------------------------------------ output

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table with its key columns as ordinary columns, in schema column order."""
        out = {}
        for n in TABLE_NAMES:
            df = getattr(self, n)
            flat = df.reset_index(drop=(n in ("lanes", "demand")))
            out[n] = flat[TABLES[n].columns]
        return out

    def meta(self) -> dict:
        return {"name": self.name, "currency": self.currency, "calendar": self.calendar.as_dict()}

    def to_folder(self, path) -> Path:
        """Write the network as a folder of CSV files plus network.yaml.

        Files are written to a temporary folder beside ``path`` and moved into place, so an
        error leaves no half-written network.
        """
        path = Path(path)
        with atomic_folder(path) as tmp:
            (tmp / "network.yaml").write_text(yaml.safe_dump(self.meta(), sort_keys=False),
                                              encoding="utf-8")
            for n, df in self.tables().items():
                _io.to_text_frame(TABLES[n], df).to_csv(tmp / TABLES[n].file, index=False,
                                                        lineterminator="\n")
        return path

    def to_excel(self, path) -> Path:
        """Write one workbook: a ``network`` sheet (key/value) and a sheet per table."""
        path = Path(path)
        with atomic_file(path, suffix=".xlsx") as tmp:
            tmp.unlink()  # openpyxl writes a new file
            meta = [("name", self.name), ("currency", self.currency)] + [
                (f"calendar.{k}", v) for k, v in self.calendar.as_dict().items()]
            with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
                pd.DataFrame(meta, columns=["key", "value"]).to_excel(
                    xw, sheet_name="network", index=False)
                for n, df in self.tables().items():
                    # numbers and dates as typed cells, as a planner's own workbook has them
                    df.to_excel(xw, sheet_name=n, index=False)
        return path

    def copy(self) -> "Network":
        """A deep copy: changing it never changes this network."""
        tables = {n: getattr(self, n).copy(deep=True) for n in TABLE_NAMES}
        return Network(self.name, self.calendar, tables, self.currency, self.source,
                       {k: v.copy() for k, v in self.rows.items()}, _copy.copy(self.warnings))

    # ------------------------------------------------------------ views

    def sites_of(self, kind: str) -> pd.Index:
        """IDs of the sites of one kind (``supplier``, ``plant``, ``dc``, ``customer``)."""
        return self.sites.index[self.sites["kind"] == kind]

    def graph(self, multigraph: bool = False) -> nx.DiGraph:
        """Sites as nodes (with every site column as attributes, ``kind`` among them), lanes
        as edges. A DiGraph keeps one edge per origin-destination pair with the attributes of
        its cheapest lane and ``lanes`` (all lane IDs on it); ``multigraph=True`` gives a
        MultiDiGraph with one edge per lane, keyed by lane ID."""
        g = nx.MultiDiGraph() if multigraph else nx.DiGraph()
        g.graph.update(name=self.name, currency=self.currency)
        for sid, row in self.sites.iterrows():
            g.add_node(sid, **row.to_dict())
        lanes = self.lanes.sort_values("cost_per_unit", kind="stable")
        for lid, row in lanes.iterrows():
            attrs = row.to_dict()
            o, d = attrs["origin"], attrs["destination"]
            if multigraph:
                g.add_edge(o, d, key=lid, id=lid, **attrs)
            elif g.has_edge(o, d):
                g.edges[o, d]["lanes"].append(lid)
            else:
                g.add_edge(o, d, id=lid, lanes=[lid], **attrs)
        return g

    def demand_by_period(self) -> pd.DataFrame:
        """Demand summed per customer x product x period inside the horizon: ``quantity`` (mean)
        and ``sd`` (variances add). Demand dated outside the calendar is left out."""
        d = self.demand
        cols = ["customer", "product", "period", "quantity", "sd"]
        if d.empty:
            return pd.DataFrame(columns=cols).set_index(cols[:3])
        period = self.calendar.period_of(d["date"])
        inside = (period >= 0) & (period < self.calendar.periods)
        g = pd.DataFrame({
            "customer": d["customer"].to_numpy()[inside], "product": d["product"].to_numpy()[inside],
            "period": period[inside], "quantity": d["quantity"].to_numpy()[inside],
            "var": np.nan_to_num(d["sd"].to_numpy(dtype=float)[inside]) ** 2,
        }).groupby(["customer", "product", "period"], sort=True).sum()
        g["sd"] = np.sqrt(g.pop("var"))
        return g

    def capacity_factors(self) -> pd.DataFrame:
        """Capacity multiplier per period from ``capacity_changes``: one row per (site,
        resource, product) named there, one column per period. A period's factor is the mean
        over its days of the product of the scales of the changes active that day (a plant down
        3 of 7 days runs at 4/7)."""
        cc = self.capacity_changes
        cal = self.calendar
        cols = pd.RangeIndex(cal.periods, name="period")
        if cc.empty:
            return pd.DataFrame(columns=cols, index=pd.MultiIndex.from_tuples(
                [], names=["site", "resource", "product"]), dtype=float)
        flat = cc.reset_index()
        day0 = np.datetime64(cal.start, "D")
        n_days = cal.periods * cal.days
        out = {}
        for key, grp in flat.groupby(["site", "resource", "product"], sort=True):
            daily = np.ones(n_days)
            for s, e, k in zip(grp["start"], grp["end"], grp["scale"]):
                a = int((np.datetime64(s, "D") - day0).astype(int))
                b = int((np.datetime64(e, "D") - day0).astype(int)) + 1
                daily[max(a, 0):min(max(b, 0), n_days)] *= k
            out[key] = daily.reshape(cal.periods, cal.days).mean(axis=1)
        df = pd.DataFrame.from_dict(out, orient="index", columns=cols)
        df.index = pd.MultiIndex.from_tuples(df.index, names=["site", "resource", "product"])
        return df

    def summary(self) -> dict:
        """Counts and totals a planner checks first."""
        kinds = self.sites["kind"].value_counts()
        dbp = self.demand_by_period()
        return {
            "name": self.name,
            "currency": self.currency,
            "calendar": self.calendar.as_dict(),
            "suppliers": int(kinds.get(SiteKind.SUPPLIER, 0)),
            "plants": int(kinds.get(SiteKind.PLANT, 0)),
            "dcs": int(kinds.get(SiteKind.DC, 0)),
            "candidate_sites": int((self.sites["status"] == SiteStatus.CANDIDATE).sum()),
            "customers": int(kinds.get(SiteKind.CUSTOMER, 0)),
            "products": len(self.products),
            "components": int(self.bom.index.get_level_values("component").nunique()),
            "bom_rows": len(self.bom),
            "resources": len(self.resources),
            "lanes": len(self.lanes),
            "demand_rows": len(self.demand),
            "total_demand": float(dbp["quantity"].sum()) if len(dbp) else 0.0,
            "customer_product_pairs": int(len(dbp.reset_index()[["customer", "product"]]
                                              .drop_duplicates())) if len(dbp) else 0,
        }

    def __repr__(self) -> str:
        s = self.summary()
        return (f"<Network {self.name!r}: {s['suppliers']} suppliers, {s['plants']} plants, "
                f"{s['dcs']} DCs, {s['customers']} customers, {s['products']} products, "
                f"{s['lanes']} lanes, {self.calendar.periods} {self.calendar.bucket}s "
                f"from {self.calendar.start}>")


def _with_all_columns(t, df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for f in t.fields:
        if f.name not in df.columns:
            df[f.name] = np.nan if f.kind.value in ("number", "integer") else ""
    return df


def _load(raw: _io.RawNetwork, validate: bool) -> Network:
    issues = list(raw.issues)
    name, currency, cal = _io.parse_meta(raw.meta, issues) if raw.meta else ("", "USD", None)
    xlsx = Path(raw.source).name if Path(raw.source).suffix.lower() in (".xlsx", ".xlsm") else None
    parsed = {}
    for n, df in raw.tables.items():
        f = f"{xlsx}[{n}]" if xlsx else TABLES[n].file
        parsed[n] = _io.parse_table(TABLES[n], df, issues, file=f)
    if cal is None and not any(i.severity is Severity.ERROR for i in issues):
        issues.append(Issue("network.yaml", "has no usable calendar"))
    return _finish(name, currency, cal, parsed, issues, raw.source, validate, xlsx)


def _finish(name, currency, cal, parsed, issues, source, validate, xlsx=None) -> Network:
    from chainlab.models.validation import check_tables

    if validate:
        prior = any(i.severity is Severity.ERROR for i in issues)
        issues = issues + check_tables(parsed, cal, xlsx=xlsx, prior_errors=prior)
    errors = [i for i in issues if i.severity is Severity.ERROR]
    if errors or cal is None:
        raise ValidationError(errors or issues)
    rows = {n: df["_row"].to_numpy() for n, df in parsed.items()}
    tables = {n: _keyed(n, df) for n, df in parsed.items()}
    if "demand" in tables:
        d = tables["demand"]
        d["distribution"] = np.where(d["distribution"] != "", d["distribution"],
                                     np.where(d["sd"].notna(), Distribution.NORMAL.value,
                                              Distribution.FIXED.value))
    return Network(name, cal, tables, currency, source, rows,
                   [i for i in issues if i.severity is Severity.WARNING])

"""The typed result of network design: :class:`Design`, plain data, and :class:`Forcing`, the
price of a decision (``solver.cost_of_forcing(design, site, open=False)``). What re-solves a
design lives in :mod:`solver.design`; this module only reads and writes the results."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from chainlab.models import Network, SiteKind, SiteStatus
from chainlab.models.calendar import Calendar
from chainlab.models.files import atomic_folder
from chainlab.models.geo import lane_km
from chainlab.solver.backends.base import RawResult
from chainlab.solver.design_network import design_network, design_sites
from chainlab.solver.lp import LPArrays
from chainlab.solver.result import Diagnosis, Plan, SolveInfo, Status
from chainlab.solver.solution import TOL, clean

#: columns of ``Design.sites``
SITE_COLUMNS = ("kind", "status", "decided", "forced", "open", "level", "capacity",
                "throughput", "peak_utilisation", "customers", "fixed_cost", "open_cost")


@dataclass(frozen=True, repr=False, kw_only=True)
class Design(SolveInfo):
    """A network design, with the facts of its solve (:class:`~solver.result.SolveInfo`:
    ``status``, ``objective``, ``bound``, ``gap``, seconds, ``size``, ...).

    ``sites``: every supplier, plant and DC (index = site ID) with ``kind``, ``status`` (in the
    network), ``decided`` (its opening was part of the decision), ``forced`` (open, closed or
    blank), ``open``, ``level`` (capacity level, blank without levels), ``capacity`` (units per
    period through a DC, NaN = unlimited), ``throughput`` (units shipped out over the
    horizon), ``peak_utilisation`` (highest period's throughput / capacity), ``customers``
    (how many it serves), ``fixed_cost`` (over the horizon, if open) and ``open_cost`` (paid
    if a candidate is opened). ``assignments``: customer, site, quantity (over the horizon),
    share of the customer's deliveries, cost, distance_km. ``utilisation``: site, period,
    date, throughput, capacity, utilisation of every open DC with a capacity. ``plan``: the
    whole operational plan of the design (production, purchases, shipments = the flows,
    inventory, backlog, capacity), as :func:`solver.plan` gives it; the design's ``network``
    (name), ``currency``, ``calendar``, ``costs`` (by category; ``site_fixed`` and
    ``site_open`` are the design's) and ``diagnosis`` are its plan's.
    """

    sites: pd.DataFrame
    assignments: pd.DataFrame
    utilisation: pd.DataFrame
    plan: Plan
    options: object = None
    #: the inputs, kept to re-solve (:func:`~solver.design.cost_of_forcing`)
    net: Network | None = field(default=None, compare=False)
    demand: object = field(default=None, compare=False)

    @property
    def network(self) -> str:
        return self.plan.network

    @property
    def currency(self) -> str:
        return self.plan.currency

    @property
    def calendar(self) -> Calendar:
        return self.plan.calendar

    @property
    def costs(self) -> dict[str, float]:
        return self.plan.costs

    @property
    def diagnosis(self) -> Diagnosis | None:
        return self.plan.diagnosis

    @property
    def open_sites(self) -> list[str]:
        """Plants and DCs open in this design (and decided suppliers that are open)."""
        s = self.sites
        if not self.has_solution:
            return []
        keep = s["open"] & (s["kind"].isin([SiteKind.PLANT, SiteKind.DC]) | s["decided"])
        return s.index[keep].tolist()

    @property
    def closed_sites(self) -> list[str]:
        """Sites whose opening was decided (or forced) and that are closed."""
        s = self.sites
        if not self.has_solution:
            return []
        return s.index[s["decided"] & ~s["open"]].tolist()

    @property
    def opened(self) -> list[str]:
        """Candidate sites this design opens."""
        s = self.sites
        return s.index[s["open"] & (s["status"] == SiteStatus.CANDIDATE)].tolist() \
            if self.has_solution else []

    @property
    def flows(self) -> pd.DataFrame:
        """Shipments by lane, product and period (the plan's ``shipments``)."""
        return self.plan.shipments

    def as_built(self) -> Network:
        """The network with this design's decisions applied, ready for :func:`solver.plan`:
        opened candidates become existing, closed sites become candidates (the planner leaves
        them out), a DC with capacity levels gets its chosen level's capacity and fixed cost,
        and lanes the design may not use (distance, lead time) are removed. Planning it gives
        the design's plan and objective less the one-off opening costs. (No solve: this only
        applies the decisions to the network, so it stays a method.)"""
        if not self.has_solution:
            raise ValueError(f"the design of {self.network} has no solution "
                             f"({self.status.value}); nothing to build")
        o = self.options
        built = design_network(self.net, design_sites(self.net, o), o)
        s = self.sites
        sites = built.sites
        sites.loc[s.index, "status"] = np.where(s["open"], SiteStatus.EXISTING.value,
                                                 SiteStatus.CANDIDATE.value)
        chosen = s[s["level"] != ""]
        if len(chosen) and o.levels is not None:
            lv = o.levels.set_index(["site", "level"]).loc[list(zip(chosen.index,
                                                                     chosen["level"]))]
            for col in ("capacity", "fixed_cost", "open_cost"):
                sites.loc[chosen.index, col] = lv[col].to_numpy()
        return built

    def summary(self) -> dict:
        """The design in a few numbers (the CLI's JSON object)."""
        def num(v):
            return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else v

        s = self.sites
        out = {
            "status": self.status.value,
            "objective": num(self.objective),
            "bound": num(self.bound),
            "gap": num(self.gap),
            "open_sites": self.open_sites,
            "closed_sites": self.closed_sites,
            "opened": self.opened,
            "decisions": [
                {"site": sid, "kind": r.kind, "status": r.status, "open": bool(r.open),
                 "forced": r.forced or None, "level": r.level or None,
                 "throughput": round(float(r.throughput), 6),
                 "peak_utilisation": num(round(float(r.peak_utilisation), 6))
                 if pd.notna(r.peak_utilisation) else None,
                 "customers": int(r.customers)}
                for sid, r in s[s["decided"] | (s["level"] != "")].iterrows()
            ] if self.has_solution else [],
            "costs": {k: round(v, 6) for k, v in self.costs.items()},
            "currency": self.currency,
            "backend": self.backend,
            "build_seconds": round(self.build_seconds, 4),
            "solve_seconds": round(self.solve_seconds, 4),
            "network": self.network,
            "periods": self.calendar.periods,
            "bucket": self.calendar.bucket,
            "horizon": getattr(getattr(self.options, "horizon", None), "value", None),
            "sourcing": getattr(getattr(self.options, "sourcing", None), "value", None),
            "size": dict(self.size),
            "detail": self.detail,
        }
        if self.has_solution:
            b = self.plan.backlog
            out["demand"] = float(b["demand"].sum()) if len(b) else 0.0
            out["delivered"] = float(b["delivered"].sum()) if len(b) else 0.0
            out["lost"] = float(b["lost"].sum()) if len(b) else 0.0
        if self.diagnosis is not None:
            out["diagnosis"] = self.diagnosis.as_dict()
        return out

    def to_excel(self, path) -> Path:
        """One workbook: ``summary``, ``sites``, ``assignments``, ``utilisation``, ``costs`` and
        the operational plan's tables as ``plan <table>`` sheets."""
        from chainlab.models.workbook import key_values, money_units, write_workbook

        costs = pd.DataFrame({"category": list(self.costs), "cost": list(self.costs.values())})
        sheets = {"summary": key_values(self.summary()), "sites": self.sites.reset_index(),
                  "assignments": self.assignments, "utilisation": self.utilisation,
                  "costs": costs}
        if self.plan is not None:
            sheets |= {f"plan {n}": df for n, df in self.plan.tables.items()}
        return write_workbook(path, sheets, money_units(self.currency))

    def to_folder(self, path) -> Path:
        """Write ``sites.csv``, ``assignments.csv``, ``utilisation.csv``, ``costs.csv``,
        ``summary.json``, the operational plan in ``plan/`` and the network as built (see
        :meth:`as_built`) in ``network/``. Files go to a temporary folder beside ``path``
        first, so an error leaves no half-written design."""
        path = Path(path)
        with atomic_folder(path, replace_subfolders=True) as tmp:
            self.sites.reset_index().to_csv(tmp / "sites.csv", index=False, lineterminator="\n")
            self.assignments.to_csv(tmp / "assignments.csv", index=False, lineterminator="\n")
            self.utilisation.to_csv(tmp / "utilisation.csv", index=False, lineterminator="\n")
            pd.DataFrame({"category": list(self.costs), "cost": list(self.costs.values())}
                         ).to_csv(tmp / "costs.csv", index=False, lineterminator="\n")
            (tmp / "summary.json").write_text(json.dumps(self.summary(), indent=2, default=str)
                                              + "\n", encoding="utf-8")
            self.plan.to_folder(tmp / "plan")
            if self.has_solution:
                self.as_built().to_folder(tmp / "network")
        return path

    def __repr__(self) -> str:
        head = f"<Design {self.network!r} {self.status.value}"
        if self.objective is not None:
            head += f", objective {self.objective:,.2f} {self.currency}"
        if self.gap:
            head += f", gap {self.gap:.2%}"
        head += f" ({self.backend}, build {self.build_seconds:.2f}s, " \
                f"solve {self.solve_seconds:.2f}s)"
        lines = [head]
        if self.has_solution:
            s = self.sites
            dec = s[s["decided"]]
            if len(dec):
                opened = dec.index[dec["open"]].tolist()
                closed = dec.index[~dec["open"]].tolist()
                lines.append(f"  open: {_short(opened)}; closed: {_short(closed)}")
            costs = ", ".join(f"{k} {v:,.2f}" for k, v in self.costs.items() if abs(v) > 1e-9)
            lines.append(f"  costs: {costs}")
        if self.diagnosis is not None:
            lines += ["  " + x for x in str(self.diagnosis).splitlines()]
        return "\n".join(lines) + ">"


@dataclass(frozen=True)
class Forcing:
    """A design and the same design with ``site`` forced open (or closed): what the decision
    is worth. ``difference`` = forced objective - base objective (> 0: the base decision
    saves that much); ``deltas`` the same per cost category."""

    site: str
    open: bool
    base: Design
    forced: Design

    @property
    def difference(self) -> float | None:
        if self.base.objective is None or self.forced.objective is None:
            return None
        return self.forced.objective - self.base.objective

    @property
    def proven(self) -> bool:
        """Both designs proven optimal: ``difference`` is exact (to the gap)."""
        return self.base.status is Status.OPTIMAL and self.forced.status is Status.OPTIMAL

    @property
    def difference_range(self) -> tuple[float, float] | None:
        """(least, most) the forced design can cost more than the best base design, from
        the objectives and bounds of both (None where a bound is missing)."""
        b, f = self.base, self.forced
        if None in (b.objective, b.bound, f.objective, f.bound):
            return None
        return f.bound - b.objective, f.objective - b.bound

    @property
    def certain(self) -> bool:
        """The base decision is proven at least as good as the forced one, whatever the true
        optima: the forced design's bound is no lower than the base design's objective."""
        rng = self.difference_range
        if rng is not None:
            return rng[0] >= -1e-9 * max(1.0, abs(self.base.objective))
        return self.proven and self.difference is not None and self.difference >= 0

    @property
    def deltas(self) -> dict[str, float]:
        """forced - base, per cost category (categories that differ by more than 1e-6)."""
        if not (self.base.has_solution and self.forced.has_solution):
            return {}
        keys = list(dict.fromkeys(list(self.base.costs) + list(self.forced.costs)))
        d = {k: self.forced.costs.get(k, 0.0) - self.base.costs.get(k, 0.0) for k in keys}
        return {k: v for k, v in d.items() if abs(v) > 1e-6}

    def as_dict(self) -> dict:
        rng = self.difference_range
        return {"site": self.site, "forced_open": self.open,
                "status": self.forced.status.value, "objective": self.forced.objective,
                "difference": self.difference, "proven": self.proven,
                "certain": self.certain,
                "difference_range": list(rng) if rng is not None else None,
                "deltas": self.deltas, "text": str(self)}

    def __str__(self) -> str:
        cur = self.base.currency
        base_open = not self.open
        what = f"opening {self.site}" if base_open else f"keeping {self.site} closed"
        other = "keeping it closed" if base_open else "opening it"
        if not self.forced.has_solution:
            return (f"{self.site} must be {'open' if base_open else 'closed'}: with it forced "
                    f"{'open' if self.open else 'closed'} the design is "
                    f"{self.forced.status.value}")
        diff = self.difference
        if diff is None:
            return f"{what}: no comparison (the base design has no solution)"
        # what the base decision changes against the alternative: base - forced
        parts = ", ".join(f"{k} {-v:+,.2f}" for k, v in
                          sorted(self.deltas.items(), key=lambda kv: -abs(kv[1])))
        if self.base.objective is not None and abs(diff) <= 1e-9 * max(1.0, abs(
                self.base.objective)):
            return f"{what} costs the same as {other}"
        verb = f"saves {diff:,.2f} {cur}" if diff > 0 else f"costs {-diff:,.2f} {cur} more"
        text = f"{what} {verb} against {other}" + (f": {parts}" if parts else "")
        rng = self.difference_range
        if rng is not None and not self.certain:
            text += (f" (not certain: given both designs' bounds the saving is between "
                     f"{rng[0]:,.2f} and {rng[1]:,.2f} {cur})")
        elif rng is not None and not self.proven:
            text += (f" (the decision is certain, the amount is not: given both designs' "
                     f"bounds the saving is between {rng[0]:,.2f} and {rng[1]:,.2f} {cur})")
        elif not self.proven:
            text += " (not certain: a design is not proven optimal)"
        return text


# ---------------------------------------------------------------- assembly


def make_design(dm, lp: LPArrays, raw: RawResult, plan: Plan, net: Network, demand) -> Design:
    """Assemble the :class:`Design` from the design model, the solver's answer and the plan
    read from it."""
    s0 = net.sites
    ds = dm.sites
    sites = pd.DataFrame(index=s0.index[s0["kind"] != SiteKind.CUSTOMER])
    sites.index.name = "site"
    sites["kind"] = s0["kind"]
    sites["status"] = s0["status"]
    sites["decided"] = False
    sites.loc[ds.index, "decided"] = ds["decided"].to_numpy(dtype=bool)
    sites["forced"] = ""
    sites.loc[ds.index, "forced"] = ds["forced"].to_numpy()
    # sites outside the design keep their status: existing open, candidates (of no design
    # kind) closed
    sites["open"] = sites["status"] != SiteStatus.CANDIDATE
    sites["level"] = ""
    sites["capacity"] = dm.net.sites["capacity"].reindex(sites.index).astype(float)
    has_x = raw.status.has_solution and raw.x is not None
    x = clean(raw.x, lp) if has_x else None
    if has_x:
        y = dm.lp.variables["open"]
        sites.loc[ds.index, "open"] = x[y.start:y.stop] > 0.5
        if not dm.levels.empty:
            w = dm.lp.variables["level"]
            chosen = dm.levels[x[w.start:w.stop] > 0.5]
            sites.loc[chosen["site"], "level"] = chosen["level"].to_numpy()
            sites.loc[chosen["site"], "capacity"] = chosen["capacity"].to_numpy()
    sites["open"] = sites["open"].astype(bool)
    T = dm.data.T
    ship = plan.shipments
    kind = dm.net.sites["kind"]
    if len(ship):
        per = ship.groupby(["origin", "period"], as_index=False)["quantity"].sum()
    else:
        per = pd.DataFrame({"origin": pd.Series(dtype=str), "period": pd.Series(dtype=int),
                            "quantity": pd.Series(dtype=float)})
    through = per.groupby("origin")["quantity"].sum()
    sites["throughput"] = through.reindex(sites.index).fillna(0.0).to_numpy()
    util = per[per["origin"].map(kind).eq(SiteKind.DC)].rename(columns={"origin": "site",
                                                                   "quantity": "throughput"})
    util = util.assign(capacity=util["site"].map(sites["capacity"]).to_numpy(dtype=float))
    util = util[util["capacity"].notna()].copy()
    with np.errstate(divide="ignore", invalid="ignore"):
        util["utilisation"] = np.where(util["capacity"] > 0,
                                       util["throughput"] / util["capacity"], np.nan)
    dates = np.asarray(dm.net.calendar.dates.strftime("%Y-%m-%d"))
    util.insert(2, "date", dates[util["period"].to_numpy(dtype=int)] if len(util) else [])
    util = util.sort_values(["site", "period"]).reset_index(drop=True)
    sites["peak_utilisation"] = util.groupby("site")["utilisation"].max().reindex(
        sites.index).to_numpy()
    assignments = _assignments(ship, dm.net)
    sites["customers"] = assignments.groupby("site")["customer"].nunique().reindex(
        sites.index).fillna(0).astype(int).to_numpy()
    open_ = sites["open"].to_numpy()
    fixed = s0["fixed_cost"].reindex(sites.index).fillna(0.0).to_numpy() * net.calendar.periods
    sites["fixed_cost"] = np.where(open_, fixed, 0.0)
    oc = s0["open_cost"].reindex(sites.index).fillna(0.0).to_numpy()
    candidate = (sites["status"] == SiteStatus.CANDIDATE).to_numpy()
    sites["open_cost"] = np.where(open_ & candidate, oc, 0.0)
    if not dm.levels.empty and has_x:
        w = dm.lp.variables["level"]
        chosen = dm.levels[x[w.start:w.stop] > 0.5].set_index("site")
        sites.loc[chosen.index, "fixed_cost"] = chosen["fixed_cost"].to_numpy() * T
        sites.loc[chosen.index, "open_cost"] = chosen["open_cost"].to_numpy()
    if not has_x:
        sites[["throughput", "peak_utilisation"]] = np.nan
    sites = sites[list(SITE_COLUMNS)]
    return Design(**plan.info_fields(), sites=sites, assignments=assignments,
                  utilisation=util, plan=plan, options=dm.options, net=net, demand=demand)


def _assignments(ship: pd.DataFrame, net: Network) -> pd.DataFrame:
    """Which site serves which customer: quantity over the horizon, share of the customer's
    deliveries, cost, great-circle distance."""
    cols = ["customer", "site", "quantity", "share", "cost", "distance_km"]
    if not len(ship):
        return pd.DataFrame({c: pd.Series(dtype=float if c in cols[2:] else str) for c in cols})
    kind = net.sites["kind"]
    to_c = ship[ship["destination"].map(kind).eq(SiteKind.CUSTOMER)]
    a = (to_c.groupby(["destination", "origin"], as_index=False)[["quantity", "cost"]].sum()
         .rename(columns={"destination": "customer", "origin": "site"}))
    a = a[a["quantity"] > TOL]
    total = a.groupby("customer")["quantity"].transform("sum")
    a["share"] = a["quantity"] / total
    lanes = pd.DataFrame({"origin": a["site"].to_numpy(), "destination": a["customer"].to_numpy()})
    a["distance_km"] = lane_km(net, lanes).to_numpy()
    return a[cols].sort_values(["customer", "site"]).reset_index(drop=True)


def _short(items: list[str], n: int = 8) -> str:
    if not items:
        return "none"
    return ", ".join(items[:n]) + (f" and {len(items) - n} more" if len(items) > n else "")


__all__ = ["SITE_COLUMNS", "Design", "Forcing", "make_design"]

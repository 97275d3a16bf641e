"""What a network design decides, and the network its model is built over.

:func:`design_sites` picks the sites that get an open variable (candidates, closable existing
sites, forced sites, DCs with capacity levels) and checks the options that name them;
:func:`design_network` takes them into a copy of the network, without the lanes into customers
that the distance and lead-time limits rule out; :func:`aggregate` folds the calendar into one
bucket for ``horizon="aggregate"``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from chainlab.models import Calendar, Network, SiteKind, SiteStatus, ValidationError
from chainlab.models.errors import Issue
from chainlab.models.geo import lane_km
from chainlab.models.network import TABLE_NAMES
from chainlab.solver.design_options import LEVEL_COLUMNS, OPTIONS, DesignOptions

#: site kinds whose opening a design may decide
DESIGN_KINDS = (SiteKind.SUPPLIER, SiteKind.PLANT, SiteKind.DC)
#: existing kinds that ``close_existing`` lets the design close
CLOSABLE_KINDS = (SiteKind.PLANT, SiteKind.DC)


def design_sites(net: Network, options: DesignOptions) -> pd.DataFrame:
    """The sites that get an open variable: candidates, existing plants and DCs when they may
    close, forced sites, and DCs with capacity levels; with the bounds of their ``y``."""
    s = net.sites
    levels = options.levels if options.levels is not None else pd.DataFrame(columns=LEVEL_COLUMNS)
    issues = []
    for name in ("force_open", "force_closed"):
        for sid in getattr(options, name):
            if sid not in s.index:
                issues.append(Issue(OPTIONS, f"{name} names {sid!r}, which is not a site; "
                                             f"fix the id"))
            elif s.at[sid, "kind"] == SiteKind.CUSTOMER:
                issues.append(Issue(OPTIONS, f"{name} names {sid!r}, a customer; only "
                                             f"suppliers, plants and DCs open or close"))
    both = sorted(set(options.force_open) & set(options.force_closed))
    if both:
        issues.append(Issue(OPTIONS, f"{', '.join(both)} forced both open and closed"))
    for sid in sorted(set(levels["site"])):
        if sid not in s.index or s.at[sid, "kind"] != SiteKind.DC:
            issues.append(Issue("capacity levels", f"levels for {sid!r}, which is not a DC; "
                                                   f"levels apply to DCs", column="site"))
    if issues:
        raise ValidationError(issues)
    kind, status = s["kind"], s["status"]
    candidate = (status == SiteStatus.CANDIDATE) & kind.isin(DESIGN_KINDS)
    closable = (status != SiteStatus.CANDIDATE) & kind.isin(CLOSABLE_KINDS) & options.close_existing
    forced = s.index.isin(options.force_open) | s.index.isin(options.force_closed)
    levelled = s.index.isin(levels["site"])
    keep = candidate | closable | forced | levelled
    out = pd.DataFrame({
        "kind": kind[keep], "status": status[keep],
        "decided": (candidate | closable | forced)[keep],
        "forced": np.where(s.index.isin(options.force_open), "open",
                           np.where(s.index.isin(options.force_closed), "closed", ""))[keep],
        "fixed_cost": s["fixed_cost"].fillna(0.0)[keep],
        "open_cost": s["open_cost"].fillna(0.0)[keep].where(
            status[keep] == SiteStatus.CANDIDATE, 0.0),
        "capacity": s["capacity"][keep].astype(float),
        "levelled": levelled[keep],
    })
    out["lower"] = np.where((out["forced"] == "open") | ~out["decided"], 1.0, 0.0)
    out["upper"] = np.where(out["forced"] == "closed", 0.0, 1.0)
    out.index.name = "site"
    n_forced_open = int((out["forced"] == "open").sum())
    if options.max_open is not None and n_forced_open > options.max_open:
        raise ValidationError([Issue(OPTIONS, f"{n_forced_open} sites are forced open, more "
                                              f"than max_open={options.max_open}; raise "
                                              f"max_open or force fewer")])
    n_can = int((out["decided"] & (out["upper"] > 0)).sum())
    if options.min_open is not None and options.min_open > n_can:
        raise ValidationError([Issue(OPTIONS, f"min_open={options.min_open} but only {n_can} "
                                              f"decided site(s) can open; lower min_open, or "
                                              f"add candidates")])
    return out


def design_network(net: Network, sites: pd.DataFrame, options: DesignOptions) -> Network:
    """A copy of ``net`` with every design site taken in as existing (the planning model then
    includes it), levelled DCs unlimited (their level rows limit them) and lanes into
    customers that break ``max_distance_km`` / ``max_lead_time_days`` removed."""
    n = net.copy()
    n.sites.loc[sites.index, "status"] = SiteStatus.EXISTING.value
    levelled = sites.index[sites["levelled"]]
    n.sites.loc[levelled, "capacity"] = np.nan
    lanes = n.lanes
    to_customer = lanes["destination"].map(n.sites["kind"]).eq(SiteKind.CUSTOMER)
    drop = pd.Series(False, index=lanes.index)
    if options.max_distance_km is not None:
        km = lane_km(n, lanes)
        drop |= to_customer & (km > options.max_distance_km)
    if options.max_lead_time_days is not None:
        drop |= to_customer & (lanes["lead_time_days"].fillna(0.0) > options.max_lead_time_days)
    if drop.any():
        n.lanes = lanes[~drop].copy()
    return n


def aggregate(net: Network, demand: pd.DataFrame) -> tuple[Network, pd.DataFrame]:
    """The network as one bucket spanning its whole horizon, and ``demand`` (customer, product,
    period, quantity) summed into it: per-period capacities and costs times T, lead times 0.
    Setups, minimum lots and lane minimum shipments count once for the whole horizon."""
    T = net.calendar.periods
    t = {name: getattr(net, name).copy() for name in TABLE_NAMES}
    t["sites"]["capacity"] *= T
    t["sites"]["fixed_cost"] = t["sites"]["fixed_cost"].fillna(0.0) * T
    t["resources"]["hours_per_period"] *= T
    t["supply"]["capacity_per_period"] *= T
    t["supply"]["lead_time_days"] = 0.0
    t["lanes"]["capacity_per_period"] *= T
    t["lanes"]["fixed_cost"] = t["lanes"]["fixed_cost"].fillna(0.0) * T
    t["lanes"]["lead_time_days"] = 0.0
    cal = Calendar(net.calendar.bucket, net.calendar.start, 1)
    one = Network(net.name, cal, t, net.currency, net.source)
    d = demand.groupby(["customer", "product"], as_index=False)["quantity"].sum()
    d["period"] = 0
    return one, d[["customer", "product", "period", "quantity"]]



__all__ = ["CLOSABLE_KINDS", "DESIGN_KINDS", "aggregate", "design_network", "design_sites"]

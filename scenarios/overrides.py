"""Applying a scenario's overrides, in order, to a copy of its base network.

Each override is checked against the network first: an unknown site, product, plant, resource or
lane, a site of the wrong kind, or a window outside the calendar is an error naming the scenario
file, the override's position and the bad value. The base network is never changed.

Windowed changes of capacity (``site_outage``, ``supply``) become rows of the network's
``capacity_changes`` table, which the planner and the simulation both read; the rest edit the
tables directly (``demand`` scales ``quantity`` and ``sd``, ``capacity`` the resource's hours,
``lane`` the lane's columns, ``open_site``/``close_site`` the site's ``status``: a ``candidate``
site takes no part in a plan; ``optimize_inventory`` replaces ``inventory.csv``'s policies and
safety stocks by optimized ones, sized on the network as the earlier overrides left it).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from chainlab.models import Network, SiteKind, SiteStatus
from chainlab.models.errors import Issue, ValidationError
from chainlab.scenarios.inventory import optimize_calibrated
from chainlab.scenarios.spec import Override, Scenario


class _Checker:
    def __init__(self, sc: Scenario, o: Override, net: Network):
        self.file = sc.file.name if sc.file else sc.name
        self.o, self.net = o, net

    def fail(self, field: str, message: str):
        raise ValidationError([Issue(self.file, f"override {self.o.position} ({self.o.kind}): "
                                                f"{message}",
                                     column=f"overrides[{self.o.position}].{self.o.kind}.{field}")])

    def site(self, field: str, sid: str, kinds: tuple[SiteKind, ...] | None = None) -> str:
        if sid not in self.net.sites.index:
            self.fail(field, f"site {sid!r} is not in network {self.net.name!r}; check the id")
        kind = self.net.sites.at[sid, "kind"]
        if kinds and kind not in kinds:
            self.fail(field, f"site {sid!r} is a {kind}; this override needs a "
                             f"{' or '.join(kinds)}")
        return sid

    def product(self, field: str, pid: str) -> str:
        if pid not in self.net.products.index:
            self.fail(field, f"product {pid!r} is not in network {self.net.name!r}; check the id")
        return pid

    def window(self, start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
        cal = self.net.calendar
        last = cal.end - dt.timedelta(days=1)
        s, e = start or cal.start, end or last
        if s > last:
            self.fail("from", f"from {s} is after the calendar's last day {last}")
        if e < cal.start:
            self.fail("to", f"to {e} is before the calendar's first day {cal.start}")
        return s, e


def _add_change(net: Network, site, start, end, scale, resource="", product=""):
    row = pd.DataFrame({"site": [site], "resource": [resource], "product": [product],
                        "start": [pd.Timestamp(start)], "end": [pd.Timestamp(end)],
                        "scale": [float(scale)]}).set_index(["site", "resource", "product", "start"])
    net.capacity_changes = pd.concat([net.capacity_changes, row])


def _demand(net: Network, p, c: _Checker):
    d = net.demand
    mask = np.ones(len(d), bool)
    if p.customer is not None:
        c.site("customer", p.customer, (SiteKind.CUSTOMER,))
        mask &= (d["customer"] == p.customer).to_numpy()
    if p.product is not None:
        c.product("product", p.product)
        mask &= (d["product"] == p.product).to_numpy()
    if p.region is not None:
        regions = net.sites["region"]
        if p.region not in set(regions):
            c.fail("region", f"region {p.region!r} is not a region of any site; known: "
                             f"{', '.join(sorted(set(regions) - {''}))}")
        mask &= d["customer"].map(regions).eq(p.region).to_numpy()
    if p.start is not None or p.end is not None:
        s, e = c.window(p.start, p.end)
        dates = pd.to_datetime(d["date"])
        mask &= ((dates >= pd.Timestamp(s)) & (dates <= pd.Timestamp(e))).to_numpy()
    d.loc[mask, "quantity"] = d.loc[mask, "quantity"] * p.scale
    d.loc[mask, "sd"] = d.loc[mask, "sd"] * p.scale


def _site_outage(net: Network, p, c: _Checker):
    c.site("site", p.site, (SiteKind.SUPPLIER, SiteKind.PLANT, SiteKind.DC))
    s, e = c.window(p.start, p.end)
    _add_change(net, p.site, s, e, 0.0)


def _capacity(net: Network, p, c: _Checker):
    c.site("plant", p.plant, (SiteKind.PLANT,))
    key = (p.plant, p.resource)
    if key not in net.resources.index:
        known = net.resources.loc[p.plant].index.tolist() if p.plant in net.resources.index else []
        c.fail("resource", f"resource {p.resource!r} is not a resource of {p.plant}; known: "
                           f"{', '.join(known) or 'none'}")
    if p.scale is not None:
        net.resources.loc[key, "hours_per_period"] *= p.scale
    else:
        net.resources.loc[key, "hours_per_period"] = p.hours_per_period


def _supply(net: Network, p, c: _Checker):
    c.site("supplier", p.supplier, (SiteKind.SUPPLIER,))
    if p.product is not None:
        c.product("product", p.product)
        if (p.supplier, p.product) not in net.supply.index:
            c.fail("product", f"{p.supplier} does not supply {p.product!r} (see supply.csv)")
    s, e = c.window(p.start, p.end)
    _add_change(net, p.supplier, s, e, p.scale, product=p.product or "")


def _lane(net: Network, p, c: _Checker):
    lanes = net.lanes
    mask = (lanes["origin"] == p.origin) & (lanes["destination"] == p.destination)
    if p.mode is not None:
        mask &= lanes["mode"] == p.mode
    if p.product is not None:
        mask &= lanes["product"] == p.product
    if not mask.any():
        c.fail("destination", f"no lane {p.origin} -> {p.destination}"
                              + (f" by {p.mode}" if p.mode else "")
                              + (f" for {p.product}" if p.product else "")
                              + "; add it to lanes.csv or fix origin/destination")
    for col in ("cost_per_unit", "lead_time_days", "lead_time_sd_days", "capacity_per_period",
                "fixed_cost"):
        v = getattr(p, col)
        if v is not None:
            lanes.loc[mask, col] = v


#: kinds of site that a scenario can open or close
OPENABLE = (SiteKind.PLANT, SiteKind.DC, SiteKind.SUPPLIER)


def _open_site(net: Network, p, c: _Checker):
    c.site("site", p.site, OPENABLE)
    net.sites.loc[p.site, "status"] = SiteStatus.EXISTING.value


def _close_site(net: Network, p, c: _Checker):
    c.site("site", p.site, OPENABLE)
    net.sites.loc[p.site, "status"] = SiteStatus.CANDIDATE.value


def _optimize_inventory(net: Network, p, c: _Checker):
    result = optimize_calibrated(net, p.service, p.measure, p.method, rounds=p.calibrate)
    net.inventory = result.inventory


APPLY = {"demand": _demand, "site_outage": _site_outage, "capacity": _capacity,
         "supply": _supply, "lane": _lane, "open_site": _open_site, "close_site": _close_site,
         "optimize_inventory": _optimize_inventory}


def apply(sc: Scenario, net: Network) -> Network:
    """A copy of ``net`` with the scenario's overrides applied in order."""
    out = net.copy()
    for o in sc.overrides:
        APPLY[o.kind](out, o.params, _Checker(sc, o, out))
    return out

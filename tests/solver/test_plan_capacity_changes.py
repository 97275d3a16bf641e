"""Outages and slowdowns from ``capacity_changes`` (what-if scenarios write them) bind the plan."""

import shutil
from pathlib import Path

import pytest

from chainlab.models import Network
from chainlab.solver import plan

TINY = Path(__file__).parents[1] / "data" / "tiny"


def tiny_with(tmp_path, rows: str) -> Network:
    d = tmp_path / "net"
    shutil.copytree(TINY, d)
    (d / "capacity_changes.csv").write_text("site,start,end,scale,resource,product\n" + rows)
    return Network.from_folder(d)


def made(p, period):
    pr = p.production
    return float(pr.loc[pr["period"] == period, "quantity"].sum())


def test_plant_outage_stops_production_in_its_window(tmp_path):
    base = plan(Network.from_folder(TINY))
    assert made(base, 1) > 0
    p = plan(tiny_with(tmp_path, "PLANT1,2027-01-11,2027-01-17,0,,\n"))
    assert p.status.value in ("optimal",)
    assert made(p, 1) == 0
    assert p.objective > base.objective  # the outage costs something


def test_resource_slowdown_scales_the_hours(tmp_path):
    # LINE1 at 5% in week 1: 2 hours = 20 units at most
    p = plan(tiny_with(tmp_path, "PLANT1,2027-01-11,2027-01-17,0.05,LINE1,\n"))
    assert made(p, 1) == pytest.approx(20)
    cap = p.capacity
    row = cap[(cap["kind"] == "resource") & (cap["period"] == 1)]
    assert float(row["available"].iloc[0]) == pytest.approx(2.0)


def test_supplier_outage_blocks_purchases(tmp_path):
    p = plan(tiny_with(tmp_path, "SUP1,2027-01-04,2027-01-31,0,,RM1\n"))
    assert float(p.purchases["quantity"].sum()) == 0

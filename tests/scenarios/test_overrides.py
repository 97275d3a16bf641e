"""Scenario files: parsing, each override changing exactly what it should, clear errors."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from chainlab.models import Network, ValidationError, validate
from chainlab.scenarios import overrides, spec

TINY = Path(__file__).parents[1] / "data" / "tiny"


def scenario(tmp_path, body: str, name="s.yaml"):
    p = tmp_path / name
    p.write_text(f"name: test\nbase: {TINY}\n" + body)
    return spec.load(p)


@pytest.fixture(scope="module")
def base():
    return Network.from_folder(TINY)


def changed_tables(a: Network, b: Network) -> set[str]:
    ta, tb = a.tables(), b.tables()
    return {n for n in ta if not ta[n].reset_index(drop=True).equals(tb[n].reset_index(drop=True))}


def test_paths_resolve_against_the_file(tmp_path):
    (tmp_path / "sub").mkdir()
    p = tmp_path / "sub" / "s.yaml"
    p.write_text("name: rel\nbase: ../net\ncrm: ../net/crm\n")
    sc = spec.load(p)
    assert sc.base == (tmp_path / "net").resolve() and sc.crm == (tmp_path / "net" / "crm").resolve()
    assert sc.simulate.replications == 50 and sc.overrides == ()


def test_demand_scales_only_the_filtered_rows(tmp_path, base):
    sc = scenario(tmp_path, "overrides:\n  - demand: {scale: 2, customer: C1, from: 2027-01-10, "
                            "to: 2027-01-31}\n")
    net = overrides.apply(sc, base)
    assert changed_tables(base, net) == {"demand"}
    assert net.demand["quantity"].tolist() == [100, 240, 80, 90]
    assert net.demand["sd"].tolist()[:2] == [20, 40]
    assert base.demand["quantity"].tolist() == [100, 120, 80, 90]  # the base never changes


def test_demand_by_region(tmp_path, base):
    sc = scenario(tmp_path, "overrides:\n  - demand: {scale: 0.5, region: East}\n")
    assert overrides.apply(sc, base).demand["quantity"].tolist() == [50, 60, 40, 45]


def test_site_outage_becomes_a_capacity_change(tmp_path, base):
    sc = scenario(tmp_path, "overrides:\n  - site_outage: {site: PLANT1, from: 2027-01-11, "
                            "to: 2027-01-17}\n")
    net = overrides.apply(sc, base)
    assert changed_tables(base, net) == {"capacity_changes"}
    assert net.capacity_factors().loc[("PLANT1", "", "")].tolist() == [1, 0, 1, 1]
    assert validate(net).valid


def test_capacity_scale_and_set(tmp_path, base):
    sc = scenario(tmp_path, "overrides:\n  - capacity: {plant: PLANT1, resource: LINE1, scale: 0.5}\n"
                            "  - capacity: {plant: PLANT1, resource: LINE1, hours_per_period: 30}\n")
    sc1 = sc.model_copy(update={"overrides": sc.overrides[:1]})
    assert overrides.apply(sc1, base).resources.loc[("PLANT1", "LINE1"), "hours_per_period"] == 20
    net = overrides.apply(sc, base)
    assert changed_tables(base, net) == {"resources"}
    assert net.resources.loc[("PLANT1", "LINE1"), "hours_per_period"] == 30


def test_supply_window(tmp_path, base):
    sc = scenario(tmp_path, "overrides:\n  - supply: {supplier: SUP1, product: RM1, scale: 0.25, "
                            "from: 2027-01-18, to: 2027-01-31}\n")
    net = overrides.apply(sc, base)
    assert changed_tables(base, net) == {"capacity_changes"}
    assert net.capacity_factors().loc[("SUP1", "", "RM1")].tolist() == [1, 1, 0.25, 0.25]


def test_lane_override_touches_only_the_matching_lane(tmp_path, base):
    sc = scenario(tmp_path, "overrides:\n  - lane: {origin: PLANT1, destination: DC1, mode: rail, "
                            "cost_per_unit: 0.3, lead_time_days: 12}\n")
    net = overrides.apply(sc, base)
    assert changed_tables(base, net) == {"lanes"}
    assert net.lanes.loc["PLANT1>DC1@rail", ["cost_per_unit", "lead_time_days"]].tolist() == [0.3, 12]
    assert net.lanes.loc["PLANT1>DC1@truck", "cost_per_unit"] == 1


def test_open_and_close_site(tmp_path, base):
    sc = scenario(tmp_path, "overrides:\n  - close_site: {site: DC1}\n")
    net = overrides.apply(sc, base)
    assert changed_tables(base, net) == {"sites"} and net.sites.at["DC1", "status"] == "candidate"
    sc2 = scenario(tmp_path, "overrides:\n  - close_site: {site: DC1}\n  - open_site: {site: DC1}\n")
    assert overrides.apply(sc2, base).sites.at["DC1", "status"] == "existing"


@pytest.mark.parametrize("body, message", [
    ("  - site_outage: {site: PLANT9, from: 2027-01-11, to: 2027-01-17}\n",
     "s.yaml, column 'overrides[1].site_outage.site': override 1 (site_outage): site 'PLANT9' is "
     "not in network 'tiny'; check the id"),
    ("  - site_outage: {site: C1}\n",
     "s.yaml, column 'overrides[1].site_outage.site': override 1 (site_outage): site 'C1' is a "
     "customer; this override needs a supplier or plant or dc"),
    ("  - capacity: {plant: PLANT1, resource: LINE9, scale: 0.5}\n",
     "s.yaml, column 'overrides[1].capacity.resource': override 1 (capacity): resource 'LINE9' is "
     "not a resource of PLANT1; known: LINE1"),
    ("  - supply: {supplier: SUP1, product: FG1, scale: 0.5}\n",
     "s.yaml, column 'overrides[1].supply.product': override 1 (supply): SUP1 does not supply "
     "'FG1' (see supply.csv)"),
    ("  - demand: {scale: 2, from: 2028-01-01}\n",
     "s.yaml, column 'overrides[1].demand.from': override 1 (demand): from 2028-01-01 is after "
     "the calendar's last day 2027-01-31"),
    ("  - demand: {scale: 2, region: Mars}\n",
     "s.yaml, column 'overrides[1].demand.region': override 1 (demand): region 'Mars' is not a "
     "region of any site; known: Central, East"),
    ("  - lane: {origin: DC1, destination: PLANT1, cost_per_unit: 1}\n",
     "s.yaml, column 'overrides[1].lane.destination': override 1 (lane): no lane DC1 -> PLANT1; "
     "add it to lanes.csv or fix origin/destination"),
])
def test_override_errors_name_file_position_and_value(tmp_path, base, body, message):
    sc = scenario(tmp_path, "overrides:\n  - open_site: {site: DC1}\n" + body.replace(
        "overrides[1]", "overrides[2]"))
    with pytest.raises(ValidationError) as e:
        overrides.apply(sc, base)
    assert str(e.value) == message.replace("override 1", "override 2").replace(
        "overrides[1]", "overrides[2]")


@pytest.mark.parametrize("body, fragment", [
    ("  - demand: {scale: -1}\n", "override 1 (demand): scale: Input should be greater than or "
                                  "equal to 0 (got -1)"),
    ("  - explode: {site: DC1}\n", "override 1: unknown kind 'explode'; use one of demand, "
                                   "site_outage, capacity, supply, lane, open_site, close_site"),
    ("  - {demand: {scale: 1}, lane: {origin: A}}\n", "override 1 must have exactly one key"),
    ("  - capacity: {plant: PLANT1, resource: LINE1}\n", "give exactly one of scale or "
                                                         "hours_per_period"),
    ("  - site_outage: {site: DC1, from: 2027-02-01, to: 2027-01-01}\n",
     "to (2027-01-01) is before from (2027-02-01)"),
    ("  - demand: {scale: 1, colour: red}\n", "colour: Extra inputs are not permitted"),
])
def test_malformed_overrides_are_reported_by_position(tmp_path, body, fragment):
    with pytest.raises(ValidationError) as e:
        scenario(tmp_path, "overrides:\n" + body)
    assert fragment in str(e.value)
    assert str(e.value).startswith("s.yaml")


def test_missing_name_and_bad_yaml(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("base: x\n")
    with pytest.raises(ValidationError, match="name: Field required"):
        spec.load(p)
    p.write_text("name: [unclosed\n")
    with pytest.raises(ValidationError, match="bad.yaml: is not valid YAML"):
        spec.load(p)
    with pytest.raises(ValidationError, match="does not exist"):
        spec.load(tmp_path / "none.yaml")


def test_dump_and_parse_again(tmp_path):
    sc = scenario(tmp_path, "overrides:\n  - demand: {scale: 1.3, region: East, from: 2027-01-10}\n"
                            "  - lane: {origin: PLANT1, destination: DC1, cost_per_unit: 2}\n"
                            "solve: {backend: highs, time_limit: 30}\n")
    again = spec.parse(spec.dump(sc), sc.file)
    assert again.overrides == sc.overrides and again.solve == sc.solve

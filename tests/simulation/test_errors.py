"""Bad input: clear errors naming the site, product and field, and the fix."""

import datetime as dt

import pandas as pd
import pytest
from sim_networks import single_stage

from chainlab.models import ValidationError
from chainlab.simulation import PlanReleases, SimOptions, SiteOutage, simulate


def messages(excinfo) -> str:
    return "\n".join(str(i) for i in excinfo.value.issues)


@pytest.mark.parametrize("policy, column, words", [
    ({"policy": "base_stock"}, "order_up_to", "needs order_up_to"),
    ({"policy": "s_S", "order_up_to": 100}, "reorder_point", "needs reorder_point"),
    ({"policy": "s_S", "reorder_point": 100, "order_up_to": 100}, "reorder_point",
     "must be below order_up_to"),
    ({"policy": "s_S", "reorder_point": 150, "order_up_to": 100}, "reorder_point",
     "must be below order_up_to"),
    ({"policy": "r_Q", "reorder_point": 50}, "order_quantity", "needs order_quantity"),
    ({"policy": "r_Q", "reorder_point": 50, "order_quantity": 0}, "order_quantity", "> 0"),
])
def test_policy_parameters(policy, column, words):
    net = single_stage(days=10, policy=policy, on_hand=50)
    with pytest.raises(ValidationError) as e:
        simulate(net, replications=1)
    issue = e.value.issues[0]
    assert issue.file == "inventory.csv" and issue.column == column
    assert "DC/P" in issue.message and words in issue.message
    assert issue.row == 2  # the first data row, as a spreadsheet counts


def test_negative_lead_times_are_named():
    net = single_stage(days=10)
    net.lanes["lead_time_days"] = net.lanes["lead_time_days"].astype(float)
    net.lanes.loc["SUP>DC", "lead_time_days"] = -2.0
    net.supply["lead_time_days"] = -1.0
    with pytest.raises(ValidationError) as e:
        simulate(net, replications=1)
    text = messages(e)
    assert "lane SUP>DC (SUP -> DC): lead_time_days(=-2) must be >= 0" in text
    assert "SUP/P: lead_time_days(=-1) must be >= 0" in text
    assert {i.column for i in e.value.issues} == {"lead_time_days"}


def test_plan_from_another_network(tiny):
    other = single_stage(days=28)
    ships = pd.DataFrame({"lane": ["SUP>DC", "PLANT1>DC1@truck"], "product": ["P", "FG1"],
                          "period": [0, 9], "quantity": [10.0, -1.0]})
    plan = PlanReleases(None, ships, network=other.name)
    with pytest.raises(ValidationError) as e:
        simulate(tiny, plan=plan, replications=1)
    text = messages(e)
    assert "made for network 'single', not 'tiny'" in text
    assert "lane 'SUP>DC' is not a lane of 'tiny'" in text
    assert "period(=9) is not a period of 'tiny' (0..3)" in text
    assert "quantity(=-1) must be a number >= 0" in text
    prod = pd.DataFrame({"plant": ["DC1"], "product": ["FG1"], "period": [0], "quantity": [1.0]})
    with pytest.raises(ValidationError, match="DC1 does not make FG1"):
        simulate(tiny, plan=PlanReleases(prod, None), replications=1)


def test_plan_mode_needs_a_plan_and_a_plan_folder_needs_shipments(tiny, tmp_path):
    with pytest.raises(ValidationError, match="needs a plan"):
        simulate(tiny, replications=1, replenishment="plan")
    with pytest.raises(ValidationError, match="shipments.csv"):
        simulate(tiny, plan=tmp_path, replications=1)


def test_policy_without_a_source_and_demand_nobody_serves():
    net = single_stage(days=10)
    net.lanes = net.lanes.drop(index="SUP>DC")
    with pytest.raises(ValidationError, match="DC/P: policy BaseStock but nothing replenishes"):
        simulate(net, replications=1)
    net = single_stage(days=10)
    net.lanes = net.lanes.drop(index="DC>C0")
    with pytest.raises(ValidationError, match="C0/P: no lane into C0 carries P"):
        simulate(net, replications=1)


def test_options_and_disruptions_are_checked():
    with pytest.raises(ValueError, match="replications"):
        SimOptions(replications=0)
    with pytest.raises(ValueError, match="unmet"):
        SimOptions(unmet="maybe")
    with pytest.raises(ValueError, match="before from"):
        _ = SiteOutage("DC", dt.date(2027, 2, 1), dt.date(2027, 1, 1)).window
    net = single_stage(days=10)
    late = SiteOutage("DC", dt.date(2030, 1, 1), dt.date(2030, 1, 5))
    with pytest.raises(ValidationError, match="outside the calendar"):
        simulate(net, replications=1, disruptions=(late,))
    with pytest.raises(ValidationError, match="'NOPE' is not a site"):
        simulate(net, replications=1, disruptions=(SiteOutage(
            "NOPE", dt.date(2027, 1, 5), dt.date(2027, 1, 6)),))

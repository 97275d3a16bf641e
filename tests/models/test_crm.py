"""Reading and checking CRM data (models.crm): the folder, JSON records, and bad input."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from chainlab.models import Network, ValidationError
from chainlab.models.crm import CrmData, load_crm

DATA = Path(__file__).parents[1] / "data"
CRM = DATA / "crm_tiny"


@pytest.fixture(scope="module")
def net():
    return Network.from_folder(DATA / "tiny")


@pytest.fixture
def crm_copy(tmp_path):
    return Path(shutil.copytree(CRM, tmp_path / "crm"))


def _edit(folder: Path, file: str, row: int, column: str, value: str) -> None:
    """Set one cell; ``row`` counts as in the file (header = 1)."""
    df = pd.read_csv(folder / file, dtype=str, keep_default_na=False)
    df.loc[row - 2, column] = value
    df.to_csv(folder / file, index=False)


def test_reads_the_folder(net):
    crm = load_crm(CRM, net)
    assert len(crm.orders) == 7 and len(crm.opportunities) == 4
    o = crm.orders.set_index("order_id")
    assert o.loc["SO-4", "delivery_date"] == pd.Timestamp("2026-11-30")  # blank requested date
    assert o.loc["SO-1", "delivery_date"] == pd.Timestamp("2026-11-09")
    assert o["order_date"].dtype.kind == "M" and o["quantity"].dtype.kind == "f"
    p = crm.opportunities.set_index("opportunity_id")
    assert p.loc["OPP-1", "close_stage"] == "Closed Lost"  # no last_open_stage column
    assert p.loc["OPP-3", "close_stage"] == ""  # still open
    assert crm.warnings == ()
    s = crm.summary()
    assert s["cancelled_orders"] == 1 and s["orders_from_opportunities"] == 1
    assert s["open_opportunities"] == 2 and s["won_opportunities"] == 1


@pytest.mark.parametrize("file, row, column, value, message", [
    ("orders.csv", 3, "customer", "C9", "customer 'C9' is not a site of the network"),
    ("orders.csv", 4, "customer", "DC1", "'DC1' is a dc site, not a customer"),
    ("orders.csv", 2, "product", "FG9", "product 'FG9' is not a product of the network"),
    ("orders.csv", 5, "order_date", "2026-13-01", "'2026-13-01' is not a date"),
    ("orders.csv", 6, "requested_date", "30/12/2026", "'30/12/2026' is not a date"),
    ("orders.csv", 7, "quantity", "-5", "is negative (-5)"),
    ("orders.csv", 8, "order_id", "SO-1", "'SO-1' is a duplicate order_id (first on row 2)"),
    ("orders.csv", 2, "requested_date", "2026-10-01", "is before order_date 2026-11-02"),
    ("orders.csv", 3, "status", "lost", "'lost' is not one of open, shipped, cancelled"),
    ("opportunities.csv", 5, "opportunity_id", "OPP-1", "'OPP-1' is a duplicate"),
    ("opportunities.csv", 3, "closed_date", "", "is blank, but the opportunity is won"),
    ("opportunities.csv", 2, "closed_date", "2026-08-01", "is before created_date 2026-09-01"),
    ("opportunities.csv", 4, "customer", "NOPE", "customer 'NOPE' is not a site"),
    ("opportunities.csv", 4, "quantity", "lots", "'lots' is not a number"),
    ("opportunities.csv", 5, "created_date", "yesterday", "'yesterday' is not a date"),
])
def test_bad_cell_names_file_row_column(net, crm_copy, file, row, column, value, message):
    _edit(crm_copy, file, row, column, value)
    with pytest.raises(ValidationError) as e:
        load_crm(crm_copy, net)
    hits = [i for i in e.value.issues if message in i.message]
    assert hits, f"no issue with {message!r} in {e.value.issues}"
    assert (hits[0].file, hits[0].row, hits[0].column) == (file, row, column)
    assert f"{file} row {row}, column '{column}'" in str(e.value)


def test_missing_column_and_file(net, crm_copy):
    df = pd.read_csv(crm_copy / "orders.csv", dtype=str).drop(columns=["quantity"])
    df.to_csv(crm_copy / "orders.csv", index=False)
    with pytest.raises(ValidationError) as e:
        load_crm(crm_copy, net)
    (i,) = e.value.issues
    assert (i.file, i.row, i.column) == ("orders.csv", 1, "quantity")
    assert "has no column 'quantity' (required)" in i.message
    (crm_copy / "orders.csv").unlink()
    with pytest.raises(ValidationError, match="orders.csv: is missing; it is required"):
        load_crm(crm_copy, net)
    with pytest.raises(ValidationError, match="is not a folder"):
        load_crm(crm_copy / "nowhere", net)


def test_every_problem_at_once_and_no_partial_model(net, crm_copy):
    _edit(crm_copy, "orders.csv", 2, "customer", "C9")
    _edit(crm_copy, "orders.csv", 3, "product", "FG9")
    _edit(crm_copy, "orders.csv", 4, "quantity", "-1")
    _edit(crm_copy, "opportunities.csv", 3, "closed_date", "")
    with pytest.raises(ValidationError) as e:
        load_crm(crm_copy, net)
    where = {(i.file, i.row, i.column) for i in e.value.issues}
    assert where >= {("orders.csv", 2, "customer"), ("orders.csv", 3, "product"),
                     ("orders.csv", 4, "quantity"), ("opportunities.csv", 3, "closed_date")}
    assert str(e.value).startswith("4 problem(s) in the input:")


def test_warnings_keep_the_data(net, crm_copy):
    _edit(crm_copy, "orders.csv", 6, "opportunity_id", "OPP-404")
    df = pd.read_csv(crm_copy / "opportunities.csv", dtype=str, keep_default_na=False)
    df["probability"] = ["0", "100", "50", "75"]  # percent, as some CRMs export it
    df.to_csv(crm_copy / "opportunities.csv", index=False)
    crm = load_crm(crm_copy, net)
    msgs = [str(w) for w in crm.warnings]
    assert any("orders.csv row 6, column 'opportunity_id': 'OPP-404' is not in "
               "opportunities.csv" in m for m in msgs)
    assert any("looks like percent" in m for m in msgs)
    assert crm.opportunities["probability"].tolist() == [0, 1, 0.5, 0.75]


def test_without_opportunities_file(net, crm_copy):
    (crm_copy / "opportunities.csv").unlink()
    crm = load_crm(crm_copy, net)
    assert crm.opportunities.empty
    assert any("no sales pipeline" in w.message for w in crm.warnings)


def test_json_records_match_the_folder(net, tmp_path):
    folder = load_crm(CRM, net)
    recs = {t: pd.read_csv(CRM / f"{t}.csv", dtype=str, keep_default_na=False)
            .to_dict("records") for t in ("orders", "opportunities")}
    recs["orders"][0]["quantity"] = 100  # numbers may be numbers
    recs["orders"][1]["requested_date"] = None  # null = blank
    path = tmp_path / "crm.json"
    path.write_text(json.dumps(recs))
    from_json = load_crm(path, net)
    cols = ["order_id", "customer", "product", "order_date", "quantity"]
    pd.testing.assert_frame_equal(from_json.orders[cols], folder.orders[cols])
    assert pd.isna(from_json.orders.loc[1, "requested_date"])
    assert len(from_json.opportunities) == 4


def test_json_records_errors_name_the_record(net):
    recs = pd.read_csv(CRM / "orders.csv", dtype=str, keep_default_na=False).to_dict("records")
    recs[2]["customer"] = "C9"
    del recs[4]["order_date"]
    with pytest.raises(ValidationError) as e:
        CrmData.from_records(recs, [], net)
    where = {(i.file, i.row, i.column) for i in e.value.issues}
    assert ("orders[2]", None, "customer") in where
    assert ("orders[4]", None, "order_date") in where
    with pytest.raises(ValidationError, match="must be a list of objects"):
        CrmData.from_records({"not": "a list"}, [], net)


def test_as_of_turns_later_closes_back_into_open(net):
    crm = load_crm(CRM, net).as_of("2026-11-25")
    assert crm.orders["order_id"].tolist() == ["SO-1", "SO-2", "SO-3"]
    p = crm.opportunities.set_index("opportunity_id")
    assert list(p.index) == ["OPP-1", "OPP-2"]  # OPP-3, OPP-4 did not exist yet
    assert p.loc["OPP-1", "status"] == "lost"  # closed 2026-10-20, before
    assert p.loc["OPP-2", "status"] == "open"  # won 2026-12-01, after
    assert pd.isna(p.loc["OPP-2", "closed_date"])
    assert p.loc["OPP-2", "stage"] == ""  # the CRM does not tell which stage it was in
    assert pd.isna(p.loc["OPP-2", "probability"])

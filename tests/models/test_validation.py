"""Each validation rule on a broken copy of the tiny network, with the exact message."""

import shutil
from pathlib import Path

import pytest

from chainlab.models import Network, ValidationError, check

TINY = Path(__file__).parents[1] / "data" / "tiny"


def broken(tmp_path, file, text=None, *, data: bytes | None = None, delete=False, replace=None):
    """A copy of the tiny network with one file changed; returns its folder."""
    net = tmp_path / "net"
    shutil.copytree(TINY, net)
    p = net / file
    if delete:
        p.unlink()
    elif data is not None:
        p.write_bytes(data)
    elif replace is not None:
        old, new = replace
        src = p.read_text()
        assert old in src, f"{old!r} not in {file}"
        p.write_text(src.replace(old, new))
    else:
        p.write_text(text)
    return net


def errors_of(path):
    return [str(i) for i in check(path).errors]


def warnings_of(path):
    return [str(i) for i in check(path).warnings]


def test_tiny_is_valid():
    report = check(TINY)
    assert report.valid, report.errors
    assert report.warnings == []


def test_missing_required_file(tmp_path):
    net = broken(tmp_path, "lanes.csv", delete=True)
    assert errors_of(net) == ["lanes.csv: is missing; it is required (columns origin, destination, "
                              "cost_per_unit)"]


def test_missing_optional_file_is_an_empty_table(tmp_path):
    net = broken(tmp_path, "inventory.csv", delete=True)
    # without starting stock the plant still reaches everything through supply and production
    assert check(net).valid
    assert len(Network.from_folder(net).inventory) == 0


def test_missing_required_column(tmp_path):
    net = broken(tmp_path, "products.csv", "id,name\nFG1,Widget\nRM1,Steel\n")
    assert errors_of(net) == ["products.csv row 1, column 'standard_cost': has no column "
                              "'standard_cost' (required); the header must include id,standard_cost"]


def test_unparseable_number_names_row_and_value(tmp_path):
    net = broken(tmp_path, "lanes.csv", replace=("DC1,C1,0.5", "DC1,C1,abc"))
    assert errors_of(net) == ["lanes.csv row 5, column 'cost_per_unit': 'abc' is not a number: "
                              "expected a number like 12.5"]


def test_decimal_comma_is_recognised(tmp_path):
    net = broken(tmp_path, "lanes.csv", replace=("DC1,C1,0.5", 'DC1,C1,"0,5"'))
    assert errors_of(net) == ["lanes.csv row 5, column 'cost_per_unit': '0,5' is not a number: "
                              "uses a decimal comma; write numbers with '.' as decimal point "
                              "(e.g. 12.5)"]


def test_unparseable_date(tmp_path):
    net = broken(tmp_path, "demand.csv", replace=("C1,FG1,2027-01-11", "C1,FG1,11/01/2027"))
    assert errors_of(net) == ["demand.csv row 3, column 'date': '11/01/2027' is not a date: "
                              "write ISO dates like 2027-03-15"]


def test_bad_choice(tmp_path):
    net = broken(tmp_path, "sites.csv", replace=("DC1,dc,", "DC1,warehouse,"))
    assert "sites.csv row 4, column 'kind': 'warehouse' is not one of supplier, plant, dc, " \
           "customer" in errors_of(net)


def test_blank_required_value(tmp_path):
    net = broken(tmp_path, "products.csv", replace=("RM1,2,", "RM1,,"))
    assert errors_of(net) == ["products.csv row 3, column 'standard_cost': is blank; "
                              "'standard_cost' is required (standard cost, the value of one "
                              "unit in stock)"]


def test_duplicate_id(tmp_path):
    net = broken(tmp_path, "sites.csv", replace=("C2,customer,Philadelphia", "C1,customer,Philadelphia"))
    errs = errors_of(net)
    assert "sites.csv row 6, column 'id': duplicate id 'C1' (first on row 5); each must appear " \
           "once (remove or merge this row)" in errs


def test_duplicate_lane_key(tmp_path):
    net = broken(tmp_path, "lanes.csv", replace=("PLANT1,DC1,0.6,,rail", "PLANT1,DC1,0.6,,truck"))
    assert errors_of(net) == ["lanes.csv row 4, column 'origin': duplicate origin+destination+"
                              "product+mode 'PLANT1/DC1/truck' (first on row 3); each must appear "
                              "once (remove or merge this row)"]


def test_unknown_site_in_lane(tmp_path):
    net = broken(tmp_path, "lanes.csv", replace=("DC1,C2,0.4", "DC-9,C2,0.4"))
    assert errors_of(net) == ["lanes.csv row 6, column 'origin': 'DC-9' is not a site; add it to "
                              "sites.csv or fix the id"]


def test_unknown_product_and_resource(tmp_path):
    net = broken(tmp_path, "production.csv", replace=("PLANT1,FG1,3,LINE1", "PLANT1,FG9,3,LINE7"))
    assert errors_of(net) == [
        "production.csv row 2, column 'product': 'FG9' is not a product; add it to products.csv "
        "or fix the id",
        "production.csv row 2, column 'resource': 'LINE7' is not a resource of this plant; add it "
        "to resources.csv (plant, resource, hours_per_period) or fix the id",
    ]


def test_lane_out_of_a_customer(tmp_path):
    net = broken(tmp_path, "lanes.csv", replace=("DC1,C2,0.4", "C1,C2,0.4"))
    assert errors_of(net) == ["lanes.csv row 6, column 'origin': 'C1' is a customer; lanes cannot "
                              "leave a customer (reverse the lane or fix the origin)"]


def test_bom_at_a_dc(tmp_path):
    net = broken(tmp_path, "bom.csv", "product,component,quantity,plant\nFG1,RM1,2,DC1\n")
    assert errors_of(net) == ["bom.csv row 2, column 'plant': 'DC1' is a dc; a BOM row's plant must "
                              "be a plant (or blank for every plant)"]


def test_negative_cost(tmp_path):
    net = broken(tmp_path, "supply.csv", replace=("SUP1,RM1,2,", "SUP1,RM1,-2,"))
    assert errors_of(net) == ["supply.csv row 2, column 'unit_cost': is negative (-2); unit_cost "
                              "(purchase price) must be >= 0"]


def test_bom_cycle(tmp_path):
    net = broken(tmp_path, "bom.csv", "product,component,quantity,plant\nFG1,RM1,2,\nRM1,FG1,1,\n")
    assert errors_of(net) == ["bom.csv row 3, column 'component': BOM cycle FG1 -> RM1 -> FG1: a "
                              "product ends up needing itself; remove one of these rows"]


def test_customer_cut_off(tmp_path):
    net = broken(tmp_path, "lanes.csv", replace=("DC1,C2,0.4,,truck,1,,,,\n", ""))
    assert errors_of(net) == ["demand.csv row 4, column 'customer': no source can reach customer "
                              "'C2' with product 'FG1': add a lane to this customer from a site "
                              "that gets the product, or a supplier / plant / stock for it"]


def test_component_missing_cuts_off_production(tmp_path):
    # no supply of RM1 and no stock of it: the plant cannot make FG1; the DC's 100 units still
    # make FG1 reachable, so remove those too
    net = broken(tmp_path, "supply.csv", "supplier,product,unit_cost\n")
    (net / "inventory.csv").write_text("site,product,on_hand\n")
    errs = errors_of(net)
    assert len(errs) == 2
    assert all("no source can reach" in e for e in errs)


def test_stock_on_hand_counts_as_a_source(tmp_path):
    net = broken(tmp_path, "supply.csv", "supplier,product,unit_cost\n")
    assert check(net).valid  # RM1 stock at the plant and FG1 stock at the DC


def test_product_specific_lane_does_not_carry_other_products(tmp_path):
    net = broken(tmp_path, "lanes.csv", replace=("DC1,C2,0.4,,", "DC1,C2,0.4,RM1,"))
    errs = errors_of(net)
    assert errs == ["demand.csv row 4, column 'customer': no source can reach customer 'C2' with "
                    "product 'FG1': add a lane to this customer from a site that gets the product, "
                    "or a supplier / plant / stock for it"]


def test_warnings_unused_product_and_extra_column(tmp_path):
    net = broken(tmp_path, "products.csv",
                 "id,standard_cost,colour\nFG1,10,red\nRM1,2,grey\nFG2,5,blue\n")
    assert warnings_of(net) == [
        "products.csv row 1, column 'colour': column 'colour' is not part of the products table "
        "and was ignored; known columns: id, standard_cost, name, unit, price, holding_cost, "
        "integer_quantities",
        "products.csv row 4, column 'id': product 'FG2' is neither demanded nor a component of "
        "anything",
    ]
    assert check(net).valid


def test_warning_demand_outside_calendar(tmp_path):
    net = broken(tmp_path, "demand.csv", replace=("C2,FG1,2027-01-25", "C2,FG1,2027-06-25"))
    assert warnings_of(net) == ["demand.csv row 5, column 'date': 2027-06-25 is outside the "
                                "calendar (2027-01-04 to 2027-02-01) and is not planned"]


def test_warning_unused_lane_and_isolated_site(tmp_path):
    net = broken(tmp_path, "sites.csv", replace=("C2,customer,Philadelphia,39.95,-75.17,East,,,,\n",
                                                 "C2,customer,Philadelphia,39.95,-75.17,East,,,,\n"
                                                 "C3,customer,Newark,,,,,,,\n"))
    lanes = net / "lanes.csv"
    lanes.write_text(lanes.read_text() + "DC1,C3,0.3,,truck,1,,,,\n")
    assert warnings_of(net) == ["lanes.csv row 7, column 'destination': lane to customer 'C3', "
                                "which has no demand, is never used"]


def test_every_problem_is_reported_not_just_the_first(tmp_path):
    net = broken(tmp_path, "lanes.csv", replace=("DC1,C1,0.5", "DC1,C9,abc"))
    (net / "supply.csv").write_text("supplier,product,unit_cost\nSUP1,RM1,-1\nPLANT1,RM1,2\n")
    errs = errors_of(net)
    assert len(errs) == 4, errs  # bad number, unknown site, negative cost, wrong kind


def test_from_folder_raises_with_every_issue(tmp_path):
    net = broken(tmp_path, "lanes.csv", replace=("DC1,C1,0.5", "DC1,C9,abc"))
    with pytest.raises(ValidationError) as e:
        Network.from_folder(net)
    assert len(e.value.issues) == 2
    assert isinstance(e.value, ValueError)
    assert "lanes.csv row 5" in str(e.value)


def test_network_yaml_problems(tmp_path):
    net = broken(tmp_path, "network.yaml",
                 "name: x\ncalendar: {bucket: month, start: 2027-13-01, periods: 0}\n")
    assert errors_of(net) == [
        "network.yaml, column 'calendar.bucket': calendar.bucket is 'month'; use 'week' or 'day'",
        "network.yaml, column 'calendar.start': calendar.start is '2027-13-01', not an ISO date; "
        "write it like 2027-01-04",
        "network.yaml, column 'calendar.periods': calendar.periods is 0; give a whole number >= 1",
    ]


# ---------------------------------------------------------------- CSV trouble


def test_semicolons_and_decimal_commas_are_read_with_a_warning(tmp_path):
    """What European Excel writes: ';' between fields, ',' as decimal point, '.' grouping."""
    net = broken(tmp_path, "products.csv",
                 "id;standard_cost;name;unit;price;holding_cost\n"
                 "FG1;1.010,5;Widget;ea;25;0,2\nRM1;2;Steel;kg;;0,01\n")
    report = check(net)
    assert report.valid, report.errors
    assert [str(w) for w in report.warnings] == [
        "products.csv row 1: is separated by semicolons, not commas; it was read so with ',' as "
        "decimal point, as European Excel writes it: save it as 'CSV UTF-8 (comma delimited)' "
        "to be sure"]
    products = Network.from_folder(net).products
    assert products.loc["FG1", "standard_cost"] == 1010.5
    assert products.loc["RM1", "holding_cost"] == 0.01


def test_tabs_are_read_with_a_warning_and_pipes_too(tmp_path):
    net = broken(tmp_path, "resources.csv", "plant\tresource\thours_per_period\nPLANT1\tLINE1\t40.5\n")
    assert Network.from_folder(net).resources["hours_per_period"].tolist() == [40.5]
    net = broken(tmp_path / "b", "resources.csv", "plant|resource|hours_per_period\nPLANT1|LINE1|40\n")
    assert "separated by pipes" in str(check(net).warnings[0])


def test_utf8_bom_is_accepted_with_a_warning(tmp_path):
    src = (TINY / "products.csv").read_bytes()
    net = broken(tmp_path, "products.csv", data=b"\xef\xbb\xbf" + src)
    report = check(net)
    assert report.valid
    assert [str(w) for w in report.warnings] == [
        "products.csv: starts with a UTF-8 byte-order mark (BOM), as Excel writes it; it was "
        "ignored, but saving as plain 'CSV UTF-8' avoids it"]


def test_empty_file(tmp_path):
    net = broken(tmp_path, "lanes.csv", "")
    assert errors_of(net) == ["lanes.csv: is empty; it needs at least the header row: origin,"
                              "destination,cost_per_unit"]


def test_windows_1252_is_read_with_a_warning(tmp_path):
    src = (TINY / "sites.csv").read_text().replace("Steel Co", "Stahlwerk Köln")
    net = broken(tmp_path, "sites.csv", data=src.encode("cp1252"))
    report = check(net)
    assert report.valid, report.errors
    assert [str(w) for w in report.warnings] == [
        "sites.csv row 2: is not UTF-8 (byte 0xf6 on this line); it was read as Windows-1252: "
        "check accented names, and save it as 'CSV UTF-8' to be sure"]
    assert Network.from_folder(net).sites.loc["SUP1", "name"] == "Stahlwerk Köln"


def test_ragged_row(tmp_path):
    net = broken(tmp_path, "resources.csv", "plant,resource,hours_per_period\nPLANT1,LINE1,40,9,9\n")
    errs = errors_of(net)
    assert errs[0] == ("resources.csv row 2: has 5 fields but the header has 3; a value probably "
                       "contains an unquoted comma (quote it, or use '.' as decimal point)")
    assert len(errs) == 2  # the dropped row leaves production's LINE1 without a resource


def test_excel_workbook_errors_name_the_sheet(tmp_path):
    import openpyxl

    path = tmp_path / "net.xlsx"
    Network.from_folder(TINY).to_excel(path)
    wb = openpyxl.load_workbook(path)
    ws = wb["lanes"]
    header = [c.value for c in ws[1]]
    ws.cell(row=5, column=header.index("cost_per_unit") + 1, value="cheap")
    del wb["sites"]
    wb.save(path)
    errs = errors_of(path)
    assert "net.xlsx[sites]: sheet is missing; it is required (columns id, kind)" in errs
    assert "net.xlsx[lanes] row 5, column 'cost_per_unit': 'cheap' is not a number: expected a " \
           "number like 12.5" in errs


def test_not_a_workbook(tmp_path):
    path = tmp_path / "net.xlsx"
    path.write_text("hello")
    errs = errors_of(path)
    assert len(errs) == 1 and errs[0].startswith("net.xlsx: cannot be read as an Excel workbook")


def test_capacity_change_checks(tmp_path):
    net = broken(tmp_path, "capacity_changes.csv",
                 "site,start,end,scale,resource,product\n"
                 "PLANT1,2027-01-06,2027-01-01,0,,\n"
                 "PLANT1,2027-01-06,2027-01-08,0.5,LINE9,\n"
                 "PLANT9,2027-01-06,2027-01-08,0.5,,\n")
    assert errors_of(net) == [
        "capacity_changes.csv row 4, column 'site': 'PLANT9' is not a site; add it to sites.csv "
        "or fix the id",
        "capacity_changes.csv row 3, column 'resource': 'LINE9' is not a resource of this site; "
        "name one of resources.csv or leave it blank for the whole site",
        "capacity_changes.csv row 2, column 'end': 2027-01-01 is before start; end is the last "
        "day of the change",
    ]


def test_structural_holes_are_warned(tmp_path):
    """A network without production.csv was valid without a word and planned "optimal" on
    nothing but stock and backlog: a plant that makes nothing, and a demanded product that no
    one sells or makes, are warnings that say what to add."""
    net = broken(tmp_path, "production.csv", delete=True)
    report = check(net)
    assert report.valid
    assert [str(w) for w in report.warnings] == [
        "sites.csv row 3, column 'id': plant 'PLANT1' makes nothing: production.csv has no row "
        "for it; add what it makes there (or make it a dc)",
        "products.csv row 2, column 'id': product 'FG1' is demanded but no supplier sells it and "
        "no plant makes it: only its stock on hand can serve demand; add it to supply.csv or "
        "production.csv"]

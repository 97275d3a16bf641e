"""Dates in the network's files are held to the range the API accepts (models.calendar
FIRST_DAY..LAST_DAY). Before, ``9999-12-31`` in demand.csv wrapped silently to 1816-03-29 in
the cast to nanoseconds and was only warned about as "outside the calendar"."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from chainlab.models import check
from chainlab.models.crm import load_crm

DATA = Path(__file__).parents[1] / "data"


def copy(tmp_path: Path, name: str) -> Path:
    shutil.copytree(DATA / name, tmp_path / name)
    return tmp_path / name


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31", "2200-01-01"])
def test_a_demand_date_outside_the_accepted_range_is_an_error_naming_the_row(tmp_path, day):
    net = copy(tmp_path, "tiny")
    with (net / "demand.csv").open("a") as f:
        f.write(f"C1,FG1,{day},100,20,\n")
    errors = [str(i) for i in check(net).errors]
    assert len(errors) == 1, errors
    assert "demand.csv" in errors[0] and "row 6" in errors[0] and day in errors[0]
    assert "1900-01-01 to 2199-12-31" in errors[0]
    assert "1816" not in errors[0]


@pytest.mark.parametrize("day", ["1900-01-01", "2199-12-31"])
def test_the_ends_of_the_range_are_accepted(tmp_path, day):
    net = copy(tmp_path, "tiny")
    with (net / "demand.csv").open("a") as f:
        f.write(f"C1,FG1,{day},100,20,\n")
    report = check(net)
    assert not report.errors, report.errors
    assert any(day in str(w) and "outside the calendar" in str(w) for w in report.warnings)


@pytest.mark.parametrize("calendar, says", [
    ("{bucket: week, start: 9999-12-27, periods: 4}", "calendar.start"),
    ("{bucket: week, start: 1899-12-04, periods: 4}", "calendar.start"),
    ("{bucket: week, start: 2199-12-02, periods: 5}", "end after 2199-12-31"),
    ("{bucket: day, start: 2027-01-04, periods: 99999999}", "plan a shorter horizon"),
])
def test_a_calendar_past_the_accepted_range_is_an_error(tmp_path, calendar, says):
    net = copy(tmp_path, "tiny")
    text = (net / "network.yaml").read_text().splitlines()
    (net / "network.yaml").write_text("\n".join(
        f"calendar: {calendar}" if line.startswith("calendar:") else line for line in text) + "\n")
    errors = [str(i) for i in check(net).errors]
    assert any("network.yaml" in e and says in e for e in errors), errors


def test_a_crm_date_outside_the_range_is_refused(tmp_path, tiny):
    crm = copy(tmp_path, "crm_tiny")
    with (crm / "orders.csv").open("a") as f:
        f.write("SO-99,C1,FG1,9999-12-31,5,,25,,open\n")
    with pytest.raises(Exception, match="9999-12-31.*outside the dates chainlab accepts"):
        load_crm(crm, tiny)


@pytest.mark.parametrize("value", ["inf", "-inf", "1e999", "2e15"])
def test_numbers_past_the_largest_accepted_are_an_error(tmp_path, value):
    """``inf`` and ``1e999`` parsed as infinity and were accepted: a plan of infinite demand."""
    net = copy(tmp_path, "tiny")
    with (net / "demand.csv").open("a") as f:
        f.write(f"C1,FG1,2027-01-18,{value},,\n")
    errors = [str(i) for i in check(net).errors]
    assert len(errors) == 1, errors
    assert "row 6" in errors[0] and "quantity" in errors[0] and "finite number" in errors[0]


def test_the_bundled_example_is_within_the_limits():
    from chainlab.scenarios import EXAMPLES

    assert not check(EXAMPLES / "acme").errors

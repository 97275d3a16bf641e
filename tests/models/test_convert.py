"""``chainlab convert`` (folder <-> workbook) and the results' workbooks (``to_excel``):
a sheet per table, typed cells, frozen header, units in the header."""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from chainlab import plan, simulate
from chainlab.cli.app import app
from chainlab.models import Network
from chainlab.models.workbook import sheet_name

TINY = Path(__file__).parents[1] / "data" / "tiny"


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def same_network(a: Network, b: Network) -> None:
    assert (a.name, a.calendar, a.currency) == (b.name, b.calendar, b.currency)
    for name, df in a.tables().items():
        pd.testing.assert_frame_equal(df, b.tables()[name], check_dtype=False, obj=name)


def test_folder_to_workbook_and_back_is_the_same_network(tmp_path):
    book = tmp_path / "tiny.xlsx"
    r = run("convert", TINY, "--to", "xlsx", "--out", book)
    assert r.exit_code == 0, r.output
    assert str(book) in r.output
    r = run("convert", book, "--to", "folder", "--out", tmp_path / "back")
    assert r.exit_code == 0, r.output
    original = Network.from_folder(TINY)
    same_network(original, Network.from_excel(book))
    same_network(original, Network.from_folder(tmp_path / "back"))
    assert stat.S_IMODE(os.stat(book).st_mode) == 0o666 & ~current_umask()


def current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_convert_never_overwrites_without_force(tmp_path):
    book = tmp_path / "tiny.xlsx"
    assert run("convert", TINY, "--to", "xlsx", "--out", book).exit_code == 0
    before = book.read_bytes()
    r = run("convert", TINY, "--to", "xlsx", "--out", book)
    assert r.exit_code == 1 and "--force" in r.output and "Traceback" not in r.output
    assert book.read_bytes() == before
    assert run("convert", TINY, "--to", "xlsx", "--out", book, "--force").exit_code == 0
    r = run("convert", TINY, "--to", "folder", "--out", TINY)
    assert r.exit_code == 1 and "network itself" in r.output


def test_a_network_that_does_not_load_is_not_converted(tmp_path):
    net = tmp_path / "net"
    net.mkdir()
    (net / "network.yaml").write_text("name: x\n")
    r = run("convert", net, "--to", "xlsx")
    assert r.exit_code == 1 and "calendar" in r.output
    assert not (tmp_path / "net.xlsx").exists()


def test_a_plan_workbook_has_typed_cells_units_and_a_frozen_header(tmp_path):
    net = Network.from_folder(TINY)
    p = plan(net)
    path = p.to_excel(tmp_path / "plan.xlsx")
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["summary", "costs", *p.tables]
    ws = wb["production"]
    header = [c.value for c in ws[1]]
    assert "quantity [units]" in header and "cost [USD]" in header and "hours [h]" in header
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    row = dict(zip(header, [c.value for c in ws[2]], strict=True))
    assert isinstance(row["date"], dt.datetime) and isinstance(row["quantity [units]"], int | float)
    summary = {r[0].value: r[1].value for r in wb["summary"].iter_rows(min_row=2)}
    assert summary["status"] == "optimal" and summary["objective"] == p.objective
    costs = {r[0].value: r[1].value for r in wb["costs"].iter_rows(min_row=2)}
    assert costs == pytest.approx(p.costs)
    s = simulate(net, p, replications=2, seed=1)
    wb = openpyxl.load_workbook(s.to_excel(tmp_path / "sim.xlsx"))
    assert wb.sheetnames[:2] == ["summary", "kpis"]
    kpis = {r[0].value: r[1].value for r in wb["kpis"].iter_rows(min_row=2)}
    assert kpis["fill_rate"] == s.kpis.loc["fill_rate", "mean"]


def test_sheet_names_are_what_excel_takes():
    taken: set[str] = set()
    assert sheet_name("plan changes", taken) == "plan changes"
    assert sheet_name("a/b[c]", taken) == "a_b_c_"
    long = "x" * 40
    assert sheet_name(long, taken) == "x" * 31
    assert sheet_name(long, taken) == "x" * 29 + "~2"
    assert sheet_name("PLAN CHANGES", taken) == "PLAN CHANGES~2"

"""Results as an Excel workbook: one sheet per table, typed cells, a frozen header row with the
unit of each column in it, filters on, and columns wide enough to read.

Every result (plan, design, simulation, scenario comparison) writes its tables through
:func:`write_workbook`, so they look alike in Excel; the network's own workbook (inputs) is
:meth:`~chainlab.models.Network.to_excel`, which the network reader takes back.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from chainlab.models.files import atomic_file

#: Excel's limits: sheet names of at most 31 characters without []:*?/\
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def money_units(currency: str) -> dict[str, str]:
    """The units of the columns results share, by column name."""
    per_unit = f"{currency}/unit"
    return {
        "cost": currency, "fixed_cost": currency, "open_cost": currency,
        "objective": currency, "revenue": currency, "total_cost": currency,
        "unit_cost": per_unit, "marginal_cost": per_unit, "price": per_unit,
        "quantity": "units", "demand": "units", "delivered": "units", "backlog": "units",
        "lost": "units", "on_time": "units", "safety_stock": "units", "below_safety": "units",
        "max_stock": "units", "hours": "h", "utilisation": "share",
    }


def sheet_name(name: str, taken: set[str]) -> str:
    """``name`` as Excel takes it (31 characters, no []:*?/\\), unique among ``taken``."""
    base = _SHEET_BAD.sub("_", str(name))[:31] or "sheet"
    out, k = base, 2
    while out.lower() in taken:
        suffix = f"~{k}"
        out, k = base[: 31 - len(suffix)] + suffix, k + 1
    taken.add(out.lower())
    return out


def _typed(df: pd.DataFrame) -> pd.DataFrame:
    """Dates given as ISO text become date cells; the index becomes columns."""
    if not isinstance(df.index, pd.RangeIndex) or df.index.name is not None:
        df = df.reset_index()
    df = df.copy()
    for c in df.columns:
        s = df[c]
        if s.dtype == object or pd.api.types.is_string_dtype(s):
            text = s.dropna().astype(str)
            if len(text) and text.str.fullmatch(_ISO_DAY).all():
                df[c] = pd.to_datetime(s, errors="coerce", format="ISO8601").dt.date
    return df


def write_workbook(path, sheets: Mapping[str, pd.DataFrame],
                   units: Mapping[str, str] | None = None) -> Path:
    """Write ``sheets`` (name -> table) to the workbook ``path``, atomically (a failure leaves
    no half-written file). A column whose name is in ``units`` gets its unit in the header,
    ``cost [USD]``; the header row is frozen and filterable."""
    from openpyxl.utils import get_column_letter

    path, units = Path(path), dict(units or {})
    with atomic_file(path, suffix=".xlsx") as tmp:
        tmp.unlink()  # openpyxl writes a new file
        taken: set[str] = set()
        with pd.ExcelWriter(tmp, engine="openpyxl", date_format="YYYY-MM-DD") as xw:
            for name, df in sheets.items():
                df = _typed(df)
                df.columns = [f"{c} [{units[c]}]" if c in units else str(c)
                              for c in df.columns]
                sheet = sheet_name(name, taken)
                df.to_excel(xw, sheet_name=sheet, index=False)
                ws = xw.sheets[sheet]
                ws.freeze_panes = "A2"
                if len(df.columns):
                    ws.auto_filter.ref = ws.dimensions
                for i, c in enumerate(df.columns, start=1):
                    sample = df.iloc[:200, i - 1].tolist()
                    width = max([len(str(c))] + [len(str(v)) for v in sample]) + 2
                    ws.column_dimensions[get_column_letter(i)].width = min(width, 60)
    return path


def key_values(summary: Mapping, prefix: str = "") -> pd.DataFrame:
    """A nested summary (a result's JSON object) as ``key``/``value`` rows, ``costs.production``
    for nested keys and lists joined by ``; ``."""
    rows: list[tuple[str, object]] = []

    def walk(obj: Mapping, pre: str) -> None:
        for k, v in obj.items():
            key = f"{pre}{k}"
            if isinstance(v, Mapping):
                walk(v, key + ".")
            elif isinstance(v, list | tuple):
                rows.append((key, "; ".join(map(str, v))))
            else:
                rows.append((key, v if v is None or isinstance(v, int | float | bool) else str(v)))

    walk(summary, prefix)
    return pd.DataFrame(rows, columns=["key", "value"])

"""Reading and writing network folders (CSV + network.yaml) and Excel workbooks.

Reading happens in two steps so that every problem is reported, not just the first:
``read_*`` turns files into tables of text (catching encoding, separator and shape trouble), and
:func:`parse_tables` turns text into typed columns (catching bad numbers, dates and choices).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from chainlab.models.calendar import BUCKET_DAYS, FIRST_DAY, LAST_DAY, Calendar, out_of_range
from chainlab.models.errors import Issue, Severity
from chainlab.models.schema import TABLES, Kind, Table

W = Severity.WARNING
_RAGGED_LIMIT = 20


@dataclass
class RawNetwork:
    """What was read from disk: network.yaml as a dict, and every table as text columns.

    ``tables[name]`` has a column per header cell plus ``_row`` (the row number in the file).
    """

    source: str
    meta: dict = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)


# ---------------------------------------------------------------- reading text


def _decode(data: bytes, file: str, issues: list[Issue]) -> str | None:
    if data.startswith(b"\xef\xbb\xbf"):
        issues.append(Issue(file, "starts with a UTF-8 byte-order mark (BOM), as Excel writes it; "
                                  "it was ignored, but saving as plain 'CSV UTF-8' avoids it",
                            severity=W))
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        issues.append(Issue(file, "is UTF-16 encoded; save it as UTF-8 CSV"))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        bad = data[e.start : e.start + 1].hex()
    # what Excel writes on Western European Windows ("CSV (comma/semicolon delimited)")
    for encoding in ("cp1252", "latin-1"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        issues.append(Issue(file, f"is not UTF-8 (byte 0x{bad} on this line); it was read as "
                                  f"{'Windows-1252' if encoding == 'cp1252' else 'Latin-1'}: check "
                                  "accented names, and save it as 'CSV UTF-8' to be sure",
                            row=line, severity=W))
        return text
    return None  # latin-1 decodes every byte: not reached


def _read_fast(text: str, sep: str = ",") -> pd.DataFrame | None:
    """pandas' C parser for the common case of one record per line and no ragged rows;
    None means: use the careful reader, which names rows exactly."""
    try:
        df = pd.read_csv(io.StringIO(text), header=None, dtype=object, keep_default_na=False,
                         na_filter=False, skipinitialspace=True, skip_blank_lines=False,
                         sep=sep)
    except (pd.errors.ParserError, ValueError):
        return None
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if len(df) != lines or len(df) < 1 or (df.iloc[1:] == "").all(axis=1).any():
        return None  # blank lines or quoted line breaks: row numbers need the careful reader
    header = [str(h).strip() for h in df.iloc[0]]
    body = df.iloc[1:]
    body.columns = header
    body = body.reset_index(drop=True)
    body["_row"] = np.arange(len(body), dtype=np.int64) + 2
    return body


def read_csv_text(path: Path, table: Table, issues: list[Issue]) -> pd.DataFrame | None:
    """One CSV file as a DataFrame of strings ('' for blank) with a ``_row`` column, or None."""
    file = path.name
    data = path.read_bytes()
    text = _decode(data, file, issues)
    if text is None:
        return None
    if not text.strip():
        issues.append(Issue(file, "is empty; it needs at least the header row: "
                                  + ",".join(table.required_columns)))
        return None
    header = text.split("\n", 1)[0].rstrip("\r")
    sep = ","
    if "," not in header and len(table.columns) > 1:
        for sep, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "pipes")):
            if sep in header:
                break
        else:
            sep = ","
        if sep != ",":
            how = (" with ',' as decimal point, as European Excel writes it" if sep == ";"
                   else "")
            issues.append(Issue(file, f"is separated by {name}, not commas; it was read so{how}:"
                                      " save it as 'CSV UTF-8 (comma delimited)' to be sure",
                                row=1, severity=W))
    df = _read_fast(text, sep)
    if df is None:
        df = _read_careful(text, sep, file, issues)
    if df is not None and sep == ";":
        df.attrs["decimal_comma"] = True
    return df


def _read_careful(text: str, sep: str, file: str, issues: list[Issue]) -> pd.DataFrame | None:
    """Python's csv reader, which names the line of each row and of each ragged one."""
    reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True, delimiter=sep)
    try:
        header = [h.strip() for h in next(reader)]
        n = len(header)
        records, rows, ragged = [], [], []
        for rec in reader:
            if not rec or (len(rec) == 1 and not rec[0].strip()):
                continue  # blank line
            if len(rec) != n:
                if len(rec) > n and not any(x.strip() for x in rec[n:]):
                    rec = rec[:n]  # trailing empty cells, as spreadsheets write them
                elif len(rec) < n:
                    rec = rec + [""] * (n - len(rec))
                else:
                    ragged.append((reader.line_num, len(rec)))
                    continue
            records.append(rec)
            rows.append(reader.line_num)
    except csv.Error as e:
        issues.append(Issue(file, f"cannot be parsed as CSV ({e}); check for unbalanced quotes",
                            row=reader.line_num))
        return None
    for line, k in ragged[:_RAGGED_LIMIT]:
        issues.append(Issue(file, f"has {k} fields but the header has {n}; a value probably "
                                  "contains an unquoted comma (quote it, or use '.' as decimal "
                                  "point)", row=line))
    if len(ragged) > _RAGGED_LIMIT:
        issues.append(Issue(file, f"... {len(ragged) - _RAGGED_LIMIT} more rows with too many "
                                  "fields"))
    df = pd.DataFrame(records, columns=header, dtype=object) if records else pd.DataFrame(
        columns=header, dtype=object)
    df["_row"] = np.asarray(rows, dtype=np.int64)
    return df


def read_folder(path) -> RawNetwork:
    """Read a network folder (CONTRACTS §1) as text tables; problems go to ``raw.issues``."""
    root = Path(path)
    raw = RawNetwork(source=str(root))
    if not root.is_dir():
        raw.issues.append(Issue(str(root), "is not a folder; give the folder that holds "
                                           "network.yaml, sites.csv, products.csv and lanes.csv"))
        return raw
    ypath = root / "network.yaml"
    if not ypath.exists():
        raw.issues.append(Issue("network.yaml", "is missing; it gives name and calendar "
                                                "(bucket, start, periods)"))
    else:
        try:
            # BaseLoader keeps every scalar as text: parse_meta parses and names bad values
            meta = yaml.load(ypath.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
            raw.meta = meta if isinstance(meta, dict) else {}
            if not isinstance(meta, dict):
                raw.issues.append(Issue("network.yaml", "must be a mapping with keys name, "
                                                        "currency and calendar"))
        except (yaml.YAMLError, UnicodeDecodeError) as e:
            raw.issues.append(Issue("network.yaml", f"is not valid YAML: {e}"))
    known = {t.file for t in TABLES.values()} | {"network.yaml"}
    for t in TABLES.values():
        p = root / t.file
        if not p.exists():
            if t.required_file:
                raw.issues.append(Issue(t.file, "is missing; it is required (columns "
                                                + ", ".join(t.required_columns) + ")"))
            continue
        df = read_csv_text(p, t, raw.issues)
        if df is not None:
            raw.tables[t.name] = df
    for p in sorted(root.glob("*.csv")):
        if p.name not in known:
            raw.issues.append(Issue(p.name, "is not a network table and was ignored "
                                            f"(known tables: {', '.join(TABLES)})", severity=W))
    return raw


def _cell_text(v) -> str:
    if v is None or v == "" or (isinstance(v, float) and np.isnan(v)):
        return ""
    if isinstance(v, (dt.datetime, pd.Timestamp)):
        return v.date().isoformat() if v == pd.Timestamp(v).normalize() else v.isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def read_excel(path) -> RawNetwork:
    """Read a workbook whose sheets are the network tables (sheet name = file stem) and a
    ``network`` sheet of ``key``/``value`` rows (``calendar.bucket`` etc.)."""
    path = Path(path)
    raw = RawNetwork(source=str(path))
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=object, engine="openpyxl",
                               keep_default_na=False, na_filter=False)
    except Exception as e:  # openpyxl raises many kinds for a file that is not a workbook
        raw.issues.append(Issue(path.name, f"cannot be read as an Excel workbook (.xlsx): {e}"))
        return raw
    if "network" in sheets:
        meta: dict = {}
        for _, r in sheets["network"].iterrows():
            key, val = _cell_text(r.iloc[0]), r.iloc[1] if len(r) > 1 else None
            node = meta
            *parents, leaf = key.split(".")
            for p in parents:
                node = node.setdefault(p, {})
            node[leaf] = _cell_text(val)
        raw.meta = meta
    else:
        raw.issues.append(Issue(f"{path.name}[network]", "sheet is missing; it holds key/value "
                                                         "rows name, currency, calendar.bucket, "
                                                         "calendar.start, calendar.periods"))
    for t in TABLES.values():
        if t.name not in sheets:
            if t.required_file:
                raw.issues.append(Issue(f"{path.name}[{t.name}]", "sheet is missing; it is "
                                        "required (columns " + ", ".join(t.required_columns) + ")"))
            continue
        df = sheets[t.name].map(_cell_text) if len(sheets[t.name]) else sheets[t.name].astype(str)
        df.columns = [str(c).strip() for c in df.columns]
        df["_row"] = np.arange(len(df)) + 2
        raw.tables[t.name] = df
    return raw


# ---------------------------------------------------------------- text -> typed


def parse_meta(meta: dict, issues: list[Issue]) -> tuple[str, str, Calendar | None]:
    """name, currency and calendar from network.yaml, with a message for each bad key."""
    f = "network.yaml"
    name = str(meta.get("name") or "")
    if not name:
        issues.append(Issue(f, "has no 'name'; add e.g. name: acme", column="name"))
    currency = str(meta.get("currency") or "USD")
    cal = meta.get("calendar")
    if not isinstance(cal, dict):
        if meta:
            issues.append(Issue(f, "has no 'calendar' mapping; add calendar: {bucket: week, "
                                   "start: 2027-01-04, periods: 26}", column="calendar"))
        return name, currency, None
    ok = True
    bucket = str(cal.get("bucket", ""))
    if bucket not in BUCKET_DAYS:
        issues.append(Issue(f, f"calendar.bucket is {bucket!r}; use 'week' or 'day'",
                            column="calendar.bucket"))
        ok = False
    start = cal.get("start")
    if isinstance(start, dt.datetime):
        start = start.date()
    if not isinstance(start, dt.date):
        try:
            start = dt.date.fromisoformat(str(start))
        except ValueError:
            issues.append(Issue(f, f"calendar.start is {start!r}, not an ISO date; write it like "
                                   "2027-01-04", column="calendar.start"))
            ok = False
    if ok and (why := out_of_range(start)) is not None:
        issues.append(Issue(f, f"calendar.start: {why}; check the year", column="calendar.start"))
        ok = False
    try:
        periods = int(str(cal.get("periods")))
        if periods < 1:
            raise ValueError
    except ValueError:
        issues.append(Issue(f, f"calendar.periods is {cal.get('periods')}; give a whole number "
                               ">= 1", column="calendar.periods"))
        ok = False
    else:
        days = BUCKET_DAYS.get(bucket, 1)
        if ok and periods * days > (LAST_DAY - start).days + 1:
            issues.append(Issue(f, f"calendar.periods is {periods}: {periods} {bucket}s from "
                                   f"{start} end after {LAST_DAY}, the last date chainlab "
                                   "accepts; plan a shorter horizon", column="calendar.periods"))
            ok = False
    return name, currency, Calendar(bucket, start, periods) if ok else None


#: thousands grouped by '.', as a decimal-comma locale writes them: 1.234,5 or 1.234.567
_GROUPED = re.compile(r"-?[1-9]\d{0,2}(\.\d{3})+")


def _decimal_point(v: str) -> str:
    """A number written with a decimal comma (``12,5``, ``1.234,5``, ``1.234.567``) as Python
    reads it; a lone ``1.234`` stays 1.234 (it reads the same either way too often)."""
    whole, comma, frac = v.partition(",")
    if _GROUPED.fullmatch(whole) and (comma or whole.count(".") > 1):
        whole = whole.replace(".", "")
    if comma and "." not in whole and "," not in frac:
        return f"{whole}.{frac}"
    return whole + comma + frac


#: the largest magnitude a number in a file may have: quantities, costs and capacities past it
#: are typos or "infinity" spelled out, and would wreck the solvers' numerics (HiGHS reads
#: 1e20 as infinite)
BIGGEST = 1e15


def _bad(issues, file, rows, col, values, msg, limit=20):
    """One issue per bad cell (the first ``limit``), then one that counts the rest."""
    n = len(rows)
    for r, v in zip(rows[:limit], values[:limit]):
        issues.append(Issue(file, msg.format(v=v), row=int(r), column=col))
    if n > limit:
        issues.append(Issue(file, f"... {n - limit} more rows with the same problem", column=col))


def parse_table(t: Table, df: pd.DataFrame, issues: list[Issue],
                file: str | None = None) -> pd.DataFrame:
    """Typed columns for one table: numbers, dates, choices; blanks take the schema default.

    Returns a DataFrame with every schema column (missing optional ones filled with defaults)
    and the ``_row`` column; bad cells become blank (NaN) after being reported.
    """
    file = file or t.file
    rows = df["_row"].to_numpy()
    present = [c for c in df.columns if c != "_row"]
    missing = [c for c in t.required_columns if c not in present]
    for c in missing:
        issues.append(Issue(file, f"has no column '{c}' (required); the header must include "
                                  + ",".join(t.required_columns), row=1, column=c))
    for c in present:
        if c not in t.columns:
            issues.append(Issue(file, f"column '{c}' is not part of the {t.name} table and was "
                                      "ignored; known columns: " + ", ".join(t.columns),
                                row=1, column=c, severity=W))
    out = {}
    for f in t.fields:
        if f.name in df.columns:
            s = pd.Series([str(x).strip() for x in df[f.name].tolist()], dtype=object)
        else:
            s = pd.Series([""] * len(df), dtype=object)
        blank = (s == "").to_numpy()
        if f.required and f.name in df.columns and blank.any():
            _bad(issues, file, rows[blank], f.name, s[blank].tolist(),
                 f"is blank; '{f.name}' is required ({f.meaning})")
        if f.kind in (Kind.FLOAT, Kind.INT):
            if df.attrs.get("decimal_comma"):
                s = s.map(_decimal_point)
            num = pd.to_numeric(s.where(~blank, None), errors="coerce").to_numpy(dtype=float)
            bad = ~blank & np.isnan(num)
            if bad.any():
                vals = s[bad].tolist()
                comma = [v for v in vals if "," in v and v.replace(",", "", 1).replace(".", "").lstrip("-").isdigit()]
                hint = ("uses a decimal comma; write numbers with '.' as decimal point "
                        "(e.g. 12.5)") if comma else "expected a number like 12.5"
                _bad(issues, file, rows[bad], f.name, vals, f"'{{v}}' is not a number: {hint}")
            huge = ~np.isnan(num) & ~(np.abs(num) < BIGGEST)
            if huge.any():
                _bad(issues, file, rows[huge], f.name, s[huge].tolist(),
                     f"'{{v}}' is not a finite number below {BIGGEST:.0e}; write the real "
                     "value (a blank means the default or no limit where the column allows)")
                num = np.where(huge, np.nan, num)
            if f.nonnegative:
                neg = ~np.isnan(num) & (num < 0)
                if neg.any():
                    _bad(issues, file, rows[neg], f.name, num[neg].tolist(),
                         f"is negative ({{v:g}}); {f.name} ({f.meaning}) must be >= 0")
            if f.default is not None:
                num = np.where(np.isnan(num), float(f.default), num)
            out[f.name] = num
        elif f.kind is Kind.DATE:
            d = pd.to_datetime(s.where(~blank, None), errors="coerce", format="ISO8601")
            bad = ~blank & d.isna().to_numpy()
            if bad.any():
                _bad(issues, file, rows[bad], f.name, s[bad].tolist(),
                     "'{v}' is not a date: write ISO dates like 2027-03-15")
            # checked before the cast to nanoseconds, which would wrap 9999-12-31 to 1816
            far = (~d.isna() & ((d < pd.Timestamp(FIRST_DAY))
                                | (d >= pd.Timestamp(LAST_DAY + dt.timedelta(days=1))))).to_numpy()
            if far.any():
                _bad(issues, file, rows[far], f.name, s[far].tolist(),
                     f"'{{v}}' is outside the dates chainlab accepts ({FIRST_DAY} to "
                     f"{LAST_DAY}); check the year")
                d = d.where(~far)
            out[f.name] = d.to_numpy(dtype="datetime64[ns]")
        elif f.kind is Kind.CHOICE:
            bad = ~blank & ~s.isin(f.choices).to_numpy()
            if bad.any():
                _bad(issues, file, rows[bad], f.name, s[bad].tolist(),
                     f"'{{v}}' is not one of {', '.join(f.choices)}")
            vals = np.where(bad, "", s.to_numpy(dtype=object))
            if f.default is not None:
                vals = np.where(vals == "", str(f.default), vals)
            out[f.name] = vals.astype(object)
        else:
            out[f.name] = s.to_numpy(dtype=object)
    # text columns stay plain Python strings (object dtype): fast hashing and comparisons
    res = pd.DataFrame({k: pd.Series(v, dtype=object) if v.dtype == object else v
                        for k, v in out.items()}, index=pd.RangeIndex(len(df)))
    res["_row"] = rows
    return res


def empty_table(t: Table) -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=str) for c in t.columns})
    df["_row"] = pd.Series(dtype=np.int64)
    return parse_table(t, df, [])


# ---------------------------------------------------------------- writing


def to_text_frame(t: Table, df: pd.DataFrame) -> pd.DataFrame:
    """A typed table back to the text of its file: dates ISO, blanks for NaN, floats shortest."""
    out = {}
    for f in t.fields:
        col = df[f.name]
        if f.kind is Kind.DATE:
            out[f.name] = pd.to_datetime(col).dt.strftime("%Y-%m-%d").fillna("")
        elif f.kind in (Kind.FLOAT, Kind.INT):
            out[f.name] = [("" if np.isnan(v) else repr(float(v)).removesuffix(".0"))
                           for v in col.to_numpy(dtype=float)]
        else:
            out[f.name] = col.fillna("").astype(str)
    return pd.DataFrame(out)

"""Scenario files (CONTRACTS §6): parsed and checked with pydantic, paths resolved against the file.

A scenario is a base network, optionally a CRM folder, a list of overrides applied in order to a
copy of the base, and solve / simulate options. Each override has exactly one key naming its kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic import ValidationError as PydanticError

from chainlab.models.calendar import out_of_range
from chainlab.models.errors import Issue, ValidationError

#: bounds of what a scenario file may say: a longer id or path, a bigger number, is a typo or an
#: attack, and past them the run would fail deep inside (a path the OS refuses, an infinite
#: demand, a timer past the end of time) instead of here with the field named
MAX_ID = 200
MAX_PATH = 1000
MAX_TEXT = 2000
#: largest absolute value (cost, hours, capacity, days) an override sets; network files have
#: the same bound (models.io.BIGGEST)
MAX_VALUE = 1e15
#: largest factor an override scales by
MAX_SCALE = 1e6
MAX_REPLICATIONS = 1_000_000
MAX_SEED = 2**63 - 1
MAX_TIME_LIMIT = 366 * 86400.0
#: longest integer the YAML reader builds: Python refuses to read more than 4300 digits, and no
#: scenario value needs more than a few
MAX_INT_DIGITS = 30


def _plain_text(v: str) -> str:
    bad = next((c for c in v if ord(c) < 32 and c not in "\t\n\r"), None)
    if bad is not None:
        raise ValueError(f"holds the control character U+{ord(bad):04X} at position "
                         f"{v.index(bad) + 1}; remove it")
    return v


Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID),
               AfterValidator(_plain_text)]
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT), AfterValidator(_plain_text)]
Scale = Annotated[float, Field(ge=0, le=MAX_SCALE, allow_inf_nan=False)]
Value = Annotated[float, Field(ge=0, le=MAX_VALUE, allow_inf_nan=False)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


def _in_range(day: dt.date | None) -> dt.date | None:
    if day is not None and (why := out_of_range(day)):
        raise ValueError(f"{why}; give a day of the network's calendar")
    return day


class Window(_Strict):
    """An optional date window; ``from`` and ``to`` are inclusive days within
    ``models.calendar.FIRST_DAY..LAST_DAY`` (and must touch the network's calendar, which
    :mod:`scenarios.overrides` checks)."""

    start: Annotated[dt.date | None, AfterValidator(_in_range)] = Field(None, alias="from")
    end: Annotated[dt.date | None, AfterValidator(_in_range)] = Field(None, alias="to")

    @model_validator(mode="after")
    def _ordered(self):
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"to ({self.end}) is before from ({self.start})")
        return self


class DemandOverride(Window):
    """Scale demand, optionally only for some customers, products, a region, a window."""

    scale: Scale
    customer: Id | None = None
    product: Id | None = None
    region: Id | None = None


class SiteOutage(Window):
    """A site down (capacity 0) for a window."""

    site: Id


class CapacityOverride(_Strict):
    """A plant resource's hours: scaled, or set (``hours_per_period``)."""

    plant: Id
    resource: Id
    scale: Scale | None = None
    hours_per_period: Value | None = None

    @model_validator(mode="after")
    def _one(self):
        if (self.scale is None) == (self.hours_per_period is None):
            raise ValueError("give exactly one of scale or hours_per_period")
        return self


class SupplyOverride(Window):
    """A supplier's capacity for a product (or all its products) scaled in a window."""

    supplier: Id
    product: Id | None = None
    scale: Scale


class LaneOverride(_Strict):
    """Change a lane's attributes (every lane between origin and destination, or only the one
    with this ``mode`` / ``product``)."""

    origin: Id
    destination: Id
    mode: Id | None = None
    product: Id | None = None
    cost_per_unit: Value | None = None
    lead_time_days: Value | None = None
    lead_time_sd_days: Value | None = None
    capacity_per_period: Value | None = None
    fixed_cost: Value | None = None


class SiteRef(_Strict):
    site: Id


class OptimizeInventory(_Strict):
    """``optimize_inventory:`` replace the policies of ``inventory.csv`` by optimized ones
    (:func:`scenarios.inventory.optimize_inventory`)."""

    service: float = Field(0.95, gt=0, lt=1)
    measure: Literal["alpha", "beta"] = "beta"
    method: Literal["single", "gsm", "ssm"] = "single"
    #: rounds of simulation that measure replenishment times (``single``, ``gsm``)
    calibrate: int = Field(0, ge=0, le=5)


KINDS: dict[str, type[BaseModel]] = {
    "demand": DemandOverride,
    "site_outage": SiteOutage,
    "capacity": CapacityOverride,
    "supply": SupplyOverride,
    "lane": LaneOverride,
    "open_site": SiteRef,
    "close_site": SiteRef,
    "optimize_inventory": OptimizeInventory,
}


class Override(_Strict):
    """One item of ``overrides``: its kind and its parameters."""

    kind: Literal["demand", "site_outage", "capacity", "supply", "lane", "open_site", "close_site",
                  "optimize_inventory"]
    params: Annotated[Union[DemandOverride, SiteOutage, CapacityOverride, SupplyOverride,
                            LaneOverride, SiteRef, OptimizeInventory],
                      Field(union_mode="left_to_right")]
    position: int


class SolveSpec(_Strict):
    """``solve:`` of a scenario file: keyword arguments of ``solver.SolveOptions`` (left out =
    the run's default)."""

    backend: Id | None = None
    time_limit: float | None = Field(None, gt=0, le=MAX_TIME_LIMIT, allow_inf_nan=False)
    gap: float | None = Field(None, ge=0, le=1, allow_inf_nan=False)
    #: ``solver.Timing``: nominal, or robust (lead times rounded up, a one-period handling lag)
    timing: Literal["nominal", "robust"] | None = None


class SimulateSpec(_Strict):
    replications: int = Field(50, ge=1, le=MAX_REPLICATIONS)
    seed: int = Field(0, ge=0, le=MAX_SEED)


class Scenario(_Strict):
    """A parsed scenario file; ``base`` and ``crm`` are absolute paths."""

    name: Id
    base: Path
    crm: Path | None = None
    overrides: tuple[Override, ...] = ()
    solve: SolveSpec = SolveSpec()
    simulate: SimulateSpec = SimulateSpec()
    file: Path | None = None
    description: Text | None = None

    @field_validator("base", "crm", mode="before")
    @classmethod
    def _path_text(cls, v):
        return path_text(v)


def path_text(v):
    """``v`` when it can be a path (text at most :data:`MAX_PATH` long, no control characters);
    raises ValueError saying why not."""
    if isinstance(v, str):
        if len(v) > MAX_PATH:
            raise ValueError(f"a path of {len(v)} characters; give the folder's path "
                             f"(at most {MAX_PATH} characters)")
        _plain_text(v)
    return v


def _loc(err: dict) -> str:
    return ".".join(str(p) for p in err["loc"] if p not in ("function-after",))


def _msg(err: dict) -> str:
    return err["msg"].removeprefix("Value error, ")


def shown(v) -> str:
    """A bad value as a message shows it: short, and never a number too long to print."""
    if isinstance(v, bool) or v is None:
        return repr(v)
    if isinstance(v, int) and abs(v).bit_length() > 100:
        return f"an integer of about {int(abs(v).bit_length() * 0.30103) + 1} digits"
    if isinstance(v, Decimal) and v.is_finite() and v.adjusted() > 30:
        return f"a number of {v.adjusted() + 1} digits"
    text = repr(v) if not isinstance(v, (dt.date, Path)) else str(v)
    size = len(v) if isinstance(v, str) else len(text)
    return text if len(text) <= 80 else f"{text[:60]}... ({size} characters)"


def _resolve(file: Path, key: str, value) -> tuple[Path | None, Issue | None]:
    """``value`` (a path relative to ``file``) as an absolute path, or why it is none."""
    try:
        path = (file.parent / str(value)).resolve()
        path.exists()  # a name the system refuses (too long) raises; a missing one is for later
        return path, None
    except (ValueError, OSError) as e:
        why = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
        return None, Issue(file.name, f"{key}: {shown(value)} is not a usable path ({why}); "
                                      f"give the folder's path relative to the scenario file",
                           column=key)


def parse(data: dict, file: Path) -> Scenario:
    """A :class:`Scenario` from the YAML mapping of ``file``; raises ValidationError naming the
    file, the override's position and the bad value."""
    fname = file.name
    issues: list[Issue] = []
    if not isinstance(data, dict):
        raise ValidationError([Issue(fname, "must be a mapping with name, base and overrides")])
    raw_over = data.get("overrides") or []
    if not isinstance(raw_over, list):
        issues.append(Issue(fname, "overrides must be a list of one-key mappings",
                            column="overrides"))
        raw_over = []
    overrides = []
    for i, item in enumerate(raw_over, start=1):
        where = f"overrides[{i}]"
        if not isinstance(item, dict) or len(item) != 1:
            issues.append(Issue(fname, f"override {i} must have exactly one key, one of "
                                       f"{', '.join(KINDS)}; got {item!r}", column=where))
            continue
        (kind, params), = item.items()
        if kind not in KINDS:
            issues.append(Issue(fname, f"override {i}: unknown kind {kind!r}; use one of "
                                       f"{', '.join(KINDS)}", column=where))
            continue
        try:
            p = KINDS[kind].model_validate(params or {})
        except PydanticError as e:
            for err in e.errors():
                loc = _loc(err)
                val = err.get("input")
                got = f" (got {shown(val)})" if loc and not isinstance(val, dict) else ""
                issues.append(Issue(fname, f"override {i} ({kind}): "
                                           f"{loc + ': ' if loc else ''}{_msg(err)}{got}",
                                    column=f"{where}.{kind}" + (f".{loc}" if loc else "")))
            continue
        overrides.append(Override(kind=kind, params=p, position=i))
    rest = {k: v for k, v in data.items() if k != "overrides"}
    try:
        sc = Scenario.model_validate(rest | {"file": file.resolve()})
    except PydanticError as e:
        for err in e.errors():
            loc = _loc(err)
            val = err.get("input")
            got = (f" (got {shown(val)})" if loc and not isinstance(val, (dict, list))
                   and err["type"] != "missing" else "")
            issues.append(Issue(fname, f"{loc}: {_msg(err)}{got}", column=loc))
        sc = None
    for key in ("base", "crm"):
        if sc is not None and getattr(sc, key) is not None:
            path, issue = _resolve(file, key, rest[key])
            if issue:
                issues.append(issue)
            else:
                sc = sc.model_copy(update={key: path})
    if issues:
        raise ValidationError(issues)
    return sc.model_copy(update={"overrides": tuple(overrides)})


def load(path) -> Scenario:
    """Read and check a scenario YAML file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ValidationError([Issue(str(path), "does not exist; give the path of a scenario "
                                                "YAML file")]) from None
    except UnicodeDecodeError as e:
        raise ValidationError([Issue(path.name, f"is not UTF-8 text (byte {e.start}); save it "
                                                f"as UTF-8")]) from None
    return parse(_read(text, path.name, _FileLoader), path)


class _IntTooLong(yaml.constructor.ConstructorError):
    pass


class _FileLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` whose integers are at most :data:`MAX_INT_DIGITS` digits (Python
    refuses to read an integer of more than 4300 digits with a ValueError, not a YAML error)."""

    def construct_yaml_int(self, node):
        digits = sum(c.isdigit() for c in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise _IntTooLong(
                None, None, f"an integer of {digits} digits; no scenario value needs more than "
                            f"{MAX_INT_DIGITS}", node.start_mark)
        return super().construct_yaml_int(node)


_FileLoader.add_constructor("tag:yaml.org,2002:int", _FileLoader.construct_yaml_int)


class _AliasRefused(yaml.composer.ComposerError):
    pass


class _RequestLoader(_FileLoader):
    """:class:`_FileLoader` without aliases: a few lines of ``*name`` can expand to gigabytes,
    and a scenario has no use for them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise _AliasRefused(None, None, "aliases (*name) are not accepted here; write the "
                                            "value out", self.peek_event().start_mark)
        return super().compose_node(parent, index)


def _read(text: str, where: str, loader_class) -> dict:
    """The mapping of a scenario file's ``text``; raises ValidationError naming the line and
    what to fix when the text is not YAML, holds a control character, or is not a mapping."""
    node = None
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as e:
        raise ValidationError([Issue(where, _reader_problem(text, e))]) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as e:
        raise ValidationError([Issue(where, _yaml_problem(e))]) from None
    except yaml.YAMLError as e:
        raise ValidationError([Issue(where, f"is not valid YAML: {e}")]) from None
    except RecursionError:
        raise ValidationError([Issue(where, "is nested too deeply for a scenario")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        line = node.start_mark.line + 1 if node is not None else 1
        got = "empty" if data is None else f"a {type(data).__name__}"
        raise ValidationError([Issue(where, f"line {line}: a scenario is a mapping (name: ..., "
                                            f"base: ..., overrides: [...]) but this is {got}; "
                                            f"write one 'key: value' per line as in "
                                            f"CONTRACTS §6")])
    return data


def _reader_problem(text: str, e: yaml.reader.ReaderError) -> str:
    """Where a character YAML does not take (NUL, other control characters) is, and what."""
    before = text[:e.position]
    line, column = before.count("\n") + 1, e.position - (before.rfind("\n") + 1) + 1
    return (f"line {line}, column {column}: the control character U+{e.character:04X} is not "
            f"allowed in YAML; remove it (save the file as plain UTF-8 text)")


def read_yaml(text: str, where: str = "request") -> dict:
    """The mapping of a scenario file's text received from outside (an HTTP body), for
    :func:`parse`; raises ValidationError naming the line and what to fix when the text is not
    YAML, uses aliases, or is not a mapping."""
    return _read(text, where, _RequestLoader)


def _yaml_problem(e: yaml.MarkedYAMLError) -> str:
    """Where a YAML error is (line, column, counted from 1), what it is and what to do."""
    def at(mark) -> str:
        return f"line {mark.line + 1}, column {mark.column + 1}"

    mark = e.problem_mark or e.context_mark
    what = e.problem or e.context or "not valid YAML"
    if e.context and e.problem:
        what += f" ({e.context}" + (f" at {at(e.context_mark)})" if e.context_mark else ")")
    if isinstance(e, (_AliasRefused, _IntTooLong)):
        return f"{at(mark)}: {what}"
    fix = ("fix the YAML there (indentation, a ': ' after each key, closing brackets, quotes "
           "around text holding ': ' or ' #')")
    return f"is not valid YAML: {at(mark) + ': ' if mark else ''}{what}; {fix}"


@dataclass(frozen=True)
class ScenarioFile:
    """A scenario file of a folder: its ``text``, and its ``name`` and ``description`` when it
    parses (else ``name`` None and ``error`` saying why)."""

    file: str
    name: str | None
    description: str | None
    text: str
    error: str | None = None


#: largest scenario file :func:`list_files` reads; a scenario is a few lines
MAX_FILE_BYTES = 1 << 20


def list_files(root) -> list[ScenarioFile]:
    """The ``*.yaml`` / ``*.yml`` files directly in ``root`` (hidden ones left out), by file
    name, each parsed (paths relative to ``root``; not run, not checked against its network);
    none when ``root`` is not a folder."""
    out: list[ScenarioFile] = []
    if not Path(root).is_dir():
        return out
    paths = [p for p in Path(root).iterdir() if p.is_file() and not p.name.startswith(".")
             and p.suffix.lower() in (".yaml", ".yml")]
    for p in sorted(paths, key=lambda p: p.name):
        if p.stat().st_size > MAX_FILE_BYTES:
            out.append(ScenarioFile(p.name, None, None, "", f"larger than "
                                                            f"{MAX_FILE_BYTES} bytes; not read"))
            continue
        raw = p.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as e:
            out.append(ScenarioFile(p.name, None, None, raw.decode("utf-8", "replace"),
                                    f"not UTF-8 text (byte {e.start}); save it as UTF-8"))
            continue
        try:
            sc = load(p)
        except ValidationError as e:
            out.append(ScenarioFile(p.name, None, None, text, str(e)))
            continue
        out.append(ScenarioFile(p.name, sc.name, sc.description, text))
    return out


def dump(sc: Scenario) -> dict[str, Any]:
    """The scenario as a YAML-ready mapping (paths as given, absolute)."""
    out: dict[str, Any] = {"name": sc.name, "base": str(sc.base)}
    if sc.crm:
        out["crm"] = str(sc.crm)
    out["overrides"] = [{o.kind: o.params.model_dump(mode="json", by_alias=True,
                                                     exclude_none=True)} for o in sc.overrides]
    out["solve"] = sc.solve.model_dump(exclude_none=True)
    out["simulate"] = sc.simulate.model_dump()
    return out

"""Scenario files (CONTRACTS §6): parsed and checked with pydantic, paths resolved against the file.

A scenario is a base network, optionally a CRM folder, a list of overrides applied in order to a
copy of the base, and solve / simulate options. Each override has exactly one key naming its kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticError

from chainlab.models.errors import Issue, ValidationError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Window(_Strict):
    """An optional date window; ``from`` and ``to`` are inclusive days."""

    start: dt.date | None = Field(None, alias="from")
    end: dt.date | None = Field(None, alias="to")

    @model_validator(mode="after")
    def _ordered(self):
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"to ({self.end}) is before from ({self.start})")
        return self


class DemandOverride(Window):
    """Scale demand, optionally only for some customers, products, a region, a window."""

    scale: float = Field(ge=0)
    customer: str | None = None
    product: str | None = None
    region: str | None = None


class SiteOutage(Window):
    """A site down (capacity 0) for a window."""

    site: str


class CapacityOverride(_Strict):
    """A plant resource's hours: scaled, or set (``hours_per_period``)."""

    plant: str
    resource: str
    scale: float | None = Field(None, ge=0)
    hours_per_period: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one(self):
        if (self.scale is None) == (self.hours_per_period is None):
            raise ValueError("give exactly one of scale or hours_per_period")
        return self


class SupplyOverride(Window):
    """A supplier's capacity for a product (or all its products) scaled in a window."""

    supplier: str
    product: str | None = None
    scale: float = Field(ge=0)


class LaneOverride(_Strict):
    """Change a lane's attributes (every lane between origin and destination, or only the one
    with this ``mode`` / ``product``)."""

    origin: str
    destination: str
    mode: str | None = None
    product: str | None = None
    cost_per_unit: float | None = Field(None, ge=0)
    lead_time_days: float | None = Field(None, ge=0)
    lead_time_sd_days: float | None = Field(None, ge=0)
    capacity_per_period: float | None = Field(None, ge=0)
    fixed_cost: float | None = Field(None, ge=0)


class SiteRef(_Strict):
    site: str


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

    backend: str | None = None
    time_limit: float | None = Field(None, gt=0)
    gap: float | None = Field(None, ge=0)
    #: ``solver.Timing``: nominal, or robust (lead times rounded up, a one-period handling lag)
    timing: Literal["nominal", "robust"] | None = None


class SimulateSpec(_Strict):
    replications: int = Field(50, ge=1)
    seed: int = 0


class Scenario(_Strict):
    """A parsed scenario file; ``base`` and ``crm`` are absolute paths."""

    name: str = Field(min_length=1)
    base: Path
    crm: Path | None = None
    overrides: tuple[Override, ...] = ()
    solve: SolveSpec = SolveSpec()
    simulate: SimulateSpec = SimulateSpec()
    file: Path | None = None
    description: str | None = None


def _loc(err: dict) -> str:
    return ".".join(str(p) for p in err["loc"] if p not in ("function-after",))


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
                shown = f" (got {val!r})" if loc and not isinstance(val, dict) else ""
                issues.append(Issue(fname, f"override {i} ({kind}): "
                                           f"{loc + ': ' if loc else ''}{err['msg']}{shown}",
                                    column=f"{where}.{kind}" + (f".{loc}" if loc else "")))
            continue
        overrides.append(Override(kind=kind, params=p, position=i))
    rest = {k: v for k, v in data.items() if k != "overrides"}
    for key in ("base", "crm"):
        if rest.get(key):
            rest[key] = (file.parent / str(rest[key])).resolve()
    try:
        sc = Scenario.model_validate(rest | {"file": file.resolve()})
    except PydanticError as e:
        for err in e.errors():
            loc = _loc(err)
            issues.append(Issue(fname, f"{loc}: {err['msg']}", column=loc))
        sc = None
    if issues:
        raise ValidationError(issues)
    return sc.model_copy(update={"overrides": tuple(overrides)})


def load(path) -> Scenario:
    """Read and check a scenario YAML file."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValidationError([Issue(str(path), "does not exist; give the path of a scenario "
                                                "YAML file")]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise ValidationError([Issue(path.name, f"is not valid YAML: {e}")]) from None
    return parse(data, path)


class _AliasRefused(yaml.composer.ComposerError):
    pass


class _RequestLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` without aliases: a few lines of ``*name`` can expand to gigabytes,
    and a scenario has no use for them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise _AliasRefused(None, None, "aliases (*name) are not accepted here; write the "
                                            "value out", self.peek_event().start_mark)
        return super().compose_node(parent, index)


def read_yaml(text: str, where: str = "request") -> dict:
    """The mapping of a scenario file's text received from outside (an HTTP body), for
    :func:`parse`; raises ValidationError naming the line and what to fix when the text is not
    YAML, uses aliases, or is not a mapping."""
    loader = _RequestLoader(text)
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


def _yaml_problem(e: yaml.MarkedYAMLError) -> str:
    """Where a YAML error is (line, column, counted from 1), what it is and what to do."""
    def at(mark) -> str:
        return f"line {mark.line + 1}, column {mark.column + 1}"

    mark = e.problem_mark or e.context_mark
    what = e.problem or e.context or "not valid YAML"
    if e.context and e.problem:
        what += f" ({e.context}" + (f" at {at(e.context_mark)})" if e.context_mark else ")")
    if isinstance(e, _AliasRefused):
        return f"{at(mark)}: {what}"
    fix = ("fix the YAML there (indentation, a ': ' after each key, closing brackets, quotes "
           "around text holding ': ' or ' #')")
    return f"{at(mark)}: {what}; {fix}" if mark else f"is not valid YAML: {what}; {fix}"


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

"""``/v1/scenarios``: a scenario to run, its job (status, progress, result), the scenario files
of the server, and comparisons of done jobs."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from chainlab.api.schemas.common import Record, Strict
from chainlab.models.errors import Issue, ValidationError
from chainlab.scenarios import spec


class ScenarioCreate(Strict):
    """A scenario file (CONTRACTS §6) as JSON; ``base`` and ``crm`` relative to the server's
    scenario root."""

    # e.g. {"name": "plant2-outage", "base": "acme", "crm": "acme/crm", "overrides":
    # [{"site_outage": {"site": "PLANT2", "from": "2027-04-05", "to": "2027-04-25"}}],
    # "simulate": {"replications": 20, "seed": 42}} (no schema example: API fuzzers would
    # run it)

    name: str = Field(min_length=1, max_length=100)
    base: str = Field(min_length=1, max_length=500)
    crm: str | None = Field(None, max_length=500)
    description: str | None = Field(None, max_length=1000)
    overrides: list[dict[str, Any]] = Field(default_factory=list, max_length=200)
    solve: dict[str, Any] | None = None
    simulate: dict[str, Any] | None = None

    def scenario(self, root: Path, max_replications: int) -> spec.Scenario:
        """The scenario it asks for, its ``base`` and ``crm`` resolved under ``root`` (a path
        that leaves it, or names nothing, is refused), with at most ``max_replications``."""
        root = root.resolve()
        data = self.model_dump(exclude_none=True)
        issues = []
        for key in ("base", "crm"):
            if key not in data:
                continue
            why = ""
            try:
                p = Path(spec.path_text(data[key]))
                full = (root / p).resolve()
                usable = not p.is_absolute() and full.is_relative_to(root) and full.exists()
            except (ValueError, OSError) as e:
                usable = False
                why = f" ({e.strerror if isinstance(e, OSError) and e.strerror else e})"
            if not usable:
                issues.append(Issue("request", f"{key} {spec.shown(data[key])}{why} must name "
                                               f"a folder under the server's scenario root "
                                               f"(e.g. 'acme')", column=key))
                continue
            data[key] = str(full)
        if issues:
            raise ValidationError(issues)
        n = (data.get("simulate") or {}).get("replications")
        if isinstance(n, (int, float, Decimal)) and not isinstance(n, bool) \
                and n > max_replications:
            raise ValidationError([Issue("request", f"simulate.replications {spec.shown(n)} is "
                                                    f"more than this server runs "
                                                    f"({max_replications}); ask for fewer",
                                         column="simulate.replications")])
        return spec.parse(_plain(data), root / "request")


class Progress(Record):
    phase: str | None = None
    done: int | None = None
    total: int | None = None


class ScenarioJob(Record):
    """A scenario job: ``status`` queued, running, done or failed; ``progress`` while it runs;
    ``result`` when done (scenario, dir, kpis {name: {mean, ci_low, ci_high, unit}}, plan,
    seed, replications, seconds); ``error`` when failed."""

    id: str
    scenario: str
    status: str
    submitted_at: str
    started_at: str | None = None
    finished_at: str | None = None
    progress: Progress = Progress()
    error: str | None = None
    result: dict[str, Any] | None = None
    submitted_by: str | None = Field(None, description="who the job belongs to: the owner "
                                                       "of the key that submitted it (null: "
                                                       "every planner's)")


class ScenarioFile(Record):
    """A scenario file of the server's scenario root: ``text`` is the file as it is (send it
    back as ``application/yaml`` to run it); ``name`` is null and ``error`` says why when it
    does not parse."""

    file: str
    name: str | None
    description: str | None = None
    text: str
    error: str | None = None


class ComparisonRow(BaseModel):
    """One scenario x KPI: ``value`` (mean) with its interval, ``delta`` against the baseline
    with the interval of the difference (``ci_low``, ``ci_high``), ``better`` when the
    difference is significant (null when it is not, or the KPI is neutral)."""

    scenario: str
    kpi: str
    unit: str | None = None
    value: float | None = None
    value_ci_low: float | None = None
    value_ci_high: float | None = None
    delta: float | None = None
    delta_pct: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    significant: bool | None = None
    better: bool | None = None


class ScenarioComparison(BaseModel):
    """Done jobs compared (:func:`scenarios.compare.compare`): ``scenarios`` in the order
    asked, named by scenario (``name@<id suffix>`` when two jobs ran scenarios of one name);
    ``rows`` one per scenario x KPI; ``costs`` simulated cost by category, ``plan_costs`` the
    plans' own; ``plans`` status, objective, gap per scenario; ``plan_changes`` orders added,
    removed, moved, resized against the baseline; ``runs`` the run folders."""

    baseline: str
    scenarios: list[str]
    paired: bool
    confidence: float
    currency: str = ""
    rows: list[ComparisonRow]
    costs: dict[str, dict[str, float | None]]
    plan_costs: dict[str, dict[str, float | None]]
    plans: list[dict[str, Any]]
    plan_changes: dict[str, dict[str, float | None]]
    runs: dict[str, str]
    notes: list[str]


def _plain(v):
    """Decimals (how the API reads JSON numbers) as floats, as a scenario file has them."""
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() and "." not in str(v) else float(v)
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v

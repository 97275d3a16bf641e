"""The probe suite: every request that once answered 500 or wrote something it should not,
sent to both engines. Each must answer a 4xx problem+json and leave the ledger and the
scenario jobs exactly as they were.

The requests come from probing the API as an attacker and as a new user would; each has its
own regression test beside the code that fixed it. This suite keeps them together so a new
route or a refactor cannot bring one back unnoticed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from api.conftest import ROLES, client_of, make_app

PROBLEM = "application/problem+json"
DATA = Path(__file__).parents[1] / "data"

ATP = {"customer": "C1", "lines": [{"product": "FG1", "quantity": 5,
                                      "requested_date": "2027-01-05"}]}
MOVE = {"type": "receipt", "site": "DC1", "product": "FG1", "quantity": 10,
        "date": "2027-01-05"}
QUOTA = {"product": "FG1", "tier": 1, "period_start": "2027-01-04",
         "period_end": "2027-02-01", "quantity": 10}
SCENARIO = {"name": "probe", "base": "tiny", "overrides": [{"demand": {"scale": 1.1}}],
            "simulate": {"replications": 2, "seed": 1}}


def atp(**line) -> dict:
    return ATP | {"lines": [ATP["lines"][0] | line]}


def scenario(**fields) -> dict:
    return SCENARIO | fields


def outage(start: str, end: str) -> list:
    return [{"site_outage": {"site": "PLANT1", "from": start, "to": end}}]


#: (role, method, path, body or raw text, content type)
PROBES: list[tuple[str, str, str, object]] = [
    # 1. dates at the ends of the calendar
    ("sales", "POST", "/v1/atp/check", atp(requested_date="0001-01-01")),
    ("sales", "POST", "/v1/atp/check", ATP | {"allow_partial": True, "lines": [
        ATP["lines"][0] | {"quantity": 50000, "requested_date": "9999-12-31"}]}),
    ("sales", "POST", "/v1/promises", atp(requested_date="0001-01-01")),
    ("sales", "POST", "/v1/promises", atp(requested_date="9999-12-31")),
    # 2. a quota window to the end of time
    ("planner", "PUT", "/v1/atp/quotas", {"quotas": [QUOTA | {"period_end": "9999-12-31"}]}),
    ("planner", "PUT", "/v1/atp/quotas", {"quotas": [QUOTA | {"period_start": "0001-01-01"}]}),
    # 3. stock moves at absurd dates
    ("erp", "POST", "/v1/stock-moves", MOVE | {"date": "9999-12-31"}),
    ("erp", "POST", "/v1/stock-moves", MOVE | {"date": "0001-01-01"}),
    ("erp", "POST", "/v1/stock-moves", [MOVE, MOVE | {"date": "9999-12-31"}]),
    # 5. ids past 64 bits
    ("sales", "GET", f"/v1/promises/{2**63}", None),
    ("sales", "POST", f"/v1/promises/{2**64}/cancel", None),
    ("erp", "GET", f"/v1/plans?before={2**63}", None),
    ("erp", "POST", f"/v1/stock-moves/{10**30}/reverse", None),
    # 6. scenarios the loader could not take
    ("planner", "POST", "/v1/scenarios", scenario(base="ti\x00ny")),
    ("planner", "POST", "/v1/scenarios", scenario(base="b" * 500)),
    ("planner", "POST", "/v1/scenarios",
     scenario(overrides=outage("0001-01-01", "9999-12-31"))),
    ("planner", "POST", "/v1/scenarios", scenario(overrides=[
        {"supply": {"supplier": "SUP1", "product": "RM1", "scale": 0.5,
                    "from": "2027-02-01", "to": "9999-12-31"}}])),
    # 9. NUL characters, on both engines
    ("erp", "POST", "/v1/stock-moves", MOVE | {"reference": "a\x00b"}),
    ("erp", "POST", "/v1/stock-moves", MOVE | {"site": "DC1\x00"}),
    ("sales", "POST", "/v1/promises", ATP | {"customer": "C1\x00"}),
    ("planner", "PUT", "/v1/atp/quotas", {"quotas": [QUOTA | {"product": "FG\x001"}]}),
]

#: bodies sent as text (a 5000-digit integer is more than Python's json will write)
RAW_JSON_PROBES = [
    '{"name": "probe", "base": "tiny", "simulate": {"replications": ' + "9" * 5000 + "}}",
]

YAML_PROBES = [
    "name: probe\nbase: tiny\x00\n",
    "name: probe\nbase: tiny\nsimulate:\n  replications: " + "9" * 5000 + "\n",
]


def fingerprint(app, jobs: Path) -> str:
    """A digest of every ledger row (but the keys' last use) and of the scenario job files."""
    engine = app.state.ledger.engine
    meta = sa.MetaData()
    meta.reflect(engine)
    h = hashlib.sha256()
    with engine.connect() as conn:
        for table in sorted(meta.sorted_tables, key=lambda t: t.name):
            if table.name in ("api_keys", "alembic_version"):
                continue
            cols = sorted(table.columns, key=lambda c: c.name)
            for row in conn.execute(sa.select(*cols).order_by(*cols)):
                h.update(f"{table.name}:{tuple(row)!r}\n".encode())
    for path in sorted(jobs.rglob("*")) if jobs.exists() else ():
        h.update(str(path.relative_to(jobs)).encode())
    return h.hexdigest()


@pytest.fixture
def probed(database_url, tiny, tmp_path):
    from chainlab.api.settings import ScenarioSettings

    app = make_app(database_url, tiny, tmp_path)
    app.state.scenario_settings = ScenarioSettings(
        scenario_dir=tmp_path / "scenarios", scenario_root=DATA)
    keys = {r: app.state.ledger.create_key(r, name=f"probe {r}")[0] for r in ROLES}
    with client_of(app) as client:
        yield app, client, keys, tmp_path / "scenarios"
    app.state.ledger.engine.dispose()


def is_problem(r, allowed=range(400, 500)) -> bool:
    return r.status_code in allowed and r.headers.get("content-type", "").startswith(PROBLEM)


def test_every_probe_is_a_4xx_problem_and_writes_nothing(probed):
    app, client, keys, jobs = probed
    before = fingerprint(app, jobs)
    for role, method, path, body in PROBES:
        r = client.request(method, path, json=body,
                           headers={"Authorization": f"Bearer {keys[role]}"})
        assert is_problem(r), (method, path, repr(body)[:120], r.status_code, r.text[:300])
        assert fingerprint(app, jobs) == before, (method, path, repr(body)[:120])
    for text in RAW_JSON_PROBES:
        r = client.post("/v1/scenarios", content=text.encode(), headers={
            "Authorization": f"Bearer {keys['planner']}", "Content-Type": "application/json"})
        assert is_problem(r, (400, 422)), (text[:40], r.status_code, r.text[:300])
    for text in YAML_PROBES:
        r = client.post("/v1/scenarios", content=text.encode(), headers={
            "Authorization": f"Bearer {keys['planner']}", "Content-Type": "application/yaml"})
        assert is_problem(r, (400, 415, 422)), (text[:40], r.status_code, r.text[:300])
    assert fingerprint(app, jobs) == before

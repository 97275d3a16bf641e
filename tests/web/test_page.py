"""The planner's web page in headless Chromium against a real server (see conftest): each view
shows the example's real data, the scenario run and the promise look-up work end to end, with
no console errors; a screenshot of each view and the page's load time go to the artefacts."""

from __future__ import annotations

import datetime as dt
import json
import statistics
import time

import yaml
from web_helpers import api, sign_in

READY = 60_000  # ms


def test_page_serves_without_a_key_and_holds_no_data(page, server):
    r = page.goto("/")
    assert r.status == 200
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert page.is_visible("#sign-in") and not page.is_visible("#tabs")
    # the vendored chart library and its licence are served by the app itself
    assert page.request.get("/static/vendor/chart.umd.min.js").ok
    assert "MIT" in page.request.get("/static/vendor/chart.js.LICENSE.md").text()
    assert "ISC" in page.request.get("/static/vendor/README.md").text()
    assert page.evaluate("typeof Chart") == "function"
    assert page.console.errors == []


def test_a_bad_key_is_refused_with_a_message(page):
    page.goto("/")
    page.fill("#api-key", "not-a-key")
    page.click("#sign-in-form button[type=submit]")
    page.wait_for_function("document.querySelector('#sign-in-error').textContent.length > 0")
    assert "unknown or revoked" in page.inner_text("#sign-in-error")
    assert not page.is_visible("#tabs")


def test_each_role_sees_its_views(page, keys):
    expected = {"planner": ["network", "plan", "scenarios"], "erp": ["network", "plan"],
                "sales": ["promise"], "admin": ["network", "plan", "scenarios", "promise"]}
    for role, views in expected.items():
        sign_in(page, keys[role])
        shown = page.eval_on_selector_all("#tabs a:not([hidden])", "as => as.map(a => a.dataset.view)")
        assert shown == views, role
        page.click("#sign-out")
        page.wait_for_selector("#sign-in:not([hidden])")
    assert page.console.errors == []


def test_network_view_draws_the_example(page, server, keys, artifacts):
    report = api(server, keys["planner"], "/v1/plans/current/report")
    sign_in(page, keys["planner"])
    page.wait_for_selector("body[data-network-ready='1']", timeout=READY)
    located = [s for s in report["sites"] if s["lat"] is not None and s["lon"] is not None]
    assert len(located) >= 40  # Acme: suppliers, plants, DCs, 60 customers
    assert page.locator("#map circle.site").count() == len(located)
    assert page.locator("#map line.lane").count() == len(
        [ln for ln in report["lanes"] if {ln["origin"], ln["destination"]} <= {s["id"] for s in located}])
    # land and borders drawn from the vendored outlines, not fetched from anywhere else
    assert len(page.get_attribute("#map path.land", "d")) > 1000
    kinds = {s["kind"] for s in located}
    assert kinds == {"supplier", "plant", "dc", "customer"}
    # a click on a plant shows its resources' hours per week
    page.click("#map circle.site[data-site='PLANT1']")
    page.wait_for_selector("#site-panel table[data-table='capacity']")
    items = page.eval_on_selector_all("#site-panel table[data-table='capacity'] tbody tr td:first-child",
                                      "tds => tds.map(t => t.textContent)")
    assert items == [c["item"] for c in report["site_tables"]["PLANT1"]["capacity"]]
    # a customer shows its demand
    customer = next(s["id"] for s in located if s["kind"] == "customer")
    page.click(f"#map circle.site[data-site='{customer}']")
    page.wait_for_selector("#site-panel table[data-table='demand']")
    assert page.locator("#site-panel table[data-table='demand'] tbody tr").count() == len(
        report["site_tables"][customer]["demand"])
    page.screenshot(path=str(artifacts / "network.png"), full_page=True)
    assert page.console.errors == []


def test_plan_view_shows_production_inventory_bottlenecks_and_costs(page, server, keys, artifacts):
    report = api(server, keys["erp"], "/v1/plans/current/report")
    sign_in(page, keys["erp"])
    page.click("#tab-plan")
    page.wait_for_selector("body[data-plan-ready='1']", timeout=READY)
    plants = sorted(report["production"])
    assert page.eval_on_selector_all("#plan-plant option", "os => os.map(o => o.value)") == plants
    used = page.evaluate("Chart.getChart('chart-production').data.datasets[0].data")
    assert used == report["production"][plants[0]]["used_hours"]
    page.select_option("#plan-plant", plants[-1])
    used = page.evaluate("Chart.getChart('chart-production').data.datasets[0].data")
    assert used == report["production"][plants[-1]]["used_hours"]
    labels = page.evaluate("Chart.getChart('chart-inventory').data.datasets.map(d => d.label)")
    assert labels == sorted(report["inventory"])
    costs = page.evaluate("Chart.getChart('chart-costs').data.datasets[0].data")
    assert abs(sum(costs) - sum(report["costs"].values())) < 1e-6 * sum(report["costs"].values())
    assert page.locator("#bottlenecks tbody tr").count() == len(report["bottlenecks"]) > 0
    first = page.locator("#bottlenecks tbody tr").first.inner_text()
    b = report["bottlenecks"][0]
    assert b["site"] in first and b["item"] in first
    page.screenshot(path=str(artifacts / "plan.png"), full_page=True)
    assert page.console.errors == []


def test_scenarios_compare_and_a_new_run(page, server, keys, artifacts):
    sign_in(page, keys["planner"])
    page.click("#tab-scenarios")
    page.wait_for_selector("body[data-scenarios-ready='1']", timeout=READY)
    names = page.eval_on_selector_all("#runs tbody tr td:nth-child(2)", "ts => ts.map(t => t.textContent)")
    assert {"baseline", "surge-east", "plant2-outage", "open-dc-mountain"} <= set(names)

    # compare two of the demo's runs: the KPI table and the report's charts
    for name in ("baseline", "plant2-outage"):
        page.check(f"#runs tbody tr:has(td:text-is('{name}')) input")
    page.click("#compare")
    page.wait_for_selector("body[data-comparison-ready='1']", timeout=READY)
    assert page.locator("#kpi-table tr[data-kpi='fill_rate']").count() == 1
    heads = page.eval_on_selector_all("#kpi-table thead th", "ts => ts.map(t => t.textContent)")
    assert heads == ["KPI", "baseline", "plant2-outage"]
    outage = page.locator("#kpi-table tr[data-kpi='total_cost'] td").nth(2).inner_text()
    assert "…" in outage  # value (delta; interval of the difference)
    assert page.frame_locator("#report").locator("svg").count() > 0
    page.screenshot(path=str(artifacts / "scenarios-compare.png"), full_page=True)

    # a new run from a scenario file, its progress shown until its result appears
    page.select_option("#scenario-file", "baseline.yaml")
    sc = yaml.safe_load(page.input_value("#scenario-text"))
    assert sc["name"] == "baseline"
    sc |= {"name": "web-run", "simulate": {"replications": 2, "seed": 7},
           "solve": {"gap": 0.01, "time_limit": 60}}
    page.fill("#scenario-text", yaml.safe_dump(sc, sort_keys=False))
    page.click("#run-scenario")
    page.wait_for_selector("#run-progress:not([hidden])")
    page.wait_for_selector("body[data-run-finished]", timeout=240_000)
    assert page.get_attribute("body", "data-run-finished") == "done", page.inner_text("#view-scenarios .error")
    row = page.locator("#runs tbody tr:has(td:text-is('web-run'))").first
    assert row.locator(".badge").inner_text() == "done"
    job = api(server, keys["planner"], f"/v1/scenarios/{row.get_attribute('data-job')}")
    assert job["status"] == "done" and job["result"]["replications"] == 2
    fill = job["result"]["kpis"]["fill_rate"]["mean"]
    assert f"{100 * fill:.1f} %" in row.inner_text()
    assert "done in" in page.inner_text("#run-status")
    page.screenshot(path=str(artifacts / "scenarios-run.png"), full_page=True)
    assert page.console.errors == []


def test_promise_look_up_returns_the_api_answer(page, server, keys, artifacts):
    catalog = api(server, keys["sales"], "/v1/catalog")
    start = dt.date.fromisoformat(catalog["plan_start"])
    when = (start + dt.timedelta(days=35)).isoformat()

    def body(quantity: str) -> dict:
        return {"customer": "CUST01", "allow_partial": False,
                "lines": [{"product": "FG12", "quantity": quantity, "requested_date": when}]}

    sign_in(page, keys["sales"])
    page.wait_for_selector("body[data-promise-ready='1']", timeout=READY)
    assert page.locator("#customers option").count() == len(catalog["customers"]) == 60
    answers = {}
    # more than is there first (late or partial, with alternatives), then what is there
    for quantity in ("20000", "120"):
        expected = api(server, keys["sales"], "/v1/atp/check", body(quantity))
        page.evaluate("delete document.body.dataset.promiseAnswered")
        page.fill("#p-customer", "CUST01")
        page.fill("#p-product", "FG12")
        page.fill("#p-quantity", quantity)
        page.fill("#p-date", when)
        page.click("#p-check")
        page.wait_for_selector("body[data-promise-answered]")
        assert page.get_attribute("body", "data-promise-answered") == expected["fill"]
        answer = page.inner_text("#promise-answer")
        line = expected["lines"][0]
        assert line["reason"] in answer
        assert page.locator("#promise-answer table.promised tbody tr").count() == len(line["promised"])
        if line["date"]:
            assert line["date"] in answer
        assert page.locator("#promise-answer table.alternatives tbody tr").count() == len(
            line["alternatives"])
        page.screenshot(path=str(artifacts / f"promise-{quantity}.png"), full_page=True)
        answers[quantity] = expected
    assert answers["20000"]["fill"] != "complete" and answers["20000"]["lines"][0]["alternatives"]
    assert answers["120"]["fill"] == "complete"
    assert page.console.errors == []

    # what the check showed can be reserved: a promise the API holds
    page.click("#p-promise")
    page.wait_for_selector("body[data-promise-made]")
    number = page.get_attribute("body", "data-promise-made")
    made = api(server, keys["sales"], f"/v1/promises/{number}")
    assert made["customer"] == "CUST01" and made["status"] == "confirmed"
    assert made["lines"][0]["promised_quantity"] == 120
    assert f"promise {number} confirmed" in page.inner_text("#p-promised")
    page.screenshot(path=str(artifacts / "promise.png"), full_page=True)

    # an unknown product: the API's problem (422) shown, nothing else
    page.fill("#p-product", "NOPE")
    page.click("#p-check")
    page.wait_for_selector("body[data-promise-answered='error']")
    assert "'NOPE' is not an item" in page.inner_text("#view-promise .error")
    assert page.inner_text("#promise-answer") == ""
    # the browser logs the refused request itself, and nothing else goes wrong
    assert [e for e in page.console.errors if "status of 422" not in e] == []


def test_load_time_is_reported(browser, server, keys, artifacts):
    """From navigation to the first view drawn with its data (a signed-in planner), five
    fresh loads; reported, not asserted (the target is under 1 s)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, base_url=server)
    context.add_init_script(f"sessionStorage.setItem('chainlab.key', {json.dumps(keys['planner'])})")
    times = []
    for _ in range(5):
        p = context.new_page()
        t0 = time.perf_counter()
        p.goto("/#network")
        p.wait_for_selector("body[data-network-ready='1']", timeout=READY)
        wall = time.perf_counter() - t0
        nav = p.evaluate("""() => {
            const n = performance.getEntriesByType('navigation')[0];
            const m = performance.getEntriesByName('chainlab:network-ready')[0];
            return {dom_content_loaded: n.domContentLoadedEventEnd, load: n.loadEventEnd,
                    network_ready: m.startTime}; }""")
        times.append(nav | {"wall": wall * 1000})
        p.close()
    context.close()
    summary = {k: statistics.median(t[k] for t in times) for k in times[0]}
    (artifacts / "load.json").write_text(json.dumps({"median_ms": summary, "runs": times},
                                                    indent=2))
    print("\nweb page load, median of 5 (ms): " +
          ", ".join(f"{k} {v:.0f}" for k, v in summary.items()))
    assert summary["network_ready"] > 0

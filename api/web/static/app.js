// chainlab's web page: signs in with an API key, then reads everything through the API
// (/v1/...) with that key. Plain JavaScript, no build step; charts by Chart.js (vendored).
"use strict";

const KEY = "chainlab.key";
const KIND_COLORS = { supplier: "#8e44ad", plant: "#d35400", dc: "#1f6feb", customer: "#2e8b57" };
const SERIES = ["#1f6feb", "#d35400", "#2e8b57", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d",
  "#b7950b", "#2c3e50", "#e84393"];
const MAIN_KPIS = ["fill_rate", "period_fill_rate", "otif", "cycle_service_level", "backorders", "stockout_days",
  "avg_inventory", "total_cost"];

const state = { me: null, loaded: {}, charts: {}, report: null, currency: "", jobs: [],
  polling: null };

// ------------------------------------------------------------------ small helpers

const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function randomKey() {
  // getRandomValues works on plain http too (randomUUID needs a secure context)
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

function svg(tag, attrs = {}) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

const nf = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });
const nf0 = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

function num(v, digits) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  if (digits === 0) return nf0.format(v);
  return Math.abs(v) >= 1000 ? nf0.format(v) : nf.format(v);
}

function money(v) {
  return v === null || v === undefined ? "–" : `${nf0.format(v)} ${state.currency}`.trim();
}

function pct(v) {
  return v === null || v === undefined || Number.isNaN(v) ? "–" : `${(100 * v).toFixed(1)} %`;
}

function byUnit(unit) {
  if (unit === "share") return pct;
  if (unit === "currency") return money;
  return (v) => num(v);
}

function signed(fmt, v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const s = fmt(Math.abs(v));
  return v > 0 ? `+${s}` : v < 0 ? `−${s}` : s;
}

function table(target, head, rows) {
  target.replaceChildren(
    el("thead", {}, el("tr", {}, head.map((h) =>
      el("th", { class: h.num ? "num" : null, text: h.label ?? h })))),
    el("tbody", {}, rows));
}

function cells(values, numeric = []) {
  return values.map((v, i) => el("td", { class: numeric.includes(i) ? "num" : null, text: v }));
}

function showError(view, err) {
  const box = $(`#view-${view} .error`);
  if (box) box.textContent = err ? String(err.message || err) : "";
}

// ------------------------------------------------------------------ the API

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(path, { method = "GET", body, type = "application/json", text = false,
  key, headers: extra = {} } = {}) {
  const headers = Object.assign({ Authorization: `Bearer ${key || sessionStorage.getItem(KEY)}` }, extra);
  if (body !== undefined) headers["Content-Type"] = type;
  const res = await fetch(path, { method, headers,
    body: body === undefined ? undefined : (type === "application/json" ? JSON.stringify(body) : body) });
  if (res.status === 401 && !key) {
    signOut("the key is no longer valid; sign in again");
    throw new ApiError(401, { detail: "signed out" });
  }
  if (!res.ok) {
    let problem = {};
    try { problem = await res.json(); } catch (e) { problem = { detail: `HTTP ${res.status}` }; }
    throw new ApiError(res.status, problem);
  }
  return text ? res.text() : res.json();
}

// ------------------------------------------------------------------ signing in, views

async function signIn(key) {
  const me = await api("/v1/me", { key });
  sessionStorage.setItem(KEY, key);
  state.me = me;
  $("#sign-in").hidden = true;
  $("#tabs").hidden = false;
  $("#who").hidden = false;
  $("#who-role").textContent = `${me.role}${me.name ? ` · ${me.name}` : ""} (${me.key}…)`;
  for (const a of document.querySelectorAll("#tabs a")) a.hidden = !me.views.includes(a.dataset.view);
  const wanted = location.hash.slice(1);
  show(me.views.includes(wanted) ? wanted : me.views[0]);
}

function signOut(message = "") {
  sessionStorage.removeItem(KEY);
  if (state.polling) clearInterval(state.polling);
  state.me = null;
  state.loaded = {};
  for (const c of Object.values(state.charts)) c.destroy();
  state.charts = {};
  for (const s of document.querySelectorAll("section.view")) s.hidden = true;
  $("#tabs").hidden = true;
  $("#who").hidden = true;
  $("#sign-in").hidden = false;
  $("#sign-in-error").textContent = message;
  $("#api-key").value = "";
}

const LOADERS = { network: loadNetwork, plan: loadPlan, scenarios: loadScenarios,
  promise: loadPromise };

async function show(view) {
  if (!state.me || !state.me.views.includes(view)) return;
  for (const s of document.querySelectorAll("section.view")) s.hidden = s.id !== `view-${view}`;
  for (const a of document.querySelectorAll("#tabs a")) a.classList.toggle("active", a.dataset.view === view);
  if (location.hash !== `#${view}`) history.replaceState(null, "", `#${view}`);
  if (state.loaded[view]) return;
  state.loaded[view] = true;
  showError(view, null);
  try {
    await LOADERS[view]();
    document.body.dataset[`${view}Ready`] = "1";
    performance.mark(`chainlab:${view}-ready`);
  } catch (err) {
    state.loaded[view] = false;
    showError(view, err);
    document.body.dataset[`${view}Ready`] = "error";
  }
}

// ------------------------------------------------------------------ the plan report

async function planReport() {
  if (!state.report) {
    state.report = api("/v1/plans/current/report").catch((err) => {
      state.report = null;
      if (err.status === 404) {
        throw new Error(`${err.message}\nPublish a plan with its network first: ` +
          "chainlab publish PLAN_DIR --network NET (chainlab demo does it for the example).");
      }
      throw err;
    });
  }
  const r = await state.report;
  state.currency = r.currency || "";
  return r;
}

// ------------------------------------------------------------------ network view

async function worldOutlines() {
  // land and borders behind the map (vendored Natural Earth 1:110m); the map works without
  try {
    const res = await fetch(document.body.dataset.world);
    return res.ok ? await res.json() : null;
  } catch (err) {
    return null;
  }
}

async function loadNetwork() {
  const [r, world] = await Promise.all([planReport(), worldOutlines()]);
  $("#network-title").textContent = `${r.network} · plan version ${r.plan_version_id} · ` +
    `${r.sites.length} sites, ${r.lanes.length} lanes`;
  drawMap(r, world);
}

function outlinePath(lines, px, py, closed) {
  // one SVG path of [lon, lat] lines; a line that crosses the antimeridian is left out
  let d = "";
  for (const line of lines) {
    if (line.some((p, i) => i > 0 && Math.abs(p[0] - line[i - 1][0]) > 180)) continue;
    d += line.map((p, i) => `${i ? "L" : "M"}${px(p[0]).toFixed(1)},${py(p[1]).toFixed(1)}`).join("") + (closed ? "Z" : "");
  }
  return d;
}

function drawMap(r, world) {
  const map = $("#map");
  const sites = r.sites.filter((s) => s.lat !== null && s.lon !== null);
  const W = 1000, H = 560, pad = 40;
  map.setAttribute("viewBox", `0 0 ${W} ${H}`);
  map.replaceChildren();
  if (!sites.length) {
    map.append(Object.assign(svg("text", { x: 20, y: 40 }), { textContent: "no site has coordinates (lat, lon in sites.csv)" }));
    return;
  }
  // equirectangular projection about the mean latitude, fitted to the box
  const lat0 = sites.reduce((a, s) => a + s.lat, 0) / sites.length;
  const k = Math.cos(lat0 * Math.PI / 180);
  const xs = sites.map((s) => s.lon * k), ys = sites.map((s) => -s.lat);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const scale = Math.min((W - 2 * pad) / Math.max(x1 - x0, 1e-6), (H - 2 * pad) / Math.max(y1 - y0, 1e-6));
  const ox = (W - scale * (x1 - x0)) / 2, oy = (H - scale * (y1 - y0)) / 2;
  const px = (lon) => ox + scale * (lon * k - x0);
  const py = (lat) => oy + scale * (-lat - y0);
  const at = Object.fromEntries(sites.map((s) => [s.id, [px(s.lon), py(s.lat)]]));

  if (world) {
    map.append(svg("path", { class: "land", d: outlinePath(world.land, px, py, true) }));
    map.append(svg("path", { class: "border", d: outlinePath(world.borders, px, py, false) }));
  }
  const grid = svg("g");
  const latLo = Math.floor(-y1 / 5) * 5, latHi = Math.ceil(-y0 / 5) * 5;
  const lonLo = Math.floor(x0 / k / 5) * 5, lonHi = Math.ceil(x1 / k / 5) * 5;
  for (let lat = latLo; lat <= latHi; lat += 5) {
    grid.append(svg("line", { class: "grid-line", x1: 0, x2: W, y1: py(lat), y2: py(lat) }));
    grid.append(Object.assign(svg("text", { class: "grid-label", x: 4, y: py(lat) - 3 }), { textContent: `${lat}°` }));
  }
  for (let lon = lonLo; lon <= lonHi; lon += 5) {
    grid.append(svg("line", { class: "grid-line", x1: px(lon), x2: px(lon), y1: 0, y2: H }));
    grid.append(Object.assign(svg("text", { class: "grid-label", x: px(lon) + 3, y: H - 4 }), { textContent: `${lon}°` }));
  }
  map.append(grid);

  const maxFlow = Math.max(1, ...r.lanes.map((l) => l.flow || 0));
  const lanes = svg("g");
  for (const l of r.lanes) {
    const a = at[l.origin], b = at[l.destination];
    if (!a || !b) continue;
    const used = (l.flow || 0) > 0;
    const line = svg("line", { class: `lane${used ? "" : " idle"}`, x1: a[0], y1: a[1], x2: b[0], y2: b[1],
      "stroke-width": used ? (0.6 + 4 * Math.sqrt(l.flow / maxFlow)).toFixed(2) : 0.6 });
    line.append(Object.assign(svg("title"), { textContent:
      `${l.origin} → ${l.destination}${l.mode ? ` (${l.mode})` : ""}: ${num(l.flow || 0, 0)} units planned, ` +
      `${num(l.cost_per_unit)} ${state.currency}/unit, ${num(l.lead_time_days)} days` }));
    lanes.append(line);
  }
  map.append(lanes);

  const order = { customer: 0, supplier: 1, dc: 2, plant: 3 };
  const dots = svg("g");
  for (const s of [...sites].sort((a, b) => (order[a.kind] ?? 0) - (order[b.kind] ?? 0))) {
    const [x, y] = at[s.id];
    const radius = { customer: 4, supplier: 6, dc: 8, plant: 9 }[s.kind] || 5;
    const c = svg("circle", { class: `site${s.status === "candidate" ? " candidate" : ""}`, cx: x, cy: y,
      r: radius, fill: KIND_COLORS[s.kind] || "#777", "data-site": s.id, tabindex: 0 });
    c.append(Object.assign(svg("title"), { textContent: `${s.id} · ${s.kind}${s.name ? ` · ${s.name}` : ""}` +
      `${s.status === "candidate" ? " (candidate)" : ""}` }));
    c.addEventListener("click", () => showSite(s, r, c));
    c.addEventListener("keydown", (e) => { if (e.key === "Enter") showSite(s, r, c); });
    dots.append(c);
    if (s.kind !== "customer") {
      dots.append(Object.assign(svg("text", { class: "site-label", x: x + radius + 2, y: y + 3 }), { textContent: s.id }));
    }
  }
  map.append(dots);

  const kinds = [...new Set(r.sites.map((s) => s.kind))];
  $("#map-legend").replaceChildren(...kinds.map((k) =>
    el("span", {}, el("i", { class: `kind-${k}` }), `${k} (${r.sites.filter((s) => s.kind === k).length})`)),
  el("span", { class: "hint", text: "line width: units planned on the lane; dashed: unused; dashed circle: candidate site" }));
}

function showSite(site, r, dot) {
  for (const d of document.querySelectorAll("#map .site.selected")) d.classList.remove("selected");
  dot.classList.add("selected");
  const t = (r.site_tables && r.site_tables[site.id]) || {};
  const panel = $("#site-panel");
  const parts = [el("h3", {}, site.id, " ", el("small", { text: `${site.kind}${site.name ? ` · ${site.name}` : ""}` })),
    el("p", { class: "hint", text: [site.region && `region ${site.region}`, site.status,
      `${site.lat}, ${site.lon}`].filter(Boolean).join(" · ") })];
  const section = (title, head, rows) => {
    parts.push(el("h3", { text: title }));
    if (!rows.length) { parts.push(el("p", { class: "hint", text: "none" })); return; }
    const tb = el("table", { "data-table": title.toLowerCase() });
    table(tb, head, rows);
    parts.push(el("div", { class: "table-box" }, tb));
  };
  section("Capacity", ["item", { label: "per period", num: true }, "unit"],
    (t.capacity || []).map((c) => el("tr", {}, cells([c.item, c.per_period === null ? "unlimited" : num(c.per_period), c.unit], [1]))));
  section("Inventory", ["product", { label: "on hand", num: true }, { label: "safety stock", num: true }],
    (t.inventory || []).map((c) => el("tr", {}, cells([c.product, num(c.on_hand), num(c.safety_stock)], [1, 2]))));
  section("Demand", ["product", { label: "total", num: true }, { label: "per week (min–max)", num: true }],
    (t.demand || []).map((d) => el("tr", {}, cells([d.product, num(d.total, 0),
      d.per_period && d.per_period.length ? `${num(Math.min(...d.per_period), 0)}–${num(Math.max(...d.per_period), 0)}` : "–"], [1, 2]))));
  panel.replaceChildren(...parts);
}

// ------------------------------------------------------------------ plan view

function chart(id, config) {
  if (state.charts[id]) state.charts[id].destroy();
  config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options || {});
  state.charts[id] = new Chart(document.getElementById(id), config);
  return state.charts[id];
}

async function loadPlan() {
  const r = await planReport();
  $("#plan-title").textContent = `version ${r.plan_version_id} · ${r.name || r.network}`;
  const total = Object.values(r.costs || {}).reduce((a, b) => a + b, 0);
  const kpis = [["status", r.status || "–"], ["objective", money(r.objective)],
    ["gap", r.gap === null || r.gap === undefined ? "–" : pct(r.gap)], ["cost, all categories", money(total)],
    ["periods", `${r.dates.length} ${r.bucket}s from ${r.dates[0] || "–"}`]];
  $("#plan-kpis").replaceChildren(...kpis.map(([k, v]) => el("div", {}, el("dt", { text: k }), el("dd", { text: v }))));

  const labels = r.dates.map((d) => d.slice(5));
  const plants = Object.keys(r.production || {}).sort();
  const select = $("#plan-plant");
  select.replaceChildren(...plants.map((p) => el("option", { value: p, text: p })));
  const drawPlant = () => {
    const p = r.production[select.value];
    if (!p) return;
    chart("chart-production", { data: { labels, datasets: [
      { type: "bar", label: "hours used", data: p.used_hours, backgroundColor: "#d35400aa", order: 2 },
      { type: "line", label: "hours available", data: p.available_hours, borderColor: "#17202c",
        backgroundColor: "#17202c", stepped: "middle", pointRadius: 0, borderWidth: 2, order: 1 },
      { type: "line", label: "units made", data: p.quantity, borderColor: "#1f6feb", yAxisID: "units",
        pointRadius: 2, borderWidth: 1, borderDash: [4, 3], order: 0 }] },
    options: { scales: { y: { title: { display: true, text: "hours" }, beginAtZero: true },
      units: { position: "right", title: { display: true, text: "units" }, beginAtZero: true, grid: { drawOnChartArea: false } } },
    interaction: { mode: "index", intersect: false } } });
  };
  select.onchange = drawPlant;
  drawPlant();

  const dcs = Object.keys(r.inventory || {}).sort();
  chart("chart-inventory", { type: "line", data: { labels, datasets: dcs.map((d, i) => ({
    label: d, data: r.inventory[d], borderColor: SERIES[i % SERIES.length], backgroundColor: SERIES[i % SERIES.length],
    pointRadius: 0, borderWidth: 2 })) },
  options: { scales: { y: { beginAtZero: true, title: { display: true, text: "units" } } },
    interaction: { mode: "index", intersect: false } } });

  const costs = Object.entries(r.costs || {}).filter(([, v]) => Math.abs(v) > 1e-9).sort((a, b) => b[1] - a[1]);
  chart("chart-costs", { type: "bar", data: { labels: costs.map(([k]) => k.replace(/_/g, " ")),
    datasets: [{ label: state.currency, data: costs.map(([, v]) => v), backgroundColor: "#1f6febcc" }] },
  options: { indexAxis: "y", plugins: { legend: { display: false },
    tooltip: { callbacks: { label: (c) => money(c.parsed.x) } } } } });

  const b = r.bottlenecks || [];
  const valued = b.some((x) => x.shadow_price !== null && x.shadow_price !== undefined);
  table($("#bottlenecks"), ["kind", "site", "item", "week of", { label: "used", num: true },
    { label: "available", num: true }, { label: "use", num: true },
    { label: `marginal value (${state.currency})`, num: true }],
  b.map((x) => el("tr", {}, cells([x.kind, x.site, x.item, x.date, num(x.used), num(x.available),
    pct(x.utilisation), x.shadow_price === null || x.shadow_price === undefined ? "–" : num(x.shadow_price)], [4, 5, 6, 7]))));
  $("#bottleneck-note").textContent = !b.length ? "No capacity is binding: the plan is limited by demand and cost alone."
    : valued ? "Marginal value: how much the plan's cost falls per extra unit (hour, unit of throughput) of that capacity in that week."
      : "Binding capacities; this plan has no marginal values (an integer plan solved without them).";
}

// ------------------------------------------------------------------ scenarios view

async function loadScenarios() {
  const [jobs, files] = await Promise.all([api("/v1/scenarios"), api("/v1/scenarios/files")]);
  renderJobs(jobs);
  const select = $("#scenario-file");
  const usable = files.filter((f) => f.name);
  select.replaceChildren(...usable.map((f) => el("option", { value: f.file, text: `${f.file} — ${f.description || f.name}` })));
  const pick = () => {
    const f = usable.find((x) => x.file === select.value);
    $("#scenario-text").value = f ? f.text : "";
  };
  select.onchange = pick;
  pick();
}

function kpi(job, name) {
  const k = job.result && job.result.kpis && job.result.kpis[name];
  return k ? k.mean : null;
}

function renderJobs(jobs, tick = []) {
  state.jobs = jobs;
  // ticked runs in the order they were ticked: the first is the baseline
  const done = new Set(jobs.filter((j) => j.status === "done").map((j) => j.id));
  state.ticked = [...new Set((state.ticked || []).concat(tick))].filter((id) => done.has(id));
  const was = new Set(state.ticked);
  const toggle = (ev) => {
    const id = ev.target.value;
    state.ticked = state.ticked.filter((x) => x !== id);
    if (ev.target.checked) state.ticked.push(id);
  };
  table($("#runs"), ["", "scenario", "status", "submitted", { label: "fill rate", num: true },
    { label: "in period", num: true }, { label: "total cost", num: true }],
  jobs.map((j) => el("tr", { "data-job": j.id },
    el("td", {}, el("input", { type: "checkbox", value: j.id, "aria-label": `compare ${j.scenario}`,
      disabled: j.status !== "done", checked: was.has(j.id), onchange: toggle })),
    el("td", { text: j.scenario, title: j.id }),
    el("td", {}, el("span", { class: `badge ${j.status}`, text: j.status, title: j.error || "" })),
    el("td", { text: (j.submitted_at || "").replace("T", " ").slice(0, 19) }),
    el("td", { class: "num", text: pct(kpi(j, "fill_rate")), title: "filled from stock on the day demanded" }),
    el("td", { class: "num", text: pct(kpi(j, "period_fill_rate")), title: "delivered within the period demanded (the plan's measure)" }),
    el("td", { class: "num", text: money(kpi(j, "total_cost")) }))));
  if (!jobs.length) {
    $("#runs tbody").append(el("tr", {}, el("td", { colspan: 7, class: "hint",
      text: "No runs yet: start one from a scenario file." })));
  }
}

async function compareTicked() {
  const ids = state.ticked || [];
  showError("scenarios", null);
  if (!ids.length) { showError("scenarios", "Tick at least one finished run."); return; }
  const q = ids.map((i) => `id=${encodeURIComponent(i)}`).join("&");
  $("#compare").disabled = true;
  try {
    const [c, html] = await Promise.all([api(`/v1/scenarios/compare?${q}`),
      api(`/v1/scenarios/compare/report?${q}`, { text: true })]);
    renderComparison(c);
    $("#report").srcdoc = html;
    $("#comparison").hidden = false;
    document.body.dataset.comparisonReady = "1";
  } catch (err) {
    showError("scenarios", err);
  } finally {
    $("#compare").disabled = false;
  }
}

function renderComparison(c) {
  state.currency = c.currency || state.currency;
  $("#comparison-title").textContent = `against ${c.baseline}; ${Math.round(100 * c.confidence)} % intervals of the ` +
    `difference${c.paired ? ", paired on common random numbers" : ""}`;
  const rows = c.rows.filter((x) => MAIN_KPIS.includes(x.kpi));
  const head = ["KPI", ...c.scenarios.map((s) => ({ label: s, num: true }))];
  const body = MAIN_KPIS.filter((k) => rows.some((x) => x.kpi === k)).map((k) => {
    const tds = c.scenarios.map((s) => {
      const x = rows.find((y) => y.kpi === k && y.scenario === s);
      if (!x) return el("td", { class: "num", text: "–" });
      const f = byUnit(x.unit);
      const base = s === c.baseline;
      const text = base ? f(x.value)
        : `${f(x.value)} (${signed(f, x.delta)}; ${signed(f, x.ci_low)} … ${signed(f, x.ci_high)})`;
      return el("td", { class: `num${x.better === true ? " better" : x.better === false ? " worse" : ""}`, text,
        title: base ? "baseline" : x.significant ? "the interval of the difference excludes 0" : "not significant" });
    });
    return el("tr", { "data-kpi": k }, el("td", { text: k.replace(/_/g, " ") }), tds);
  });
  table($("#kpi-table"), head, body);
  for (const n of c.notes || []) $("#kpi-table tbody").append(el("tr", {}, el("td", { colspan: head.length, class: "hint", text: n })));
}

async function runScenario(ev) {
  ev.preventDefault();
  showError("scenarios", null);
  const button = $("#run-scenario"), bar = $("#run-progress"), status = $("#run-status");
  button.disabled = true;
  let job;
  try {
    job = await api("/v1/scenarios", { method: "POST", body: $("#scenario-text").value, type: "application/yaml" });
  } catch (err) {
    button.disabled = false;
    showError("scenarios", err);
    return;
  }
  bar.hidden = false;
  bar.removeAttribute("value");
  status.textContent = `${job.scenario}: ${job.status}`;
  renderJobs(await api("/v1/scenarios"));
  if (state.polling) clearInterval(state.polling);
  const poll = async () => {
    let j;
    try { j = await api(`/v1/scenarios/${encodeURIComponent(job.id)}`); } catch (err) {
      clearInterval(state.polling); button.disabled = false; showError("scenarios", err); return;
    }
    const p = j.progress || {};
    if (p.total) { bar.max = p.total; bar.value = p.done || 0; } else bar.removeAttribute("value");
    status.textContent = `${j.scenario}: ${j.status}${p.phase ? ` · ${p.phase}` : ""}` +
      `${p.total ? ` ${p.done || 0}/${p.total}` : ""}`;
    if (j.status === "done" || j.status === "failed") {
      clearInterval(state.polling);
      state.polling = null;
      button.disabled = false;
      bar.hidden = true;
      if (j.status === "failed") showError("scenarios", `${j.scenario} failed: ${j.error}`);
      else status.textContent = `${j.scenario}: done in ${num(j.result && j.result.seconds)} s · fill rate ` +
        `${pct(kpi(j, "fill_rate"))} · total cost ${money(kpi(j, "total_cost"))}`;
      renderJobs(await api("/v1/scenarios"), j.status === "done" ? [j.id] : []);
      document.body.dataset.runFinished = j.status;
    }
  };
  state.polling = setInterval(poll, 1000);
}

// ------------------------------------------------------------------ promise view

async function loadPromise() {
  const c = await api("/v1/catalog");
  $("#customers").replaceChildren(...c.customers.map((x) => el("option", { value: x.id, text: x.name })));
  $("#products").replaceChildren(...c.products.map((x) => el("option", { value: x.id, text: x.name })));
  if (!$("#p-date").value) {
    const start = c.plan_start ? new Date(`${c.plan_start}T00:00:00Z`) : new Date();
    start.setUTCDate(start.getUTCDate() + 28);
    $("#p-date").value = start.toISOString().slice(0, 10);
  }
}

async function checkPromise(ev) {
  ev.preventDefault();
  showError("promise", null);
  const body = { customer: $("#p-customer").value.trim(), allow_partial: $("#p-partial").checked,
    lines: [{ product: $("#p-product").value.trim(), quantity: $("#p-quantity").value,
      requested_date: $("#p-date").value }] };
  const out = $("#promise-answer");
  $("#p-check").disabled = true;
  try {
    const a = await api("/v1/atp/check", { method: "POST", body });
    out.replaceChildren(...renderAnswer(a));
    if (a.fill !== "none") {
      const reserve = el("button", { type: "button", id: "p-promise",
        text: a.fill === "complete" ? "Promise it (reserve)" : "Promise what can be (reserve)" });
      reserve.addEventListener("click", () => makePromise(body, a, reserve));
      out.append(el("p", {}, reserve, el("span", { id: "p-promised", role: "status" })));
    }
    document.body.dataset.promiseAnswered = a.fill;
  } catch (err) {
    out.replaceChildren();
    showError("promise", err);
    document.body.dataset.promiseAnswered = "error";
  } finally {
    $("#p-check").disabled = false;
  }
}

async function makePromise(body, answer, button) {
  // what the check showed, reserved: a late or partial answer is accepted as such
  const asked = Object.assign({}, body, { allow_partial: body.allow_partial || answer.fill !== "complete" });
  button.disabled = true;
  showError("promise", null);
  try {
    const p = await api("/v1/promises", { method: "POST", body: asked,
      headers: { "Idempotency-Key": randomKey() } });
    const l = p.lines[0];
    $("#p-promised").textContent = ` promise ${p.id} ${p.status}: ${num(l.promised_quantity)} ${l.product} ` +
      `to ${p.customer} by ${l.date}`;
    document.body.dataset.promiseMade = String(p.id);
  } catch (err) {
    button.disabled = false;
    showError("promise", err);
  }
}

function renderAnswer(a) {
  const parts = [el("p", {}, el("span", { class: `badge ${a.fill}`, text: a.fill }),
    ` for ${a.customer}${a.tier ? ` (tier ${a.tier})` : ""}, plan version ${a.plan_version ?? "–"}, as of ${a.as_of}; nothing is reserved.`)];
  for (const line of a.lines) {
    parts.push(el("h3", { text: `${line.product}: ${num(line.promised_quantity)} of ${num(line.requested_quantity)} ` +
      `${line.date ? `by ${line.date}` : "— none can be promised"} (asked by ${line.requested_date})` }));
    if (line.promised.length) {
      const t = el("table", { class: "promised" });
      table(t, [{ label: "quantity", num: true }, "delivered", "ships", "from", "kind", "route"],
        line.promised.map((p) => el("tr", {}, cells([num(p.quantity), p.date, p.ship_date, p.source, p.kind, p.route], [0]))));
      parts.push(t);
    }
    parts.push(el("p", { class: "reason", text: line.reason }));
    if (line.alternatives.length) {
      parts.push(el("h3", { text: "Alternatives" }));
      const t = el("table", { class: "alternatives" });
      table(t, [{ label: "quantity", num: true }, "delivered", "from", "kind", "note"],
        line.alternatives.map((x) => el("tr", {}, cells([num(x.quantity), x.date, x.source, x.kind, x.note], [0]))));
      parts.push(t);
    }
  }
  return parts;
}

// ------------------------------------------------------------------ wiring

document.addEventListener("DOMContentLoaded", () => {
  $("#sign-in-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("#sign-in-error").textContent = "";
    try {
      await signIn($("#api-key").value.trim());
    } catch (err) {
      $("#sign-in-error").textContent = `Not signed in: ${err.message}`;
    }
  });
  $("#sign-out").addEventListener("click", () => signOut());
  for (const a of document.querySelectorAll("#tabs a")) {
    a.addEventListener("click", (ev) => { ev.preventDefault(); show(a.dataset.view); });
  }
  window.addEventListener("hashchange", () => show(location.hash.slice(1)));
  $("#compare").addEventListener("click", compareTicked);
  $("#new-run").addEventListener("submit", runScenario);
  $("#promise-form").addEventListener("submit", checkPromise);
  const key = sessionStorage.getItem(KEY);
  if (key) signIn(key).catch(() => signOut());
});

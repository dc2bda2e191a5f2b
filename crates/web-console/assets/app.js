// streamwatch console: a small single-page app over /console/api/*. No framework; uPlot draws
// the charts. Every page re-reads its view model each second while auto-refresh is on.
"use strict";

const main = document.getElementById("main");
const statusEl = document.getElementById("status");
const rangeEl = document.getElementById("range");
const autoEl = document.getElementById("auto");
const charts = new Map(); // panel key -> {plot, labels}
let timer = null;
let generation = 0;

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function svg(tag, attrs) {
  const e = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  return e;
}

function fmt(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return "–";
  const a = Math.abs(v);
  if (a >= 1e9) return (v / 1e9).toFixed(2) + "G";
  if (a >= 1e6) return (v / 1e6).toFixed(2) + "M";
  if (a >= 1e4) return (v / 1e3).toFixed(1) + "k";
  if (Number.isInteger(v)) return String(v);
  return v.toFixed(a >= 100 ? 0 : a >= 1 ? 2 : 3);
}

function rangeQuery() {
  if (rangeEl.value === "custom") {
    const from = Date.parse(document.getElementById("from").value);
    const to = Date.parse(document.getElementById("to").value);
    if (from && to && to > from) return `start=${Math.floor(from / 1000)}&end=${Math.floor(to / 1000)}`;
    return "range=3600";
  }
  return `range=${rangeEl.value}`;
}

async function api(path) {
  const resp = await fetch(path, { credentials: "same-origin", cache: "no-store" });
  const body = await resp.json().catch(() => ({ error: `HTTP ${resp.status}` }));
  if (!resp.ok) throw new Error(body.error || `HTTP ${resp.status}`);
  return body;
}

function route() {
  const hash = location.hash.replace(/^#/, "") || "/";
  const [path, query] = hash.split("?");
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  return { page: parts[0] || "overview", arg: parts.slice(1).join("/"), query: new URLSearchParams(query || "") };
}

function schedule() {
  clearTimeout(timer);
  if (autoEl.checked) timer = setTimeout(refresh, 1000);
}

async function refresh() {
  const gen = generation;
  const r = route();
  for (const a of document.querySelectorAll("nav a")) a.classList.toggle("active", a.dataset.nav === r.page || (r.page === "dashboard" && a.dataset.nav === "dashboards"));
  try {
    const pages = { overview, stream, function: fn, alarms, dashboards, dashboard, preview };
    const page = pages[r.page] || overview;
    await page(r, gen);
    if (gen === generation) {
      statusEl.textContent = "updated " + new Date().toLocaleTimeString();
      statusEl.className = "";
    }
  } catch (e) {
    if (gen === generation) {
      statusEl.textContent = String(e.message || e);
      statusEl.className = "bad";
    }
  }
  if (gen === generation) schedule();
}

function navigate() {
  generation++;
  for (const c of charts.values()) c.plot.destroy();
  charts.clear();
  main.replaceChildren(el("p", { class: "muted", text: "loading…" }));
  refresh();
}

// ---------- overview: the pipeline graph ----------

const COL_W = 230, NODE_W = 186, NODE_H = 58, ROW_H = 74;

async function overview(r, gen) {
  const m = await api("/console/api/overview");
  if (gen !== generation) return;
  const cols = new Map();
  for (const n of m.nodes) {
    if (!cols.has(n.column)) cols.set(n.column, []);
    cols.get(n.column).push(n);
  }
  const pos = new Map();
  let rows = 1;
  const preds = new Map();
  for (const e of m.edges) {
    if (!preds.has(e.to)) preds.set(e.to, []);
    preds.get(e.to).push(e.from);
  }
  // Left to right; each later column ordered by where its predecessors sit (fewer crossings).
  for (const c of [...cols.keys()].sort((a, b) => a - b)) {
    const list = cols.get(c);
    if (c >= 2) {
      const key = n => {
        const ys = (preds.get(n.id) || []).map(p => pos.get(p)).filter(p => p && p.x < 20 + c * COL_W).map(p => p.y);
        return ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : Infinity;
      };
      list.forEach((n, i) => { n._k = key(n); n._i = i; });
      list.sort((a, b) => (a._k - b._k) || (a._i - b._i));
    }
    rows = Math.max(rows, list.length);
    list.forEach((n, i) => pos.set(n.id, { x: 20 + c * COL_W, y: 40 + i * ROW_H }));
  }
  // Producers sit in the middle of the streams.
  const streams = cols.get(1) || [];
  if (pos.has("producers") && streams.length > 1) pos.get("producers").y = 40 + ((streams.length - 1) * ROW_H) / 2;
  const width = 20 + 5 * COL_W, height = 60 + rows * ROW_H;
  const g = svg("svg", { id: "graph", viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-label": "pipeline graph" });
  ["producers", "streams", "mappings", "functions", "destinations"].forEach((t, i) => {
    const h = svg("text", { x: 20 + i * COL_W, y: 22, class: "colhead" });
    h.textContent = t;
    g.append(h);
  });
  for (const e of m.edges) {
    const a = pos.get(e.from), b = pos.get(e.to);
    if (!a || !b) continue;
    let d;
    if (b.x > a.x) {
      const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2, mx = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
    } else {
      const x1 = a.x + NODE_W / 2, y1 = a.y + NODE_H, x2 = b.x + NODE_W / 2, y2 = b.y + NODE_H, low = Math.max(y1, y2) + 30;
      d = `M${x1},${y1} C${x1},${low} ${x2},${low} ${x2},${y2}`;
    }
    g.append(svg("path", { d, class: `edge edge-${e.kind}`, "data-from": e.from, "data-to": e.to }));
  }
  for (const n of m.nodes) {
    const p = pos.get(n.id);
    const node = svg("g", { class: `node kind-${n.kind} health-${n.health}`, "data-id": n.id, "data-health": n.health, transform: `translate(${p.x},${p.y})` });
    node.append(svg("rect", { width: NODE_W, height: NODE_H, rx: 8 }));
    const label = svg("text", { x: 10, y: 20, class: "label" });
    label.textContent = n.label.length > 24 ? n.label.slice(0, 23) + "…" : n.label;
    const t = svg("title", {});
    t.textContent = `${n.kind} ${n.label}\n${n.detail || ""}`;
    node.append(t, label);
    const rate = svg("text", { x: 10, y: 38, class: "rate" });
    rate.textContent = n.rate === null ? (n.detail || "") : `${fmt(n.rate)} ${n.unit}` + (n.errors ? ` · ${fmt(n.errors)} err/s` : "");
    node.append(rate);
    const detail = svg("text", { x: 10, y: 52, class: "detail" });
    detail.textContent = n.rate === null ? n.kind : (n.detail || "");
    node.append(detail);
    if (n.href) {
      const a = svg("a", { href: n.href });
      a.append(node);
      g.append(a);
    } else g.append(node);
  }
  const summary = el("p", { class: "muted" },
    `${m.nodes.filter(n => n.kind === "stream").length} streams · ${m.nodes.filter(n => n.kind === "function").length} functions · `,
    el("a", { href: "#/alarms", class: m.alarmsInAlarm ? "bad" : "", text: `${m.alarmsInAlarm} of ${m.alarms} alarms in ALARM` }),
    ` · ${m.local ? "embedded engine" : "AWS"} ${m.region} · rates over ${m.window} s`);
  const empty = m.nodes.length ? null : el("p", { class: "muted", text: "No streams or functions yet." });
  main.replaceChildren(...[el("h1", { text: "Pipeline" }), summary, el("div", { class: "graphwrap" }, g), empty].filter(Boolean));
}

// ---------- charts ----------

const COLORS = ["#1f6feb", "#d29922", "#2da44e", "#cf222e", "#8250df", "#0a7ea4", "#bf3989", "#57606a"];

function aligned(series, range) {
  const grid = [];
  if (range && range.period > 0 && (range.end - range.start) / range.period <= 2000) {
    for (let t = range.start; t < range.end; t += range.period) grid.push(t);
  }
  const ts = [...new Set(grid.concat(series.flatMap(s => s.t)))].sort((a, b) => a - b);
  const index = new Map(ts.map((t, i) => [t, i]));
  const cols = series.map(s => {
    const col = new Array(ts.length).fill(s.zero ? 0 : null);
    s.t.forEach((t, i) => { col[index.get(t)] = s.v[i]; });
    return col;
  });
  return [ts, ...cols];
}

function stackedData(data) {
  const out = [data[0]];
  let acc = new Array(data[0].length).fill(0);
  for (let i = 1; i < data.length; i++) {
    acc = acc.map((a, j) => a + (data[i][j] || 0));
    out.push(acc.slice());
  }
  return out;
}

function chartInto(box, key, title, unit, series, opts) {
  opts = opts || {};
  const labels = series.map(s => s.label).join("|") + (opts.stacked ? "|stacked" : "");
  let data = aligned(series, opts.range);
  if (opts.stacked) data = stackedData(data);
  const all = series.flatMap(s => s.v);
  const peak = all.length ? Math.max(...all) : null;
  const last = series.length && series[0].v.length ? series[0].v[series[0].v.length - 1] : null;
  let stats = box.querySelector(".stats");
  if (!stats) {
    stats = el("div", { class: "stats" });
    box.append(el("h3", { text: title }), stats);
  }
  stats.replaceChildren(
    "peak ", el("span", { class: "peak", text: fmt(peak) }),
    " · last ", el("span", { class: "last", text: fmt(last) }),
    unit ? ` ${unit}` : "");
  box.dataset.peak = peak === null ? "" : String(peak);
  const existing = charts.get(key);
  if (existing && existing.labels === labels && existing.box === box) {
    existing.range = opts.range;
    existing.plot.setData(data);
    return;
  }
  if (existing) existing.plot.destroy();
  const holder = box.querySelector(".plot") || el("div", { class: "plot" });
  box.append(holder);
  holder.replaceChildren();
  const width = Math.max(260, (box.clientWidth || 420) - 16);
  const y = {};
  if (opts.yAxis && opts.yAxis.left) {
    const l = opts.yAxis.left;
    y.range = (u, min, max) => [l.min ?? Math.min(0, min), l.max ?? max];
  }
  const plot = new uPlot({
    width, height: opts.height || 170,
    legend: { show: series.length > 1 },
    scales: { x: opts.range ? { time: true, range: () => { const r = (charts.get(key) || {}).range || opts.range; return [r.start, r.end]; } } : { time: true }, y },
    axes: [{}, { values: (u, vals) => vals.map(fmt), size: 56 }],
    series: [{}, ...series.map((s, i) => ({
      label: s.label, stroke: s.color || COLORS[i % COLORS.length], width: 1.5,
      fill: opts.stacked ? (s.color || COLORS[i % COLORS.length]) + "33" : undefined,
      points: { show: s.t.length < 3 && !s.zero },
    }))],
  }, data, holder);
  charts.set(key, { plot, labels, box, range: opts.range });
}

function panelGrid(panels, prefix, range) {
  let grid = main.querySelector(".panels");
  if (!grid) grid = el("div", { class: "panels" });
  for (const p of panels) {
    if (!p.series.length) continue;
    let box = grid.querySelector(`[data-panel="${p.id}"]`);
    if (!box) {
      box = el("section", { class: "panel", "data-panel": p.id });
      grid.append(box);
    }
    chartInto(box, prefix + p.id, p.title, p.unit === "Count" ? "" : p.unit, p.series, { range });
  }
  return grid;
}

function header(title, kind, facts) {
  return [el("h1", {}, el("span", { class: "kind", text: kind }), " ", title),
    el("dl", { class: "facts" }, ...facts.filter(f => f[1] !== null && f[1] !== undefined && f[1] !== "").flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: String(v) })]))];
}

// ---------- stream ----------

function shardMap(shards) {
  const wrap = el("div", { class: "shardmap" });
  const max = 2 ** 128;
  const table = el("table", {}, el("tr", {}, ...["shard", "hash range", "parents", "state"].map(h => el("th", { text: h }))));
  for (const s of shards) {
    const start = Number(s.start || 0), end = Number(s.end || 0);
    const bar = el("div", { class: "range" });
    const fill = el("div", { class: s.open ? "open" : "closed" });
    fill.style.marginLeft = (start / max * 100).toFixed(2) + "%";
    fill.style.width = Math.max(0.5, (end - start) / max * 100).toFixed(2) + "%";
    bar.append(fill);
    table.append(el("tr", { "data-shard": s.id },
      el("td", { text: s.id }),
      el("td", { title: `${s.start} – ${s.end}` }, bar),
      el("td", { text: [s.parent, s.adjacentParent].filter(Boolean).join(", ") || "–" }),
      el("td", { class: s.open ? "ok" : "muted", text: s.open ? "open" : "closed" })));
  }
  wrap.append(el("h2", { text: "Shards" }), table);
  return wrap;
}

async function stream(r, gen) {
  const m = await api(`/console/api/stream/${encodeURIComponent(r.arg)}?${rangeQuery()}`);
  if (gen !== generation) return;
  if (!main.querySelector(".panels")) {
    main.replaceChildren(...header(m.name, "stream", [["status", m.status], ["mode", m.mode], ["retention", m.retentionHours + " h"], ["open shards", m.openShards], ["enhanced monitoring", (m.enhancedMonitoring || []).join(", ") || "off"]]),
      panelGrid([], "s:"), el("div", { class: "shards" }));
  }
  panelGrid(m.panels, "s:", m.range);
  main.querySelector(".shards").replaceChildren(shardMap(m.shards));
}

// ---------- function ----------

async function fn(r, gen) {
  const m = await api(`/console/api/function/${encodeURIComponent(r.arg)}?${rangeQuery()}`);
  if (gen !== generation) return;
  if (!main.querySelector(".panels")) {
    main.replaceChildren(...header(m.name, "function", [["runtime", m.runtime], ["memory", m.memoryMb ? m.memoryMb + " MB" : ""], ["dead-letter queue", m.deadLetter]]),
      panelGrid([], "f:"), el("div", { class: "mappings" }), el("h2", { text: "Log (live tail)" }), el("div", { class: "logs" }));
  }
  panelGrid(m.panels, "f:", m.range);
  const t = el("table", {}, el("tr", {}, ...["mapping", "source", "state", "batch", "on failure"].map(h => el("th", { text: h }))));
  for (const x of m.mappings) t.append(el("tr", {}, el("td", { text: x.uuid }), el("td", { text: x.source_arn }), el("td", { text: x.state }), el("td", { text: x.batch_size ?? "–" }), el("td", { text: x.on_failure || "–" })));
  main.querySelector(".mappings").replaceChildren(el("h2", { text: "Event source mappings" }), m.mappings.length ? t : el("p", { class: "muted", text: "none" }));
  const logs = main.querySelector(".logs");
  const stick = logs.scrollTop + logs.clientHeight >= logs.scrollHeight - 4;
  logs.replaceChildren(...m.logs.map(l => el("div", { class: "line" + (l.message.startsWith("REPORT") ? " report" : "") },
    el("span", { class: "ts", text: new Date(l.t).toLocaleTimeString() }), " ", l.message)));
  if (!m.logs.length) logs.append(el("p", { class: "muted", text: "no log lines in this range" }));
  if (stick) logs.scrollTop = logs.scrollHeight;
}

// ---------- alarms ----------

function badge(state) {
  return el("span", { class: "badge state-" + state, text: state });
}

async function alarms(r, gen) {
  const m = await api("/console/api/alarms");
  if (gen !== generation) return;
  const t = el("table", { class: "alarms" }, el("tr", {}, ...["alarm", "state", "metric", "reason"].map(h => el("th", { text: h }))));
  for (const a of m.alarms) {
    const dims = a.dimensions.map(d => `${d[0]}=${d[1]}`).join(" ");
    t.append(el("tr", { "data-alarm": a.name, "data-state": a.state }, el("td", { text: a.name }), el("td", {}, badge(a.state)),
      el("td", { text: a.kind === "composite" ? a.metric : `${a.namespace} ${a.metric} ${dims} ${a.comparison} ${a.threshold ?? ""}` }),
      el("td", { class: "reason", text: a.reason })));
  }
  const h = el("table", { class: "history" }, el("tr", {}, ...["time", "alarm", "type", "summary"].map(x => el("th", { text: x }))));
  for (const x of m.history) h.append(el("tr", {}, el("td", { text: x.t ? new Date(x.t * 1000).toLocaleString() : "" }), el("td", { text: x.name }), el("td", { text: x.type }), el("td", { text: x.summary })));
  main.replaceChildren(el("h1", { text: "Alarms" }), m.alarms.length ? t : el("p", { class: "muted", text: "No alarms." }), el("h2", { text: "History" }), h);
}

// ---------- dashboards ----------

async function dashboards(r, gen) {
  const m = await api("/console/api/dashboards");
  if (gen !== generation) return;
  const list = el("ul", { class: "dashboards" }, ...m.dashboards.map(d => el("li", {}, el("a", { href: "#/dashboard/" + encodeURIComponent(d.name), text: d.name }))));
  main.replaceChildren(el("h1", { text: "Dashboards" }),
    m.dashboards.length ? list : el("p", { class: "muted nodash", text: "No dashboards." + (m.available ? "" : m.unsupported ? " (This endpoint does not serve the CloudWatch dashboards API yet.)" : " (" + m.message + ")") }));
}

function renderDashboard(m, prefix) {
  let grid = main.querySelector(".dash");
  if (!grid) {
    grid = el("div", { class: "dash" });
    main.replaceChildren(el("h1", {}, el("span", { class: "kind", text: "dashboard" }), " ", m.name), grid);
  }
  for (const w of m.widgets) {
    let box = grid.querySelector(`[data-widget="${w.index}"]`);
    if (!box) {
      box = el("section", { class: `widget widget-${w.type}`, "data-widget": String(w.index), "data-type": w.type, "data-view": w.view || "" });
      if (w.x !== null && w.x !== undefined) box.style.gridColumn = `${w.x + 1} / span ${w.width}`;
      else box.style.gridColumn = `span ${w.width}`;
      if (w.y !== null && w.y !== undefined) box.style.gridRow = `${w.y + 1} / span ${w.height}`;
      else box.style.gridRow = `span ${w.height}`;
      grid.append(box);
    }
    if (w.error) { box.replaceChildren(el("h3", { text: w.title }), el("p", { class: "bad", text: w.error })); continue; }
    if (w.type === "text") {
      if (!box.dataset.done) { box.innerHTML = w.html; box.dataset.done = "1"; } // sanitised server-side
    } else if (w.type === "alarm") {
      box.replaceChildren(el("h3", { text: w.title || "Alarms" }), ...w.alarms.map(a => el("div", { class: "alarmrow", "data-state": a.state }, badge(a.state), " ", a.name)));
    } else if (w.type === "metric") {
      const title = w.title || w.series.map(s => s.label).join(", ");
      if (w.view === "singleValue") {
        box.replaceChildren(el("h3", { text: title }), ...w.series.map(s => el("div", { class: "single" }, el("span", { class: "value", text: fmt(s.v.length ? s.v[s.v.length - 1] : null) }), el("span", { class: "muted", text: s.label }))));
      } else if (w.view === "bar" || w.view === "pie") {
        const vals = w.series.map(s => s.v.length ? s.v[s.v.length - 1] : 0);
        const max = Math.max(1e-9, ...vals);
        box.replaceChildren(el("h3", { text: title }), ...w.series.map((s, i) => {
          const bar = el("div", { class: "bar" });
          bar.style.width = (vals[i] / max * 100).toFixed(1) + "%";
          bar.style.background = s.color || COLORS[i % COLORS.length];
          return el("div", { class: "barrow" }, el("span", { class: "muted", text: s.label }), bar, el("span", { class: "value", text: fmt(vals[i]) }));
        }));
      } else {
        chartInto(box, prefix + w.index, title, "", w.series, { stacked: w.stacked, yAxis: w.yAxis, range: { start: m.range.start, end: m.range.end, period: w.period || m.range.period }, height: Math.max(120, w.height * 34 - 60) });
      }
      if (w.note) box.append(el("p", { class: "muted", text: w.note }));
    }
  }
}

async function dashboard(r, gen) {
  const m = await api(`/console/api/dashboard/${encodeURIComponent(r.arg)}?${rangeQuery()}`);
  if (gen === generation) renderDashboard(m, "d:");
}

async function preview(r, gen) {
  const body = r.query.get("body") || "{}";
  const m = await api(`/console/api/dashboard-preview?body=${encodeURIComponent(body)}&${rangeQuery()}`);
  if (gen === generation) renderDashboard(m, "p:");
}

// ---------- controls ----------

rangeEl.addEventListener("change", () => {
  document.getElementById("custom").hidden = rangeEl.value !== "custom";
  navigate();
});
for (const id of ["from", "to"]) document.getElementById(id).addEventListener("change", navigate);
autoEl.addEventListener("change", schedule);
window.addEventListener("hashchange", navigate);
navigate();

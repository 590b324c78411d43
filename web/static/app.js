// plc-web's page: one view per section, shown by the URL's hash (#overview,
// #tags, #alarms, #events, #trends, #regions, #operate). Tag values live from
// /api/stream and events from /api/events/stream (Server-Sent Events); the
// rest polled from the JSON API (docs/web.md). No libraries.
"use strict";

const VIEWS = ["overview", "tags", "alarms", "events", "trends", "regions", "operate"];
const TREND_MS = 5 * 60 * 1000;   // the trend chart's window
const TREND_STEP_MS = 100;        // at most one sample per tag this often
const EVENT_ROWS = 1000;          // rows kept in the events table

const rows = new Map();     // tag name -> its <tr>
const tagInfo = new Map();  // tag name -> its /api/tags entry
const samples = new Map();  // numeric tag name -> [[ms, value], ...], oldest first
const eventIds = new Set(); // events shown, by id

// ---- helpers ---------------------------------------------------------------------

function text(v) {
  if (v === null || v === undefined) return "-";
  return String(v);
}

function cell(tr, content, cls) {
  const td = document.createElement("td");
  td.textContent = content;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function marker(td, label, cls) {
  const span = document.createElement("span");
  span.className = "marker " + cls;
  span.textContent = label;
  td.appendChild(span);
}

async function getJSON(path) {
  const resp = await fetch(path);
  if (!resp.ok) throw new Error(path + ": " + resp.status);
  return resp.json();
}

// Run @fn now and every @ms, never two at once; a failure waits for the next turn.
function every(ms, fn) {
  let busy = false;
  const tick = async () => {
    if (busy) return;
    busy = true;
    try { await fn(); } catch (e) { /* the server is away: the status says so */ }
    busy = false;
  };
  tick();
  setInterval(tick, ms);
}

function duration(s) {
  if (s === null || s === undefined) return "-";
  s = Math.floor(s);
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
  const pad = (n) => String(n).padStart(2, "0");
  return (d ? d + "d " : "") + (d || h ? h + "h " : "") + pad(m) + "m " + pad(s % 60) + "s";
}

// ---- views -------------------------------------------------------------------------

function showView() {
  let name = location.hash.replace(/^#/, "");
  if (!VIEWS.includes(name)) name = "overview";
  for (const v of VIEWS) {
    const section = document.getElementById("view-" + v);
    if (section) section.hidden = v !== name;
  }
  for (const a of document.querySelectorAll("nav a"))
    a.classList.toggle("active", a.getAttribute("href") === "#" + name);
  if (name === "trends") drawTrend();
  // #tags and #regions also name their tables, which the browser would scroll to,
  // past the header and the nav: a view always opens at its top.
  requestAnimationFrame(() => window.scrollTo(0, 0));
}

// ---- overview ----------------------------------------------------------------------

async function loadServices() {
  const services = await getJSON("/api/services");
  const body = document.querySelector("#services tbody");
  const seen = new Set();
  for (const s of services) {
    let tr = body.querySelector(`tr[data-service="${CSS.escape(s.name)}"]`);
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.service = s.name;
      for (const cls of ["name", "state", "pid", "uptime", "restarts", "heartbeat", "regions"])
        cell(tr, "", cls);
      body.appendChild(tr);
    }
    seen.add(s.name);
    const set = (cls, v) => { tr.querySelector("td." + cls).textContent = v; };
    set("name", s.name);
    set("state", s.state);
    set("pid", text(s.pid));
    set("uptime", duration(s.uptime_s));
    set("restarts", text(s.restarts));
    set("heartbeat", s.heartbeat_age_s === null || s.heartbeat_age_s === undefined
      ? "-" : s.heartbeat_age_s.toFixed(3) + " s");
    set("regions", s.regions.join(", "));
    tr.className = "state-" + s.state.replace(/ /g, "-");
  }
  for (const tr of [...body.children]) if (!seen.has(tr.dataset.service)) tr.remove();
}

async function loadScan() {
  const scan = await getJSON("/api/scan");
  for (const el of document.querySelectorAll("#scan [data-stat]")) {
    const v = scan[el.dataset.stat];
    el.textContent = typeof v === "number" && !Number.isInteger(v) ? v.toFixed(3) : text(v);
  }
  const out = document.getElementById("outputs-state");
  out.textContent = scan.outputs;
  out.className = "outputs " + scan.outputs;
  document.getElementById("outputs-reason").textContent = scan.outputs_reason
    ? "(" + scan.outputs_reason + ")" : "";
  const tasks = document.getElementById("tasks");
  const body = tasks.querySelector("tbody");
  body.replaceChildren();
  for (const t of scan.tasks || []) {
    const tr = document.createElement("tr");
    tr.dataset.task = t.name;
    for (const v of [t.name, t.runs, t.scan_time_last_us, t.scan_time_mean_us, t.scan_time_max_us,
                     t.overruns])
      cell(tr, text(v));
    body.appendChild(tr);
  }
  tasks.hidden = !(scan.tasks && scan.tasks.length);
}

// ---- tags --------------------------------------------------------------------------

function isNumeric(t) {
  return t.type !== "bool";
}

function setValue(name, value, now) {
  const tr = rows.get(name);
  if (!tr) return;
  tr.querySelector("td.value").textContent = text(value);
  tr.classList.add("changed");
  setTimeout(() => tr.classList.remove("changed"), 400);
  if (samples.has(name) && typeof value === "number") {
    const s = samples.get(name);
    const last = s[s.length - 1];
    if (last && now - last[0] < TREND_STEP_MS) last[1] = value;
    else s.push([now, value]);
    while (s.length && s[0][0] < now - TREND_MS) s.shift();
  }
}

function applyFilter() {
  const f = document.getElementById("filter").value.trim().toLowerCase();
  const shown = new Map(); // region header row -> any row shown
  for (const [name, tr] of rows) {
    tr.hidden = f !== "" && !name.toLowerCase().includes(f);
    const head = tr.regionHeader;
    shown.set(head, shown.get(head) || !tr.hidden);
  }
  for (const [head, any] of shown) head.hidden = !any;
}

async function loadTags() {
  const tags = await getJSON("/api/tags");
  const body = document.querySelector("#tags tbody");
  body.replaceChildren();
  rows.clear();
  let region = null, header = null;
  for (const t of tags) {
    tagInfo.set(t.name, t);
    if (t.region !== region) {
      region = t.region;
      header = document.createElement("tr");
      header.className = "region";
      header.dataset.region = region;
      const th = document.createElement("th");
      th.colSpan = 7;
      th.textContent = region;
      header.appendChild(th);
      body.appendChild(header);
    }
    const tr = document.createElement("tr");
    tr.dataset.tag = t.name;
    tr.regionHeader = header;
    cell(tr, t.name, "name").title = t.description || "";
    cell(tr, text(t.value), "value");
    cell(tr, t.unit, "unit");
    cell(tr, t.type, "type");
    cell(tr, t.modbus ? t.modbus.reference : "", "modbus1");
    cell(tr, t.modbus ? t.modbus.table + " " + t.modbus.address : "", "modbus0");
    cell(tr, "", "markers");
    body.appendChild(tr);
    rows.set(t.name, tr);
    if (isNumeric(t) && !samples.has(t.name)) samples.set(t.name, []);
  }
  setMarkers(tags);
  applyFilter();
  fillTrendSelect(tags);
}

function setMarkers(tags) {
  for (const t of tags) {
    const tr = rows.get(t.name);
    if (!tr) continue;
    const td = tr.querySelector("td.markers");
    const want = (t.forced ? "F" : "") + (t.retained ? "R" : "");
    if (td.dataset.want === want) continue;
    td.dataset.want = want;
    td.replaceChildren();
    if (t.forced) marker(td, "FORCED", "forced");
    if (t.retained) marker(td, "RETAIN", "retained");
  }
}

async function refreshMarkers() {
  setMarkers(await getJSON("/api/tags"));
}

function stream() {
  const status = document.getElementById("status");
  const es = new EventSource("/api/stream");
  es.addEventListener("snapshot", (e) => {
    const now = Date.now();
    for (const [name, v] of Object.entries(JSON.parse(e.data).tags)) setValue(name, v, now);
  });
  es.addEventListener("change", (e) => {
    const now = Date.now();
    for (const [name, v] of Object.entries(JSON.parse(e.data).changes)) setValue(name, v, now);
  });
  es.onopen = () => { status.textContent = "live"; status.className = "status live"; };
  es.onerror = () => { status.textContent = "connection lost, retrying"; status.className = "status lost"; };
}

// ---- alarms ------------------------------------------------------------------------

async function loadAlarms() {
  const alarms = await getJSON("/api/alarms");
  const body = document.querySelector("#alarms-table tbody");
  body.replaceChildren();
  for (const a of alarms) {
    const tr = document.createElement("tr");
    tr.dataset.alarm = a.name;
    tr.className = "alarm-" + text(a.state);
    cell(tr, a.name, "name").title = a.tag + " (" + a.kind + ")";
    cell(tr, text(a.state), "state");
    cell(tr, text(a.acked), "acked");
    cell(tr, a.shelved ? "until " + a.shelved.until + " (" + a.shelved.by + ")" : "", "shelved");
    cell(tr, a.severity, "severity");
    cell(tr, text(a.value), "value");
    cell(tr, text(a.limit), "limit");
    cell(tr, a.message, "message");
    body.appendChild(tr);
  }
}

// ---- events ------------------------------------------------------------------------

function eventRow(ev) {
  const tr = document.createElement("tr");
  tr.dataset.event = ev.id;
  tr.className = "severity-" + ev.severity;
  cell(tr, ev.time.replace("T", " "), "time");
  cell(tr, ev.source, "source");
  cell(tr, ev.severity, "severity");
  cell(tr, ev.kind, "kind");
  cell(tr, text(ev.name), "name");
  cell(tr, "before" in ev ? ev.before + " → " + ev.after : "-", "values");
  cell(tr, (ev.lost ? "(" + ev.lost + " lost before) " : "") + ev.text, "text");
  return tr;
}

function matchesEventFilter(tr) {
  const f = document.getElementById("events-filter").value.trim().toLowerCase();
  return f === "" || tr.textContent.toLowerCase().includes(f);
}

// Put @list (oldest first) at the top of the table, newest first.
function addEvents(list) {
  const body = document.querySelector("#events-table tbody");
  let alarm = false;
  for (const ev of list) {
    if (eventIds.has(ev.id)) continue;
    eventIds.add(ev.id);
    const tr = eventRow(ev);
    tr.hidden = !matchesEventFilter(tr);
    body.prepend(tr);
    alarm ||= ev.kind.startsWith("alarm-");
  }
  while (body.children.length > EVENT_ROWS) {
    eventIds.delete(body.lastElementChild.dataset.event);
    body.lastElementChild.remove();
  }
  return alarm;
}

function applyEventsFilter() {
  for (const tr of document.querySelectorAll("#events-table tbody tr"))
    tr.hidden = !matchesEventFilter(tr);
}

async function followEvents() {
  // The tail first, so nothing falls between the history and it; ids drop repeats.
  const es = new EventSource("/api/events/stream");
  es.addEventListener("event", (e) => {
    if (addEvents([JSON.parse(e.data)])) loadAlarms().catch(() => {});
  });
  const history = await getJSON("/api/events?limit=500");
  addEvents(history.events);
}

// ---- trends ------------------------------------------------------------------------

function fillTrendSelect(tags) {
  const select = document.getElementById("trend-tag");
  const keep = select.value;
  select.replaceChildren();
  for (const t of tags.filter(isNumeric)) {
    const o = document.createElement("option");
    o.value = o.textContent = t.name;
    select.appendChild(o);
  }
  if (keep && samples.has(keep)) select.value = keep;
  else if (samples.has("tank_level")) select.value = "tank_level";
}

function drawTrend() {
  const canvas = document.getElementById("trend-chart");
  if (document.getElementById("view-trends").hidden) return;
  const ctx = canvas.getContext("2d");
  const name = document.getElementById("trend-tag").value;
  const w = canvas.width, h = canvas.height, left = 70, right = 10, top = 10, bottom = 30;
  const now = Date.now(), s = samples.get(name) || [];
  ctx.clearRect(0, 0, w, h);
  ctx.font = "12px sans-serif";
  ctx.fillStyle = "#222";
  ctx.strokeStyle = "#bbb";
  ctx.strokeRect(left, top, w - left - right, h - top - bottom);
  ctx.fillText("-5 min", left, h - 10);
  ctx.fillText("now", w - right - 24, h - 10);
  // What is drawn, for a test or a person's devtools to read without the pixels.
  canvas.dataset.tag = name;
  canvas.dataset.samples = s.length;
  if (!s.length) {
    ctx.fillText("no samples yet", left + 10, top + 20);
    return;
  }
  let lo = Infinity, hi = -Infinity;
  for (const [, v] of s) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
  if (lo === hi) { lo -= 1; hi += 1; }
  Object.assign(canvas.dataset, { last: s[s.length - 1][1], min: lo, max: hi });
  const unit = (tagInfo.get(name) || {}).unit || "";
  ctx.fillText(hi.toPrecision(4) + " " + unit, 4, top + 10);
  ctx.fillText(lo.toPrecision(4) + " " + unit, 4, h - bottom);
  const x = (t) => left + (w - left - right) * (1 - (now - t) / TREND_MS);
  const y = (v) => top + (h - top - bottom) * (1 - (v - lo) / (hi - lo));
  ctx.strokeStyle = "#2a6fdb";
  ctx.lineWidth = 2;
  ctx.beginPath();
  // A value holds until the next one: steps, and the last one up to now.
  ctx.moveTo(x(Math.max(s[0][0], now - TREND_MS)), y(s[0][1]));
  for (let i = 1; i < s.length; i++) {
    ctx.lineTo(x(s[i][0]), y(s[i - 1][1]));
    ctx.lineTo(x(s[i][0]), y(s[i][1]));
  }
  ctx.lineTo(x(now), y(s[s.length - 1][1]));
  ctx.stroke();
}

// ---- regions -----------------------------------------------------------------------

async function loadRegions() {
  const regions = await getJSON("/api/regions");
  const body = document.querySelector("#regions tbody");
  body.replaceChildren();
  for (const r of regions) {
    const tr = document.createElement("tr");
    tr.dataset.region = r.region;
    for (const v of [r.region, r.writer, r.writer_pid, r.writer_alive, r.seq, r.epoch,
                     r.heartbeat_age_s, r.readers, r.status])
      cell(tr, text(v));
    body.appendChild(tr);
  }
}

// ---- start -------------------------------------------------------------------------

async function main() {
  window.addEventListener("hashchange", showView);
  showView();
  document.getElementById("filter").addEventListener("input", applyFilter);
  document.getElementById("events-filter").addEventListener("input", applyEventsFilter);
  document.getElementById("trend-tag").addEventListener("change", drawTrend);
  const layout = await getJSON("/api/layout");
  document.getElementById("layout").textContent = layout.name + " v" + layout.version;
  await loadTags();
  stream();
  every(2000, loadServices);
  every(1000, loadScan);
  every(2000, loadAlarms);
  every(2000, refreshMarkers);
  every(2000, loadRegions);
  setInterval(drawTrend, 500);
  await followEvents();
}

main().catch((e) => {
  const status = document.getElementById("status");
  status.textContent = "cannot load: " + e.message;
  status.className = "status lost";
});

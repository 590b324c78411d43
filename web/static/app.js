// plc-web's page: the tags table from /api/tags, kept live by /api/stream
// (Server-Sent Events); the regions table from /api/regions. No libraries.
"use strict";

const rows = new Map(); // tag name -> its <tr>

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

function setValue(name, value) {
  const tr = rows.get(name);
  if (!tr) return;
  tr.querySelector("td.value").textContent = text(value);
  tr.classList.add("changed");
  setTimeout(() => tr.classList.remove("changed"), 400);
}

function applyFilter() {
  const f = document.getElementById("filter").value.trim().toLowerCase();
  for (const [name, tr] of rows) tr.hidden = f !== "" && !name.toLowerCase().includes(f);
}

async function loadTags() {
  const tags = await (await fetch("/api/tags")).json();
  const body = document.querySelector("#tags tbody");
  body.replaceChildren();
  rows.clear();
  for (const t of tags) {
    const tr = document.createElement("tr");
    cell(tr, t.region);
    cell(tr, t.name).title = t.description || "";
    cell(tr, text(t.value), "value");
    cell(tr, t.unit);
    cell(tr, t.type);
    cell(tr, t.modbus ? t.modbus.reference : "");
    cell(tr, t.modbus ? t.modbus.table + " " + t.modbus.address : "");
    const marks = cell(tr, "");
    if (t.forced) marker(marks, "FORCED", "forced");
    if (t.retained) marker(marks, "RETAIN", "retained");
    body.appendChild(tr);
    rows.set(t.name, tr);
  }
  applyFilter();
}

async function loadRegions() {
  const regions = await (await fetch("/api/regions")).json();
  const body = document.querySelector("#regions tbody");
  body.replaceChildren();
  for (const r of regions) {
    const tr = document.createElement("tr");
    for (const v of [r.region, r.writer, r.writer_pid, r.writer_alive, r.seq, r.epoch,
                     r.heartbeat_age_s, r.readers, r.status])
      cell(tr, text(v));
    body.appendChild(tr);
  }
}

function stream() {
  const status = document.getElementById("status");
  const es = new EventSource("/api/stream");
  es.addEventListener("snapshot", (e) => {
    for (const [name, v] of Object.entries(JSON.parse(e.data).tags)) setValue(name, v);
  });
  es.addEventListener("change", (e) => {
    for (const [name, v] of Object.entries(JSON.parse(e.data).changes)) setValue(name, v);
  });
  es.onopen = () => { status.textContent = "live"; status.className = "status live"; };
  es.onerror = () => { status.textContent = "connection lost, retrying"; status.className = "status lost"; };
}

async function main() {
  const layout = await (await fetch("/api/layout")).json();
  document.getElementById("layout").textContent = layout.name + " v" + layout.version;
  document.getElementById("filter").addEventListener("input", applyFilter);
  await loadTags();
  stream();
  await loadRegions();
  setInterval(loadRegions, 2000);
}

main();

// plc-web's login and operator panel (docs/web.md): renders into #session
// (log in / who is logged in) and #view-operate (parameters, commands, alarm
// acknowledge, and for engineers force and unforce). Every write sends the
// session's CSRF token; every answer, good or bad, is shown, never thrown.
"use strict";

const op = { session: { user: null }, info: null, forces: [] };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "text") e.textContent = v;
    else if (k.startsWith("data-")) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c);
  return e;
}

// One request: {status, body} for every answer; status 0 when the server is not reached.
async function call(method, path, body) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && op.session.csrf) headers["X-CSRF-Token"] = op.session.csrf;
  try {
    const r = await fetch(path, {
      method, headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    let obj = null;
    try { obj = await r.json(); } catch (e) { obj = null; }
    return { status: r.status, body: obj };
  } catch (e) {
    return { status: 0, body: { error: "plc-web is not reachable" } };
  }
}

function message(r) {
  return r.body && r.body.error ? r.body.error : "HTTP " + r.status;
}

function show(id, text, ok) {
  const e = document.getElementById(id);
  if (!e) return;
  e.textContent = text;
  e.className = ok ? "ok" : "error";
}

async function loadSession() {
  const r = await call("GET", "/api/session");
  op.session = r.status === 200 && r.body ? r.body : { user: null, logins: false };
}

function can(role) {
  const rank = { viewer: 1, operator: 2, engineer: 3 };
  return op.session.user && rank[op.session.role] >= rank[role];
}

function renderSession() {
  const box = document.getElementById("session");
  if (!box) return;
  box.replaceChildren();
  if (op.session.user) {
    box.append(el("span", { id: "session-user", text: `${op.session.user} (${op.session.role})` }),
               " ", el("button", { id: "logout", type: "button", text: "Log out", onclick: logout }));
    return;
  }
  const form = el("form", { id: "login-form" },
    el("input", { id: "login-user", placeholder: "user", autocomplete: "username" }), " ",
    el("input", { id: "login-password", type: "password", placeholder: "password",
                  autocomplete: "current-password" }), " ",
    el("button", { id: "login-submit", type: "submit", text: "Log in" }), " ",
    el("span", { id: "login-error" }));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); login(); });
  box.append(form);
  if (op.session.logins === false) show("login-error", "logins are off (no users file)", false);
}

async function login() {
  const user = document.getElementById("login-user").value;
  const password = document.getElementById("login-password").value;
  const r = await call("POST", "/api/login", { user, password });
  if (r.status !== 200) {
    show("login-error", message(r), false);
    return;
  }
  op.session = r.body;
  await refresh();
}

async function logout() {
  await call("POST", "/api/logout");
  op.session = { user: null };
  await refresh();
}

// The answer of a write into #operate-result (and @also); a lost session logs out.
async function report(r, what, also) {
  const ok = r.status === 200;
  const text = ok ? what(r.body) : message(r);
  show("operate-result", text, ok);
  if (also) show(also, text, ok);
  if (r.status === 401) {
    await loadSession();
    renderSession();
    renderOperate();
    show("operate-result", text, false);
  }
}

function paramForm() {
  const select = el("select", { id: "param-tag" });
  for (const p of op.info.parameters) {
    const unit = p.unit ? " " + p.unit : "";
    select.append(el("option", { value: p.name, text: `${p.name} (${p.min} to ${p.max}${unit})` }));
  }
  const form = el("form", { id: "param-form" }, el("h3", { text: "Parameter" }), select, " ",
    el("input", { id: "param-value", placeholder: "value", size: 10 }), " ",
    el("button", { id: "param-submit", type: "submit", text: "Set" }), " ",
    el("span", { id: "param-result" }));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const name = select.value;
    const r = await call("POST", "/api/tags/" + encodeURIComponent(name),
                         { value: document.getElementById("param-value").value });
    await report(r, (b) => `${b.tag}: ${b.before} -> ${b.value}`, "param-result");
  });
  return form;
}

function commandButtons() {
  const box = el("div", { id: "commands" }, el("h3", { text: "Commands" }));
  for (const name of op.info.commands) {
    const b = el("button", { type: "button", text: name, "data-command": name });
    b.addEventListener("click", async () => {
      const r = await call("POST", "/api/commands/" + encodeURIComponent(name));
      await report(r, (o) => `${o.command} sent (counter ${o.counter})` +
                   (o.acknowledged ? ", acknowledged" : ""));
    });
    box.append(b, " ");
  }
  if (op.info.alarm_ack) {
    const b = el("button", { id: "alarm-ack", type: "button", text: "Acknowledge alarms" });
    b.addEventListener("click", async () => {
      const r = await call("POST", "/api/alarms/ack");
      await report(r, (o) => `alarms acknowledged (${o.command} ${o.counter})`);
    });
    box.append(b);
  }
  return box;
}

function forceForm() {
  const select = el("select", { id: "force-tag" });
  for (const name of op.info.forcible) select.append(el("option", { value: name, text: name }));
  const form = el("form", { id: "force-form" }, el("h3", { text: "Force (engineers)" }), select, " ",
    el("input", { id: "force-value", placeholder: "value", size: 8 }), " for ",
    el("input", { id: "force-for", value: "10min", size: 6 }), " ",
    el("button", { id: "force-submit", type: "submit", text: "Force" }));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const r = await call("POST", "/api/forces/" + encodeURIComponent(select.value), {
      value: document.getElementById("force-value").value,
      for: document.getElementById("force-for").value,
    });
    await report(r, (o) => `${o.tag} FORCED to ${o.value}`);
    if (r.status === 200) await loadForces();
  });
  const list = el("ul", { id: "forced" });
  for (const f of op.forces) {
    const b = el("button", { type: "button", text: "Unforce", "data-unforce": f.tag });
    b.addEventListener("click", async () => {
      const r = await call("DELETE", "/api/forces/" + encodeURIComponent(f.tag));
      await report(r, (o) => `${o.tag} released`);
      await loadForces();
    });
    list.append(el("li", {}, `${f.tag} = ${f.value} by ${f.by} `, b));
  }
  return el("div", {}, form, list);
}

async function loadForces() {
  const r = await call("GET", "/api/forces");
  op.forces = r.status === 200 && Array.isArray(r.body) ? r.body : [];
  const result = document.getElementById("operate-result");
  const keep = result ? [result.textContent, result.className] : null;
  renderOperate();
  if (keep) show("operate-result", keep[0], keep[1] === "ok");
}

function renderOperate() {
  const view = document.getElementById("view-operate");
  if (!view) return;
  view.replaceChildren(el("h2", { text: "Operate" }));
  if (!can("operator") || !op.info) {
    view.append(el("p", { text: op.session.user
      ? "Your role is read only."
      : "Log in as an operator to set parameters and send commands." }));
    return;
  }
  view.append(paramForm(), commandButtons());
  if (can("engineer")) view.append(forceForm());
  view.append(el("p", { id: "operate-result" }));
}

async function refresh() {
  await loadSession();
  if (op.session.user && !op.info) {
    const r = await call("GET", "/api/operate");
    if (r.status === 200) op.info = r.body;
  }
  op.forces = [];
  renderSession();
  renderOperate();
  if (can("engineer")) await loadForces();
}

refresh();

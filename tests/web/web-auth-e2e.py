#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plc-web's logins and operator writes end to end, over real HTTP with a
plain client: the demo PLC runs examples/motor.c (plc-shm-init, plc-io on the
sim backend, plc-logic), plc-modbus listens on a free port and plc-web writes
through it, with users made by `plc-web user add`. Checks login (good, bad,
rate limited), session and logout, each write (a parameter read back with
mbpoll, a command acknowledged, the alarms acknowledged, force and unforce)
and each refusal (401, 403 CSRF and role, 404, 405, 413, 422, 400), the
events naming the user, and a login over TLS. Every wait is for a state.
usage: web-auth-e2e.py BUILD_DIR LAYOUT"""
import http.client
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time

build, layout = sys.argv[1], sys.argv[2]
svc = os.path.join(build, "services")
base = tempfile.mkdtemp(prefix="plc-web-auth-e2e-", dir="/dev/shm")
tmp = tempfile.mkdtemp(prefix="plc-web-auth-e2e-")
users = os.path.join(tmp, "web-users")
env = dict(os.environ, RASPIPLC_BASE_DIR=base, RASPIPLC_LAYOUT=layout)
env.pop("RASPIPLC_IO_BACKEND", None)
procs = []
failures = 0
port = None


def check(what, ok, detail=""):
    global failures
    if ok:
        print(f"ok: {what}")
    else:
        failures += 1
        print(f"FAIL: {what}: {detail}")


def spawn(name, *args, stdout=None):
    log = open(os.path.join(tmp, name + ".log"), "a")
    p = subprocess.Popen([os.path.join(svc, name), *args], env=env, stderr=log,
                         stdout=stdout or log)
    procs.append(p)
    return p


def run(name, *args, stdin=None):
    return subprocess.run([os.path.join(svc, name), *args], env=env, capture_output=True,
                          text=True, timeout=60, input=stdin)


def wait_for(what, fn, within=10):
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.02)
    return fn()


class Client:
    """A browser's worth of state: the session cookie and the CSRF token."""

    def __init__(self, tls=None, at=None):
        self.cookie = None
        self.csrf = None
        self.tls = tls
        self.at = at
        self.set_cookie = None

    def request(self, method, path, body=None, headers=None, csrf=True):
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        if csrf and self.csrf:
            h["X-CSRF-Token"] = self.csrf
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        where = self.at or port
        conn = (http.client.HTTPSConnection("127.0.0.1", where, timeout=20, context=self.tls)
                if self.tls else http.client.HTTPConnection("127.0.0.1", where, timeout=20))
        conn.request(method, path, body=body, headers=h)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        self.set_cookie = resp.getheader("Set-Cookie")
        self.headers = resp
        ctype = resp.getheader("Content-Type", "")
        return resp.status, json.loads(data) if ctype.startswith("application/json") else data

    def login(self, user, password):
        status, obj = self.request("POST", "/api/login", {"user": user, "password": password})
        if status == 200:
            self.cookie = re.match(r"(plc_session=[0-9a-f]+)", self.set_cookie).group(1)
            self.csrf = obj["csrf"]
        return status, obj


def tag(name):
    return Client().request("GET", "/api/tags/" + name)[1]["value"]


def err(obj):
    return obj.get("error", "") if isinstance(obj, dict) else str(obj)


def mbpoll(mb_port, *args):
    r = subprocess.run(["mbpoll", "-m", "tcp", "-p", str(mb_port), "-a", "1", *args, "-1",
                        "127.0.0.1"], capture_output=True, text=True, timeout=30)
    return r.stdout


try:
    subprocess.run([os.path.join(svc, "plc-shm-init"), "-q"], env=env, check=True)
    check("plc-shm-init makes plc-web's event ring", os.path.exists(
        os.path.join(base, "demo", "events-web")))
    io = spawn("plc-io", "--backend", "sim")
    logic = spawn("plc-logic", "--program", os.path.join(build, "examples", "motor.so"),
                  "--priority", "0", "--no-lock-memory", "--cpu-dma-latency", "none")
    ready = run("plc-io-sim", "wait", "motor_fault", "0", "30000")
    check("the PLC runs", ready.returncode == 0, ready.stderr)
    mb = spawn("plc-modbus", "--listen", "127.0.0.1:0", stdout=subprocess.PIPE)
    line = mb.stdout.readline().decode()
    mb_port = int(line.strip().rsplit(":", 1)[1])

    # Users, made the way an administrator makes them.
    for name, role, pw in [("alice", "operator", "alice-pw"), ("eve", "engineer", "eve-pw"),
                           ("victor", "viewer", "victor-pw")]:
        r = run("plc-web", "user", "add", name, "--role", role, "--users", users, stdin=pw + "\n")
        check(f"plc-web user add {name} --role {role}",
              r.returncode == 0 and f"user '{name}' ({role}) added" in r.stdout, r.stderr)
    check("the users file is mode 0640 and holds yescrypt hashes",
          oct(os.stat(users).st_mode & 0o777) == "0o640" and
          all(l.split(":")[2].startswith("$y$") for l in open(users) if not l.startswith("#")),
          open(users).read())
    r = run("plc-web", "user", "add", "bob", "--role", "admin", "--users", users, stdin="x\n")
    check("a role other than viewer, operator, engineer is refused by name",
          r.returncode == 2 and "--role 'admin' is not viewer, operator or engineer" in r.stderr,
          r.stderr)
    r = run("plc-web", "user", "del", "nobody", "--users", users)
    check("user del of an unknown user says so", r.returncode == 1 and "no user 'nobody'" in
          r.stderr, r.stderr)

    bad = os.path.join(tmp, "bad-users")
    with open(bad, "w") as f:
        f.write("# users\nalice:operator:$y$abc\nbob:root:$y$abc\n")
    r = run("plc-web", "--listen", "127.0.0.1:0", "--users", bad)
    check("a bad users file stops plc-web, naming file:line",
          r.returncode == 1 and f"{bad}:3: user 'bob': role 'root' is not viewer" in r.stderr,
          r.stderr)

    web = spawn("plc-web", "--listen", "127.0.0.1:0", "--users", users, "--modbus",
                f"127.0.0.1:{mb_port}", "--timeout", "3", stdout=subprocess.PIPE)
    port = int(web.stdout.readline().decode().strip().rsplit(":", 1)[1])

    # ---- login, session, logout ----
    anon = Client()
    status, obj = anon.request("GET", "/api/session")
    check("logged out, /api/session is 200 with user null",
          status == 200 and obj["user"] is None and obj["logins"] is True, obj)
    status, obj = anon.request("POST", "/api/login", {"user": "alice", "password": "wrong"})
    check("a wrong password: 401, generic", status == 401 and
          err(obj) == "wrong user name or password", obj)
    status, obj = anon.request("POST", "/api/login", {"user": "nobody", "password": "x"})
    check("an unknown user: the same 401", status == 401 and
          err(obj) == "wrong user name or password", obj)
    anon.request("POST", "/api/login", {"user": "x\nplc-web: user 'root' logged in", "password": "x"})
    log = open(os.path.join(tmp, "plc-web.log")).read()
    check("a client's text cannot forge a log line", "login of 'x?plc-web: user 'root'" in log
          and "\nplc-web: user 'root'" not in log, log)
    status, obj = anon.request("POST", "/api/login", "{\"user\": \"alice\"")
    check("a login body that is not JSON: 400 naming the parse error",
          status == 400 and "not JSON" in err(obj), obj)
    status, obj = anon.request("GET", "/api/login")
    check("GET /api/login: 405 allowing POST", status == 405 and
          anon.headers.getheader("Allow") == "POST", (status, obj))

    alice = Client()
    status, obj = alice.login("alice", "alice-pw")
    check("alice logs in: 200, operator, a CSRF token",
          status == 200 and obj["user"] == "alice" and obj["role"] == "operator" and
          re.fullmatch(r"[0-9a-f]{64}", obj["csrf"] or ""), obj)
    attrs = [a.strip() for a in (alice.set_cookie or "").split(";")]
    check("the cookie: 256 random bits, Path=/, HttpOnly, SameSite=Strict, Secure",
          re.fullmatch(r"plc_session=[0-9a-f]{64}", attrs[0]) and
          {"Path=/", "HttpOnly", "SameSite=Strict", "Secure"} <= set(attrs), alice.set_cookie)
    status, obj = alice.request("GET", "/api/session")
    check("/api/session names alice and her token", status == 200 and obj["user"] == "alice"
          and obj["role"] == "operator" and obj["csrf"] == alice.csrf, obj)

    # ---- refusals of a parameter write ----
    status, obj = anon.request("POST", "/api/tags/level_high", {"value": 85})
    check("a write without login: 401 login required", status == 401 and
          err(obj) == "login required", obj)
    status, obj = alice.request("POST", "/api/tags/level_high", {"value": 85}, csrf=False)
    check("a write without the CSRF token: 403", status == 403 and
          err(obj) == "CSRF token missing or stale", obj)
    status, obj = alice.request("POST", "/api/tags/level_high", {"value": 85},
                                headers={"X-CSRF-Token": "0" * 64}, csrf=False)
    check("a write with a wrong CSRF token: 403", status == 403 and
          err(obj) == "CSRF token missing or stale", obj)
    status, obj = alice.request("POST", "/api/tags/no_such_tag", {"value": 1})
    check("an unknown tag: 404 naming it", status == 404 and "'no_such_tag'" in err(obj), obj)
    status, obj = alice.request("POST", "/api/tags/level_high", {"value": 150})
    check("out of limits: 422 naming tag, value and limits", status == 422 and
          err(obj) == "tag 'level_high': value 150 is outside its limits 0 to 100", obj)
    status, obj = alice.request("POST", "/api/tags/fault_delay_ms", {"value": 2.5})
    check("a fraction for a uint32: 422 wrong type", status == 422 and
          "'2.5' is not a value of type uint32" in err(obj), obj)
    status, obj = alice.request("POST", "/api/tags/level_high", {"value": [1]})
    check("no scalar value: 422 saying what the body is", status == 422 and
          "{\"value\": V}" in err(obj), obj)
    status, obj = alice.request("POST", "/api/tags/motor_run", {"value": True})
    check("a tag of the logic's region: 403 naming region and writer", status == 403 and
          "region 'outputs' is written by logic" in err(obj), obj)
    status, obj = alice.request("POST", "/api/tags/level_high", "{\"value\": 8")
    check("bad JSON: 400 naming the parse error", status == 400 and
          err(obj).startswith("request body is not JSON"), obj)
    status, obj = alice.request("POST", "/api/tags/level_high", "x" * 70000)
    check("a huge body: 413", status == 413, (status, obj))
    status, obj = alice.request("PUT", "/api/tags/level_high", {"value": 1})
    check("PUT on a tag: 405 allowing GET, HEAD, POST", status == 405 and
          alice.headers.getheader("Allow") == "GET, HEAD, POST", (status, obj))

    # A slow client holds only its own connection: the others are served meanwhile.
    slow = socket.create_connection(("127.0.0.1", port), timeout=10)
    slow.sendall(b"POST /api/tags/level_low HTTP/1.1\r\nHost: t\r\nContent-Length: 40\r\n\r\n{\"va")
    since = time.monotonic()

    # ---- a parameter, through the gateway, read back over Modbus ----
    status, obj = alice.request("POST", "/api/tags/level_high", {"value": 85})
    took = time.monotonic() - since
    check("alice sets level_high 80 -> 85 while a client is slow", status == 200 and
          obj == {"tag": "level_high", "before": 80.0, "value": 85.0} and took < 2, (obj, took))
    out = mbpoll(mb_port, "-t", "4:float", "-B", "-r", "101", "-c", "1")
    check("mbpoll reads 85 from holding registers 40101-40102", "[101]: \t85" in out, out)
    check("the page's tag shows 85", wait_for("85", lambda: tag("level_high") == 85.0), "")
    slow.close()

    # ---- a command, acknowledged by the program ----
    before = tag("cmd_start")
    status, obj = alice.request("POST", "/api/commands/cmd_start")
    check("cmd_start: 200, counter + 1, acknowledged",
          status == 200 and obj == {"command": "cmd_start", "counter": before + 1,
                                    "acknowledged": True}, obj)
    check("ack_start equals the counter", tag("ack_start") == before + 1, tag("ack_start"))
    status, obj = alice.request("POST", "/api/commands/level_high")
    check("a parameter is no command: 422", status == 422 and "is no command" in err(obj), obj)
    status, obj = alice.request("POST", "/api/commands/cmd_nothing")
    check("an unknown command: 404 naming it", status == 404 and "'cmd_nothing'" in err(obj), obj)
    status, obj = alice.request("GET", "/api/operate")
    check("/api/operate lists parameters, commands, the alarm ack and forcible tags",
          status == 200 and [p["name"] for p in obj["parameters"]] ==
          ["level_high", "level_low", "level_alarm", "fault_delay_ms"] and
          obj["commands"] == ["cmd_start", "cmd_stop", "cmd_fault_reset"] and
          obj["alarm_ack"] == "cmd_alarm_ack" and "tank_level" in obj["forcible"], obj)

    # ---- the alarms: motor_trip rises (the motor runs without feedback), alice acks ----
    check("motor_trip is raised, unacknowledged",
          wait_for("trip", lambda: tag("motor_trip_unacked") is True, 15), tag("motor_trip_unacked"))
    status, obj = alice.request("POST", "/api/alarms/ack")
    check("alarm ack: 200, acknowledged", status == 200 and obj["command"] == "cmd_alarm_ack"
          and obj["acknowledged"] is True, obj)
    check("motor_trip is acknowledged", wait_for("ack", lambda: tag("motor_trip_unacked") is
                                                  False), tag("motor_trip_unacked"))

    # ---- roles ----
    victor = Client()
    victor.login("victor", "victor-pw")
    status, obj = victor.request("POST", "/api/tags/level_high", {"value": 70})
    check("a viewer may not write: 403 naming the role needed", status == 403 and
          err(obj) == "user 'victor' is a viewer: this needs the operator role", obj)
    status, obj = alice.request("POST", "/api/forces/tank_level", {"value": 97})
    check("an operator may not force: 403 naming engineer", status == 403 and
          err(obj) == "user 'alice' is an operator: this needs the engineer role", obj)

    # ---- force and unforce, by an engineer ----
    eve = Client()
    eve.login("eve", "eve-pw")
    status, obj = eve.request("POST", "/api/forces/tank_level", {"value": 42, "for": "10min"})
    check("eve forces tank_level to 42 for 10min", status == 200 and obj ==
          {"tag": "tank_level", "value": 42.0, "for_s": 600}, obj)
    check("tank_level reads 42, marked forced", wait_for("42", lambda: tag("tank_level") == 42.0)
          and Client().request("GET", "/api/tags/tank_level")[1]["forced"] is True, "")
    status, obj = eve.request("GET", "/api/forces")
    check("/api/forces says eve forced it", status == 200 and len(obj) == 1 and
          obj[0]["tag"] == "tank_level" and obj[0]["by"] == "eve", obj)
    status, obj = eve.request("POST", "/api/forces/level_high", {"value": 1})
    check("a parameter cannot be forced: 403 naming its region", status == 403 and
          "region 'parameters'" in err(obj), obj)
    status, obj = eve.request("POST", "/api/forces/tank_level", {"value": 1, "for": "99h"})
    check("a force longer than force_max: 422", status == 422 and "force_max" in err(obj), obj)
    status, obj = eve.request("DELETE", "/api/forces/tank_level")
    check("eve unforces it", status == 200 and obj["released"] is True, obj)
    status, obj = eve.request("DELETE", "/api/forces/tank_level")
    check("unforce of a tag not forced: 404", status == 404 and "is not forced" in err(obj), obj)

    # ---- the events name the users ----
    r = run("plcctl", "events", "--json")
    evs = [json.loads(l) for l in r.stdout.splitlines() if l.strip()]
    web_evs = [(e["kind"], e["name"], e["text"]) for e in evs if e["source"] == "web"]
    want = [("modbus-write", "level_high", "web user alice set level_high 80 -> 85"),
            ("modbus-write", "cmd_start", f"web user alice sent cmd_start (counter {before + 1})"),
            ("force-on", "tank_level", "web user eve forced tank_level to 42"),
            ("force-off", "tank_level", "web user eve released tank_level")]
    check("plcctl events lists each write with the user's name",
          all(w in web_evs for w in want) and
          any(k == "alarm-acked" and "alice" in t for k, _, t in web_evs), web_evs)

    # ---- logout, a stale token ----
    old_cookie, old_csrf = alice.cookie, alice.csrf
    status, obj = alice.request("POST", "/api/logout")
    check("logout: 200, the cookie cleared", status == 200 and
          "Max-Age=0" in (alice.set_cookie or ""), (obj, alice.set_cookie))
    status, obj = alice.request("POST", "/api/tags/level_high", {"value": 80})
    check("the old cookie is worthless: 401", status == 401, obj)
    status, obj = alice.request("GET", "/api/session")
    check("and /api/session is logged out", status == 200 and obj["user"] is None, obj)
    alice.login("alice", "alice-pw")
    status, obj = alice.request("POST", "/api/tags/level_high", {"value": 80},
                                headers={"X-CSRF-Token": old_csrf}, csrf=False)
    check("the CSRF token of an old session is stale: 403", status == 403 and
          err(obj) == "CSRF token missing or stale", obj)

    # ---- a user removed from the file is logged out at once ----
    r = run("plc-web", "user", "del", "victor", "--users", users)
    check("plc-web user del victor", r.returncode == 0, r.stderr)
    status, obj = wait_for("401", lambda: (lambda s: s if s[0] == 401 else None)(
        victor.request("POST", "/api/tags/level_high", {"value": 80})), 5) or (None, None)
    check("victor's session ends with his line", status == 401, obj)

    # ---- rate limit: five failures in a minute, then 429 without trying ----
    codes = [anon.request("POST", "/api/login", {"user": "eve", "password": "bad"})[0]
             for _ in range(5)]
    status, obj = anon.request("POST", "/api/login", {"user": "eve", "password": "eve-pw"})
    retry = anon.headers.getheader("Retry-After")
    check("after 5 failures even the right password gets 429 with Retry-After",
          codes == [401] * 5 and status == 429 and retry and 1 <= int(retry) <= 60,
          (codes, status, obj, retry))

    # A login in progress (yescrypt is slow) holds up nobody: logins by threads,
    # a read meanwhile is answered at once.
    t = [threading.Thread(target=lambda: Client().request(
        "POST", "/api/login", {"user": "x", "password": "y"})) for _ in range(4)]
    for th in t:
        th.start()
    since = time.monotonic()
    status, _ = anon.request("GET", "/api/layout")
    took = time.monotonic() - since
    for th in t:
        th.join()
    check("a read during logins is answered at once", status == 200 and took < 1, took)

    # ---- TLS ----
    cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=localhost"], check=True,
                   capture_output=True)
    r = run("plc-web", "--listen", "127.0.0.1:0", "--users", users, "--tls-cert",
            os.path.join(tmp, "missing.pem"), "--tls-key", key)
    check("a missing certificate stops plc-web, naming the file",
          r.returncode == 1 and "missing.pem: cannot read the TLS certificate" in r.stderr,
          r.stderr)
    r = run("plc-web", "--listen", "127.0.0.1:0", "--users", users, "--tls-cert", users,
            "--tls-key", key)
    check("a file that is no certificate is named", r.returncode == 1 and
          f"{users}: not a PEM certificate" in r.stderr, r.stderr)
    tls_web = spawn("plc-web", "--listen", "127.0.0.1:0", "--users", users, "--modbus",
                    f"127.0.0.1:{mb_port}", "--tls-cert", cert, "--tls-key", key,
                    stdout=subprocess.PIPE)
    tls_port = int(tls_web.stdout.readline().decode().strip().rsplit(":", 1)[1])
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    over_tls = Client(tls=ctx, at=tls_port)
    status, obj = over_tls.login("alice", "alice-pw")
    check("a login over TLS", status == 200 and obj["user"] == "alice", obj)
    status, obj = over_tls.request("POST", "/api/tags/level_high", {"value": 80})
    check("a write over TLS", status == 200 and obj["value"] == 80.0, obj)
    with socket.create_connection(("127.0.0.1", tls_port), timeout=10) as s:
        s.sendall(b"GET /api/session HTTP/1.0\r\n\r\n")
        try:
            got = s.recv(100)
        except OSError:
            got = b""
    check("plain HTTP to the TLS port gets no answer", not got.startswith(b"HTTP/1.1 200"), got)

    # Off localhost without TLS the Secure cookie would not be kept: said at start.
    # And without a users file nobody can log in, which it says too.
    missing = os.path.join(tmp, "no-such-users")
    wide = spawn("plc-web", "--listen", "0.0.0.0:0", "--users", missing, stdout=subprocess.PIPE)
    wide_port = int(wide.stdout.readline().decode().strip().rsplit(":", 1)[1])
    log = open(os.path.join(tmp, "plc-web.log")).read()  # its warnings come before that line
    check("listening off localhost without TLS warns about the cookie",
          "browsers will not keep the login cookie" in log and "--insecure-cookies" in log, log)
    check("a missing users file is named at start", f"{missing}: no users file" in log, log)
    nobody = Client(at=wide_port)
    status, obj = nobody.request("GET", "/api/session")
    check("without a users file /api/session says logins are off", status == 200 and
          obj["logins"] is False, obj)
    status, obj = nobody.login("alice", "alice-pw")
    check("without a users file a login is 503 naming the file", status == 503 and
          missing in err(obj), obj)

    # The gateway out of reach: 503 naming it (a plc-web of its own has its own limiter).
    away = spawn("plc-web", "--listen", "127.0.0.1:0", "--users", users, "--modbus",
                 "127.0.0.1:1", stdout=subprocess.PIPE)
    away_client = Client(at=int(away.stdout.readline().decode().strip().rsplit(":", 1)[1]))
    away_client.login("alice", "alice-pw")
    status, obj = away_client.request("POST", "/api/tags/level_high", {"value": 80})
    check("the gateway out of reach: 503 naming its address", status == 503 and
          err(obj).startswith("Modbus gateway at 127.0.0.1:1 is unreachable"), obj)

    # plc-logic stopped: nobody acknowledges a command, 504 naming it.
    logic.terminate()
    logic.wait(timeout=10)
    status, obj = alice.request("POST", "/api/commands/cmd_stop")
    check("plc-logic stopped: a command is 504 naming it", status == 504 and
          "command 'cmd_stop'" in err(obj) and "not acknowledged" in err(obj), obj)

    for name, p in [("plc-web", web), ("plc-web over TLS", tls_web), ("a third plc-web", away)]:
        p.terminate()
        check(f"{name} exits 0 on SIGTERM", p.wait(timeout=10) == 0, p.returncode)
finally:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            p.kill()
    shutil.rmtree(base, ignore_errors=True)
    if failures:
        for name in os.listdir(tmp):
            if name.endswith(".log"):
                print(f"--- {name}\n" + open(os.path.join(tmp, name)).read())
    shutil.rmtree(tmp, ignore_errors=True)

print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)

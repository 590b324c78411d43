#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plc-web end to end, over real HTTP: the demo PLC runs examples/motor.c
(plc-shm-init, plc-io on the sim backend, plc-logic) and plc-web listens on a
free port with a 2 s idle timeout. Checks the JSON API against plcctl, a
change of start_button arriving on /api/stream, the errors (404 naming the
tag, 405, 413), and that a slowloris client neither delays another client
nor stays connected past the timeout. Every wait is for a state.
usage: web-e2e.py BUILD_DIR LAYOUT"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

build, layout = sys.argv[1], sys.argv[2]
svc = os.path.join(build, "services")
base = tempfile.mkdtemp(prefix="plc-web-e2e-", dir="/dev/shm")
env = dict(os.environ, RASPIPLC_BASE_DIR=base, RASPIPLC_LAYOUT=layout,
           RASPIPLC_RETAIN_DIR=os.path.join(base, "retain"))
env.pop("RASPIPLC_EVENTS_DIR", None)  # the history goes in the retain directory
env.pop("RASPIPLC_IO_BACKEND", None)
procs = []
failures = 0
TIMEOUT_S = 2


def check(what, ok, detail=""):
    global failures
    if ok:
        print(f"ok: {what}")
    else:
        failures += 1
        print(f"FAIL: {what}: {detail}")


def spawn(name, *args, **kw):
    log = open(os.path.join(base, name + ".log"), "w")
    p = subprocess.Popen([os.path.join(svc, name), *args], env=env, stderr=log,
                         stdout=kw.get("stdout", log))
    procs.append(p)
    return p


def run(name, *args):
    return subprocess.run([os.path.join(svc, name), *args], env=env, capture_output=True,
                          text=True, timeout=60)


def request(method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request(method, path, body=body)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    ctype = resp.getheader("Content-Type", "")
    return resp.status, strict_json(data) if ctype.startswith("application/json") else data


def strict_json(text):
    """JSON as a browser's JSON.parse takes it: NaN and Infinity are refused."""
    def refuse(name):
        raise ValueError(f"{name} is not JSON")
    return json.loads(text, parse_constant=refuse)


class Stream:
    """A client of /api/stream over HTTP/1.0 (so no chunked framing): its
    events as (kind, data) in arrival order, and the keep-alive comments seen."""

    def __init__(self, path="/api/stream"):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.sock.sendall(b"GET " + path.encode() + b" HTTP/1.0\r\n\r\n")
        self.buf = b""
        self.head = None
        self.comments = 0
        self.eof = False

    def event(self, deadline, comment=False):
        """The next event, counting comments; None at the deadline or EOF.
        With @comment, a comment is returned as ("comment", None) too."""
        while True:
            if self.head is None and b"\r\n\r\n" in self.buf:
                self.head, self.buf = self.buf.split(b"\r\n\r\n", 1)
            while self.head is not None and b"\n\n" in self.buf:
                block, self.buf = self.buf.split(b"\n\n", 1)
                kind, data = None, None
                for line in block.decode().splitlines():
                    if line.startswith(":"):
                        self.comments += 1
                        if comment:
                            return "comment", None
                    elif line.startswith("event: "):
                        kind = line[7:]
                    elif line.startswith("data: "):
                        data = strict_json(line[6:])
                if kind:
                    return kind, data
            left = deadline - time.monotonic()
            if left <= 0 or self.eof:
                return None
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not chunk:
                self.eof = True
            self.buf += chunk

    def change_of(self, name, within=10):
        """The new value of @name in the first change event naming it, or None."""
        deadline = time.monotonic() + within
        while (ev := self.event(deadline)) is not None:
            if ev[0] == "change" and name in ev[1]["changes"]:
                return ev[1]["changes"][name]
        return None

    def event_of(self, kind, name, within=10):
        """The first "event" record of @kind about @name, or None."""
        deadline = time.monotonic() + within
        while (ev := self.event(deadline)) is not None:
            if ev[0] == "event" and ev[1]["kind"] == kind and ev[1]["name"] == name:
                return ev[1]
        return None

    def close(self):
        self.sock.close()


def until(what, fn, within=15):
    """Poll @fn until it returns something true, or give the last value after @within s."""
    deadline = time.monotonic() + within
    while True:
        got = fn()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def service(name):
    return {s["name"]: s for s in request("GET", "/api/services")[1]}[name]


def spawn_logic():
    return spawn("plc-logic", "--program", os.path.join(build, "examples", "motor.so"),
                 "--priority", "0", "--no-lock-memory", "--cpu-dma-latency", "none")


try:
    subprocess.run([os.path.join(svc, "plc-shm-init"), "-q"], env=env, check=True)
    io = spawn("plc-io", "--backend", "sim")
    retain = spawn("plc-retain", "--no-journal")  # writes no region: seen by its event ring
    logic = spawn_logic()
    ready = run("plc-io-sim", "wait", "motor_fault", "0", "30000")
    check("the PLC runs (motor_fault follows the program)", ready.returncode == 0, ready.stderr)

    web = spawn("plc-web", "--listen", "127.0.0.1:0", "--timeout", str(TIMEOUT_S),
                stdout=subprocess.PIPE)
    line = web.stdout.readline().decode()  # readiness: it says so once it listens
    check("plc-web says where it listens", line.startswith("plc-web: listening on 127.0.0.1:"),
          line)
    port = int(line.rsplit(":", 1)[1])

    # /api/layout as plcctl info shows the region headers.
    info = json.loads(run("plcctl", "--json", "info", "inputs").stdout)
    status, lay = request("GET", "/api/layout")
    check("GET /api/layout", status == 200 and lay == {
        "name": info["layout"], "version": info["layout_version"], "hash": info["layout_hash"]},
        f"{status} {lay} {info}")

    # /api/regions: the rows of plcctl ls, the writers' pids those started here.
    status, regions = request("GET", "/api/regions")
    ls = json.loads(run("plcctl", "--json", "ls").stdout)
    check("GET /api/regions lists the regions of plcctl ls",
          status == 200 and [r["region"] for r in regions] == [r["region"] for r in ls],
          f"{status} {regions}")
    by = {r["region"]: r for r in regions}
    check("inputs: written by plc-io, alive",
          by["inputs"]["writer_pid"] == io.pid and by["inputs"]["writer_alive"] is True
          and by["inputs"]["writer"] == "io", by["inputs"])
    check("outputs: written by plc-logic", by["outputs"]["writer_pid"] == logic.pid, by["outputs"])

    # /api/tags: values, Modbus references, retained markers.
    status, tags = request("GET", "/api/tags")
    t = {x["name"]: x for x in tags}
    declared = [l.split()[1].rstrip("]") for l in open(layout) if l.startswith("[tag ")]
    check("GET /api/tags has every tag the layout declares",
          status == 200 and all(n in t for n in declared), f"{status} {sorted(t)}")
    check("start_button: false, discrete input 0 = 10001",
          t["start_button"]["value"] is False and t["start_button"]["modbus"] == {
              "table": "discrete_input", "address": 0, "reference": "10001", "count": 1},
          t["start_button"])
    check("motor_fault: the program's false, coil 2 = 00003",
          t["motor_fault"]["value"] is False and t["motor_fault"]["modbus"]["reference"] == "00003",
          t["motor_fault"])
    check("level_high: retained, holding register 100 = 40101",
          t["level_high"]["retained"] is True and
          t["level_high"]["modbus"]["reference"] == "40101" and t["level_high"]["value"] == 80,
          t["level_high"])
    check("start_button is not retained", t["start_button"]["retained"] is False)

    # /api/stream: a snapshot first, then the change plc-io-sim makes.
    stream = Stream()
    ev = stream.event(time.monotonic() + 10)
    check("the stream starts with a snapshot",
          ev and ev[0] == "snapshot" and ev[1]["tags"]["start_button"] is False, ev)
    run("plc-io-sim", "set", "start_button", "1")
    seen = stream.change_of("start_button")
    check("plc-io-sim set start_button 1 arrives on the stream", seen is True, seen)
    status, tag = request("GET", "/api/tags/start_button")
    check("GET /api/tags/start_button: true", status == 200 and tag["value"] is True, tag)

    # Forcing shows as a marker.
    run("plcctl", "force", "stop_button", "1")
    status, tag = request("GET", "/api/tags/stop_button")
    check("a forced tag is marked forced", tag.get("forced") is True, tag)
    run("plcctl", "unforce", "--all")

    # /api/services: the region writers, as the regions' headers and /proc say.
    status, services = request("GET", "/api/services")
    ls = json.loads(run("plcctl", "--json", "ls").stdout)
    writers = {}
    for r in ls:
        writers.setdefault(r["writer"], []).append(r["region"])
    check("GET /api/services: one entry per region writer, with its regions, then retain",
          status == 200 and {s["name"]: s["regions"] for s in services} ==
          dict(writers, retain=[]), f"{status} {services} {writers}")
    by = {s["name"]: s for s in services}
    check("io and logic running with the pids started here, not restarted",
          by["io"]["state"] == "running" and by["io"]["pid"] == io.pid and
          by["logic"]["state"] == "running" and by["logic"]["pid"] == logic.pid and
          by["io"]["restarts"] == 0 and by["logic"]["restarts"] == 0, by)
    check("logic's uptime from /proc: more than 0, less than the test has run",
          0 < by["logic"]["uptime_s"] < 300, by["logic"])
    info = json.loads(run("plcctl", "--json", "info", "outputs").stdout)
    check("starts are plcctl info's claims", by["logic"]["starts"] == info["claims"] == 1, info)
    check("retain, by its event ring: running with its pid, not restarted",
          by["retain"]["state"] == "running" and by["retain"]["pid"] == retain.pid and
          by["retain"]["restarts"] == 0 and by["retain"]["uptime_s"] > 0, by["retain"])
    check("modbus, never run here: never started, no pid",
          by["modbus"]["state"] == "never started" and by["modbus"]["pid"] is None, by["modbus"])

    # /api/scan: the diagnostics region by name, the fault state, the outputs.
    status, scan = request("GET", "/api/scan")
    check("GET /api/scan: period 10 ms, running, scans counted",
          status == 200 and scan["period_ms"] == 10 and scan["fault"] == "running" and
          scan["cause"] == "none" and scan["scan_count"] > 0 and "late_p99_us" in scan and
          "overruns" in scan and scan["tasks"] == [], scan)
    scan = until("outputs following", lambda: (s := request("GET", "/api/scan")[1])
                 ["outputs"] == "following" and s)
    check("outputs follow the program, as plc-io said",
          scan and scan["outputs_reason"] == f"plc-logic pid {logic.pid}", scan)

    # /api/alarms: the rows of plcctl alarms.
    status, alarms = request("GET", "/api/alarms")
    ctl = json.loads(run("plcctl", "--json", "alarms").stdout)
    check("GET /api/alarms: plcctl alarms' rows",
          status == 200 and [(a["name"], a["state"], a["severity"], a["message"], a["limit"])
                             for a in alarms] ==
          [(a["alarm"], a["state"], a["severity"], a["message"], a["limit"]) for a in ctl],
          f"{alarms} {ctl}")
    status, err = request("GET", "/api/alarms/no_such_alarm")
    check("unknown alarm: 404 naming it",
          status == 404 and err["error"] == "unknown alarm 'no_such_alarm' in layout 'demo'", err)

    # An alarm raised: in /api/alarms, in /api/events, on the live tail.
    tail = Stream("/api/events/stream?source=logic")
    check("the events stream says it follows",
          tail.event(time.monotonic() + 10, comment=True) == ("comment", None))
    run("plcctl", "force", "tank_level", "97")
    raised = tail.event_of("alarm-raised", "tank_level.h")
    check("the raised alarm arrives on /api/events/stream",
          raised and raised["source"] == "logic" and raised["after"] == 97, raised)
    alarm = until("unack_active", lambda: (a := request("GET", "/api/alarms/tank_level.h")[1])
                  ["state"] == "unack_active" and a)
    check("GET /api/alarms/tank_level.h: unack_active, not acked, value 97",
          alarm and alarm["acked"] is False and alarm["value"] == 97 and alarm["limit"] == 95,
          alarm)
    status, got = request("GET", "/api/events?kind=alarm-raised&q=TANK_LEVEL")
    ctl = [json.loads(l) for l in run("plcctl", "--json", "events").stdout.splitlines()]
    ctl = [e for e in ctl if e["kind"] == "alarm-raised" and e["name"] == "tank_level.h"]
    check("GET /api/events?kind=alarm-raised: the event plcctl events shows",
          status == 200 and raised and [e["id"] for e in got["events"]] == [raised["id"]] and
          [(e["realtime_ns"], e["seq"], e["text"]) for e in got["events"]] ==
          [(e["realtime_ns"], e["seq"], e["text"]) for e in ctl], f"{got} {ctl}")
    status, got = request("GET", "/api/events?source=io")
    check("source=io: only plc-io's events, newest last",
          status == 200 and got["events"] and all(e["source"] == "io" for e in got["events"])
          and [e["mono_ns"] for e in got["events"]] ==
          sorted(e["mono_ns"] for e in got["events"]), got)
    # start_button pressed above with no motor_feedback: motor_trip comes after 2 s.
    got = until("motor_trip", lambda: request("GET", "/api/events?kind=alarm-raised&q=motor_trip")
                [1]["events"])
    check("motor_trip's raise, its before NaN (no value yet), is JSON with before null",
          got and got[0]["name"] == "motor_trip" and got[0]["before"] is None, got)
    # plc-retain keeps the rings' records in the history: each is listed once.
    until("history", lambda: os.path.exists(os.path.join(base, "retain", "events", "demo.events")))
    status, got = request("GET", "/api/events?limit=10000")
    ids = [e["id"] for e in got["events"]]
    check("history and rings together, each record once",
          status == 200 and got["history_error"] is None and len(ids) == len(set(ids)) and
          any(e["kind"] == "service-start" and e["source"] == "retain" for e in got["events"]),
          got)
    status, got = request("GET", "/api/events?limit=1")
    check("limit=1: the newest, and more", len(got["events"]) == 1 and got["more"] is True, got)
    if raised:
        status, got = request("GET", f"/api/events?since={raised['realtime_ns']}&kind=alarm-raised")
        check("since=an event's realtime_ns: only what came after it",
              status == 200 and got["events"] == [], got)
    status, got = request("GET", "/api/events?since=-1h&q=no%20such%20text")
    check("since=-1h, q matching nothing: none", status == 200 and got["events"] == [], got)
    run("plcctl", "unforce", "tank_level")
    tail.close()

    for query, name in [("limit=0", "limit"), ("limit=x", "limit"), ("since=yesterday", "since"),
                        ("source=nowhere", "source"), ("kind=nothing", "kind"), ("foo=1", "foo")]:
        status, err = request("GET", "/api/events?" + query)
        check(f"/api/events?{query}: 400 naming '{name}'",
              status == 400 and f"'{name}'" in err["error"], f"{status} {err}")
    status, err = request("GET", "/api/events/stream?limit=5")
    check("the stream refuses limit: 400 naming it",
          status == 400 and "'limit'" in err["error"], f"{status} {err}")
    for method, path in [("POST", "/api/services"), ("DELETE", "/api/scan"),
                         ("POST", "/api/alarms"), ("PUT", "/api/alarms/tank_level.h"),
                         ("POST", "/api/events"), ("POST", "/api/events/stream")]:
        status, err = request(method, path)
        check(f"{method} {path}: 405", status == 405 and "error" in err, f"{status} {err}")

    # plc-logic killed: dead, outputs safe; started again: running, one restart.
    safe_events = len(request("GET", "/api/events?source=io&kind=outputs-safe")[1]["events"])
    logic.kill()
    logic.wait()
    dead = until("dead", lambda: service("logic")["state"] == "dead")
    check("plc-logic killed: /api/services says dead", dead, service("logic"))
    scan = until("safe", lambda: (s := request("GET", "/api/scan")[1])["outputs"] == "safe" and s)
    check("... and the outputs safe, with why",
          scan and scan["outputs_reason"] == f"plc-logic pid {logic.pid} died", scan)
    got = request("GET", "/api/events?source=io&kind=outputs-safe")[1]["events"]
    check("... and plc-io's outputs-safe event", len(got) == safe_events + 1, got)
    logic = spawn_logic()
    again = until("running", lambda: (s := service("logic"))["state"] == "running" and
                  s["pid"] == logic.pid and s)
    check("plc-logic started again: running, restarts 1",
          again and again["restarts"] == 1 and again["starts"] == 2, service("logic"))
    scan = until("following", lambda: (s := request("GET", "/api/scan")[1])
                 ["outputs"] == "following" and s)
    check("... and the outputs follow it again", bool(scan), scan)
    # Stopped (SIGSTOP): alive but silent past what it promised.
    os.kill(logic.pid, signal.SIGSTOP)
    try:
        stale = until("stale", lambda: service("logic")["state"] == "stale heartbeat")
        check("plc-logic stopped: 'stale heartbeat'", stale, service("logic"))
        scan = until("safe", lambda: (s := request("GET", "/api/scan")[1])["outputs"] == "safe"
                     and s)
        check("... and the outputs safe for its old heartbeat",
              scan and scan["outputs_reason"].startswith("plc-logic heartbeat "), scan)
    finally:
        os.kill(logic.pid, signal.SIGCONT)
    check("continued: running again",
          until("running", lambda: service("logic")["state"] == "running"), service("logic"))
    # The page is the views of docs/web.md.
    status, page = request("GET", "/")
    for name in [b'href="#overview"', b'href="#operate"', b'id="view-events"', b'id="trend-chart"',
                 b'id="outputs-state"', b'id="alarms-table"', b'id="events-table"',
                 b'rel="icon" href="data:,"']:
        check(f"the page has {name.decode()}", name in page)

    # The page and its script come from plc-web itself, nothing from elsewhere.
    status, page = request("GET", "/")
    check("GET / is the page, loading /app.js", status == 200 and
          b'<script src="/app.js"></script>' in page and b"http" not in page, page[:80])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/app.js")
    resp = conn.getresponse()
    script = resp.read()
    conn.close()
    check("GET /app.js is JavaScript that follows /api/stream",
          resp.status == 200 and resp.getheader("Content-Type").startswith("text/javascript")
          and b'new EventSource("/api/stream")' in script, resp.status)

    # Errors: JSON with the status that says what is wrong.
    status, err = request("GET", "/api/tags/no_such_tag")
    check("unknown tag: 404 naming it", status == 404 and "'no_such_tag'" in err["error"], err)
    status, err = request("GET", "/api/nothing")
    check("unknown path: 404", status == 404 and "error" in err, err)
    status, err = request("POST", "/api/tags", body=b"{}")
    check("POST /api/tags: 405", status == 405 and "error" in err, err)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /api/tags HTTP/1.1\r\nHost: test\r\nContent-Length: 100000000\r\n\r\n")
        head = s.recv(4096).decode(errors="replace")
    check("a huge body: 413 before it is sent", head.startswith("HTTP/1.1 413"), head[:80])
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(b"POST /api/tags HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n")
        s.sendall(b"10000\r\n" + b"x" * 0x10000 + b"\r\n" + b"10\r\n" + b"x" * 16 + b"\r\n0\r\n\r\n")
        head = s.recv(4096).decode(errors="replace")
    check("a chunked body past 64 KiB: 413", head.startswith("HTTP/1.1 413"), head[:80])

    busy = run("plc-web", "--listen", f"127.0.0.1:{port}")
    check("a port in use is refused, named",
          busy.returncode == 1 and f"cannot listen on '127.0.0.1:{port}'" in busy.stderr,
          busy.stderr)

    # Slowloris: half a request held open delays nobody and is dropped after the timeout.
    slow = socket.create_connection(("127.0.0.1", port), timeout=10)
    slow.sendall(b"GET /api/layout HTTP/1.1\r\nHost: te")
    since = time.monotonic()
    status, lay = request("GET", "/api/layout")
    took = time.monotonic() - since
    check("another client is served while one is slow", status == 200 and took < 1.0,
          f"{status} in {took:.2f}s")
    try:
        got = slow.recv(4096)
    except socket.timeout:
        got = None
    held = time.monotonic() - since
    check(f"the slow client is dropped after the {TIMEOUT_S}s timeout",
          got is not None and not got.startswith(b"HTTP/1.1 200") and
          TIMEOUT_S - 0.5 <= held <= TIMEOUT_S + 5, f"{got!r} after {held:.2f}s")
    slow.close()

    # Past --max-connections a client is turned away at once, not queued.
    few = spawn("plc-web", "--listen", "127.0.0.1:0", "--max-connections", "2",
                stdout=subprocess.PIPE)
    few_port = int(few.stdout.readline().decode().rsplit(":", 1)[1])
    held = [socket.create_connection(("127.0.0.1", few_port), timeout=10) for _ in range(2)]
    for h in held:
        h.sendall(b"GET /api/layout HTTP/1.1\r\nHost: te")
    since = time.monotonic()
    extra = socket.create_connection(("127.0.0.1", few_port), timeout=10)
    try:
        extra.sendall(b"GET /api/layout HTTP/1.0\r\n\r\n")
        got = extra.recv(4096)
    except OSError:  # reset: turned away as well
        got = b""
    took = time.monotonic() - since
    check("a third connection past --max-connections 2 is closed at once",
          got == b"" and took < 1.5, f"{got[:40]!r} after {took:.2f}s")
    extra.close()
    for h in held:
        h.close()
    deadline, status = time.monotonic() + 10, None
    while status != 200 and time.monotonic() < deadline:  # their threads end a moment later
        try:
            conn = http.client.HTTPConnection("127.0.0.1", few_port, timeout=10)
            conn.request("GET", "/api/layout")
            status = conn.getresponse().status
            conn.close()
        except OSError:
            time.sleep(0.05)
    check("... and served again once the others leave", status == 200, status)
    few.terminate()
    few.wait(timeout=10)

    # The stream outlives the idle timeout: it sends changes (the scan
    # statistics change every scan), or keep-alive comments while nothing does.
    deadline, got = time.monotonic() + TIMEOUT_S + 1.5, 0
    while stream.event(deadline):
        got += 1
    check("a stream outlives the idle timeout",
          not stream.eof and got + stream.comments > 0,
          f"eof={stream.eof} events={got} comments={stream.comments}")
    run("plc-io-sim", "set", "start_button", "0")
    seen = stream.change_of("start_button")
    check("... and still carries changes after it", seen is False, seen)

    # With plc-logic stopped nothing changes: keep-alive comments hold the stream.
    logic.terminate()
    logic.wait(timeout=30)
    stream.change_of("no_such_tag", within=1)  # the last scan's changes drain
    comments = stream.comments
    ev = stream.event(time.monotonic() + TIMEOUT_S + 1.5)
    check("an idle stream gets keep-alive comments and is not dropped",
          ev is None and not stream.eof and stream.comments > comments,
          f"{ev} eof={stream.eof} comments {comments} -> {stream.comments}")
    stream.close()

    # SIGTERM stops it cleanly.
    web.terminate()
    check("plc-web exits 0 on SIGTERM", web.wait(timeout=10) == 0)
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()
    shutil.rmtree(base, ignore_errors=True)

sys.exit(1 if failures else 0)

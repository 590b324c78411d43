#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""scripts/run.sh as a person uses it (README.md's first command), over real
HTTP and Modbus: it starts the whole demo PLC under plc-supervise with plc-web,
prints the page's address and a login; the page answers there, the demo runs
(the simulated start button starts the motor), the printed login works, a
setpoint written through the page reads back over Modbus (mbpoll), and Ctrl-C
stops every service. Install and build are skipped (RASPIPLC_SETUP=no): the
test command has done them. Every wait is for a state.
usage: run-demo.py SOURCE_DIR BUILD_DIR"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

src, build = sys.argv[1], os.path.abspath(sys.argv[2])
svc = os.path.join(build, "services")
tmp = tempfile.mkdtemp(prefix="plc-run-demo-", dir="/dev/shm")
failures = 0
# What run.sh keeps beside the build; removed afterwards unless it was there before.
made = [p for p in (os.path.join(build, n) for n in
                    ("demo-web-users", "demo-web-password", "demo-logs", "demo-program.so"))
        if not os.path.exists(p)]


def check(what, ok, detail=""):
    global failures
    print(f"{'ok' if ok else 'FAIL'}: {what}{'' if ok else ': ' + str(detail)}", flush=True)
    if not ok:
        failures += 1
    return ok


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, fn, timeout=30.0):
    """fn() until it returns something true, or None after @timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            got = fn()
            if got:
                check(what, True)
                return got
        except (OSError, http.client.HTTPException, ValueError):
            pass
        if time.monotonic() > deadline:
            check(what, False, f"not within {timeout} s")
            return None
        time.sleep(0.05)


modbus_port, web_port = free_port(), free_port()
env = dict(os.environ, RASPIPLC_SETUP="no", RASPIPLC_BUILD_DIR=build,
           RASPIPLC_BASE_DIR=os.path.join(tmp, "regions"),
           RASPIPLC_RETAIN_DIR=os.path.join(tmp, "retain"))
for k in ("RASPIPLC_LAYOUT", "RASPIPLC_PROGRAM", "RASPIPLC_IO_BACKEND"):
    env.pop(k, None)
out_path = os.path.join(tmp, "run.out")
out = open(out_path, "w")
run = subprocess.Popen(["bash", os.path.join(src, "scripts", "run.sh"),
                        "--listen", f"127.0.0.1:{modbus_port}", "--web", f"127.0.0.1:{web_port}"],
                       cwd=src, env=env, stdout=out, stderr=subprocess.STDOUT,
                       start_new_session=True)


def request(method, path, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", web_port, timeout=10)
    conn.request(method, path, body=json.dumps(body) if body is not None else None,
                 headers=headers or {})
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    is_json = resp.getheader("Content-Type", "").startswith("application/json")
    return resp.status, (json.loads(data) if is_json else data), resp


def printed():
    with open(out_path) as f:
        text = f.read()
    m = re.search(r"Open (http://\S+/) in a browser", text)
    p = re.search(r"Log in there as (\S+), password (\S+) ", text)
    return (m.group(1), p.group(1), p.group(2)) if m and p else None


def tool(name, *args):
    return subprocess.run([os.path.join(svc, name), *args], env=dict(
        env, RASPIPLC_LAYOUT=os.path.join(src, "layout", "demo.ini")),
        capture_output=True, text=True, timeout=30)


try:
    got = wait_for("run.sh prints the page's address and a login", printed)
    if got:
        url, user, password = got
        check("the address is where plc-web was asked to listen",
              url == f"http://127.0.0.1:{web_port}/", url)
        page = wait_for("the page answers at that address",
                        lambda: (lambda r: r[0] == 200 and r[1])(request("GET", "/")))
        check("it is RaspiPLC's page", page and b"RaspiPLC" in page)

        def running():
            st, rows, _ = request("GET", "/api/services")
            names = {r["name"]: r["state"] for r in rows} if st == 200 else {}
            return all(names.get(n) == "running" for n in ("io", "logic", "modbus"))
        wait_for("plc-io, plc-logic and plc-modbus run", running)

        # Watch the demo run: the start button (with feedback, so it does not trip).
        tool("plc-io-sim", "set", "motor_feedback", "1")
        tool("plc-io-sim", "set", "start_button", "1")
        wait_for("the simulated start button starts the motor, as the page shows",
                 lambda: request("GET", "/api/tags/motor_run")[1].get("value") is True)
        tool("plc-io-sim", "set", "start_button", "0")

        # Log in with what run.sh printed, and operate: a setpoint, read back over Modbus.
        st, sess, resp = request("POST", "/api/login", {"user": user, "password": password})
        check("the printed login is accepted", st == 200, (st, sess))
        if st == 200:
            cookie = resp.getheader("Set-Cookie").split(";")[0]
            hdrs = {"Cookie": cookie, "X-CSRF-Token": sess["csrf"],
                    "Content-Type": "application/json"}
            st, body, _ = request("POST", "/api/tags/level_high", {"value": 72.5}, hdrs)
            check("level_high set to 72.5 through the page's API", st == 200, (st, body))
            mb = subprocess.run(["mbpoll", "-m", "tcp", "-p", str(modbus_port), "-a", "1",
                                 "-t", "4:float", "-B", "-r", "101", "-c", "1", "-1",
                                 "127.0.0.1"], capture_output=True, text=True, timeout=30)
            check("mbpoll reads 72.5 at 40101", re.search(r"\[101\]:\s+72\.5\b", mb.stdout),
                  mb.stdout + mb.stderr)
finally:
    try:
        # Ctrl-C, as a person stops it: every service ends, then run.sh (plc-supervise).
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGINT)
            try:
                check("Ctrl-C stops the demo with status 0", run.wait(timeout=30) == 0,
                      run.returncode)
            except subprocess.TimeoutExpired:
                check("Ctrl-C stops the demo", False, "still running after 30 s")
        run.wait()
        try:
            os.killpg(run.pid, signal.SIGKILL)  # anything left behind is a failure
            check("no service outlives the demo", False, "some were still running")
        except ProcessLookupError:
            pass
        out.close()
        if failures:
            with open(out_path) as f:
                print("---- run.sh's output\n" + f.read())
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
        shutil.rmtree(tmp, ignore_errors=True)
        for p in made:
            if os.path.isdir(p):
                shutil.rmtree(p, ignore_errors=True)
            elif os.path.exists(p):
                os.unlink(p)

sys.exit(1 if failures else 0)

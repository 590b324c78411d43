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
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rundemo import RunDemo  # noqa: E402

demo = RunDemo(sys.argv[1], sys.argv[2], "plc-run-demo-")
check = demo.check
modbus_port, web_port = demo.free_port(), demo.free_port()


def wait_for(what, fn, timeout=30.0):
    return demo.wait_for(what, fn, timeout, (OSError, http.client.HTTPException, ValueError))


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
    text = demo.output()
    m = re.search(r"Open (http://\S+/) in a browser", text)
    p = re.search(r"Log in there as (\S+), password (\S+) ", text)
    return (m.group(1), p.group(1), p.group(2)) if m and p else None


try:
    demo.start("--listen", f"127.0.0.1:{modbus_port}", "--web", f"127.0.0.1:{web_port}")
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
        demo.tool("plc-io-sim", "set", "motor_feedback", "1")
        demo.tool("plc-io-sim", "set", "start_button", "1")
        wait_for("the simulated start button starts the motor, as the page shows",
                 lambda: request("GET", "/api/tags/motor_run")[1].get("value") is True)
        demo.tool("plc-io-sim", "set", "start_button", "0")

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
        demo.stop()
    finally:
        demo.cleanup()

sys.exit(1 if demo.failures else 0)

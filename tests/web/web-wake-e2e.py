#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plc-web follows the regions by waking on their writes, not by polling:
with --poll-ms 10000 a change still reaches /api/stream within a fraction of
that, a new stream's snapshot holds values written while nobody watched, the
scan statistics go out at most once per --poll-ms, and with no stream open
its threads sleep (no wake-up at all while the scan runs). The demo PLC runs examples/motor.c (plc-shm-init, plc-io on the sim
backend, plc-logic). Every wait is for a state, with a deadline.
usage: web-wake-e2e.py BUILD_DIR LAYOUT"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

build, layout = sys.argv[1], sys.argv[2]
svc = os.path.join(build, "services")
base = tempfile.mkdtemp(prefix="plc-web-wake-", dir="/dev/shm")
env = dict(os.environ, RASPIPLC_BASE_DIR=base, RASPIPLC_LAYOUT=layout)
env.pop("RASPIPLC_IO_BACKEND", None)
procs = []
failures = 0
POLL_S = 10  # --poll-ms: every change below must come well before it
WITHIN_S = 3


def check(what, ok, detail=""):
    global failures
    print(f"ok: {what}" if ok else f"FAIL: {what}: {detail}")
    failures += 0 if ok else 1


def spawn(name, *args, stdout=None):
    log = open(os.path.join(base, name + ".log"), "w")
    p = subprocess.Popen([os.path.join(svc, name), *args], env=env, stderr=log,
                         stdout=stdout or log)
    procs.append(p)
    return p


def sim(*args):
    return subprocess.run([os.path.join(svc, "plc-io-sim"), *args], env=env,
                          capture_output=True, text=True, timeout=60)


def wakeups(pid):
    """Context switches of every thread of @pid so far: each is a wake-up."""
    n = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                n += sum(int(l.split()[1]) for l in f if "ctxt_switches" in l)
        except FileNotFoundError:  # a connection's thread that just ended
            pass
    return n


def asleep(pid):
    """The wake-ups of @pid in 2 s windows until one has at most 4 (its
    threads settle after a start or a stream's close), for up to 12 s: the
    last window's count."""
    deadline, idle = time.monotonic() + 12, None
    while time.monotonic() < deadline:
        before = wakeups(pid)
        time.sleep(2)  # a window to count in, not a wait for something
        idle = wakeups(pid) - before
        if idle <= 4:
            break
    return idle


def events(sock, deadline):
    """SSE events (kind, data) from @sock until @deadline, as they come."""
    buf = b""
    while time.monotonic() < deadline:
        sock.settimeout(max(deadline - time.monotonic(), 0.001))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return
        if not chunk:
            return
        buf += chunk
        while b"\n\n" in buf:
            block, buf = buf.split(b"\n\n", 1)
            kind = data = None
            for line in block.decode().splitlines():
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    data = json.loads(line[6:])
            if kind:
                yield kind, data


try:
    subprocess.run([os.path.join(svc, "plc-shm-init"), "-q"], env=env, check=True)
    spawn("plc-io", "--backend", "sim")
    spawn("plc-logic", "--program", os.path.join(build, "examples", "motor.so"),
          "--priority", "0", "--no-lock-memory", "--cpu-dma-latency", "none")
    ready = sim("wait", "motor_fault", "0", "30000")
    check("the PLC runs (motor_fault follows the program)", ready.returncode == 0, ready.stderr)

    # No stream open: nothing in plc-web wakes while the scan runs, whatever
    # --poll-ms (the default 50 here).
    idle_web = spawn("plc-web", "--listen", "127.0.0.1:0", stdout=subprocess.PIPE)
    idle_web.stdout.readline()  # it listens
    idle = asleep(idle_web.pid)
    check("with no stream open plc-web sleeps (a 50 ms poll would wake 40 times in 2 s)",
          idle <= 4, f"{idle} wake-ups in 2 s")
    idle_web.terminate()
    idle_web.wait(timeout=10)

    web = spawn("plc-web", "--listen", "127.0.0.1:0", "--poll-ms", str(POLL_S * 1000),
                stdout=subprocess.PIPE)
    port = int(web.stdout.readline().decode().rsplit(":", 1)[1])

    # Written while nobody watched (its copy is from the start, under 10 s
    # old): a new stream's snapshot still has it.
    sim("set", "start_button", "1")
    sim("wait", "start_button", "1", "10000")
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"GET /api/stream HTTP/1.0\r\n\r\n")
    stream = events(sock, time.monotonic() + 60)
    kind, data = next(stream, (None, None))
    check("a new stream's snapshot has the value written before it opened",
          kind == "snapshot" and data["tags"]["start_button"] is True, (kind, data))

    # Each change arrives within WITHIN_S, far below the 10 s poll interval.
    for value in (False, True, False):
        since = time.monotonic()
        sim("set", "start_button", "1" if value else "0")
        seen = None
        for kind, data in events(sock, since + WITHIN_S):
            if kind == "change" and "start_button" in data["changes"]:
                seen = data["changes"]["start_button"]
                break
        took = time.monotonic() - since
        check(f"start_button {value} arrives within {WITHIN_S} s with --poll-ms {POLL_S * 1000}",
              seen is value, f"{seen} after {took:.2f} s")

    # The scan statistics change every 10 ms scan, but go out at most once
    # per --poll-ms (one in 3 s here at the most; each scan would be 300).
    stats = sum(1 for kind, data in events(sock, time.monotonic() + 3)
                if kind == "change" and "scan_count" in data["changes"])
    check("the scan statistics go out at most once per --poll-ms", stats <= 1,
          f"{stats} changes of scan_count in 3 s")

    # The stream closes: plc-web sleeps again.
    sock.close()
    idle = asleep(web.pid)
    check("once the stream closed plc-web sleeps again", idle <= 4, f"{idle} wake-ups in 2 s")

    web.terminate()
    check("plc-web exits 0 on SIGTERM", web.wait(timeout=10) == 0)
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()
    shutil.rmtree(base, ignore_errors=True)

sys.exit(1 if failures else 0)

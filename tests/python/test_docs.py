# SPDX-License-Identifier: MIT
"""docs/python.md's ten-line script, taken from the page and run as written
against scripts/run.sh (install and build skipped, RASPIPLC_SETUP=no, as
tests/web/run-demo.py runs it): it starts the motor by command and logs the
tank level on every change, here forced with plcctl, until it reaches 90 %."""
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from conftest import BUILD, DEMO, SRC, SVC, die_with_parent, free_port, stop, wait_for

MARK = "<!-- tests/python/test_docs.py runs this script as written against scripts/run.sh -->"


def script():
    page = open(os.path.join(SRC, "docs", "python.md")).read()
    after = page[page.index(MARK) + len(MARK):]
    return re.search(r"```python\n(.*?)```", after, re.S).group(1)


def lines_of(stream):
    q = queue.Queue()
    threading.Thread(target=lambda: [q.put(line) for line in stream], daemon=True).start()
    return q


def expect(q, pattern, timeout=20.0):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = q.get(timeout=deadline - time.monotonic())
        except queue.Empty:
            break
        seen.append(line)
        if re.search(pattern, line):
            return line
    raise AssertionError(f"no line matching {pattern!r} within {timeout} s; saw {seen}")


def test_the_documented_script_runs_against_run_sh():
    code = script()
    assert len([line for line in code.splitlines() if line.strip()]) <= 10, \
        "the page promises a ten-line script"
    tmp = tempfile.mkdtemp(prefix="plc-pytest-docs-", dir="/dev/shm")
    made = [p for p in (os.path.join(BUILD, n) for n in
                        ("demo-web-users", "demo-web-password", "demo-logs", "demo-program.so"))
            if not os.path.exists(p)]
    port = free_port()
    env = dict(os.environ, RASPIPLC_SETUP="no", RASPIPLC_BUILD_DIR=BUILD,
               RASPIPLC_BASE_DIR=os.path.join(tmp, "regions"),
               RASPIPLC_RETAIN_DIR=os.path.join(tmp, "retain"))
    for k in ("RASPIPLC_LAYOUT", "RASPIPLC_PROGRAM", "RASPIPLC_IO_BACKEND"):
        env.pop(k, None)
    run = subprocess.Popen(["bash", os.path.join(SRC, "scripts", "run.sh"),
                            "--listen", f"127.0.0.1:{port}", "--no-web"], cwd=SRC, env=env,
                           stdout=open(os.path.join(tmp, "run.out"), "w"),
                           stderr=subprocess.STDOUT, start_new_session=True,
                           preexec_fn=die_with_parent)
    user = dict(env, RASPIPLC_LAYOUT=DEMO, RASPIPLC_MODBUS=f"127.0.0.1:{port}")
    tank = None
    try:
        import raspiplc

        def ready():
            with raspiplc.connect(DEMO, env["RASPIPLC_BASE_DIR"]) as plc:
                return all(i["writer_alive"] for i in plc.info().values())
        wait_for("run.sh's services attached", ready)
        path = os.path.join(tmp, "tank.py")
        with open(path, "w") as f:
            f.write(code)
        tank = subprocess.Popen([sys.executable, path], env=user, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        log = lines_of(tank.stdout)
        expect(log, r"motor started \(cmd_start 1\), motor_run true")
        expect(log, r"tank_level 0 %$")

        def plcctl(*args):
            subprocess.run([os.path.join(SVC, "plcctl"), *args], env=user, check=True,
                           capture_output=True, timeout=20)
        plcctl("force", "tank_level", "50")
        expect(log, r"tank_level 50 %$")
        plcctl("force", "tank_level", "95")
        expect(log, r"tank_level 95 %$")
        assert tank.wait(20) == 0
        plcctl("unforce", "tank_level")
    finally:
        if tank:
            stop(tank)
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGINT)
            try:
                run.wait(20)
            except subprocess.TimeoutExpired:
                stop(run)
        for p in made:
            shutil.rmtree(p, ignore_errors=True) if os.path.isdir(p) else os.unlink(p)
        shutil.rmtree(tmp, ignore_errors=True)

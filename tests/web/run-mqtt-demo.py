#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`scripts/run.sh --mqtt` as a person uses it (README.md, "Fleets over MQTT"):
it starts a mosquitto of its own and the demo PLC with plc-mqtt, and prints a
mosquitto_sub | plcctl mqtt-decode command; that command, run as printed,
shows the demo's tags as they change: motor_run after the simulated start
button (plc-io-sim), tank_level after plcctl force, a new birth with every tag
after kill -9 of plc-mqtt (restarted by plc-supervise), and its NDEATH at
Ctrl-C, which stops the broker too. The broker listens on a free port
(RASPIPLC_MQTT_PORT=0) so that a mosquitto of the machine's is left alone.
Install and build are skipped (RASPIPLC_SETUP=no). Every wait is for a state.
usage: run-mqtt-demo.py SOURCE_DIR BUILD_DIR
Exit 0 passed, 1 failed, 77 cannot run here (a failure with CI=true)."""
import os
import re
import shutil
import signal
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from rundemo import RunDemo  # noqa: E402


def skip(why):
    print(f"run-mqtt-demo: cannot run: {why}")
    sys.exit(1 if os.environ.get("CI") == "true" else 77)


for t in ("mosquitto", "mosquitto_sub"):
    if not shutil.which(t, path=os.environ.get("PATH", "") + ":/usr/sbin"):
        skip(f"'{t}' is not installed (scripts/install-deps.sh installs it)")
for b in ("plc-mqtt", "plcctl", "plc-io-sim"):
    if not os.access(os.path.join(sys.argv[2], "services", b), os.X_OK):
        skip(f"{b} is not built")

demo = RunDemo(sys.argv[1], sys.argv[2], "plc-run-mqtt-", {"RASPIPLC_MQTT_PORT": "0"},
               keep=("demo-mqtt",))
check, wait_for = demo.check, demo.wait_for
watch_path = os.path.join(demo.tmp, "watch.out")
watch = None
broker_pid = None


def decoded(regex):
    return re.search(regex, demo.text(watch_path), re.M)


def mqtt_pid():
    m = re.findall(r"^plc-supervise: plc-mqtt ready \(pid (\d+)", demo.output(), re.M)
    return int(m[-1]) if m else None


try:
    demo.start("--mqtt", "--listen", f"127.0.0.1:{demo.free_port()}", "--no-web")
    cmd = wait_for("run.sh prints the mosquitto_sub | plcctl mqtt-decode command",
                   lambda: re.search(r"^\s+(mosquitto_sub .*"
                                     r"\| \S+/plcctl --layout \S+ mqtt-decode)$",
                                     demo.output(), re.M))
    pidm = re.search(r"\(pid (\d+), log in", demo.output())
    broker_pid = int(pidm.group(1)) if pidm else None
    check("run.sh says which mosquitto it started", broker_pid, demo.output())
    if cmd:
        first = wait_for("plc-supervise runs plc-mqtt (--mqtt over the demo's enabled = no)",
                         mqtt_pid)
        # A person's second shell: the printed command, as printed.
        watch = subprocess.Popen(["bash", "-c", cmd.group(1)], cwd=demo.src,
                                 stdout=open(watch_path, "w"), stderr=subprocess.STDOUT,
                                 start_new_session=True)

        wait_for("the watch command prints decoded messages (it has subscribed)",
                 lambda: decoded(r"^spBv1\.0/raspiplc/\S+/demo"))
        # Data: the start button (with feedback, so it does not trip) and the tank. The
        # watch began after plc-mqtt's birth: the decoder names the aliases from the layout.
        demo.tool("plc-io-sim", "set", "motor_feedback", "1")
        demo.tool("plc-io-sim", "set", "start_button", "1")
        wait_for("DDATA of device outputs shows motor_run = true",
                 lambda: decoded(r"DDATA/demo/outputs\b[^\0]*?\bmotor_run \(\d+\) = (true|True|1)\b"))
        demo.tool("plc-io-sim", "set", "start_button", "0")
        for level in ("42", "57.5"):
            r = demo.tool("plcctl", "force", "tank_level", level)
            check(f"plcctl force tank_level {level}", r.returncode == 0, r.stdout + r.stderr)
            wait_for(f"DDATA of device inputs shows tank_level = {level}",
                     lambda: decoded(r"DDATA/demo/inputs\b[^\0]*?\btank_level \(\d+\) = "
                                     + re.escape(level) + r"(\.0*)?\b"))

        # SIGTERM (pkill -x plc-mqtt): its NDEATH, sent by itself, then a new birth.
        if first:
            os.kill(first, signal.SIGTERM)
            wait_for("plc-mqtt stopped by SIGTERM publishes its NDEATH",
                     lambda: decoded(r"spBv1\.0/raspiplc/NDEATH/demo\b"))
            first = wait_for("plc-supervise starts plc-mqtt again",
                             lambda: (lambda p: p if p not in (None, first) else None)(mqtt_pid()))
            wait_for("an NBIRTH of edge node demo follows",
                     lambda: decoded(r"spBv1\.0/raspiplc/NBIRTH/demo\b"))
            wait_for("the DBIRTH of device outputs names motor_run",
                     lambda: decoded(r"DBIRTH/demo/outputs\b[^\0]*?\bmotor_run \(\d+\) = "))

        # kill -9: the broker sends the will; the new birth has the current level.
        if first:
            deaths = len(re.findall(r"NDEATH", demo.text(watch_path)))
            births = len(re.findall(r"DBIRTH/demo/inputs", demo.text(watch_path)))
            os.kill(first, signal.SIGKILL)
            wait_for("after kill -9 the broker publishes plc-mqtt's will, an NDEATH",
                     lambda: len(re.findall(r"NDEATH", demo.text(watch_path))) > deaths)
            wait_for("plc-supervise restarts plc-mqtt", lambda: mqtt_pid() not in (None, first))
            wait_for("the new DBIRTH of device inputs carries tank_level = 57.5",
                     lambda: re.search(r"\btank_level \(\d+\) = 57\.5", "".join(
                         demo.text(watch_path).split("DBIRTH/demo/inputs")[births + 1:])))
        demo.tool("plcctl", "unforce", "tank_level")
finally:
    try:
        # Ctrl-C: plc-mqtt publishes its NDEATH as it stops, then run.sh stops its broker.
        deaths = len(re.findall(r"NDEATH", demo.text(watch_path)))
        demo.stop()
        if watch:
            check("plc-mqtt's NDEATH at the stop reaches mosquitto_sub",
                  len(re.findall(r"NDEATH", demo.text(watch_path))) > deaths)
        if broker_pid:
            if not wait_for("run.sh stopped its mosquitto",
                            lambda: not os.path.exists(f"/proc/{broker_pid}"), 10):
                os.kill(broker_pid, signal.SIGKILL)
        if demo.failures:
            print("---- the watch command's output (tail)\n" + demo.text(watch_path)[-4000:])
            print("---- plc-mqtt's log (tail)\n" + demo.text(
                os.path.join(demo.build, "demo-logs", "plc-mqtt.log"))[-3000:])
    finally:
        if watch:
            try:
                os.killpg(watch.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            watch.wait()
        demo.cleanup()

sys.exit(1 if demo.failures else 0)

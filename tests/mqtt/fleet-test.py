#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A fleet of PLCs on one broker: N (default 20) demo PLCs on this machine,
each under plc-supervise --no-web with its own base directory, retain
directory, Modbus port and layout copy whose [mqtt] section names its own edge
node, running the simulated field and the demo program (examples/motor.c);
one mosquitto (broker.py) and one Sparkplug host application
(sparkplug_host.py) following all of them.

For the chaos period (default 60 s) the test kills random plc-mqtt processes
with SIGKILL and restarts the broker a few times (kill -9 or SIGTERM, down for
a moment while changes go on), while it changes tags on random nodes (forces
tank_level, presses the simulated buttons, writes level_high by DCMD). Then,
once quiet, every node must be online in the host's view, with no payload
that failed to decode and no seq or birth rule broken, and the host's value of
every published tag of every node must equal the PLC's own (plcctl --json
get), and each tag's changes must have arrived in the order of their
timestamps, the stored ones included. Every process is stopped and every
directory removed, also on failure.

If plc-supervise does not run plc-mqtt itself (its --help does not name it),
the test runs plc-mqtt beside it and restarts it as plc-supervise would.

usage: fleet-test.py BUILD_DIR LAYOUT PROGRAM PB2_DIR
environment: RASPIPLC_FLEET_NODES (20), RASPIPLC_FLEET_CHAOS_S (60), RASPIPLC_FLEET_SEED"""
import json
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import broker as mqtt_broker  # noqa: E402
import sparkplug_host as sp  # noqa: E402

GROUP = "fleet"
# Every region but diagnostics, whose scan statistics change at every scan.
PUBLISH = ["inputs", "outputs", "commands", "parameters", "status", "alarms"]
WRITABLE = ["level_high", "level_low"]


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def layout_copy(src, dst, modbus_port, mqtt_lines):
    """src with [modbus] listen on modbus_port and its [mqtt] section (if any)
    replaced by mqtt_lines."""
    out, section = [], None
    with open(src) as f:
        for line in f:
            s = line.strip()
            if s.startswith("[") and s.endswith("]"):
                section = s[1:-1].strip()
            if section == "mqtt":
                continue
            if section == "modbus" and s.split("=")[0].strip() == "listen":
                line = f"listen = 127.0.0.1:{modbus_port}\n"
            out.append(line)
    out += ["\n[mqtt]\n"] + [f"{line}\n" for line in mqtt_lines]
    with open(dst, "w") as f:
        f.writelines(out)


def as_float32(v):
    return struct.unpack("<f", struct.pack("<f", v))[0]


def same(a, b):
    if isinstance(a, float) or isinstance(b, float):
        try:
            return as_float32(float(a)) == as_float32(float(b))
        except (TypeError, ValueError):
            return False
    return a == b


class Plc:
    """One PLC: plc-supervise over its services, and plc-mqtt beside it when
    plc-supervise does not run it."""

    def __init__(self, fleet, index):
        self.fleet, self.name = fleet, f"plc{index:02d}"
        self.dir = os.path.join(fleet.root, self.name)
        self.base = os.path.join(self.dir, "base")
        self.retain = os.path.join(self.dir, "retain")
        self.logs = os.path.join(self.dir, "logs")
        for d in (self.base, self.retain, self.logs):
            os.makedirs(d)
        self.layout = os.path.join(self.dir, "layout.ini")
        self.modbus_port = mqtt_broker.free_port()
        b = fleet.broker
        layout_copy(fleet.layout_src, self.layout, self.modbus_port, [
            "enabled = yes",
            f"broker = {b.url}",
            f"group_id = {GROUP}",
            f"edge_node = {self.name}",
            f"username = {self.name}",
            f"password_file = {b.password_file(self.name)}",
            "publish = " + " ".join(PUBLISH),
            "writable = " + " ".join(WRITABLE),
            "store = 10000",
            "keepalive = 5s",
            "reconnect = 100ms..2s"])
        self.env = dict(os.environ, RASPIPLC_LAYOUT=self.layout, RASPIPLC_BASE_DIR=self.base,
                        RASPIPLC_RETAIN_DIR=self.retain)
        self.env.pop("RASPIPLC_EVENTS_DIR", None)
        self.env.pop("RASPIPLC_IO_BACKEND", None)
        self.supervise = None
        self.mqtt = None          # our own plc-mqtt, when plc-supervise does not run it
        self.mqtt_starts = 0

    def bin(self, name):
        return os.path.join(self.fleet.bin_dir, name)

    def start(self):
        self.out = open(os.path.join(self.dir, "supervise.out"), "w")
        # A process group of its own, so that a failed test can end all of it.
        self.supervise = subprocess.Popen(
            [self.bin("plc-supervise"), "--bin-dir", self.fleet.bin_dir, "--layout", self.layout,
             "--base-dir", self.base, "--retain-dir", self.retain, "--program",
             self.fleet.program, "--log-dir", self.logs, "--no-web", "--restart-delay", "100ms"],
            env=self.env, stdout=self.out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True)

    def ready(self):
        text = self.supervise_text()
        return all(f"plc-supervise: {s} ready" in text
                   for s in ("plc-io", "plc-logic", "plc-modbus"))

    def supervise_text(self):
        with open(os.path.join(self.dir, "supervise.out"), errors="replace") as f:
            return f.read()

    def keep_mqtt(self):
        """Starts our plc-mqtt when it is not running (plc-supervise's job
        when it can)."""
        if self.fleet.supervised_mqtt or not self.ready():
            return
        if self.mqtt is None or self.mqtt.poll() is not None:
            if self.mqtt is not None:
                self.mqtt_log.close()
            self.mqtt_log = open(os.path.join(self.logs, "plc-mqtt.log"), "a")
            self.mqtt = subprocess.Popen(
                [self.bin("plc-mqtt"), "--layout", self.layout, "--base-dir", self.base],
                env=self.env, stdout=self.mqtt_log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL)
            self.mqtt_starts += 1

    def mqtt_pid(self):
        if not self.fleet.supervised_mqtt:
            return self.mqtt.pid if self.mqtt and self.mqtt.poll() is None else None
        pid = None
        for line in self.supervise_text().splitlines():
            if line.startswith("plc-supervise: started plc-mqtt (pid "):
                pid = int(line.split("(pid ")[1].split(")")[0].split(",")[0])
        try:  # still that program (not a recycled pid)
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                return pid if b"plc-mqtt" in f.read() else None
        except (OSError, TypeError):
            return None

    def kill_mqtt(self):
        pid = self.mqtt_pid()
        if pid:
            os.kill(pid, signal.SIGKILL)
            if self.mqtt is not None and self.mqtt.pid == pid:
                self.mqtt.wait()
        return pid

    def run(self, *args):
        return subprocess.run([self.bin(args[0]), *args[1:]], env=self.env,
                              capture_output=True, text=True, timeout=30)

    def values(self, tags):
        r = self.run("plcctl", "--json", "get", *tags)
        if r.returncode != 0:
            raise RuntimeError(f"{self.name}: plcctl get: {r.stderr.strip()}")
        return json.loads(r.stdout)

    def stop(self):
        if self.mqtt is not None:
            mqtt_broker.stop_process(self.mqtt)
            self.mqtt_log.close()
        if self.supervise is not None:
            if not mqtt_broker.stop_process(self.supervise, timeout=20):
                log(f"{self.name}: plc-supervise did not stop in 20 s: killed with its group")
            try:  # whatever is left of its group (its services), by the group id
                os.killpg(self.supervise.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.supervise.wait()
            self.out.close()


class Fleet:
    def __init__(self, build, layout, program, pb2_dir, nodes):
        self.bin_dir = os.path.join(build, "services")
        self.layout_src, self.program, self.pb2_dir = layout, program, pb2_dir
        self.root = tempfile.mkdtemp(prefix="plc-mqtt-fleet-", dir="/dev/shm")
        self.names = [f"plc{i:02d}" for i in range(1, nodes + 1)]
        self.broker = mqtt_broker.Broker(self.root, group=GROUP, nodes=self.names)
        self.plcs, self.host = [], None
        help_text = subprocess.run([os.path.join(self.bin_dir, "plc-supervise"), "--help"],
                                   capture_output=True, text=True).stdout
        self.supervised_mqtt = "plc-mqtt" in help_text
        self.stop_keeper = threading.Event()
        self.keeper = None

    def keep(self):
        while not self.stop_keeper.wait(0.1):
            for p in self.plcs:
                p.keep_mqtt()

    def close(self):
        self.stop_keeper.set()
        if self.keeper:
            self.keeper.join()
        if self.host:
            self.host.close()
        for p in self.plcs:
            try:
                p.stop()
            except Exception as e:  # the others still get stopped
                log(f"{p.name}: stopping: {e!r}")
        self.broker.close()
        shutil.rmtree(self.root, ignore_errors=True)


def processes_under(root):
    """Pids of processes whose command line or environment names root (the
    fleet's services find their directories through both)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                text = f.read()
            with open(f"/proc/{pid}/environ", "rb") as f:
                text += f.read()
        except OSError:
            continue
        if root.encode() in text and int(pid) != os.getpid():
            found.append(int(pid))
    return found


def data_out_of_order(changes):
    """The DATA changes whose timestamp is older than the tag's previous
    DATA change: store and forward sends the stored ones after the births, in
    their order, before live data, so per tag they never go back in time (a
    resend after a lost PUBACK repeats a timestamp, it does not go back).
    Events/Text merges the services' event rings, so it is checked per
    service (the text's first word)."""
    last, bad = {}, []
    for c in changes:
        if c.kind not in ("NDATA", "DDATA"):
            continue
        key = (c.node, c.device, c.name)
        if c.name == "Events/Text":  # one ring per service, each in its own order
            key += (str(c.value).split(" ")[0],)
        if key in last and c.timestamp < last[key].timestamp:
            bad.append(f"{last[key]} then {c}")
        last[key] = c
    return bad


def devices_born(h, n, devices):
    node = h.node(n)
    return node and node.online and node.synced and all(
        node.devices.get(d) and node.devices[d].online for d in devices)


def main():
    build, layout, program, pb2_dir = sys.argv[1:5]
    nodes = int(os.environ.get("RASPIPLC_FLEET_NODES", "20"))
    chaos_s = float(os.environ.get("RASPIPLC_FLEET_CHAOS_S", "60"))
    seed = int(os.environ.get("RASPIPLC_FLEET_SEED", str(int(time.time()))))
    rng = random.Random(seed)
    log(f"fleet of {nodes}, {chaos_s:.0f} s of chaos, seed {seed} (RASPIPLC_FLEET_SEED)")
    if not os.path.exists(os.path.join(build, "services", "plc-mqtt")):
        print("plc-mqtt is not built", file=sys.stderr)
        return 1
    failures = []

    def check(what, ok, detail=""):
        log(("ok: " if ok else "FAIL: ") + what + ("" if ok else f": {detail}"))
        if not ok:
            failures.append(what)

    fleet = Fleet(build, layout, program, pb2_dir, nodes)
    try:
        fleet.broker.start()
        fleet.host = host = sp.SparkplugHost(
            fleet.broker.port, mqtt_broker.HOST_USER, fleet.broker.password(mqtt_broker.HOST_USER),
            pb2_dir=pb2_dir, group=GROUP).start()
        log(f"broker on port {fleet.broker.port}; plc-mqtt run by "
            + ("plc-supervise" if fleet.supervised_mqtt else "this test"))
        for i in range(nodes):
            fleet.plcs.append(Plc(fleet, i + 1))
        for p in fleet.plcs:
            p.start()
        fleet.keeper = threading.Thread(target=fleet.keep, daemon=True)
        fleet.keeper.start()
        host.wait_for(lambda h: all(devices_born(h, n, PUBLISH) for n in fleet.names), 120,
                      "births of every node")
        log(f"all {nodes} nodes born ({host.messages} messages)")
        check("no violation before the chaos", not host.violations, host.violations[:5])

        # --- chaos -----------------------------------------------------------
        end = time.monotonic() + chaos_s
        restarts = [time.monotonic() + chaos_s * f for f in (0.2, 0.45, 0.7)]
        kills = writes = changes = broker_restarts = 0
        down_until = None
        while time.monotonic() < end:
            now = time.monotonic()
            if down_until is None and restarts and now >= restarts[0]:
                restarts.pop(0)
                hard = broker_restarts % 2 == 0
                fleet.broker.kill() if hard else fleet.broker.stop()
                down_until = now + rng.uniform(0.5, 3.0)
                broker_restarts += 1
                log(f"broker {'killed' if hard else 'stopped'}, down for "
                    f"{down_until - now:.1f} s")
            if down_until is not None and now >= down_until:
                fleet.broker.start()
                down_until = None
                log("broker back")
            p = rng.choice(fleet.plcs)
            r = rng.random()
            if r < 0.1:
                pid = p.kill_mqtt()
                if pid:
                    kills += 1
                    log(f"{p.name}: plc-mqtt (pid {pid}) killed")
            elif r < 0.2:
                if fleet.broker.running() and host.node(p.name):
                    try:
                        host.write(p.name, "level_high", rng.randint(60, 95), device="parameters",
                                   wait=False)
                        writes += 1
                    except KeyError:
                        pass
            elif r < 0.6:
                res = p.run("plcctl", "force", "tank_level", f"{rng.uniform(0, 100):.1f}")
                if res.returncode:
                    check(f"{p.name}: plcctl force", False, res.stderr)
                changes += 1
            else:
                button = rng.choice(["start_button", "stop_button"])
                res = p.run("plc-io-sim", "set", button, str(rng.randint(0, 1)))
                if res.returncode:
                    check(f"{p.name}: plc-io-sim set", False, res.stderr)
                changes += 1
            time.sleep(rng.uniform(0.02, 0.15))  # pacing of the load, not a synchronisation
        if down_until is not None:
            fleet.broker.start()
        log(f"chaos over: {changes} tag changes, {writes} DCMD writes, {kills} plc-mqtt "
            f"killed, {broker_restarts} broker restarts")

        # --- quiescence: every node back, and the host's view equal to each PLC's
        host.wait_for(lambda h: all(devices_born(h, n, PUBLISH) for n in fleet.names), 120,
                      "every node online again")
        pending = {p.name: p for p in fleet.plcs}
        diffs = {}
        deadline = time.monotonic() + 60
        while pending and time.monotonic() < deadline:
            for name, p in list(pending.items()):
                with host.lock:
                    node = host.node(name)
                    view = {t: m.value for d in PUBLISH for t, m in
                            node.devices[d].metrics.items()}
                plc = p.values(sorted(view))
                diffs[name] = {t: (view[t], plc.get(t)) for t in view
                               if not same(view[t], plc.get(t))}
                if not diffs[name]:
                    del pending[name]
            if pending:
                time.sleep(0.2)  # values change (run_seconds): compare again shortly
        for name in pending:
            check(f"{name}: the host's view equals the PLC's", False, diffs[name])
        if not pending:
            tags = sum(len(host.node(n).devices[d].metrics) for n in fleet.names for d in PUBLISH)
            check(f"the host's view of all {tags} published tags of the {nodes} nodes equals the "
                  "PLCs'", True)
        with host.lock:
            check("every payload decoded", not host.errors, host.errors[:10])
            check("no seq or birth rule broken", not host.violations, host.violations[:10])
            regress = data_out_of_order(host.changes)
            check("every tag's changes arrived in the order of their timestamps "
                  "(live and stored alike)", not regress, regress[:5])
            births = sum(n.births for n in host.nodes.values())
            deaths = sum(n.deaths for n in host.nodes.values())
            log(f"host: {host.messages} messages, {len(host.changes)} metric changes, "
                f"{births} NBIRTHs, {deaths} NDEATHs, {len(host.resyncs)} resyncs, "
                f"{host.rebirths_sent} rebirths asked, {host.connects} connects")
            if kills:
                check("an NDEATH for killed plc-mqtt", deaths > 0, deaths)
    except Exception as e:
        check("fleet ran", False, repr(e))
    finally:
        if failures:
            for p in fleet.plcs:
                for f in sorted(os.listdir(p.logs)) if os.path.isdir(p.logs) else []:
                    if f == "plc-mqtt.log":
                        with open(os.path.join(p.logs, f), errors="replace") as fh:
                            tail = fh.read()[-1500:]
                        print(f"--- {p.name}/{f} (tail)\n{tail}")
            print("--- mosquitto log (tail)\n" + fleet.broker.log_text()[-3000:])
        fleet.close()
    check("every process stopped", not processes_under(fleet.root), processes_under(fleet.root))
    check("every directory removed", not os.path.exists(fleet.root), fleet.root)
    log("FAILED: " + ", ".join(failures) if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

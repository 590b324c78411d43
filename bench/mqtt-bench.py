#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""mqtt-bench: plc-mqtt's throughput, change-to-host latency, CPU and memory,
beside the floor measured in the same run (bench/README-mqtt.md).

Two scenarios, each in two phases of --seconds:
  node:  one edge node whose layout (generated here) has --tags int32 tags in
         region 'inputs' (default 1000);
  fleet: --nodes plc-mqtt (default 20), each with --fleet-tags tags (default 50).
The bench is the writer of each 'inputs' region, in plc-io's place (through
libplc.so): every --period-ms (default 20) it writes round k to every tag of
every node and notes the time. A subscriber (paho, in this process) stamps
each message as it arrives; after the phase it decodes them (sparkplug_b_pb2)
and takes, for each metric, arrival minus the write of its round.

  plc-mqtt phase: plc-mqtt publishes the changes it sees (DDATA, QoS 1).
  floor phase:    the same rounds, the same payloads (built before the phase,
                  --floor-chunk metrics per message as plc-mqtt splits them)
                  published with QoS 1 by bare paho publishers, one process
                  and connection per node, as each round is written: no
                  region read and no encoding, what the broker and the
                  subscriber alone take.

Prints messages/s, metrics/s, latency p50/p95/p99 of both and their ratios;
plc-mqtt's CPU (utime+stime and schedstat) per message and per metric,
mosquitto's beside it in both phases, and plc-mqtt's RSS and PSS. Reports,
asserts nothing.

usage: mqtt-bench.py [--build DIR] [--seconds S] [--period-ms MS] [--tags N]
                     [--nodes N] [--fleet-tags N] [--floor-chunk N] [--only node|fleet]
                     [--label TEXT]"""
import argparse
import ctypes
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(SRC, "tests", "mqtt"))
import broker as mqtt_broker  # noqa: E402
import sparkplug_host as sp  # noqa: E402

GROUP = "bench"
CLK_TCK = os.sysconf("SC_CLK_TCK")


def percentile(sorted_values, p):
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(p / 100 * (len(sorted_values) - 1))))
    return sorted_values[i]


def proc_cpu(pid):
    """(utime+stime seconds, schedstat seconds summed over threads, context switches)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    ticks = (int(fields[11]) + int(fields[12])) / CLK_TCK
    ns = switches = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                run, _, n = f.read().split()
            ns += int(run)
            switches += int(n)
        except OSError:
            pass
    return ticks, ns / 1e9, switches


def proc_mem(pid):
    """(RSS KiB, PSS KiB)."""
    rss = pss = 0
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


class Libplc:
    """The region writer through libplc.so, as plc-io would be."""

    def __init__(self, build):
        self.lib = ctypes.CDLL(os.path.join(build, "runtime", "libplc.so"))
        self.lib.plc_layout_load.restype = ctypes.c_void_p
        self.lib.plc_layout_load.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
        self.lib.plc_region_attach.restype = ctypes.c_void_p
        self.lib.plc_region_attach.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_char_p,
                                               ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p]
        self.lib.plc_region_write.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self.lib.plc_region_detach.argtypes = [ctypes.c_void_p]
        self.lib.plc_layout_free.argtypes = [ctypes.c_void_p]

    def attach_writer(self, layout, base):
        lay = self.lib.plc_layout_load(layout.encode(), None)
        if not lay:
            raise RuntimeError(f"plc_layout_load('{layout}') failed")
        reg = self.lib.plc_region_attach(lay, base.encode(), b"inputs", 2, b"io", None)
        if not reg:
            self.lib.plc_layout_free(lay)
            raise RuntimeError(f"attach to 'inputs' in '{base}' as its writer failed")
        return lay, reg


class Node:
    """One generated layout, its regions and (in its phase) its plc-mqtt."""

    def __init__(self, bench, name, ntags):
        self.bench, self.name, self.ntags = bench, name, ntags
        self.dir = os.path.join(bench.root, name)
        self.base = os.path.join(self.dir, "base")
        os.makedirs(self.base)
        self.layout = os.path.join(self.dir, "layout.ini")
        b = bench.broker
        lines = ["[layout]", "name = mqttbench", "version = 1",
                 "description = mqtt-bench: int32 tags written by the bench", "",
                 "[region inputs]", "writer = io", ""]
        for i in range(ntags):
            lines += [f"[tag t{i:04d}]", "region = inputs", "type = int32", ""]
        lines += ["[mqtt]", "enabled = yes", f"broker = {b.url}", f"group_id = {GROUP}",
                  f"edge_node = {name}", f"username = {name}",
                  f"password_file = {b.password_file(name)}", "publish = inputs",
                  "store = 100000", "keepalive = 30s", "reconnect = 100ms..1s"]
        with open(self.layout, "w") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([bench.bin("plc-shm-init"), "--layout", self.layout,
                            "--base-dir", self.base], capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"plc-shm-init: {r.stderr}")
        self.lay, self.reg = bench.plc.attach_writer(self.layout, self.base)
        # Offsets from plcctl's dump (int32 tags, in layout order).
        r = subprocess.run([bench.bin("plcctl"), "--layout", self.layout, "--base-dir", self.base,
                            "--json", "dump", "inputs"], capture_output=True, text=True)
        self.offsets = [t["offset"] for t in json.loads(r.stdout)]
        self.buf = ctypes.create_string_buffer(max(self.offsets) + 4 + 65536)
        self.view = memoryview(self.buf).cast("B")
        self.proc = None

    def write_round(self, k):
        v = (k & 0x7FFFFFFF).to_bytes(4, sys.byteorder)
        for off in self.offsets:
            self.view[off:off + 4] = v
        if self.bench.plc.lib.plc_region_write(self.reg, self.buf) != 0:
            raise RuntimeError(f"{self.name}: plc_region_write failed")

    def start_mqtt(self):
        self.log = open(os.path.join(self.dir, "plc-mqtt.log"), "w")
        self.proc = subprocess.Popen([self.bench.bin("plc-mqtt"), "--layout", self.layout,
                                      "--base-dir", self.base], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def stop_mqtt(self):
        if self.proc:
            mqtt_broker.stop_process(self.proc)
            self.log.close()
        self.proc = None

    def close(self):
        self.stop_mqtt()
        if getattr(self, "reg", None):
            self.bench.plc.lib.plc_region_detach(self.reg)
            self.bench.plc.lib.plc_layout_free(self.lay)
            self.reg = None


class Subscriber:
    """Stamps every spBv1.0 message on arrival; decodes after the phase."""

    def __init__(self, port, password, pb2):
        import paho.mqtt.client as mqtt
        self.pb2 = pb2
        self.got = []
        self.ready = threading.Event()
        self.c = mqtt.Client(client_id=f"bench-host-{os.getpid()}")
        self.c.username_pw_set(mqtt_broker.HOST_USER, password)

        def on_connect(c, u, f, rc):
            c.subscribe(f"spBv1.0/{GROUP}/#", qos=1)

        self.c.on_connect = on_connect
        self.c.on_subscribe = lambda *a: self.ready.set()
        self.c.on_message = lambda c, u, m: self.got.append((time.monotonic_ns(), m.topic,
                                                             m.payload))
        self.c.connect("127.0.0.1", port)
        self.c.loop_start()
        if not self.ready.wait(10):
            raise RuntimeError("the bench's subscriber did not subscribe")

    def take(self):
        got, self.got = self.got, []
        return got

    def close(self):
        self.c.disconnect()
        self.c.loop_stop()


def floor_publisher(port, name, password, pb2_dir, ntags, rounds, chunk):
    """Child process, one per node: builds every round's DDATA payloads of
    that node (chunk metrics each, as plc-mqtt splits them), says 'ready',
    then publishes round k's when k arrives on stdin."""
    import paho.mqtt.client as mqtt
    pb2 = sp.load_pb2(pb2_dir)
    topic = f"spBv1.0/{GROUP}/DDATA/{name}/inputs"
    payloads, seq = {}, 0
    for k in range(1, rounds + 1):
        ts = int(time.time() * 1000)
        payloads[k] = []
        for lo in range(0, ntags, chunk):
            metrics = [{"name": f"t{i:04d}", "alias": i + 1, "datatype": sp.INT32, "value": k,
                        "timestamp": ts} for i in range(lo, min(ntags, lo + chunk))]
            payloads[k].append(sp.encode_payload(pb2, metrics, seq=seq, timestamp=ts))
            seq = (seq + 1) % 256
    c = mqtt.Client(client_id=f"floor-{name}")
    c.username_pw_set(name, password)
    c.max_inflight_messages_set(1000)
    c.connect("127.0.0.1", port)
    c.loop_start()
    while not c.is_connected():
        time.sleep(0.01)
    print("ready", flush=True)
    for line in sys.stdin:
        for payload in payloads[int(line)]:
            c.publish(topic, payload, qos=1)
    c.disconnect()
    c.loop_stop()


class Bench:
    def __init__(self, args):
        self.args = args
        self.build = os.path.abspath(args.build)
        self.pb2_dir = os.path.join(self.build, "tests", "mqtt", "pb2")
        self.pb2 = sp.load_pb2(self.pb2_dir)
        self.plc = Libplc(self.build)
        self.root = tempfile.mkdtemp(prefix="plc-mqtt-bench-", dir="/dev/shm")
        self.nodes = []
        self.broker = None
        self.sub = None

    def bin(self, name):
        return os.path.join(self.build, "services", name)

    def close(self):
        if self.sub:
            self.sub.close()
        for n in self.nodes:
            n.close()
        if self.broker:
            self.broker.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def run_rounds(self, nodes, rounds, write):
        """Writes (or has published) rounds 1..rounds every period; returns
        {k: monotonic ns of round k's write}."""
        period = self.args.period_ms * 1e6
        stamps = {}
        t0 = time.monotonic_ns() + 50_000_000
        for k in range(1, rounds + 1):
            delay = t0 + (k - 1) * period - time.monotonic_ns()
            if delay > 0:
                time.sleep(delay / 1e9)  # the bench's pace, not a synchronisation
            stamps[k] = time.monotonic_ns()
            write(k)
        return stamps

    def settle(self, rounds_expected, nodes, timeout=10.0):
        """Waits until the last round reached the subscriber from every node
        (or timeout: a loss shows in the counts)."""
        deadline = time.monotonic() + timeout
        want = {n.name for n in nodes}
        while time.monotonic() < deadline:
            seen = set()
            for _, topic, payload in self.sub.got[-len(nodes) * 4:]:
                p = self.pb2.Payload()
                p.ParseFromString(payload)
                if p.metrics and p.metrics[-1].int_value == rounds_expected:
                    seen.add(topic.split("/")[3])
            if seen >= want:
                return
            time.sleep(0.05)

    def analyse(self, got, stamps, nodes, seconds):
        lat, messages, metrics, bad = [], 0, 0, 0
        for t, topic, payload in got:
            parts = topic.split("/")
            if len(parts) < 3 or parts[2] != "DDATA":
                continue
            p = self.pb2.Payload()
            try:
                p.ParseFromString(payload)
            except Exception:
                bad += 1
                continue
            messages += 1
            for m in p.metrics:
                k = m.int_value
                if k in stamps:
                    metrics += 1
                    lat.append((t - stamps[k]) / 1000)
        lat.sort()
        expected = len(stamps) * sum(n.ntags for n in nodes)
        return {"messages": messages, "metrics": metrics, "expected": expected, "bad": bad,
                "msg_s": messages / seconds, "metric_s": metrics / seconds,
                "p50": percentile(lat, 50), "p95": percentile(lat, 95),
                "p99": percentile(lat, 99), "max": lat[-1] if lat else float("nan")}

    def scenario(self, label, nnodes, ntags):
        a = self.args
        rounds = int(a.seconds * 1000 / a.period_ms)
        seconds = rounds * a.period_ms / 1000
        names = [f"{label}{i:02d}" for i in range(1, nnodes + 1)]
        self.broker = mqtt_broker.Broker(self.root, group=GROUP, nodes=names).start()
        self.sub = Subscriber(self.broker.port, self.broker.password(mqtt_broker.HOST_USER),
                              self.pb2)
        nodes = self.nodes = [Node(self, n, ntags) for n in names]
        print(f"\n== {label}: {nnodes} node(s) x {ntags} int32 tags, a round every "
              f"{a.period_ms} ms for {seconds:.0f} s ({rounds} rounds, "
              f"{nnodes * ntags * rounds} changes) ==", flush=True)

        # plc-mqtt phase
        for n in nodes:
            n.start_mqtt()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(
                {t.split("/")[3] for _, t, _ in self.sub.got if "/DBIRTH/" in t}) < nnodes:
            time.sleep(0.05)
        self.sub.take()
        pids = [n.proc.pid for n in nodes]
        cpu0 = [proc_cpu(p) for p in pids]
        bcpu0 = proc_cpu(self.broker.proc.pid)
        stamps = self.run_rounds(nodes, rounds, lambda k: [n.write_round(k) for n in nodes])
        self.settle(rounds, nodes)
        cpu1 = [proc_cpu(p) for p in pids]
        bcpu1 = proc_cpu(self.broker.proc.pid)
        mem = [proc_mem(p) for p in pids]
        res = self.analyse(self.sub.take(), stamps, nodes, seconds)
        ticks = sum(c1[0] - c0[0] for c0, c1 in zip(cpu0, cpu1))
        sched = sum(c1[1] - c0[1] for c0, c1 in zip(cpu0, cpu1))
        res.update(cpu_ticks=ticks, cpu_sched=sched, broker_cpu=bcpu1[1] - bcpu0[1],
                   rss=sum(m[0] for m in mem) / nnodes, pss=sum(m[1] for m in mem) / nnodes)
        for n in nodes:
            n.stop_mqtt()

        # floor phase: the same rounds through bare publishers, one per node
        children = [subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--floor-child", str(self.broker.port), n,
             self.broker.password(n), self.pb2_dir, str(ntags), str(rounds), str(a.floor_chunk)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) for n in names]
        try:
            for child in children:
                if child.stdout.readline().strip() != "ready":
                    raise RuntimeError("a floor publisher did not start")
            self.sub.take()
            fcpu0 = [proc_cpu(c.pid) for c in children]
            bcpu0 = proc_cpu(self.broker.proc.pid)

            def publish(k):
                for child in children:
                    child.stdin.write(f"{k}\n")
                    child.stdin.flush()
            fstamps = self.run_rounds(nodes, rounds, publish)
            self.settle(rounds, nodes)
            fcpu1 = [proc_cpu(c.pid) for c in children]
            bcpu1 = proc_cpu(self.broker.proc.pid)
        finally:
            for child in children:
                child.stdin.close()
                mqtt_broker.stop_process(child, timeout=30)
        floor = self.analyse(self.sub.take(), fstamps, nodes, seconds)
        floor.update(cpu_sched=sum(c1[1] - c0[1] for c0, c1 in zip(fcpu0, fcpu1)),
                     broker_cpu=bcpu1[1] - bcpu0[1])
        self.report(label, res, floor, seconds)
        for n in nodes:
            n.close()
        self.nodes = []
        self.sub.close()
        self.sub = None
        self.broker.close()
        self.broker = None

    def report(self, label, r, f, seconds):
        def ratio(a, b):
            return f"{a / b:.2f}x" if b else "-"
        print(f"{'':28} {'plc-mqtt':>14} {'floor':>14} {'ratio':>8}")
        rows = [("DDATA messages", r["messages"], f["messages"], "{:,}"),
                ("metrics received", r["metrics"], f["metrics"], "{:,}"),
                ("metrics written", r["expected"], f["expected"], "{:,}"),
                ("messages/s", r["msg_s"], f["msg_s"], "{:,.1f}"),
                ("metrics/s", r["metric_s"], f["metric_s"], "{:,.0f}"),
                ("latency p50 (us)", r["p50"], f["p50"], "{:,.0f}"),
                ("latency p95 (us)", r["p95"], f["p95"], "{:,.0f}"),
                ("latency p99 (us)", r["p99"], f["p99"], "{:,.0f}"),
                ("latency max (us)", r["max"], f["max"], "{:,.0f}"),
                ("mosquitto CPU (%)", 100 * r["broker_cpu"] / seconds,
                 100 * f["broker_cpu"] / seconds, "{:.1f}")]
        for name, a, b, fmt in rows:
            print(f"{name:28} {fmt.format(a):>14} {fmt.format(b):>14} {ratio(a, b):>8}")
        per_msg = r["cpu_sched"] / r["messages"] * 1e6 if r["messages"] else float("nan")
        per_metric = r["cpu_sched"] / r["metrics"] * 1e6 if r["metrics"] else float("nan")
        fper = f["cpu_sched"] / f["messages"] * 1e6 if f["messages"] else float("nan")
        print(f"plc-mqtt CPU: {100 * r['cpu_sched'] / seconds:.1f} % of one core (schedstat; "
              f"utime+stime {100 * r['cpu_ticks'] / seconds:.1f} %), {per_msg:.0f} us per message, "
              f"{per_metric:.2f} us per metric; the floor's python publisher {fper:.0f} us per "
              f"message")
        print(f"plc-mqtt memory per process: RSS {r['rss']:,.0f} KiB, PSS {r['pss']:,.0f} KiB")
        if r["bad"] or f["bad"]:
            print(f"payloads that did not decode: plc-mqtt {r['bad']}, floor {f['bad']}")


def main():
    if len(sys.argv) > 1 and sys.argv[1] == "--floor-child":
        port, name, password, pb2_dir, ntags, rounds, chunk = sys.argv[2:9]
        floor_publisher(int(port), name, password, pb2_dir, int(ntags), int(rounds), int(chunk))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(SRC, "build"))
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--period-ms", type=float, default=20)
    ap.add_argument("--tags", type=int, default=1000)
    ap.add_argument("--nodes", type=int, default=20)
    ap.add_argument("--fleet-tags", type=int, default=50)
    ap.add_argument("--floor-chunk", type=int, default=256,
                    help="metrics per floor message (plc-mqtt's MAX_METRICS)")
    ap.add_argument("--only", choices=["node", "fleet"])
    ap.add_argument("--label", default="")
    a = ap.parse_args()
    commit = subprocess.run(["git", "-C", SRC, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    print(f"mqtt-bench {a.label} (commit {commit}, {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.2f}, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})")
    print("command: " + " ".join(sys.argv))
    bench = Bench(a)
    try:
        if a.only in (None, "node"):
            bench.scenario("node", 1, a.tags)
        if a.only in (None, "fleet"):
            bench.scenario("fleet", a.nodes, a.fleet_tags)
    finally:
        bench.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

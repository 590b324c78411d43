#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plc-mqtt end to end, against a real mosquitto (broker.py: password file and
ACL) and a Sparkplug B host application (sparkplug_host.py: decodes every
payload with python3-protobuf, checks seq and bdSeq). The demo PLC runs with
the demo program (plc-shm-init, plc-io on the sim backend, plc-logic with
examples/motor.so, plc-modbus) and plc-mqtt publishes it as edge node 'demo',
with the host as its primary host. Checks: the births' contents against the
layout and plcctl; DDATA of a tank_level change (made with plcctl force, which
plc-io applies: plc-io-sim drives bool lines only) and its deadband; writes by
DCMD and NCMD applied and read back over Modbus; refused writes (not writable,
out of limits) not applied and counted; rebirth on NCMD; kill -9 of plc-mqtt
giving the NDEATH of its NBIRTH's bdSeq and a restart the next bdSeq; a broker
killed and restarted with changes made meanwhile, every one arriving once, in
order, historical, with its own timestamp, and seq never out of order.
usage: mqtt-e2e.py BUILD_DIR LAYOUT PB2_DIR"""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Broker, free_port, stop_process  # noqa: E402
from sparkplug_host import BOOLEAN, FLOAT, INT64, SparkplugHost, encode_payload  # noqa: E402

build, layout_src, pb2_dir = sys.argv[1], sys.argv[2], sys.argv[3]
svc = os.path.join(build, "services")
work = tempfile.mkdtemp(prefix="plc-mqtt-e2e-", dir="/dev/shm")
base = os.path.join(work, "base")
layout = os.path.join(work, "demo.ini")
env = dict(os.environ, RASPIPLC_BASE_DIR=base, RASPIPLC_LAYOUT=layout,
           RASPIPLC_RETAIN_DIR=os.path.join(work, "retain"))
env.pop("RASPIPLC_EVENTS_DIR", None)
env.pop("RASPIPLC_IO_BACKEND", None)
procs = []
failures = 0
DEVICES = ["inputs", "outputs", "commands", "parameters", "status", "diagnostics", "alarms"]
TYPES = {"bool": BOOLEAN, "int8": 1, "int16": 2, "int32": 3, "int64": INT64, "uint8": 5,
         "uint16": 6, "uint32": 7, "uint64": 8, "float32": FLOAT, "float64": 10}


def check(what, ok, detail=""):
    global failures
    if ok:
        print(f"ok: {what}")
    else:
        failures += 1
        print(f"FAIL: {what}: {detail}")


def spawn(name, *args):
    log = open(os.path.join(work, name + ".log"), "a")
    p = subprocess.Popen([os.path.join(svc, name), *args], env=env, stdout=log, stderr=log)
    procs.append(p)
    return p


def run(name, *args):
    return subprocess.run([os.path.join(svc, name), *args], env=env, capture_output=True,
                          text=True, timeout=60)


def until(fn, within=15):
    """Poll fn until it returns something true; its last value after within s."""
    deadline = time.monotonic() + within
    while True:
        got = fn()
        if got or time.monotonic() > deadline:
            return got
        time.sleep(0.02)


def write_layout(broker, modbus_port):
    """The demo layout with [modbus] on a port of its own and [mqtt] enabled for this broker."""
    out, section = [], None
    for line in open(layout_src):
        s = line.strip()
        if s.startswith("["):
            section = s
        if section == "[modbus]" and s.startswith("listen ="):
            line = f"listen = 127.0.0.1:{modbus_port}\n"
        if section == "[mqtt]" and not s.startswith("[") and s and not s.startswith(";"):
            continue  # ours below
        out.append(line)
        if s == "[mqtt]":
            out += [f"{kv}\n" for kv in (
                "enabled = yes", f"broker = {broker.url}", "group_id = raspiplc",
                "edge_node = demo", "primary_host = host", "username = demo",
                f"password_file = {broker.password_file('demo')}", "publish = all",
                "deadband = tank_level:0.5",
                "writable = level_high level_low cmd_start cmd_stop", "keepalive = 5s",
                "reconnect = 100ms..1s")]
    with open(layout, "w") as f:
        f.writelines(out)


def declared_tags():
    """(name, type) of the layout's [tag] sections, in file order: alias = position + 1."""
    tags, name = [], None
    for line in open(layout_src):
        s = line.strip()
        if s.startswith("[tag "):
            name = s[5:-1].strip()
        elif name and s.startswith("type ="):
            tags.append((name, s.split("=", 1)[1].strip()))
            name = None
    return tags


def modbus_read_float(port, address):
    """Holding registers address, address+1 (FC3) as a big-endian (ABCD) float32."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(struct.pack(">HHHBBHH", 1, 0, 6, 1, 3, address, 2))
        data = b""
        while len(data) < 13:
            chunk = s.recv(13 - len(data))
            if not chunk:
                raise OSError("the gateway closed the connection")
            data += chunk
    if data[7] != 3:
        raise OSError(f"Modbus exception {data[8]}")
    return struct.unpack(">f", data[9:13])[0]


def port_open(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def births_done(h, births):
    n = h.node("demo")
    return (n and n.online and n.births >= births and
            all(n.device(d).births >= births and n.device(d).online for d in DEVICES))


def node_metric(h, name):
    n = h.node("demo")
    m = n.node.metrics.get(name) if n else None
    return m.value if m else None


def changes_of(h, name, device="inputs", since=0):
    return [c for c in h.changes[since:] if c.name == name and c.device == device
            and c.kind == "DDATA"]


broker = host = mqtt = None
try:
    broker = Broker(work, group="raspiplc", nodes=["demo"]).start()
    modbus_port = free_port()
    write_layout(broker, modbus_port)
    host = SparkplugHost(broker.port, "host", broker.password("host"), pb2_dir=pb2_dir,
                         host_id="host", group="raspiplc").start()

    subprocess.run([os.path.join(svc, "plc-shm-init"), "-q"], env=env, check=True)
    spawn("plc-io", "--backend", "sim")
    spawn("plc-logic", "--program", os.path.join(build, "examples", "motor.so"),
          "--priority", "0", "--no-lock-memory", "--cpu-dma-latency", "none")
    spawn("plc-modbus")
    check("the gateway listens", until(lambda: port_open(modbus_port)), modbus_port)
    mqtt = spawn("plc-mqtt")

    # ---- births ---------------------------------------------------------------
    host.wait_for(lambda h: births_done(h, 1), 20, "NBIRTH and every DBIRTH")
    node = host.node("demo")
    with host.lock:
        first_bd = node.bd_seq
        nm = node.node.metrics
        check("NBIRTH: seq 0, bdSeq, Rebirth false, the layout's hash and version",
              node.seq is not None and nm["bdSeq"].datatype == INT64 and
              nm["Node Control/Rebirth"].value is False and
              nm["Properties/Layout Version"].value == 4 and
              len(nm["Properties/Layout Hash"].value) == 16 and
              nm["Stats/Refused Writes"].value == 0, {k: m.value for k, m in nm.items()})
        ok, bad = True, []
        values = json.loads(run("plcctl", "--json", "get", *[t for t, _ in declared_tags()
                                                             if t != "tank_level"]).stdout)
        for i, (name, typ) in enumerate(declared_tags()):
            dev = next((d for d in DEVICES if name in node.device(d).metrics), None)
            m = node.device(dev).metrics.get(name) if dev else None
            steady = dev in ("inputs", "commands", "parameters")  # the rest moves by itself
            if (m is None or m.alias != i + 1 or m.datatype != TYPES[typ] or
                    (steady and name in values and m.value != values[name])):
                bad.append((name, m and (m.alias, m.datatype, m.value), values.get(name)))
        check("DBIRTHs: every tag with its name, alias (index + 1), datatype and value",
              not bad, bad)
        check("DBIRTH of the alarm region: its made tags",
              "tank_level_h_active" in node.device("alarms").metrics,
              list(node.device("alarms").metrics))

    # ---- data, deadband ---------------------------------------------------------
    mark = len(host.changes)
    run("plcctl", "force", "tank_level", "42.5")
    host.wait_for(lambda h: changes_of(h, "tank_level", since=mark), 10, "DDATA tank_level")
    run("plcctl", "force", "tank_level", "42.8")  # within the deadband of 0.5
    run("plcctl", "force", "tank_level", "43.5")
    host.wait_for(lambda h: any(abs(c.value - 43.5) < 1e-4 for c in
                                changes_of(h, "tank_level", since=mark)), 10, "tank_level 43.5")
    with host.lock:
        seen = [round(c.value, 3) for c in changes_of(host, "tank_level", since=mark)]
        check("DDATA: tank_level 42.5 then 43.5; 42.8, within the deadband, not sent",
              seen == [42.5, 43.5], seen)
        check("DDATA: not historical, each metric with its own timestamp",
              all(not c.is_historical and c.timestamp > 0
                  for c in changes_of(host, "tank_level", since=mark)))

    # ---- writes -------------------------------------------------------------------
    host.write("demo", "level_high", 85.0, device="parameters")
    host.wait_for(lambda h: h.value("demo", "level_high", "parameters") == 85.0, 10,
                  "level_high 85 by DCMD")
    check("DCMD level_high 85: applied, read back over Modbus (holding register 100)",
          modbus_read_float(modbus_port, 100) == 85.0, modbus_read_float(modbus_port, 100))
    host.write("demo", "level_low", 25.0, datatype=FLOAT)  # NCMD
    host.wait_for(lambda h: h.value("demo", "level_low", "parameters") == 25.0, 10,
                  "level_low 25 by NCMD")
    check("NCMD level_low 25: applied, read back over Modbus (holding register 102)",
          modbus_read_float(modbus_port, 102) == 25.0)
    host.write("demo", "level_high", 150.0, device="parameters")  # outside 0..100
    host.write("demo", "tank_level", 10.0, device="inputs")      # written by plc-io
    host.write("demo", "level_alarm", 50.0, device="parameters")  # not in [mqtt] writable
    host.wait_for(lambda h: node_metric(h, "Stats/Refused Writes") == 3, 10,
                  "Stats/Refused Writes 3")
    check("refused writes not applied: level_high still 85, level_alarm 95",
          modbus_read_float(modbus_port, 100) == 85.0 and
          modbus_read_float(modbus_port, 104) == 95.0)
    log = open(os.path.join(work, "plc-mqtt.log")).read()
    check("refusals logged with tag and reason",
          "refused mqtt write of 'level_high': tag 'level_high': value 150 is outside its "
          "limits 0 to 100" in log and "refused mqtt write of 'tank_level'" in log and
          "refused mqtt write of 'level_alarm': not writable" in log, log[-2000:])
    host.wait_for(lambda h: any(c.name == "Events/Text" and "level_alarm: refused" in str(c.value)
                                for c in h.changes), 10, "the refusal's event")
    with host.lock:
        texts = [c.value for c in host.changes if c.name == "Events/Text"]
    check("writes and refusals are events (Events/Text)",
          any("mqtt host set level_high 80 -> 85" in t for t in texts), texts)

    # ---- rebirth, watched with mosquitto_sub and plcctl mqtt-decode --------------------
    dump = os.path.join(work, "sub.txt")
    with open(dump, "w") as out:
        sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port),
                                "-u", "host", "-P", broker.password("host"), "-q", "1",
                                "-v", "-F", "%t %x", "-t", "spBv1.0/raspiplc/#",
                                "-t", "spBv1.0/STATE/+"],
                               stdout=out, stderr=subprocess.DEVNULL)
    procs.append(sub)
    # Subscribed once the host's retained STATE came (mqtt-decode passes STATE lines over).
    check("mosquitto_sub is subscribed",
          until(lambda: "spBv1.0/STATE/host " in open(dump).read()), open(dump).read())
    host.rebirth("demo")
    host.wait_for(lambda h: births_done(h, 2), 10, "births after NCMD Rebirth")
    check("rebirth on NCMD: the same bdSeq", host.node("demo").bd_seq == first_bd,
          (host.node("demo").bd_seq, first_bd))
    until(lambda: "DBIRTH/demo/alarms " in open(dump).read())
    stop_process(sub)
    with open(dump) as f:
        text = subprocess.run([os.path.join(svc, "plcctl"), "mqtt-decode"], stdin=f,
                              capture_output=True, text=True, timeout=30)
    with open(dump) as f:
        js = subprocess.run([os.path.join(svc, "plcctl"), "mqtt-decode", "--json"], stdin=f,
                            capture_output=True, text=True, timeout=30)
    check("plcctl mqtt-decode: the rebirth decoded, names and values",
          text.returncode == 0 and "spBv1.0/raspiplc/NBIRTH/demo seq 0 timestamp " in text.stdout
          and "  level_high (13) = 85 [Float]" in text.stdout, text.stdout[-1500:] + text.stderr)
    msgs = [json.loads(l) for l in js.stdout.splitlines()]
    check("plcctl mqtt-decode --json: one object per message",
          js.returncode == 0 and any(
              m["topic"] == "spBv1.0/raspiplc/DBIRTH/demo/parameters" and
              {"name": "level_high", "alias": 13, "datatype": "Float", "value": 85.0}.items()
              <= next(x for x in m["metrics"] if x["name"] == "level_high").items()
              for m in msgs), js.stdout[-1500:] + js.stderr)

    # A watch started after the birth: DATA by alias only is named from the layout given.
    line = "spBv1.0/raspiplc/DDATA/demo/parameters " + encode_payload(
        host.pb2, [{"alias": 13, "datatype": FLOAT, "value": 85.0}], seq=7).hex() + "\n"
    named = subprocess.run([os.path.join(svc, "plcctl"), "--layout", layout, "mqtt-decode"],
                           input=line, capture_output=True, text=True, timeout=30)
    check("plcctl mqtt-decode --layout: an alias before any birth named from the layout",
          named.returncode == 0 and "  level_high (13) = 85 [Float]" in named.stdout,
          named.stdout + named.stderr)
    unnamed = subprocess.run([os.path.join(svc, "plcctl"), "--layout",
                              os.path.join(work, "none.ini"), "mqtt-decode"],
                             input=line, capture_output=True, text=True, timeout=30)
    check("plcctl mqtt-decode without a layout: '?' and a line saying names need a birth",
          unnamed.returncode == 0 and "  ? (13) = 85 [Float]" in unnamed.stdout
          and "none.ini" in unnamed.stderr and "births only" in unnamed.stderr,
          unnamed.stdout + unnamed.stderr)

    # ---- kill -9 of plc-mqtt ----------------------------------------------------------
    mqtt.send_signal(signal.SIGKILL)
    mqtt.wait()
    host.wait_for(lambda h: h.node("demo").deaths >= 1, 20, "NDEATH from the broker")
    with host.lock:
        check("kill -9: the broker delivers NDEATH with the NBIRTH's bdSeq",
              node.death_bd_seq == first_bd and not node.online, (node.death_bd_seq, first_bd))
    births = host.node("demo").births
    mqtt = spawn("plc-mqtt")
    host.wait_for(lambda h: births_done(h, births + 1), 20, "births after the restart")
    second_bd = host.node("demo").bd_seq
    check("restart: a new birth with bdSeq + 1", second_bd == (first_bd + 1) % 256,
          (second_bd, first_bd))

    # ---- broker killed with changes meanwhile --------------------------------------------
    births = host.node("demo").births
    broker.kill()
    sent = []
    for v in (50.0, 51.0, 52.0, 53.0, 54.0, 55.0):
        before = int(time.time() * 1000)
        run("plcctl", "force", "tank_level", str(v))
        until(lambda: json.loads(run("plcctl", "--json", "get", "tank_level").stdout)
              ["tank_level"] == v)
        # plc-mqtt looks at the region every 10 ms and says nothing per change: a quarter
        # second (25 looks) before the next value, so each is seen on its own.
        time.sleep(0.25)
        sent.append((v, before, int(time.time() * 1000)))
    broker.start()
    host.wait_for(lambda h: births_done(h, births + 1), 30, "births after the broker's restart")
    host.wait_for(lambda h: len([c for c in h.node("demo").history if c.name == "tank_level"])
                  >= len(sent), 20, "the stored changes")
    with host.lock:
        hist = [c for c in host.node("demo").history if c.name == "tank_level"]
        got = [round(c.value, 3) for c in hist]
        check("store and forward: every change once, in order",
              got == [v for v, _, _ in sent], got)
        check("store and forward: is_historical, each with the time it was seen",
              all(c.is_historical and b <= c.timestamp <= a + 50
                  for c, (_, b, a) in zip(hist, sent)),
              [(c.timestamp, b, a) for c, (_, b, a) in zip(hist, sent)])
        check("store and forward: the bdSeq of the new connection",
              host.node("demo").bd_seq == (second_bd + 1) % 256, host.node("demo").bd_seq)
        check("seq: no gap or repeat the specification forbids", not host.violations,
              host.violations)
        check("every payload decoded, every metric named", not host.errors, host.errors[:5])

    run("plcctl", "unforce", "--all")
    deaths = host.node("demo").deaths
    stop_process(mqtt)
    check("SIGTERM: plc-mqtt exits 0", mqtt.returncode == 0, mqtt.returncode)
    host.wait_for(lambda h: h.node("demo").deaths > deaths, 10, "NDEATH at SIGTERM")
    check("SIGTERM: its own NDEATH (a clean disconnect sends no will)",
          host.node("demo").death_bd_seq == (second_bd + 1) % 256)
except Exception as e:  # a wait that timed out: report it with the logs below
    check("no exception", False, repr(e))
finally:
    if host:
        host.close()
    for p in reversed(procs):
        stop_process(p)
    if failures:
        for name in ("plc-mqtt.log", "plc-modbus.log"):
            path = os.path.join(work, name)
            if os.path.exists(path):
                print(f"--- {name}\n" + open(path).read()[-4000:])
        if broker:
            print("--- mosquitto\n" + broker.log_text()[-3000:])
    if broker:
        broker.close()
    shutil.rmtree(work, ignore_errors=True)

print(f"{'FAILED' if failures else 'passed'}: {failures} failure(s)")
sys.exit(1 if failures else 0)

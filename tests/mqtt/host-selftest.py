#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The tests' MQTT fixture checked on its own (not plc-mqtt): broker.py's
mosquitto with its password file and ACL, and sparkplug_host.py following a
fake edge node, a subprocess publishing Sparkplug B payloads with paho.
Checks birth, data, an is_historical change that must not override a newer
value, a seq gap found and answered with a rebirth request that the fake node
honours, a DCMD write reaching the node, an undecodable payload recorded, a
stale NDEATH ignored, a refused publish outside the node's ACL, the NDEATH
the broker sends as the will when the node is killed with SIGKILL, and the
host's reconnect after a broker restart.
usage: host-selftest.py PB2_DIR
       host-selftest.py --edge PB2_DIR PORT USER PASSWORD GROUP (the fake node)"""
import os
import signal
import subprocess
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sparkplug_host as sp  # noqa: E402

GROUP, EDGE = "selftest", "fake1"


def edge_main(pb2_dir, port, user, password, group):
    """The fake edge node: births on connect, then lines on stdin:
    'data SEQ VALUE' (DDATA of inputs/tank_level with that seq),
    'hist VALUE TIMESTAMP' (a historical DDATA), 'garbage', 'foreign'."""
    import paho.mqtt.client as mqtt
    pb2 = sp.load_pb2(pb2_dir)
    base = f"spBv1.0/{group}"
    st = {"seq": 0, "level": 1.5, "high": 80}
    lock = threading.Lock()
    c = mqtt.Client(client_id=f"fake-{user}", clean_session=True)
    c.username_pw_set(user, password)
    c.will_set(f"{base}/NDEATH/{user}",
               sp.encode_payload(pb2, [("bdSeq", sp.INT64, 0)]), qos=1)

    def pub(kind, metrics, device=None, seq=None, wait=True):
        topic = f"{base}/{kind}/{user}" + (f"/{device}" if device else "")
        if seq is None:
            seq = st["seq"]
            st["seq"] = (seq + 1) % 256
        info = c.publish(topic, sp.encode_payload(pb2, metrics, seq=seq), qos=1)
        if wait:  # never in paho's thread, which is the one that takes the PUBACK
            info.wait_for_publish(5)

    def births(wait=True):
        st["seq"] = 0
        pub("NBIRTH", [("bdSeq", sp.INT64, 0), (sp.REBIRTH, sp.BOOLEAN, False)], wait=wait)
        pub("DBIRTH", [{"name": "tank_level", "alias": 1, "datatype": sp.FLOAT,
                        "value": st["level"]},
                       {"name": "count", "alias": 2, "datatype": sp.INT16, "value": -3}],
            device="inputs", wait=wait)
        pub("DBIRTH", [{"name": "level_high", "alias": 3, "datatype": sp.INT32,
                        "value": st["high"]}], device="parameters", wait=wait)

    def on_message(client, userdata, msg):
        p = pb2.Payload()
        p.ParseFromString(msg.payload)
        with lock:
            for m in p.metrics:
                if m.name == sp.REBIRTH and m.boolean_value:
                    births(wait=False)
                elif m.name == "level_high" and msg.topic.endswith("/parameters"):
                    st["high"] = sp.metric_value(m, m.datatype)
                    pub("DDATA", [("level_high", sp.INT32, st["high"])], device="parameters",
                        wait=False)

    def on_connect(client, userdata, flags, rc):
        client.subscribe([(f"{base}/NCMD/{user}", 1), (f"{base}/DCMD/{user}/+", 1)])

    c.on_message, c.on_connect = on_message, on_connect
    c.connect("127.0.0.1", int(port))
    c.loop_start()
    with lock:
        births()
    print("ready", flush=True)
    for line in sys.stdin:
        w = line.split()
        with lock:
            if w[0] == "data":
                st["level"] = float(w[2])
                pub("DDATA", [{"alias": 1, "datatype": sp.FLOAT, "value": st["level"]}],
                    device="inputs", seq=int(w[1]))
                st["seq"] = (int(w[1]) + 1) % 256
            elif w[0] == "hist":
                pub("DDATA", [{"name": "tank_level", "datatype": sp.FLOAT, "value": float(w[1]),
                               "timestamp": int(w[2]), "is_historical": True}], device="inputs")
            elif w[0] == "garbage":
                c.publish(f"{base}/DDATA/{user}/inputs", b"\xff\xff\xff", qos=1).wait_for_publish(5)
            elif w[0] == "foreign":  # outside its ACL: mosquitto drops it
                c.publish(f"{base}/NBIRTH/other", sp.encode_payload(pb2, [], seq=0),
                          qos=1).wait_for_publish(5)
        print("done", flush=True)


def main(pb2_dir):
    import broker
    failures = []

    def check(what, ok, detail=""):
        print(("ok: " if ok else "FAIL: ") + what + ("" if ok else f": {detail}"), flush=True)
        if not ok:
            failures.append(what)

    edge = None
    with broker.Broker(group=GROUP, nodes=[EDGE]) as b:
        host = sp.SparkplugHost(b.port, broker.HOST_USER, b.password(broker.HOST_USER),
                                pb2_dir=pb2_dir, host_id=broker.HOST_USER, group=GROUP)
        try:
            host.start()
            edge = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--edge", pb2_dir,
                                     str(b.port), EDGE, b.password(EDGE), GROUP],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

            def send(cmd):
                edge.stdin.write(cmd + "\n")
                edge.stdin.flush()
                assert edge.stdout.readline().strip() == "done"

            check("fake node started", edge.stdout.readline().strip() == "ready")
            n = host.wait_for(lambda h: h.node(EDGE) and h.node(EDGE).device("parameters").online
                              and h.node(EDGE), 10, "births")
            with host.lock:
                check("NBIRTH: online with bdSeq 0", n.online and n.bd_seq == 0)
                check("DBIRTH values", n.values("inputs") == {"tank_level": 1.5, "count": -3},
                      n.values("inputs"))
            send("data 3 2.5")
            host.wait_for(lambda h: h.value(EDGE, "tank_level", "inputs") == 2.5, 5, "DDATA")
            with host.lock:
                ts = n.devices["inputs"].metrics["tank_level"].timestamp
            send("hist 9.5 1000")
            host.wait_for(lambda h: n.history, 5, "historical change")
            with host.lock:
                check("historical change kept, current value not overridden",
                      n.history[-1].value == 9.5 and n.values("inputs")["tank_level"] == 2.5
                      and n.devices["inputs"].metrics["tank_level"].timestamp == ts)
                check("no violation so far", not host.violations, host.violations)
            births_before = n.births
            send("data 9 3.5")  # seq 5 was due: a gap
            host.wait_for(lambda h: h.violations, 5, "seq gap violation")
            with host.lock:
                check("seq gap recorded", "seq 9 after 4" in host.violations[0][1],
                      host.violations)
            host.wait_for(lambda h: n.births > births_before
                          and n.device("parameters").births > 1, 10, "rebirth")
            check("rebirth asked by NCMD and done", host.rebirths_sent == 1)
            host.write(EDGE, "level_high", 85, device="parameters")
            host.wait_for(lambda h: h.value(EDGE, "level_high", "parameters") == 85, 5,
                          "the DCMD write's echo")
            check("DCMD write reached the node", True)
            send("garbage")
            host.wait_for(lambda h: h.errors, 5, "decode error")
            check("undecodable payload recorded", "does not decode" in host.errors[0],
                  host.errors)
            send("foreign")
            # The ACL keeps the host from publishing an NDEATH (else an error
            # would show one without bdSeq), so a stale will (an older bdSeq)
            # is handed to the host directly: the node stays online.
            host.client.publish(f"spBv1.0/{GROUP}/NDEATH/{EDGE}", b"", qos=1).wait_for_publish(5)
            stale = sp.encode_payload(host.pb2, [("bdSeq", sp.INT64, 7)])
            host._on_message(None, None, type("M", (), {
                "topic": f"spBv1.0/{GROUP}/NDEATH/{EDGE}", "payload": stale})())
            with host.lock:
                check("stale NDEATH ignored", n.online and n.stale_deaths == 1)
            edge.send_signal(signal.SIGKILL)
            edge.wait()
            host.wait_for(lambda h: not n.online, 10, "NDEATH by will")
            with host.lock:
                check("NDEATH by will after kill -9", n.deaths == 1 and n.death_bd_seq == 0)
                check("nothing outside the node's ACL arrived",
                      set(e for (g, e) in host.nodes) == {EDGE}, list(host.nodes))
                check("one error only (the garbage)", len(host.errors) == 1, host.errors)
                check("one violation only (the gap)", len(host.violations) == 1,
                      host.violations)
                kinds = [c.kind for c in host.changes if c.name == "tank_level"]
                check("changes in order", kinds == ["DBIRTH", "DDATA", "DDATA", "DDATA",
                                                    "DBIRTH"], kinds)
            b.restart(hard=True)  # kill -9, back on the same port: the host reconnects
            host.wait_for(lambda h: h.connects == 2, 10, "the host's reconnect")
            check("host back after a broker restart, node unsynced", not n.synced)
        finally:
            if edge and edge.poll() is None:
                edge.kill()
                edge.wait()
            host.close()
    print("FAILED: " + ", ".join(failures) if failures else "all passed")
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1] == "--edge":
        edge_main(*sys.argv[2:7])
    else:
        sys.exit(main(sys.argv[1]))

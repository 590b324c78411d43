# SPDX-License-Identifier: MIT
"""A Sparkplug B host application for the tests, on python3-paho-mqtt (1.6
API) and python3-protobuf. It subscribes spBv1.0/#, decodes every payload with
sparkplug_b_pb2 (made by protoc from mqtt/sparkplug_b.proto into the build
tree; found through the pb2_dir argument or SPARKPLUG_PB2_DIR) and keeps what a
host such as Ignition keeps, checking the rules as it goes:

- per edge node: online/offline, the bdSeq of its NBIRTH (an NDEATH whose
  bdSeq is not the current one is stale and ignored), seq continuity 0..255
  with wrap across NBIRTH, DBIRTH, NDATA and DDATA. A gap, an NBIRTH whose seq
  is not 0 or a DATA before its BIRTH is a violation: it is recorded and the
  host asks for a rebirth with NCMD 'Node Control/Rebirth', as a host does;
- per node and device: every metric's current value, datatype and timestamp
  (births set them, DATA updates them; an is_historical change goes to the
  history list and does not override a newer current value);
- every change received, in order (for exactly-once and in-order checks);
- a payload that fails to decode, a value that does not fit its datatype or a
  metric it cannot name is an error.

A node first seen while the host is connected is known to be unborn; after
the host's own reconnect it may have missed anything, so each node is
'unsynced' until its next NBIRTH or NDEATH: a DBIRTH, DATA or DDEATH then is
not a violation but a resync (recorded, and a rebirth is asked for). So a
test starts its host before its edge nodes.

Views are read under host.lock (or through wait_for's predicate, which runs
under it)."""
import importlib
import json
import os
import sys
import threading
import time

import paho.mqtt.client as mqtt

NS = "spBv1.0"
REBIRTH = "Node Control/Rebirth"

# Sparkplug B datatypes (mqtt/sparkplug_b.proto, DataType).
INT8, INT16, INT32, INT64 = 1, 2, 3, 4
UINT8, UINT16, UINT32, UINT64 = 5, 6, 7, 8
FLOAT, DOUBLE, BOOLEAN, STRING, DATETIME, TEXT, UUID, BYTES = 9, 10, 11, 12, 13, 14, 15, 17
INT_WIDTH = {INT8: 8, INT16: 16, INT32: 32, UINT8: 8, UINT16: 16, UINT32: 32}
FIELD = {**{t: "int_value" for t in INT_WIDTH}, INT64: "long_value", UINT64: "long_value",
         DATETIME: "long_value", FLOAT: "float_value", DOUBLE: "double_value",
         BOOLEAN: "boolean_value", STRING: "string_value", TEXT: "string_value",
         UUID: "string_value", BYTES: "bytes_value"}


def load_pb2(pb2_dir=None):
    """sparkplug_b_pb2 from pb2_dir, else $SPARKPLUG_PB2_DIR."""
    d = pb2_dir or os.environ.get("SPARKPLUG_PB2_DIR")
    if not d or not os.path.exists(os.path.join(d, "sparkplug_b_pb2.py")):
        raise RuntimeError(f"no sparkplug_b_pb2.py in '{d}' (pass its directory or set "
                           "SPARKPLUG_PB2_DIR; the build makes it from mqtt/sparkplug_b.proto)")
    if d not in sys.path:
        sys.path.insert(0, d)
    return importlib.import_module("sparkplug_b_pb2")


def now_ms():
    return int(time.time() * 1000)


def metric_value(m, datatype):
    """The Python value of a decoded metric; ValueError when its value field
    does not fit the datatype."""
    if m.is_null:
        return None
    field = FIELD.get(datatype)
    if field is None:
        raise ValueError(f"datatype {datatype} is not one the tests know")
    if m.WhichOneof("value") != field:
        raise ValueError(f"datatype {datatype} carries {m.WhichOneof('value')}, not {field}")
    v = getattr(m, field)
    if datatype in (INT8, INT16, INT32):
        bits = INT_WIDTH[datatype]
        v &= (1 << 32) - 1
        if v >= 1 << 31:  # two's complement in 32 bits, as the spec writes it
            v -= 1 << 32
        if not -(1 << (bits - 1)) <= v < 1 << (bits - 1):
            raise ValueError(f"{v} does not fit Int{bits}")
    elif datatype in (UINT8, UINT16) and v >= 1 << INT_WIDTH[datatype]:
        raise ValueError(f"{v} does not fit UInt{INT_WIDTH[datatype]}")
    elif datatype == INT64 and v >= 1 << 63:
        v -= 1 << 64
    return v


def set_metric_value(m, datatype, value):
    m.datatype = datatype
    if value is None:
        m.is_null = True
    elif datatype in (INT8, INT16, INT32):
        m.int_value = value & 0xFFFFFFFF
    elif datatype == INT64:
        m.long_value = value & 0xFFFFFFFFFFFFFFFF
    else:
        setattr(m, FIELD[datatype], value)


def encode_payload(pb2, metrics, seq=None, timestamp=None):
    """A serialized Payload. metrics: (name, datatype, value) or dicts with
    name, datatype, value and optional alias, timestamp, is_historical."""
    p = pb2.Payload()
    p.timestamp = now_ms() if timestamp is None else timestamp
    if seq is not None:
        p.seq = seq
    for spec in metrics:
        if not isinstance(spec, dict):
            spec = dict(zip(("name", "datatype", "value"), spec))
        m = p.metrics.add()
        if spec.get("name") is not None:
            m.name = spec["name"]
        if spec.get("alias") is not None:
            m.alias = spec["alias"]
        m.timestamp = spec.get("timestamp", p.timestamp)
        if spec.get("is_historical"):
            m.is_historical = True
        set_metric_value(m, spec["datatype"], spec["value"])
    return p.SerializeToString()


class Metric:
    __slots__ = ("name", "alias", "datatype", "value", "timestamp")

    def __init__(self, name, alias, datatype, value, timestamp):
        self.name, self.alias, self.datatype = name, alias, datatype
        self.value, self.timestamp = value, timestamp

    def __repr__(self):
        return f"{self.name}={self.value!r}@{self.timestamp}"


class Change:
    """One metric of one received BIRTH or DATA message, in arrival order."""
    __slots__ = ("node", "device", "kind", "seq", "name", "value", "timestamp",
                 "is_historical", "received")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)

    def __repr__(self):
        hist = " historical" if self.is_historical else ""
        dev = f"/{self.device}" if self.device else ""
        return (f"{self.kind} {self.node}{dev} seq {self.seq}: {self.name}={self.value!r}"
                f"@{self.timestamp}{hist}")


class Device:
    def __init__(self):
        self.online = False
        self.metrics = {}   # name -> Metric
        self.aliases = {}   # alias -> name
        self.births = 0


class Node:
    def __init__(self, group, name):
        self.group, self.name = group, name
        self.online = False
        self.synced = True        # every message seen since the state was known
        self.bd_seq = None        # of the current NBIRTH
        self.death_bd_seq = None  # of the last NDEATH that took the node offline
        self.seq = None           # of the last message
        self.births = 0
        self.deaths = 0
        self.stale_deaths = 0
        self.rebirth_asked = False
        self.node = Device()      # the node's own metrics
        self.devices = {}         # device -> Device
        self.history = []         # historical Changes

    def device(self, name):
        if name is None:
            return self.node
        return self.devices.setdefault(name, Device())

    def values(self, device=None):
        """{name: value} of a device (None: the node's own metrics)."""
        d = self.node if device is None else self.devices.get(device, Device())
        return {n: m.value for n, m in d.metrics.items()}


class SparkplugHost:
    def __init__(self, port, username, password, pb2_dir=None, host_id=None,
                 client_id=None, auto_rebirth=True, group=None, keepalive=5):
        self.pb2 = load_pb2(pb2_dir)
        self.port, self.group, self.host_id = port, group, host_id
        self.auto_rebirth = auto_rebirth
        self.lock = threading.Condition()
        self.nodes = {}           # (group, edge_node) -> Node
        self.changes = []         # every Change, in arrival order
        self.errors = []          # decode and datatype errors (strings)
        self.violations = []      # (edge_node, text)
        self.resyncs = []         # (edge_node, text)
        self.commands = []        # (topic, decoded payload) of NCMD/DCMD seen
        self.states = {}          # host id -> decoded STATE JSON
        self.messages = 0
        self.connects = 0
        self.rebirths_sent = 0
        self.keepalive = keepalive
        self.client = mqtt.Client(client_id=client_id or f"test-host-{os.getpid()}",
                                  clean_session=True)
        self.client.username_pw_set(username, password)
        self.client.reconnect_delay_set(0.05, 0.5)
        self.client.on_connect = self._on_connect
        self.client.on_message = self._on_message
        if host_id:
            self.client.will_set(self._state_topic(), self._state(False), qos=1, retain=True)

    # --- lifecycle ---------------------------------------------------------
    def start(self, timeout=10.0):
        self.client.connect_async("127.0.0.1", self.port, keepalive=self.keepalive)
        self.client.loop_start()
        self.wait_for(lambda h: h.connects > 0, timeout, "the host's first connect")
        return self

    def close(self):
        if self.host_id and self.client.is_connected():
            self.client.publish(self._state_topic(), self._state(False), qos=1,
                                retain=True).wait_for_publish(2)
        self.client.disconnect()
        self.client.loop_stop()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()
        return False

    def _state_topic(self):
        return f"{NS}/STATE/{self.host_id}"

    def _state(self, online):
        return json.dumps({"online": online, "timestamp": now_ms()})

    def _on_connect(self, client, userdata, flags, rc):
        if rc != 0:
            with self.lock:
                self.errors.append(f"host connect refused: {mqtt.connack_string(rc)}")
                self.lock.notify_all()
            return
        client.subscribe(f"{NS}/#", qos=1)
        if self.host_id:
            client.publish(self._state_topic(), self._state(True), qos=1, retain=True)
        with self.lock:
            self.connects += 1
            for n in self.nodes.values():
                n.synced = False  # it may have missed messages meanwhile
            self.lock.notify_all()

    # --- receiving -----------------------------------------------------------
    def _on_message(self, client, userdata, msg):
        with self.lock:
            self.messages += 1
            try:
                self._handle(msg.topic, msg.payload)
            except Exception as e:  # a bug here must show, not kill paho's thread
                self.errors.append(f"{msg.topic}: host failed: {e!r}")
            self.lock.notify_all()

    def _handle(self, topic, payload):
        parts = topic.split("/")
        if len(parts) >= 3 and parts[1] == "STATE":
            try:
                self.states[parts[2]] = json.loads(payload)
            except ValueError as e:
                self.errors.append(f"{topic}: STATE is not JSON: {e}")
            return
        if len(parts) not in (4, 5) or parts[0] != NS:
            self.errors.append(f"{topic}: not a Sparkplug B topic")
            return
        group, kind, edge = parts[1], parts[2], parts[3]
        device = parts[4] if len(parts) == 5 else None
        if self.group and group != self.group:
            return
        try:
            p = self.pb2.Payload()
            p.ParseFromString(payload)
        except Exception as e:
            self.errors.append(f"{topic}: payload does not decode: {e}")
            return
        if kind in ("NCMD", "DCMD"):
            self.commands.append((topic, p))
            return
        node = self.nodes.get((group, edge))
        if node is None:
            node = self.nodes[(group, edge)] = Node(group, edge)
        handler = {"NBIRTH": self._nbirth, "NDEATH": self._ndeath, "DBIRTH": self._dbirth,
                   "DDEATH": self._ddeath, "NDATA": self._data, "DDATA": self._data}.get(kind)
        if handler is None:
            self.errors.append(f"{topic}: unknown message type '{kind}'")
            return
        handler(node, device, topic, p, kind)

    def _violation(self, node, text):
        self.violations.append((node.name, text))
        self._ask_rebirth(node)

    def _ask_rebirth(self, node):
        if self.auto_rebirth and not node.rebirth_asked:
            node.rebirth_asked = True
            self._publish_rebirth(node.group, node.name)

    def _check_seq(self, node, topic, p):
        """Seq continuity; False when the message is out of sequence."""
        if not p.HasField("seq") or p.seq > 255:
            self._violation(node, f"{topic}: seq missing or out of 0..255")
            return False
        ok = node.seq is None or p.seq == (node.seq + 1) % 256
        if not ok:
            self._violation(node, f"{topic}: seq {p.seq} after {node.seq}")
        node.seq = p.seq
        return ok

    def _birth_metrics(self, node, device, topic, p, kind):
        d = node.device(device)
        d.metrics, d.aliases = {}, {}
        for m in p.metrics:
            if not m.name:
                self.errors.append(f"{topic}: a BIRTH metric without a name")
                continue
            try:
                value = metric_value(m, m.datatype)
            except ValueError as e:
                self.errors.append(f"{topic}: metric '{m.name}': {e}")
                continue
            ts = m.timestamp if m.HasField("timestamp") else p.timestamp
            d.metrics[m.name] = Metric(m.name, m.alias if m.HasField("alias") else None,
                                       m.datatype, value, ts)
            if m.HasField("alias"):
                if m.alias in d.aliases:
                    self.errors.append(f"{topic}: alias {m.alias} used twice")
                d.aliases[m.alias] = m.name
            self._record(node, device, kind, p, m.name, value, ts, False)
        d.online = True
        d.births += 1

    def _record(self, node, device, kind, p, name, value, ts, historical):
        c = Change(node=node.name, device=device, kind=kind, seq=p.seq, name=name,
                   value=value, timestamp=ts, is_historical=historical,
                   received=time.monotonic())
        self.changes.append(c)
        if historical:
            node.history.append(c)

    def _nbirth(self, node, device, topic, p, kind):
        bd = [m for m in p.metrics if m.name == "bdSeq"]
        if not bd:
            self.errors.append(f"{topic}: NBIRTH without a bdSeq metric")
        if p.seq != 0:
            self.violations.append((node.name, f"{topic}: NBIRTH seq {p.seq}, not 0"))
        node.seq = p.seq
        node.online = node.synced = True
        node.rebirth_asked = False
        node.bd_seq = bd[0].long_value if bd else None
        node.births += 1
        for d in node.devices.values():
            d.online = False  # until their DBIRTHs of this birth
        self._birth_metrics(node, None, topic, p, kind)

    def _ndeath(self, node, device, topic, p, kind):
        bd = [m for m in p.metrics if m.name == "bdSeq"]
        if not bd:
            self.errors.append(f"{topic}: NDEATH without a bdSeq metric")
            return
        if (node.online or not node.synced) and bd[0].long_value == node.bd_seq:
            node.online, node.synced = False, True
            node.death_bd_seq = bd[0].long_value
            node.deaths += 1
            for d in node.devices.values():
                d.online = False
        else:
            node.stale_deaths += 1  # an older connection's will; the node lives on

    def _in_sequence(self, node, device, topic, p, kind):
        """Checks that a DBIRTH, DDEATH or DATA may come now, and its seq."""
        if not node.synced:
            self.resyncs.append((node.name, f"{topic}: {kind} while unsynced"))
            self._ask_rebirth(node)
        elif not node.online:
            self._violation(node, f"{topic}: {kind} before NBIRTH")
        elif kind == "DDATA" and not node.device(device).online:
            self._violation(node, f"{topic}: DDATA before DBIRTH")
        else:
            self._check_seq(node, topic, p)
            return
        node.seq = p.seq

    def _dbirth(self, node, device, topic, p, kind):
        self._in_sequence(node, device, topic, p, kind)
        self._birth_metrics(node, device, topic, p, kind)

    def _ddeath(self, node, device, topic, p, kind):
        self._in_sequence(node, device, topic, p, kind)
        node.device(device).online = False

    def _data(self, node, device, topic, p, kind):
        d = node.device(device)
        self._in_sequence(node, device, topic, p, kind)
        for m in p.metrics:
            name = m.name or (d.aliases.get(m.alias) if m.HasField("alias") else None)
            known = d.metrics.get(name) if name else None
            if name is None or (known is None and not m.HasField("datatype")):
                self.errors.append(f"{topic}: metric (alias {m.alias}) not in the birth")
                continue
            datatype = m.datatype if m.HasField("datatype") else known.datatype
            try:
                value = metric_value(m, datatype)
            except ValueError as e:
                self.errors.append(f"{topic}: metric '{name}': {e}")
                continue
            ts = m.timestamp if m.HasField("timestamp") else p.timestamp
            self._record(node, device, kind, p, name, value, ts, m.is_historical)
            if known is None:
                if name != "Events/Text":
                    self.errors.append(f"{topic}: metric '{name}' not in the birth")
                known = d.metrics[name] = Metric(name, None, datatype, value, ts)
            elif not m.is_historical or ts >= known.timestamp:
                known.value, known.timestamp = value, ts

    # --- sending -------------------------------------------------------------
    def _publish_rebirth(self, group, edge):
        self.rebirths_sent += 1
        payload = encode_payload(self.pb2, [(REBIRTH, BOOLEAN, True)])
        self.client.publish(f"{NS}/{group}/NCMD/{edge}", payload, qos=1)

    def rebirth(self, edge, group=None):
        with self.lock:
            self._publish_rebirth(group or self._group_of(edge), edge)

    def _group_of(self, edge):
        for (g, e) in self.nodes:
            if e == edge:
                return g
        if self.group:
            return self.group
        raise KeyError(f"edge node '{edge}' not seen and no group given")

    def write(self, edge, name, value, device=None, datatype=None, group=None, wait=True):
        """NCMD (device None) or DCMD setting metric name to value, with the
        datatype of its birth unless given."""
        with self.lock:
            group = group or self._group_of(edge)
            if datatype is None:
                node = self.nodes.get((group, edge))
                m = node.device(device).metrics.get(name) if node else None
                if m is None:
                    raise KeyError(f"'{name}' not in {edge}/{device}'s birth; give datatype")
                datatype = m.datatype
        payload = encode_payload(self.pb2, [(name, datatype, value)])
        topic = (f"{NS}/{group}/NCMD/{edge}" if device is None
                 else f"{NS}/{group}/DCMD/{edge}/{device}")
        info = self.client.publish(topic, payload, qos=1)
        if wait:
            info.wait_for_publish(5)
        return info

    # --- reading ---------------------------------------------------------------
    def node(self, edge, group=None):
        with self.lock:
            for (g, e), n in self.nodes.items():
                if e == edge and (group is None or g == group):
                    return n
        return None

    def value(self, edge, name, device=None):
        with self.lock:
            n = self.node(edge)
            m = n.device(device).metrics.get(name) if n else None
            return m.value if m else None

    def wait_for(self, predicate, timeout, what="a condition"):
        """Waits until predicate(self) holds (evaluated under the lock at each
        message) and returns its value; TimeoutError naming what otherwise."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while True:
                r = predicate(self)
                if r:
                    return r
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"no {what} within {timeout} s")
                self.lock.wait(min(left, 0.1))

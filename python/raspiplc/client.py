# SPDX-License-Identifier: MIT
"""raspiplc.PLC: a connection to a RaspiPLC process image (docs/python.md)."""
import ctypes
import errno as errno_mod
import os
import queue
import threading
import time
import weakref

from . import _lib
from ._lib import lib, text
from .errors import (CommandError, LayoutError, LayoutMismatchError, NotWriterError, PLCError,
                     RegionMissingError, TimeoutError, WriterDeadError)
from .modbus import Gateway, value_of, words_of

# How long a waiting reader may take to notice that the writer of the region
# it waits on died: the futex wait runs in slices of this, and between two the
# writer's liveness is checked (libplc sees a death at once, by pidfd).
WRITER_CHECK_S = 0.1

_MISMATCH = {_lib.PLC_ELAYOUT, _lib.PLC_EFORMAT, _lib.PLC_EMAGIC, _lib.PLC_ESIZE}


def _error(err, message, **where):
    """The exception for libplc's errno @err."""
    if err == _lib.PLC_ENOREGION:
        cls = RegionMissingError
    elif err in _MISMATCH:
        cls = LayoutMismatchError
    elif err in (_lib.PLC_ENOTWRITER, _lib.PLC_EHELD, errno_mod.EPERM):
        cls = NotWriterError
    elif err == _lib.PLC_EDEADWRITER:
        cls = WriterDeadError
    else:
        cls = PLCError
    return cls(message, errno=err, **where)


class Tag:
    """A tag as the layout declares it."""
    __slots__ = ("name", "region", "writer", "type", "unit", "description", "offset",
                 "modbus_table", "modbus_address", "modbus_count", "word_order", "_def")

    def __init__(self, ptr):
        d = ptr.contents
        self._def = ptr
        self.name = text(d.name)
        self.region = text(d.region.contents.name)
        self.writer = text(d.region.contents.writer)
        self.type = _lib.TYPE_NAMES[d.type]
        self.unit = text(d.unit)
        self.description = text(d.description)
        self.offset = d.offset
        self.modbus_table = _lib.MODBUS_TABLES.get(d.modbus.table)
        self.modbus_address = d.modbus.address
        self.modbus_count = d.modbus.count
        self.word_order = _lib.WORD_ORDERS.get(d.modbus.word_order)

    @property
    def min(self):
        return _from_value(self._def.contents.type, self._def.contents.min_v)

    @property
    def max(self):
        return _from_value(self._def.contents.type, self._def.contents.max_v)

    def __repr__(self):
        return f"Tag({self.name!r}, region={self.region!r}, type={self.type!r})"


def _from_value(t, v):
    if t == _lib.BOOL:
        return bool(v.i)
    if t in (_lib.FLOAT32, _lib.FLOAT64):
        return v.f
    return v.u if t in _lib.UNSIGNED else v.i


class Reading:
    """A tag's value as read: .value (bool, int or float as the tag's type),
    .unit, .tag, .type and .time (time.time() of the read). Compares, tests and
    converts as its value does; str() gives "42.5 %"."""
    __slots__ = ("tag", "value", "unit", "type", "time")

    def __init__(self, tag, value, when):
        self.tag, self.value, self.unit, self.type, self.time = (tag.name, value, tag.unit,
                                                                 tag.type, when)

    def __eq__(self, other):
        return self.value == (other.value if isinstance(other, Reading) else other)

    def __hash__(self):
        return hash(self.value)

    def __bool__(self):
        return bool(self.value)

    def __float__(self):
        return float(self.value)

    def __int__(self):
        return int(self.value)

    def __lt__(self, other):
        return self.value < (other.value if isinstance(other, Reading) else other)

    def __gt__(self, other):
        return self.value > (other.value if isinstance(other, Reading) else other)

    def __le__(self, other):
        return self.value <= (other.value if isinstance(other, Reading) else other)

    def __ge__(self, other):
        return self.value >= (other.value if isinstance(other, Reading) else other)

    def __str__(self):
        v = str(self.value).lower() if self.type == "bool" else f"{self.value:g}" \
            if isinstance(self.value, float) else str(self.value)
        return f"{v} {self.unit}" if self.unit else v

    def __repr__(self):
        return f"Reading({self.tag!r}, {self.value!r}, unit={self.unit!r})"


class Change(Reading):
    """One change seen by watch(): a Reading with .previous (None for the
    first value, when watch() gives the current values first)."""
    __slots__ = ("previous",)

    def __init__(self, tag, value, when, previous):
        super().__init__(tag, value, when)
        self.previous = previous

    def __repr__(self):
        return f"Change({self.tag!r}, {self.previous!r} -> {self.value!r}, unit={self.unit!r})"


class _Region:
    """One attached region handle (one thread at a time, as libplc's)."""

    def __init__(self, plc, name, access):
        self.plc, self.name = plc, name
        self.path = plc.region_path(name)
        self.access = access
        self.defn = lib.plc_layout_find_region(plc._layout, name.encode()).contents
        self.buf = ctypes.create_string_buffer(self.defn.data_size)
        self.handle = None
        self.attach()

    def attach(self):
        diag = _lib.Diag()
        service = self.plc.service.encode() if self.access == _lib.PLC_WRITER else None
        h = lib.plc_region_attach(self.plc._layout, self.plc._base, self.name.encode(),
                                  self.access, service, ctypes.byref(diag))
        if not h:
            err = ctypes.get_errno()
            msg = _lib.diag_text(diag)
            raise _error(err, msg or _lib.strerror(err), region=self.name, path=self.path,
                         named=bool(msg))
        self.handle = h

    def detach(self):
        if self.handle:
            lib.plc_region_detach(self.handle)
            self.handle = None

    def fail(self, what, err, tag=None):
        return _error(err, f"cannot {what}: {_lib.strerror(err)}", region=self.name, tag=tag,
                      path=self.path)

    def read_tags(self, tags):
        """Values of @tags (of this region) from one consistent snapshot."""
        arr = (ctypes.POINTER(_lib.TagDef) * len(tags))(*[t._def for t in tags])
        for again in (True, False):
            if lib.plc_region_read_tags(self.handle, arr, len(tags), self.buf) == 0:
                break
            err = ctypes.get_errno()
            if err == _lib.PLC_ERETIRED and again:  # re-created by plc-shm-init
                self.detach()
                self.attach()
                continue
            self.plc.stats["errors"] += 1
            raise self.fail("read", err, tags[0].name if len(tags) == 1 else None)
        self.plc.stats["reads"] += 1
        addr = ctypes.addressof(self.buf)
        return [_from_value(t._def.contents.type,
                            lib.plc_value_load(t._def.contents.type, addr + t.offset))
                for t in tags]

    def read_all(self):
        if lib.plc_region_read(self.handle, self.buf) != 0:
            self.plc.stats["errors"] += 1
            raise self.fail("read", ctypes.get_errno())
        self.plc.stats["reads"] += 1
        return self.buf.raw

    def write_tags(self, tags, values):
        addr = ctypes.addressof(self.buf)
        for t, v in zip(tags, values):
            lib.plc_value_store(t._def.contents.type, ctypes.byref(v), addr + t.offset)
        arr = (ctypes.POINTER(_lib.TagDef) * len(tags))(*[t._def for t in tags])
        if lib.plc_region_write_tags(self.handle, arr, len(tags), self.buf) != 0:
            self.plc.stats["errors"] += 1
            raise self.fail("write", ctypes.get_errno(), tags[0].name if len(tags) == 1 else None)
        self.plc.stats["writes"] += 1

    def write_all(self, data):
        if len(data) != self.defn.data_size:
            raise ValueError(f"region '{self.name}': {len(data)} bytes given, its data is "
                             f"{self.defn.data_size}")
        ctypes.memmove(self.buf, data, len(data))
        if lib.plc_region_write(self.handle, self.buf) != 0:
            self.plc.stats["errors"] += 1
            raise self.fail("write", ctypes.get_errno())
        self.plc.stats["writes"] += 1

    def wait(self, timeout):
        """1 changed, 0 not within @timeout seconds (negative: for ever)."""
        ns = -1 if timeout < 0 else max(1, int(timeout * 1e9))
        rc = lib.plc_region_wait(self.handle, ns)
        if rc < 0:
            err = ctypes.get_errno()
            if err == errno_mod.EINTR:
                return 0
            if err == _lib.PLC_ERETIRED:
                self.detach()
                self.attach()
                return 1
            self.plc.stats["errors"] += 1
            raise self.fail("wait", err)
        return rc

    def writer_alive(self):
        return lib.plc_region_writer_alive(self.handle) == 1

    def info(self):
        box = _lib.Spare(_lib.RegionInfo)()
        info = box.value
        if lib.plc_region_get_info(self.handle, ctypes.cast(ctypes.byref(box),
                                   ctypes.POINTER(_lib.RegionInfo))) != 0:
            raise self.fail("read the header", ctypes.get_errno())
        out = {}
        for name, _ in _lib.RegionInfo._fields_:
            v = getattr(info, name)
            out[name] = text(v) if isinstance(v, bytes) else v
        out["path"] = self.path
        out["layout_hash"] = f"{info.layout_hash:016x}"
        return out


class _Watch:
    """The changes of some tags of one region, on a handle of its own (its
    'changed since last read' is the watch's own)."""

    def __init__(self, plc, region, tags):
        self.region = _Region(plc, region, _lib.PLC_READER)
        plc._watches.add(self)  # PLC.close() detaches a watch never iterated to its end
        self.tags = tags
        self.last = None
        # A writer alive when the watch began and dead later is an error; a
        # region with none yet is waited on (its writer may come).
        self.had_writer = self.region.writer_alive()

    def read(self, initial):
        now = time.time()
        values = self.region.read_tags(self.tags)
        out = []
        for i, (t, v) in enumerate(zip(self.tags, values)):
            if self.last is None:
                if initial:
                    out.append(Change(t, v, now, None))
            elif v != self.last[i]:
                out.append(Change(t, v, now, self.last[i]))
        self.last = values
        return out

    def next(self, timeout):
        """Changes within @timeout seconds (None: for ever), [] when none came."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            slice_s = WRITER_CHECK_S
            if deadline is not None:
                slice_s = min(slice_s, deadline - time.monotonic())
                if slice_s <= 0:
                    return []
            if self.region.wait(slice_s) == 1:
                self.region.plc.stats["wakeups"] += 1
                changes = self.read(False)
                if changes:
                    return changes
                continue
            # A slice without a change: is the writer still there?
            alive = self.region.writer_alive()
            if self.had_writer and not alive:
                self.region.plc.stats["errors"] += 1
                raise WriterDeadError(
                    f"its writer ('{self.region.defn.writer.decode()}') is gone, died or "
                    "detached, while waiting for a change",
                    region=self.region.name, tag=self.tags[0].name if len(self.tags) == 1
                    else None, path=self.region.path)
            self.had_writer = alive

    def close(self):
        self.region.detach()
        self.region.plc._watches.discard(self)


class PLC:
    """A connection to a RaspiPLC process image; see connect()."""

    def __init__(self, layout=None, base_dir=None, service="python", modbus=None):
        path = lib.plc_layout_path(layout.encode() if layout else None).decode()
        diag = _lib.Diag()
        self._layout = lib.plc_layout_load(path.encode(), ctypes.byref(diag))
        if not self._layout:
            msg = _lib.diag_text(diag)
            raise LayoutError(msg if msg.startswith(path) else
                              f"{msg or _lib.strerror(ctypes.get_errno())}", path=path,
                              named=msg.startswith(path))
        self.layout_path = path
        self._check_abi()
        self._base = lib.plc_base_dir(self._layout, base_dir.encode() if base_dir else None)
        self.base_dir = self._base.decode()
        self._base = self.base_dir.encode()  # our own copy: the env may change
        self.service = service
        self._modbus = modbus
        self._readers, self._writers = {}, {}
        self._watches = set()
        self._gens = weakref.WeakSet()  # watch() iterators: closed (threads stopped) by close()
        self._tags = {}
        self.stats = dict(reads=0, writes=0, waits=0, wakeups=0, changes=0, commands=0,
                          command_timeouts=0, errors=0)

    def _check_abi(self):
        """The structs mirrored in _lib are libplc's: the layout keeps each kind
        in an array, so two neighbours are one struct apart. A libplc whose
        structs changed without a new soname is refused, not misread."""
        for what, count, at, cls in (
                ("plc_region_def", lib.plc_layout_region_count, lib.plc_layout_region_at,
                 _lib.RegionDef),
                ("plc_tag_def", lib.plc_layout_tag_count, lib.plc_layout_tag_at, _lib.TagDef),
                ("plc_alarm_def", lib.plc_layout_alarm_count, lib.plc_layout_alarm_at,
                 _lib.AlarmDef)):
            if count(self._layout) < 2:
                continue
            size = (ctypes.addressof(at(self._layout, 1).contents) -
                    ctypes.addressof(at(self._layout, 0).contents))
            if size != ctypes.sizeof(cls):
                lib.plc_layout_free(self._layout)
                self._layout = None
                raise PLCError(f"libplc's struct {what} is {size} bytes, raspiplc's "
                               f"{ctypes.sizeof(cls)}: raspiplc and libplc are of different "
                               "releases", path=self.layout_path)

    # ---- the layout -------------------------------------------------------
    @property
    def layout_name(self):
        return lib.plc_layout_get_name(self._layout).decode()

    @property
    def layout_version(self):
        return lib.plc_layout_get_version(self._layout)

    @property
    def layout_hash(self):
        return f"{lib.plc_layout_get_hash(self._layout):016x}"

    def regions(self):
        """Every region's name, writer and data size, as the layout declares them."""
        out = []
        for i in range(lib.plc_layout_region_count(self._layout)):
            r = lib.plc_layout_region_at(self._layout, i).contents
            out.append(dict(name=text(r.name), writer=text(r.writer), data_size=r.data_size,
                            tags=r.tag_count))
        return out

    def tags(self, region=None):
        """Every tag of the layout (or of @region), as Tag objects."""
        out = []
        for i in range(lib.plc_layout_tag_count(self._layout)):
            t = self.tag(text(lib.plc_layout_tag_at(self._layout, i).contents.name))
            if region is None or t.region == region:
                out.append(t)
        return out

    def tag(self, name):
        """The Tag called @name; LayoutError if the layout has none."""
        t = self._tags.get(name)
        if t is None:
            ptr = lib.plc_layout_find_tag(self._layout, name.encode())
            if not ptr:
                raise LayoutError("no such tag in the layout", tag=name, path=self.layout_path)
            t = self._tags[name] = Tag(ptr)
        return t

    def region_path(self, region):
        buf = ctypes.create_string_buffer(4096)
        lib.plc_region_path(self._layout, self._base, region.encode(), buf, len(buf))
        return buf.value.decode()

    def _region(self, name):
        if not lib.plc_layout_find_region(self._layout, name.encode()):
            raise LayoutError("no such region in the layout", region=name, path=self.layout_path)
        r = self._readers.get(name)
        if r is None:
            r = self._readers[name] = _Region(self, name, _lib.PLC_READER)
        return r

    def _writer(self, tag):
        if tag.writer != self.service:
            raise NotWriterError(f"the layout gives it to writer '{tag.writer}', this client is "
                                 f"'{self.service}'", region=tag.region, tag=tag.name,
                                 path=self.region_path(tag.region))
        r = self._writers.get(tag.region)
        if r is None:
            r = self._writers[tag.region] = _Region(self, tag.region, _lib.PLC_WRITER)
        return r

    # ---- reading -----------------------------------------------------------
    def get(self, name):
        """The tag's value now, as a Reading (value, unit)."""
        return self.get_many([name])[name]

    def value(self, name):
        """The tag's value now, as a plain bool, int or float."""
        return self.get_many([name])[name].value

    def get_many(self, names):
        """{name: Reading}: the tags of each region from one consistent snapshot of it."""
        tags = [self.tag(n) for n in names]
        by_region = {}
        for t in tags:
            by_region.setdefault(t.region, []).append(t)
        out = {}
        for region, ts in by_region.items():
            now = time.time()
            for t, v in zip(ts, self._region(region).read_tags(ts)):
                out[t.name] = Reading(t, v, now)
        return {n: out[n] for n in names}

    def read_region(self, region):
        """The region's whole data (data_size bytes) from one consistent snapshot."""
        return self._region(region).read_all()

    # ---- waiting for changes -------------------------------------------------
    def watch(self, names, timeout=None, initial=True):
        """Iterate over changes of the tags @names (a name or a list) as they
        happen: a Change per changed tag. With @initial the current values come
        first. Ends after @timeout seconds (None: never). Blocks in libplc's
        futex wait (no polling); raises WriterDeadError within WRITER_CHECK_S of
        the death of a region's writer that was alive during the watch."""
        if isinstance(names, str):
            names = [names]
        tags = [self.tag(n) for n in names]
        by_region = {}
        for t in tags:
            by_region.setdefault(t.region, []).append(t)
        deadline = None if timeout is None else time.monotonic() + timeout
        # Attached and read now, not at the first next(): a change made after
        # watch() returns is a change.
        watches = []
        try:
            for r, ts in by_region.items():
                watches.append(_Watch(self, r, ts))
            first = [c for w in watches for c in w.read(initial)]
        except BaseException:
            for w in watches:
                w.close()
            raise
        gen = self._changes(watches, first, deadline)
        self._gens.add(gen)
        return gen

    def _changes(self, watches, first, deadline):
        try:
            yield from first
            if len(watches) == 1:
                w = watches[0]
                while True:
                    left = None if deadline is None else deadline - time.monotonic()
                    if left is not None and left <= 0:
                        return
                    self.stats["waits"] += 1
                    changes = w.next(left)
                    self.stats["changes"] += len(changes)
                    yield from changes
            else:
                yield from self._watch_threads(watches, deadline)
        finally:
            for w in watches:
                w.close()

    def _watch_threads(self, watches, deadline):
        """One thread per region, each in its own futex wait, feeding a queue."""
        q, stop = queue.Queue(), threading.Event()

        def run(w):
            try:
                while not stop.is_set():
                    changes = w.next(WRITER_CHECK_S)
                    if changes:
                        q.put(changes)
            except PLCError as e:
                q.put(e)

        threads = [threading.Thread(target=run, args=(w,), daemon=True) for w in watches]
        for t in threads:
            t.start()
        try:
            while True:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return
                self.stats["waits"] += 1
                try:
                    got = q.get(timeout=left)
                except queue.Empty:
                    return
                if isinstance(got, Exception):
                    raise got
                self.stats["changes"] += len(got)
                yield from got
        finally:
            stop.set()
            for t in threads:
                t.join()

    # ---- writing -------------------------------------------------------------
    def _encode(self, tag, value):
        t = tag._def.contents.type
        if isinstance(value, bool) or t == _lib.BOOL:
            value = "true" if value else "false"
        v = _lib.Value()
        s = repr(float(value)) if t in (_lib.FLOAT32, _lib.FLOAT64) else str(value)
        if lib.plc_value_parse(t, s.encode(), ctypes.byref(v)) != 0 or \
                not lib.plc_value_in_range(t, ctypes.byref(v), ctypes.byref(tag._def.contents.min_v),
                                           ctypes.byref(tag._def.contents.max_v)):
            raise ValueError(f"tag '{tag.name}': {value!r} is not a {tag.type} within "
                             f"{tag.min}..{tag.max}")
        return v

    def set(self, name, value):
        """Write one tag (of a region this client writes)."""
        self.set_many({name: value})

    def set_many(self, values):
        """Write tags, each region's in one update. NotWriterError where the
        layout names another writer, or another live process holds the claim."""
        by_region = {}
        for name, value in values.items():
            t = self.tag(name)
            by_region.setdefault(t.region, []).append((t, self._encode(t, value)))
        for region, items in by_region.items():
            self._writer(items[0][0]).write_tags([t for t, _ in items], [v for _, v in items])

    def write_region(self, region, data):
        """Publish a region's whole data (data_size bytes) as one update (writers only)."""
        defn = lib.plc_layout_find_region(self._layout, region.encode())
        if not defn:
            raise LayoutError("no such region in the layout", region=region, path=self.layout_path)
        tags = self.tags(region)
        if not tags:
            raise LayoutError("region has no tags", region=region, path=self.layout_path)
        self._writer(tags[0]).write_all(data)

    def heartbeat(self):
        """Say every region this client writes is alive, without changing it."""
        for r in self._writers.values():
            lib.plc_region_heartbeat(r.handle)

    # ---- commands --------------------------------------------------------------
    def _ack_of(self, tag):
        logic = lib.plc_layout_get_logic(self._layout).contents
        if logic.alarm_ack and text(logic.alarm_ack.contents.name) == tag.name:
            ptr = lib.plc_layout_alarm_region_tag(self._layout, 2)  # PLC_ALARM_TAG_ACK_DONE
            return self.tag(text(ptr.contents.name)) if ptr else None
        if tag.name.startswith("cmd_"):
            ptr = lib.plc_layout_find_tag(self._layout, ("ack_" + tag.name[4:]).encode())
            return self.tag(text(ptr.contents.name)) if ptr else None
        return None

    def gateway_address(self):
        """(host, port) of the Modbus gateway: connect()'s modbus, else
        $RASPIPLC_MODBUS, else the layout's [modbus] listen."""
        spec = self._modbus or os.environ.get("RASPIPLC_MODBUS")
        if spec:
            host, _, port = spec.rpartition(":")
            return host.strip("[]") or "127.0.0.1", int(port)
        m = lib.plc_layout_get_modbus(self._layout).contents
        host = text(m.listen_host)
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
        return host, m.listen_port

    def command(self, name, timeout=1.0):
        """Send a command by the request-counter handshake (docs/programs.md):
        write the counter one more than it holds, then wait until the program's
        acknowledgement (ack_X for cmd_X; alarm_ack_done for [logic] alarm_ack)
        shows it. A counter in a region this client writes is written there;
        one the Modbus gateway writes goes through the gateway, as plc-web's
        commands do. Returns the counter sent; TimeoutError when not acknowledged
        within @timeout seconds."""
        tag = self.tag(name)
        if tag.type in ("bool", "float32", "float64"):
            raise ValueError(f"tag '{name}' is no command: commands are integer request counters")
        ack = self._ack_of(tag)
        watch = _Watch(self, ack.region, [ack]) if ack else None
        try:
            if watch:
                watch.read(False)
            counter = self._bump(tag)
            self.stats["commands"] += 1
            if not watch:
                return counter
            deadline = time.monotonic() + timeout
            while watch.last[0] != counter:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.stats["command_timeouts"] += 1
                    raise TimeoutError(
                        f"command counter {counter} was not acknowledged in '{ack.name}' "
                        f"(still {watch.last[0]}) within {timeout:g} s: is plc-logic running?",
                        tag=name, region=ack.region, path=self.region_path(ack.region))
                watch.next(left)
            return counter
        finally:
            if watch:
                watch.close()

    def _bump(self, tag):
        """Write the counter one more than it holds (wrapping at its max); the new value."""
        def next_of(v):
            return tag.min if v >= tag.max else v + 1
        if tag.writer == self.service:
            r = self._writer(tag)
            counter = next_of(self._region(tag.region).read_tags([tag])[0])
            r.write_tags([tag], [self._encode(tag, counter)])
            return counter
        if tag.writer != "modbus" or tag.modbus_table != "holding_register":
            raise NotWriterError(f"the layout gives it to writer '{tag.writer}': a command "
                                 f"goes into a region this client ('{self.service}') writes, "
                                 "or to a holding register of the Modbus gateway",
                                 tag=tag.name, region=tag.region,
                                 path=self.region_path(tag.region))
        host, port = self.gateway_address()
        unit = lib.plc_layout_get_modbus(self._layout).contents.unit_id
        signed = tag.type.startswith("int")
        gw = None
        try:
            gw = Gateway(host, port, unit)
            words = gw.read_registers(tag.modbus_address, tag.modbus_count)
            counter = next_of(value_of(words, tag.word_order, signed))
            gw.write_registers(tag.modbus_address,
                               words_of(counter, tag.modbus_count, tag.word_order, signed))
        except CommandError as e:
            raise CommandError(str(e), tag=tag.name, region=tag.region) from None
        finally:
            if gw:
                gw.close()
        return counter

    # ---- status ----------------------------------------------------------------
    def info(self, region=None):
        """A region's header as plcctl info shows it (a dict); without @region,
        {name: dict} for every region of the layout."""
        if region is None:
            return {r["name"]: self.info(r["name"]) for r in self.regions()}
        return self._region(region).info()

    def alarms(self):
        """Every alarm of the layout with its state as plc-logic last published
        it (as plcctl alarms): name, state, active, unacked, severity, tag,
        value, limit, message."""
        out = []
        n = lib.plc_layout_alarm_count(self._layout)
        bits = []
        for i in range(n):
            a = lib.plc_layout_alarm_bit(self._layout, i, False)
            u = lib.plc_layout_alarm_bit(self._layout, i, True)
            if a and u:
                bits += [text(a.contents.name), text(u.contents.name)]
        states = self.get_many(bits) if bits else {}
        for i in range(n):
            d = lib.plc_layout_alarm_at(self._layout, i).contents
            tag = text(d.tag.contents.name)
            limit_tag = text(d.limit_tag.contents.name) if d.limit_tag else None
            values = self.get_many([tag] + ([limit_tag] if limit_tag else []))
            active = unacked = None
            if bits:
                active = states[bits[2 * i]].value
                unacked = states[bits[2 * i + 1]].value
            state = None if active is None else (
                ("unack_active" if unacked else "active") if active
                else ("unack_normal" if unacked else "normal"))
            out.append(dict(name=text(d.name), state=state, active=active, unacked=unacked,
                            severity=text(lib.plc_alarm_severity_name(d.severity)),
                            kind=text(lib.plc_alarm_kind_name(d.kind)), tag=tag,
                            value=values[tag].value,
                            limit=values[limit_tag].value if limit_tag else
                            (d.limit if d.kind <= 4 else None),
                            message=text(d.message)))
        return out

    def events(self):
        """The events the services' rings hold now (each keeps its recent
        ones), oldest first by CLOCK_MONOTONIC, as dicts: time (time.time()
        scale), source, kind, severity, name, before, after, text, seq. A
        service whose ring is missing is skipped. The history kept on disk
        beyond the rings is plcctl events'."""
        out = []
        h = lib.plc_layout_get_hash(self._layout)
        for source in _lib.EVENT_SOURCES:
            path = ctypes.create_string_buffer(4096)
            if lib.plc_event_ring_path(self._layout, self._base, source, path, len(path)) < 0:
                continue
            ring = lib.plc_event_ring_open(path.value, _lib.PLC_READER, h, None)
            if not ring:
                continue
            try:
                cursor, lost = ctypes.c_uint64(0), ctypes.c_uint64(0)
                box = _lib.Spare(_lib.Event)()
                ev = box.value
                while True:
                    rc = lib.plc_event_ring_read(ring, ctypes.byref(cursor),
                                                 ctypes.cast(ctypes.byref(box),
                                                             ctypes.POINTER(_lib.Event)),
                                                 ctypes.byref(lost))
                    if rc == 0:
                        break
                    if rc < 0:
                        continue  # EAGAIN: overwritten under us; the cursor moved on
                    out.append((ev.mono_ns, dict(
                        time=ev.realtime_ns / 1e9,
                        source=text(lib.plc_event_source_name(ev.source)),
                        kind=text(lib.plc_event_kind_name(ev.kind)),
                        severity=text(lib.plc_event_severity_name(ev.severity)),
                        name=text(ev.name), before=ev.before, after=ev.after,
                        text=text(ev.text), seq=ev.seq)))
            finally:
                lib.plc_event_ring_close(ring)
        return [e for _, e in sorted(out, key=lambda x: x[0])]

    def statistics(self):
        """This client's counters: reads, writes, waits, wakeups, changes,
        commands, command_timeouts, errors."""
        return dict(self.stats)

    # ---- cleanup -------------------------------------------------------------------
    def close(self):
        """Detach every region (a writer's claim is released); idempotent."""
        for g in list(getattr(self, "_gens", ())):
            g.close()
        for w in list(getattr(self, "_watches", ())):  # of iterators never started
            w.close()
        for r in list(self._readers.values()) + list(self._writers.values()):
            r.detach()
        self._readers.clear()
        self._writers.clear()
        if getattr(self, "_layout", None):
            lib.plc_layout_free(self._layout)
            self._layout = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def connect(layout=None, base_dir=None, service="python", modbus=None):
    """Load the layout and return a PLC on its process image.

    @layout: the layout file; default $RASPIPLC_LAYOUT, else
    /etc/raspiplc/layout.ini (as the C tools). @base_dir: where the regions are;
    default $RASPIPLC_BASE_DIR, else the layout's base_dir, else
    /dev/shm/raspiplc. @service: the writer name this client writes as (regions
    whose layout writer it is). @modbus: "HOST:PORT" of the Modbus gateway for
    commands whose counters it writes; default $RASPIPLC_MODBUS, else the
    layout's [modbus] listen."""
    return PLC(layout, base_dir, service, modbus)

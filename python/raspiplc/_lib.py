# SPDX-License-Identifier: MIT
"""ctypes declarations of libplc: the functions raspiplc calls and the public
structs it reads (runtime/include/plc.h, layout/include/plc-layout.h).

Every protocol step (the seqlock, the writer claim, the futex wait, the layout
parser and hash) is libplc's own code; this module only declares it. The
structs are mirrored as the headers declare them: they are libplc's ABI, and
a change to them changes libplc's soname (runtime/CMakeLists.txt), which is
the name loaded here. tests/python/test_abi.py compares them with the
compiler's layout; PLC refuses a libplc whose arrays of them differ in size."""
import ctypes
import ctypes.util
import functools
import os

# The soname: a libplc whose ABI changed has another one and is not loaded.
SONAME = "libplc.so.0"

PLC_ERRNO_BASE = 0x504C0000
PLC_ENOREGION, PLC_EMAGIC, PLC_EFORMAT, PLC_ELAYOUT, PLC_ESIZE, PLC_EPATH, PLC_EHELD, \
    PLC_ENOTWRITER, PLC_EDEADWRITER, PLC_ERETIRED, PLC_EBUSY = range(PLC_ERRNO_BASE + 1,
                                                                     PLC_ERRNO_BASE + 12)
PLC_READER, PLC_WRITER = 1, 2

TYPE_NAMES = {1: "bool", 2: "int16", 3: "uint16", 4: "int32", 5: "uint32", 6: "float32",
              7: "int64", 8: "uint64", 9: "float64", 10: "int8", 11: "uint8"}
BOOL, FLOAT32, FLOAT64 = 1, 6, 9
UNSIGNED = {3, 5, 8, 11}
MODBUS_TABLES = {1: "coil", 2: "discrete_input", 3: "input_register", 4: "holding_register"}
WORD_ORDERS = {1: "ABCD", 2: "CDAB", 3: "BADC", 4: "DCBA"}


class Diag(ctypes.Structure):
    _fields_ = [("file", ctypes.c_char * 256), ("line", ctypes.c_uint),
                ("msg", ctypes.c_char * 768)]


class Value(ctypes.Union):
    _fields_ = [("i", ctypes.c_int64), ("u", ctypes.c_uint64), ("f", ctypes.c_double)]


class RegionDef(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * 32), ("writer", ctypes.c_char * 32),
                ("group", ctypes.c_char * 32), ("mode", ctypes.c_uint32),
                ("size", ctypes.c_size_t), ("data_size", ctypes.c_size_t),
                ("gpio_dir", ctypes.c_int), ("retain", ctypes.c_bool),
                ("first_tag", ctypes.c_size_t), ("tag_count", ctypes.c_size_t),
                ("line", ctypes.c_uint)]


class GpioBinding(ctypes.Structure):
    _fields_ = [("bound", ctypes.c_bool), ("chip", ctypes.c_char * 32), ("offset", ctypes.c_int),
                ("line_name", ctypes.c_char * 32), ("active_low", ctypes.c_bool),
                ("bias", ctypes.c_int), ("drive", ctypes.c_int), ("debounce_us", ctypes.c_uint32)]


class ModbusBinding(ctypes.Structure):
    _fields_ = [("table", ctypes.c_int), ("address", ctypes.c_uint16), ("count", ctypes.c_uint16),
                ("word_order", ctypes.c_int)]


class TagDef(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * 64), ("region", ctypes.POINTER(RegionDef)),
                ("type", ctypes.c_int), ("offset", ctypes.c_size_t), ("size", ctypes.c_size_t),
                ("initial", ctypes.c_double), ("min", ctypes.c_double), ("max", ctypes.c_double),
                ("has_min", ctypes.c_bool), ("has_max", ctypes.c_bool),
                ("safe_mode", ctypes.c_int), ("safe", ctypes.c_double),
                ("initial_v", Value), ("min_v", Value), ("max_v", Value), ("safe_v", Value),
                ("retain", ctypes.c_bool), ("unit", ctypes.c_char * 32),
                ("description", ctypes.c_char * 192), ("iec_address", ctypes.c_char * 24),
                ("gpio", GpioBinding), ("modbus", ModbusBinding), ("line", ctypes.c_uint)]


class ModbusConfigHead(ctypes.Structure):
    """The first fields of struct plc_modbus_config, all raspiplc reads."""
    _fields_ = [("listen_host", ctypes.c_char * 64), ("listen_port", ctypes.c_uint16),
                ("read_only", ctypes.c_bool), ("unmapped_reads_zero", ctypes.c_bool),
                ("read_only_host", ctypes.c_char * 64), ("read_only_port", ctypes.c_uint16),
                ("unit_id", ctypes.c_uint8)]


class LogicHead(ctypes.Structure):
    """The first fields of struct plc_logic_def, up to alarm_ack."""
    _fields_ = [("period_us", ctypes.c_uint32), ("watchdog_us", ctypes.c_uint32),
                ("restart", ctypes.c_int), ("restart_delay_us", ctypes.c_uint32),
                ("reset_command", ctypes.POINTER(TagDef)), ("priority", ctypes.c_int),
                ("lock_memory", ctypes.c_bool), ("cpu", ctypes.c_int),
                ("cpu_dma_latency_us", ctypes.c_int),
                ("diagnostics", ctypes.POINTER(RegionDef)),
                ("alarms", ctypes.POINTER(RegionDef)),
                ("alarm_ack", ctypes.POINTER(TagDef))]


class AlarmDef(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char * 67), ("tag", ctypes.POINTER(TagDef)),
                ("kind", ctypes.c_int), ("limit", ctypes.c_double),
                ("limit_tag", ctypes.POINTER(TagDef)), ("deadband", ctypes.c_double),
                ("delay_us", ctypes.c_uint32), ("severity", ctypes.c_int),
                ("latch", ctypes.c_bool), ("shelve_max_s", ctypes.c_uint32),
                ("message", ctypes.c_char * 128), ("line", ctypes.c_uint)]


class RegionInfo(ctypes.Structure):
    _fields_ = [("region", ctypes.c_char * 32), ("layout", ctypes.c_char * 32),
                ("layout_version", ctypes.c_uint), ("layout_hash", ctypes.c_uint64),
                ("writer_service", ctypes.c_char * 32), ("holder", ctypes.c_char * 16),
                ("writer_pid", ctypes.c_int), ("writer_alive", ctypes.c_bool),
                ("took_over_from", ctypes.c_int), ("size", ctypes.c_size_t),
                ("data_size", ctypes.c_size_t), ("seq", ctypes.c_uint32),
                ("epoch", ctypes.c_uint32), ("created_ns", ctypes.c_uint64),
                ("heartbeat_age_ns", ctypes.c_int64), ("update_age_ns", ctypes.c_int64),
                ("writes", ctypes.c_uint64), ("reads", ctypes.c_uint64),
                ("retries", ctypes.c_uint64), ("stale_reads", ctypes.c_uint64),
                ("attaches", ctypes.c_uint64), ("repairs", ctypes.c_uint32),
                ("claims", ctypes.c_uint32), ("max_silence_ns", ctypes.c_int64),
                ("repaired", ctypes.c_bool)]


class Event(ctypes.Structure):
    _fields_ = [("seq", ctypes.c_uint64), ("realtime_ns", ctypes.c_int64),
                ("mono_ns", ctypes.c_uint64), ("source", ctypes.c_uint16),
                ("kind", ctypes.c_uint16), ("severity", ctypes.c_uint8),
                ("reserved", ctypes.c_uint8 * 3), ("name", ctypes.c_char * 32),
                ("before", ctypes.c_double), ("after", ctypes.c_double),
                ("text", ctypes.c_char * 48)]


EVENT_SOURCES = range(1, 9)  # enum plc_event_source: shm-init .. mqtt

@functools.lru_cache(maxsize=None)
def Spare(cls):
    """@cls with room after it: what libplc fills (a region's info, an event)
    never writes past the buffer, even from a release whose struct grew."""
    class Box(ctypes.Structure):
        _fields_ = [("value", cls), ("spare", ctypes.c_char * 1024)]
    return Box


_P = ctypes.c_void_p
_S = ctypes.c_char_p
_TAG = ctypes.POINTER(TagDef)
_REG = ctypes.POINTER(RegionDef)
_DIAG = ctypes.POINTER(Diag)

# name: (restype, argtypes)
_FUNCS = {
    "plc_strerror": (_S, [ctypes.c_int]),
    "plc_diag_format": (ctypes.c_int, [_DIAG, ctypes.c_char_p, ctypes.c_size_t]),
    "plc_layout_path": (_S, [_S]),
    "plc_layout_load": (_P, [_S, _DIAG]),
    "plc_layout_free": (None, [_P]),
    "plc_layout_get_name": (_S, [_P]),
    "plc_layout_get_version": (ctypes.c_uint, [_P]),
    "plc_layout_get_hash": (ctypes.c_uint64, [_P]),
    "plc_layout_get_path": (_S, [_P]),
    "plc_layout_get_logic": (ctypes.POINTER(LogicHead), [_P]),
    "plc_layout_get_modbus": (ctypes.POINTER(ModbusConfigHead), [_P]),
    "plc_layout_region_count": (ctypes.c_size_t, [_P]),
    "plc_layout_region_at": (_REG, [_P, ctypes.c_size_t]),
    "plc_layout_find_region": (_REG, [_P, _S]),
    "plc_layout_tag_count": (ctypes.c_size_t, [_P]),
    "plc_layout_tag_at": (_TAG, [_P, ctypes.c_size_t]),
    "plc_layout_find_tag": (_TAG, [_P, _S]),
    "plc_layout_alarm_count": (ctypes.c_size_t, [_P]),
    "plc_layout_alarm_at": (ctypes.POINTER(AlarmDef), [_P, ctypes.c_size_t]),
    "plc_layout_alarm_region_tag": (_TAG, [_P, ctypes.c_int]),
    "plc_layout_alarm_bit": (_TAG, [_P, ctypes.c_size_t, ctypes.c_bool]),
    "plc_alarm_severity_name": (_S, [ctypes.c_int]),
    "plc_alarm_kind_name": (_S, [ctypes.c_int]),
    "plc_base_dir": (_S, [_P, _S]),
    "plc_region_path": (ctypes.c_int, [_P, _S, _S, ctypes.c_char_p, ctypes.c_size_t]),
    "plc_region_attach": (_P, [_P, _S, _S, ctypes.c_int, _S, _DIAG]),
    "plc_region_detach": (None, [_P]),
    "plc_region_read": (ctypes.c_int, [_P, ctypes.c_void_p]),
    "plc_region_read_tags": (ctypes.c_int, [_P, ctypes.POINTER(_TAG), ctypes.c_size_t,
                                            ctypes.c_void_p]),
    "plc_region_write": (ctypes.c_int, [_P, ctypes.c_void_p]),
    "plc_region_write_tags": (ctypes.c_int, [_P, ctypes.POINTER(_TAG), ctypes.c_size_t,
                                             ctypes.c_void_p]),
    "plc_region_heartbeat": (ctypes.c_int, [_P]),
    "plc_region_wait": (ctypes.c_int, [_P, ctypes.c_int64]),
    "plc_region_writer_alive": (ctypes.c_int, [_P]),
    "plc_region_get_info": (ctypes.c_int, [_P, ctypes.POINTER(RegionInfo)]),
    "plc_event_ring_path": (ctypes.c_int, [_P, _S, ctypes.c_int, ctypes.c_char_p,
                                           ctypes.c_size_t]),
    "plc_event_ring_open": (_P, [_S, ctypes.c_int, ctypes.c_uint64, _DIAG]),
    "plc_event_ring_close": (None, [_P]),
    "plc_event_ring_read": (ctypes.c_int, [_P, ctypes.POINTER(ctypes.c_uint64),
                                           ctypes.POINTER(Event), ctypes.POINTER(ctypes.c_uint64)]),
    "plc_event_source_name": (_S, [ctypes.c_int]),
    "plc_event_kind_name": (_S, [ctypes.c_int]),
    "plc_event_severity_name": (_S, [ctypes.c_int]),
    "plc_value_load": (Value, [ctypes.c_int, ctypes.c_void_p]),
    "plc_value_store": (None, [ctypes.c_int, ctypes.POINTER(Value), ctypes.c_void_p]),
    "plc_value_parse": (ctypes.c_int, [ctypes.c_int, _S, ctypes.POINTER(Value)]),
    "plc_value_format": (ctypes.c_int, [ctypes.c_int, ctypes.POINTER(Value), ctypes.c_char_p,
                                        ctypes.c_size_t]),
    "plc_value_in_range": (ctypes.c_bool, [ctypes.c_int, ctypes.POINTER(Value),
                                           ctypes.POINTER(Value), ctypes.POINTER(Value)]),
}


def _load():
    """libplc: $RASPIPLC_LIBPLC, else, for the package in a source checkout
    (python/raspiplc), that checkout's build/runtime/, else the soname the
    raspiplc package installs, else what the linker's cache knows as plc."""
    here = os.path.dirname(os.path.abspath(__file__))
    checkout = os.path.join(here, "..", "..", "build", "runtime", SONAME)
    names = [os.environ.get("RASPIPLC_LIBPLC") or
             (os.path.normpath(checkout) if os.path.exists(checkout) else SONAME)]
    found = ctypes.util.find_library("plc")
    if found and found not in names:
        names.append(found)
    errors = []
    for name in names:
        try:
            lib = ctypes.CDLL(name, use_errno=True)
            break
        except OSError as e:
            errors.append(str(e))
    else:
        raise ImportError("raspiplc: cannot load libplc (" + "; ".join(errors) +
                          "): install the raspiplc package, or set RASPIPLC_LIBPLC "
                          "to a build's runtime/libplc.so.0")
    for fname, (res, args) in _FUNCS.items():
        f = getattr(lib, fname)
        f.restype = res
        f.argtypes = args
    return lib


lib = _load()


def strerror(err):
    return lib.plc_strerror(err).decode()


def diag_text(diag):
    buf = ctypes.create_string_buffer(1100)
    lib.plc_diag_format(ctypes.byref(diag), buf, len(buf))
    return buf.value.decode(errors="replace")


def text(b):
    return b.decode(errors="replace") if isinstance(b, bytes) else (b or "")

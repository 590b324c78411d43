# SPDX-License-Identifier: MIT
"""The two Modbus requests a command needs (read and write holding registers),
to reach a counter the gateway, plc-modbus, writes. plc-web sends commands the
same way: through the gateway, so its range checks, atomicity and write rights
apply as for SCADA. The requests are libmodbus's (Debian's libmodbus5, which
the gateway itself runs on), called through ctypes."""
import ctypes
import ctypes.util
import struct

from .errors import CommandError

_modbus = None


def _libmodbus():
    global _modbus
    if _modbus is None:
        name = ctypes.util.find_library("modbus") or "libmodbus.so.5"
        try:
            lib = ctypes.CDLL(name, use_errno=True)
        except OSError as e:
            raise CommandError(f"cannot load libmodbus ({name}): {e}: "
                               "apt-get install libmodbus5") from e
        lib.modbus_new_tcp.restype = ctypes.c_void_p
        lib.modbus_new_tcp.argtypes = [ctypes.c_char_p, ctypes.c_int]
        for f in ("modbus_connect", "modbus_close", "modbus_free"):
            getattr(lib, f).argtypes = [ctypes.c_void_p]
        lib.modbus_close.restype = lib.modbus_free.restype = None
        lib.modbus_set_slave.argtypes = [ctypes.c_void_p, ctypes.c_int]
        lib.modbus_set_response_timeout.argtypes = [ctypes.c_void_p, ctypes.c_uint32,
                                                    ctypes.c_uint32]
        lib.modbus_read_registers.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                              ctypes.POINTER(ctypes.c_uint16)]
        lib.modbus_write_registers.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_int,
                                               ctypes.POINTER(ctypes.c_uint16)]
        lib.modbus_strerror.restype = ctypes.c_char_p
        lib.modbus_strerror.argtypes = [ctypes.c_int]
        _modbus = lib
    return _modbus


class Gateway:
    def __init__(self, host, port, unit, timeout=1.0):
        self.host, self.port = host, port
        self._lib = lib = _libmodbus()
        self._ctx = lib.modbus_new_tcp(host.encode(), int(port))
        if not self._ctx:
            raise CommandError(f"Modbus gateway {host}:{port}: {self._error()}")
        lib.modbus_set_slave(self._ctx, unit)
        lib.modbus_set_response_timeout(self._ctx, int(timeout), int(timeout % 1 * 1e6))
        if lib.modbus_connect(self._ctx) < 0:
            why = self._error()
            lib.modbus_free(self._ctx)
            self._ctx = None
            raise CommandError(f"cannot connect to the Modbus gateway {host}:{port}: "
                               f"{why}: is plc-modbus running?")

    def _error(self):
        return self._lib.modbus_strerror(ctypes.get_errno()).decode(errors="replace")

    def close(self):
        if self._ctx:
            self._lib.modbus_close(self._ctx)
            self._lib.modbus_free(self._ctx)
            self._ctx = None

    def read_registers(self, address, count):
        buf = (ctypes.c_uint16 * count)()
        if self._lib.modbus_read_registers(self._ctx, address, count, buf) != count:
            raise CommandError(f"Modbus gateway {self.host}:{self.port} refused to read "
                               f"holding register {40001 + address}: {self._error()}")
        return list(buf)

    def write_registers(self, address, words):
        buf = (ctypes.c_uint16 * len(words))(*words)
        if self._lib.modbus_write_registers(self._ctx, address, len(words), buf) != len(words):
            raise CommandError(f"Modbus gateway {self.host}:{self.port} refused to write "
                               f"holding register {40001 + address}: {self._error()}")


def words_of(value, count, order, signed):
    """An integer as @count registers in the tag's word order (docs/modbus.md)."""
    if count == 1:
        return [value & 0xFFFF]
    raw = struct.pack(">i" if signed else ">I", value)
    raw = {"ABCD": raw, "CDAB": raw[2:] + raw[:2], "BADC": raw[1::-1] + raw[3:1:-1],
           "DCBA": raw[::-1]}[order]
    return list(struct.unpack(">2H", raw))


def value_of(words, order, signed):
    if len(words) == 1:
        v = words[0]
        return v - 0x10000 if signed and v & 0x8000 else v
    raw = struct.pack(">2H", *words)
    raw = {"ABCD": raw, "CDAB": raw[2:] + raw[:2], "BADC": raw[1::-1] + raw[3:1:-1],
           "DCBA": raw[::-1]}[order]
    return struct.unpack(">i" if signed else ">I", raw)[0]

# SPDX-License-Identifier: MIT
"""The few Modbus TCP requests a command needs (read and write holding
registers), to reach a counter the gateway, plc-modbus, writes. plc-web sends
commands the same way: through the gateway, so its range checks, atomicity
and write rights apply as for SCADA."""
import socket
import struct

from .errors import CommandError

EXCEPTIONS = {1: "illegal function", 2: "illegal data address", 3: "illegal data value",
              4: "server device failure", 6: "server device busy",
              11: "gateway target device failed to respond"}


class Gateway:
    def __init__(self, host, port, unit, timeout=1.0):
        self.host, self.port, self.unit = host, port, unit
        self.tid = 0
        try:
            self.sock = socket.create_connection((host, port), timeout=timeout)
        except OSError as e:
            raise CommandError(f"cannot connect to the Modbus gateway {host}:{port}: "
                               f"{e.strerror or e}: is plc-modbus running?") from e

    def close(self):
        self.sock.close()

    def _recv(self, n):
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise CommandError(f"Modbus gateway {self.host}:{self.port} closed the connection")
            data += chunk
        return data

    def _request(self, pdu, what):
        self.tid = (self.tid + 1) & 0xFFFF
        try:
            self.sock.sendall(struct.pack(">HHHB", self.tid, 0, len(pdu) + 1, self.unit) + pdu)
            tid, _, length, _ = struct.unpack(">HHHB", self._recv(7))
            reply = self._recv(length - 1)
        except OSError as e:
            raise CommandError(f"Modbus gateway {self.host}:{self.port}: {what}: "
                               f"{e.strerror or e}") from e
        if reply[0] & 0x80:
            code = reply[1] if len(reply) > 1 else 0
            raise CommandError(f"Modbus gateway {self.host}:{self.port} refused to {what}: "
                               f"exception {code} ({EXCEPTIONS.get(code, 'unknown')})")
        return reply

    def read_registers(self, address, count):
        reply = self._request(struct.pack(">BHH", 3, address, count),
                              f"read holding register {40001 + address}")
        return list(struct.unpack(f">{count}H", reply[2:2 + 2 * count]))

    def write_registers(self, address, words):
        self._request(struct.pack(f">BHHB{len(words)}H", 16, address, len(words),
                                  2 * len(words), *words),
                      f"write holding register {40001 + address}")


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

# SPDX-License-Identifier: MIT
"""The structs raspiplc mirrors with ctypes lie as the C compiler lays out
libplc's (abi-probe.c prints them): a field added to a public struct without
the mirror following fails here, not as a misread value on a Pi."""
import ctypes
import json
import os
import subprocess

from raspiplc import _lib

# The mirrors that stop early (the *Head ones) check only the fields they have.
PARTIAL = {"LogicHead", "ModbusConfigHead"}


def test_mirrors_match_the_compilers_layout():
    probe = os.environ["PLC_ABI_PROBE"]
    layout = json.loads(subprocess.run([probe], check=True, capture_output=True,
                                       text=True).stdout)
    for name, want in layout.items():
        cls = getattr(_lib, name)
        if name not in PARTIAL:
            assert ctypes.sizeof(cls) == want["size"], name
        for field, offset in want["fields"].items():
            assert getattr(cls, field).offset == offset, f"{name}.{field}"

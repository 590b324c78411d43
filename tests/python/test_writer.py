# SPDX-License-Identifier: MIT
"""raspiplc as a writer and against dying writers: a region the layout gives
to 'python', the single-writer claim, a command nobody acknowledges, plc-io
killed while a Python reader waits, and the torn-read check of
tests/runtime/test-torn.c from Python readers."""
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import raspiplc
from conftest import DEMO, SVC, die_with_parent, stop, wait_for

WORDS = 1024  # a 4 KiB region of uint32 tags, as test-torn.c's


def layout(path):
    text = ("[layout]\nname = pyw\nversion = 1\n"
            "[region field]\nwriter = io\n"
            "[region py]\nwriter = python\n"
            "[region data]\nwriter = python\n"
            "[tag ack_go]\nregion = field\ntype = uint16\n"
            "[tag cmd_go]\nregion = py\ntype = uint16\n"
            "[tag setpoint]\nregion = py\ntype = float32\nmin = 0\nmax = 100\nunit = degC\n")
    text += "".join(f"[tag w{i}]\nregion = data\ntype = uint32\n" for i in range(WORDS))
    with open(path, "w") as f:
        f.write(text)
    return path


@pytest.fixture
def pyw(tmp_shm):
    ini = layout(os.path.join(tmp_shm, "pyw.ini"))
    base = os.path.join(tmp_shm, "regions")
    subprocess.run([os.path.join(SVC, "plc-shm-init"), "--layout", ini, "--base-dir", base,
                    "--retain-dir", os.path.join(tmp_shm, "retain"), "--quiet"], check=True)
    return ini, base


def child(code, *args):
    """A python3 child running @code with raspiplc; stdout piped."""
    return subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=die_with_parent)


def test_python_region_is_written_and_read_back(pyw):
    ini, base = pyw
    with raspiplc.connect(ini, base) as plc:
        plc.set_many({"setpoint": 42.5, "cmd_go": 7})
        assert plc.get("setpoint").value == 42.5 and str(plc.get("setpoint")) == "42.5 degC"
        assert plc.value("cmd_go") == 7
        with pytest.raises(ValueError, match="setpoint"):
            plc.set("setpoint", 101)
        with pytest.raises(raspiplc.NotWriterError) as e:
            plc.set("ack_go", 1)
        assert (e.value.tag, e.value.region) == ("ack_go", "field")
        info = plc.info("py")
        assert info["writer_service"] == "python" and info["writer_pid"] == os.getpid()
    with raspiplc.connect(ini, base) as plc:  # closed: the claim went with it
        plc.set("cmd_go", 8)


def test_second_writer_is_refused_while_the_first_lives(pyw):
    ini, base = pyw
    holder = child("import raspiplc,sys\n"
                   "p = raspiplc.connect(sys.argv[1], sys.argv[2])\n"
                   "p.set('cmd_go', 1)\nprint('held', flush=True)\nsys.stdin.read()\n",
                   ini, base)
    try:
        assert holder.stdout.readline().strip() == "held"
        with raspiplc.connect(ini, base) as plc, pytest.raises(raspiplc.NotWriterError) as e:
            plc.set("cmd_go", 2)
        assert e.value.region == "py" and str(holder.pid) in str(e.value)
    finally:
        stop(holder)
    with raspiplc.connect(ini, base) as plc:  # a dead holder's claim is taken over
        plc.set("cmd_go", 3)


def test_command_nobody_acknowledges_is_a_timeout(pyw):
    ini, base = pyw
    with raspiplc.connect(ini, base) as plc:
        with pytest.raises(raspiplc.TimeoutError) as e:
            plc.command("cmd_go", timeout=0.3)
        assert isinstance(e.value, TimeoutError)  # the builtin one
        assert e.value.tag == "cmd_go" and e.value.region == "field"
        assert "ack_go" in str(e.value) and e.value.path.endswith("/pyw/field")
        assert plc.value("cmd_go") == 1  # the request went out
        assert plc.statistics()["command_timeouts"] == 1


def test_writer_killed_while_a_reader_waits_is_writer_dead(tmp_shm):
    base = os.path.join(tmp_shm, "regions")
    subprocess.run([os.path.join(SVC, "plc-shm-init"), "--layout", DEMO, "--base-dir", base,
                    "--retain-dir", os.path.join(tmp_shm, "retain"), "--quiet"], check=True)
    io = subprocess.Popen([os.path.join(SVC, "plc-io"), "--backend", "sim", "--layout", DEMO,
                           "--base-dir", base], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL, start_new_session=True,
                          preexec_fn=die_with_parent)
    try:
        with raspiplc.connect(DEMO, base) as plc:
            wait_for("plc-io holds 'inputs'", lambda: plc.info("inputs")["writer_alive"])
            changes = plc.watch("start_button", timeout=10)
            assert next(changes).previous is None  # attached, the writer alive
            killed = []
            killer = threading.Thread(
                target=lambda: (os.kill(io.pid, signal.SIGKILL), io.wait(),
                                killed.append(time.monotonic())))
            killer.start()
            with pytest.raises(raspiplc.WriterDeadError) as e:
                next(changes)
            seen = time.monotonic()
            killer.join()
        assert e.value.region == "inputs" and e.value.tag == "start_button"
        assert e.value.path == os.path.join(base, "demo", "inputs")
        # docs/python.md: within WRITER_CHECK_S of the death (slack for a loaded machine)
        assert seen - killed[0] < raspiplc.WRITER_CHECK_S + 1.0
    finally:
        stop(io)


READER = """
import json, mmap, sys, time
import raspiplc
ini, base, protocol, run = sys.argv[1], sys.argv[2], sys.argv[3] == "1", float(sys.argv[4])
reads = torn = 0
values = set()
with raspiplc.connect(ini, base) as plc:
    raw = None
    if not protocol:
        f = open(plc.region_path("data"), "rb")
        raw = memoryview(mmap.mmap(f.fileno(), 0, prot=mmap.PROT_READ))[512:512 + 4096].cast("I")
    end = time.monotonic() + run
    while time.monotonic() < end:
        # the control copies word by word, as a reader without the protocol would
        w = memoryview(plc.read_region("data")).cast("I") if protocol else \
            memoryview(bytes().join(raw[i:i + 1].tobytes() for i in range(len(raw)))).cast("I")
        reads += 1
        values.add(w[0])
        if w.tolist().count(w[0]) != len(w):
            torn += 1
print(json.dumps(dict(reads=reads, torn=torn, values=len(values))))
"""

WRITER = """
import struct, sys
import raspiplc
with raspiplc.connect(sys.argv[1], sys.argv[2]) as plc:
    n = 0
    print("writing", flush=True)
    while True:
        n += 1
        plc.write_region("data", struct.pack("I", n) * 1024)
"""


def test_no_torn_reads_from_python_readers(pyw):
    """A Python writer publishes 4 KiB whose every word is one counter; Python
    readers through libplc never see two writes mixed. The same bytes read
    without the protocol (the negative control) do, proving the check works."""
    ini, base = pyw
    writer = child(WRITER, ini, base)
    readers = []
    try:
        assert writer.stdout.readline().strip() == "writing"
        readers = [child(READER, ini, base, "1", "1.0") for _ in range(3)]
        control = child(READER, ini, base, "0", "1.0")
        results = [json.loads(r.communicate(timeout=30)[0]) for r in readers]
        raw = json.loads(control.communicate(timeout=30)[0])
    finally:
        stop(writer)
        for r in readers:
            stop(r)
    for r in results:
        assert r["reads"] > 0 and r["torn"] == 0
        assert r["values"] > 1  # the writer wrote while they read
    print("protocol readers:", results, "raw control:", raw)
    assert raw["torn"] > 0, "the control read no torn copy: the check proves nothing"

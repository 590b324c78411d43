# SPDX-License-Identifier: MIT
"""Fixtures of the raspiplc tests: the demo PLC under plc-supervise (simulated
field, no web page) in a private base directory, and helpers to run the
built tools. ctest passes PLC_SOURCE_DIR, PLC_BINARY_DIR, RASPIPLC_LIBPLC
and PYTHONPATH (tests/python/CMakeLists.txt)."""
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

SRC = os.environ["PLC_SOURCE_DIR"]
BUILD = os.environ["PLC_BINARY_DIR"]
SVC = os.path.join(BUILD, "services")
DEMO = os.path.join(SRC, "layout", "demo.ini")


def wait_for(what, fn, timeout=20.0):
    """fn() until it returns something true; fails the test after @timeout s."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            got = fn()
            if got:
                return got
        except Exception as e:  # not there yet
            last = e
        time.sleep(0.02)
    pytest.fail(f"{what}: not within {timeout} s (last error: {last})")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def die_with_parent():
    """preexec_fn: SIGTERM when the test process dies, so a crashed pytest
    leaves no PLC running (prctl PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)


def stop(proc):
    """SIGTERM the process group we started, SIGKILL if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.fixture
def tmp_shm():
    d = tempfile.mkdtemp(prefix="plc-pytest-", dir="/dev/shm")
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Demo:
    def __init__(self, root):
        self.root = root
        self.base = os.path.join(root, "regions")
        self.port = free_port()
        self.env = dict(os.environ, RASPIPLC_LAYOUT=DEMO, RASPIPLC_BASE_DIR=self.base,
                        RASPIPLC_RETAIN_DIR=os.path.join(root, "retain"),
                        RASPIPLC_MODBUS=f"127.0.0.1:{self.port}")
        os.makedirs(os.path.join(root, "retain"))
        os.makedirs(os.path.join(root, "logs"))
        self.proc = subprocess.Popen(
            [os.path.join(SVC, "plc-supervise"), "--layout", DEMO, "--base-dir", self.base,
             "--retain-dir", os.path.join(root, "retain"),
             "--program", os.path.join(BUILD, "examples", "motor.so"),
             "--listen", f"127.0.0.1:{self.port}", "--no-web",
             "--log-dir", os.path.join(root, "logs")],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(root, "supervise.err"), "w"),
            start_new_session=True, preexec_fn=die_with_parent)

    def connect(self, **kw):
        import raspiplc
        kw.setdefault("modbus", f"127.0.0.1:{self.port}")
        return raspiplc.connect(DEMO, self.base, **kw)

    def tool(self, *args):
        """Run a built tool (plc-io-sim, plcctl) on the demo; its stdout."""
        return subprocess.run([os.path.join(SVC, args[0]), *args[1:]], env=self.env, check=True,
                              capture_output=True, text=True, timeout=20).stdout

    def ready(self):
        with self.connect() as plc:
            info = plc.info()
            if not all(i["writer_alive"] for i in info.values()):
                return False
        with socket.create_connection(("127.0.0.1", self.port), timeout=1):
            return True


@pytest.fixture(scope="module")
def demo():
    root = tempfile.mkdtemp(prefix="plc-pytest-demo-", dir="/dev/shm")
    d = Demo(root)
    try:
        wait_for("the demo's services attached and plc-modbus listening", d.ready)
        yield d
    finally:
        stop(d.proc)
        shutil.rmtree(root, ignore_errors=True)

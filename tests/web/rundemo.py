# SPDX-License-Identifier: MIT
"""scripts/run.sh under test, for run-demo.py and run-mqtt-demo.py: one line per
check, waits for a state with a deadline, run.sh started with install and build
skipped in private base and retain directories, stopped by Ctrl-C (SIGINT to its
process group) as a person stops it, and everything it made removed."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


class RunDemo:
    def __init__(self, src, build, prefix, extra_env=None, keep=()):
        self.src, self.build = src, os.path.abspath(build)
        self.svc = os.path.join(self.build, "services")
        self.tmp = tempfile.mkdtemp(prefix=prefix, dir="/dev/shm")
        self.failures = 0
        # What run.sh keeps beside the build; removed afterwards unless it was there before.
        self.made = [p for p in (os.path.join(self.build, n) for n in
                                 ("demo-web-users", "demo-web-password", "demo-logs",
                                  "demo-program.so", *keep))
                     if not os.path.exists(p)]
        self.env = dict(os.environ, RASPIPLC_SETUP="no", RASPIPLC_BUILD_DIR=self.build,
                        RASPIPLC_BASE_DIR=os.path.join(self.tmp, "regions"),
                        RASPIPLC_RETAIN_DIR=os.path.join(self.tmp, "retain"), **(extra_env or {}))
        for k in ("RASPIPLC_LAYOUT", "RASPIPLC_PROGRAM", "RASPIPLC_IO_BACKEND", "RASPIPLC_MQTT"):
            if k not in (extra_env or {}):
                self.env.pop(k, None)
        self.out_path = os.path.join(self.tmp, "run.out")
        self.run = None

    def check(self, what, ok, detail=""):
        print(f"{'ok' if ok else 'FAIL'}: {what}{'' if ok else ': ' + str(detail)}", flush=True)
        if not ok:
            self.failures += 1
        return ok

    @staticmethod
    def free_port():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def wait_for(self, what, fn, timeout=30.0, errors=(OSError,)):
        """fn() until it returns something true, or None after @timeout seconds."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                got = fn()
                if got:
                    self.check(what, True)
                    return got
            except errors:
                pass
            if time.monotonic() > deadline:
                self.check(what, False, f"not within {timeout} s")
                return None
            time.sleep(0.05)

    def start(self, *args):
        """scripts/run.sh ARGS... in its own process group, its output to run.out."""
        self.out = open(self.out_path, "w")
        self.run = subprocess.Popen(["bash", os.path.join(self.src, "scripts", "run.sh"), *args],
                                    cwd=self.src, env=self.env, stdout=self.out,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    def output(self):
        return self.text(self.out_path)

    @staticmethod
    def text(path):
        try:
            with open(path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def tool(self, name, *args):
        return subprocess.run([os.path.join(self.svc, name), *args], env=dict(
            self.env, RASPIPLC_LAYOUT=os.path.join(self.src, "layout", "demo.ini")),
            capture_output=True, text=True, timeout=30)

    def stop(self):
        """Ctrl-C, as a person stops it: every service ends, then run.sh (plc-supervise)."""
        if self.run.poll() is None:
            os.killpg(self.run.pid, signal.SIGINT)
            try:
                self.check("Ctrl-C stops the demo with status 0", self.run.wait(timeout=30) == 0,
                           self.run.returncode)
            except subprocess.TimeoutExpired:
                self.check("Ctrl-C stops the demo", False, "still running after 30 s")
        self.run.wait()
        try:
            os.killpg(self.run.pid, signal.SIGKILL)  # anything left behind is a failure
            self.check("no service outlives the demo", False, "some were still running")
        except ProcessLookupError:
            pass
        self.out.close()
        if self.failures:
            print("---- run.sh's output\n" + self.output())

    def cleanup(self):
        """Whatever happened: nothing of run.sh's left running, its files removed."""
        if self.run and self.run.poll() is None:
            os.killpg(self.run.pid, signal.SIGKILL)
            self.run.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
        for p in self.made:
            if os.path.isdir(p):
                shutil.rmtree(p, ignore_errors=True)
            elif os.path.exists(p):
                os.unlink(p)

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plc-web in a real browser: the demo PLC runs examples/motor.c with the real
services (plc-shm-init, plc-io on the sim backend, plc-logic, plc-modbus and
plc-web on free ports) and headless Chromium, driven by chromedriver through
Selenium, opens the page. Checks the page goes live, motor_run shows false,
then turns true within 1 s of pressing the simulated start button (as Modbus
then reads it), and that the console has no error or warning. Screenshots of
the overview and the tags go to ARTIFACT_DIR. Every wait is for a state with
a deadline; whatever happens, everything it started is stopped and every
directory it made removed.
usage: browser-test.py BUILD_DIR LAYOUT ARTIFACT_DIR"""
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
REACT_S = 1.0  # the press must show in the browser within this long


def skip(why):
    """Exit 77 (skipped), or 1 under CI=true, which provides everything (tests/ci-skip.sh)."""
    if os.environ.get("CI") == "true":
        print(f"FAIL (CI=true): cannot run here: {why}")
        sys.exit(1)
    print(f"SKIP: {why}")
    sys.exit(77)


try:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
except ImportError:
    skip("python3-selenium is not installed (scripts/install-deps.sh)")
for exe in (CHROMIUM, CHROMEDRIVER):
    if not os.access(exe, os.X_OK):
        skip(f"{exe} is not installed (scripts/install-deps.sh)")

build, layout, artifacts = sys.argv[1], sys.argv[2], sys.argv[3]
svc = os.path.join(build, "services")
STARTED = time.monotonic()


class Fail(Exception):
    pass


def ok(what):
    """Say what holds, and when since the start: where the time goes."""
    print(f"ok [{time.monotonic() - STARTED:5.2f} s]: {what}")


def check(what, good, detail=""):
    if not good:
        raise Fail(f"{what}: {detail}")
    ok(what)


def wait_until(what, probe, within):
    """Poll probe() until it returns something true; that value, or Fail at the deadline."""
    deadline = time.monotonic() + within
    while True:
        got = probe()
        if got:
            return got
        if time.monotonic() > deadline:
            raise Fail(f"{what}: not within {within} s (last: {got!r})")
        time.sleep(0.01)


class Plc:
    """The demo PLC's services in a private base directory, each in its own
    process group so that stopping it stops whatever it started."""

    def __init__(self):
        self.base = tempfile.mkdtemp(prefix="plc-browser-", dir="/dev/shm")
        self.env = dict(os.environ, RASPIPLC_BASE_DIR=self.base, RASPIPLC_LAYOUT=layout)
        self.env.pop("RASPIPLC_IO_BACKEND", None)
        self.procs = []

    def spawn(self, name, *args):
        """Start service NAME, its output to NAME.log in the base directory."""
        with open(os.path.join(self.base, name + ".log"), "w") as log:
            p = subprocess.Popen([os.path.join(svc, name), *args], env=self.env, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    def run(self, name, *args):
        r = subprocess.run([os.path.join(svc, name), *args], env=self.env, capture_output=True,
                           text=True, timeout=60)
        if r.returncode != 0:
            raise Fail(f"{name} {' '.join(args)}: exit {r.returncode}: {r.stderr.strip()}")
        return r.stdout

    def line(self, p, name, text, within=30):
        """The first line of NAME.log holding TEXT (p says there where it
        listens once it does), waited for with a deadline."""
        def said():
            with open(os.path.join(self.base, name + ".log")) as log:
                found = next((l for l in log if text in l and l.endswith("\n")), None)
            if found is None and p.poll() is not None:
                raise Fail(f"{name} exited ({p.returncode}) before saying '{text}'")
            return found
        return wait_until(f"{name} says '{text}'", said, within).rstrip("\n")

    def start(self):
        self.run("plc-shm-init", "-q")
        self.spawn("plc-io", "--backend", "sim")
        self.spawn("plc-logic", "--program", os.path.join(build, "examples", "motor.so"),
                   "--priority", "0", "--no-lock-memory", "--cpu-dma-latency", "none")
        self.run("plc-io-sim", "wait", "motor_fault", "0", "30000")  # the program scans
        mb = self.spawn("plc-modbus", "--listen", "127.0.0.1:0")
        line = self.line(mb, "plc-modbus", " on 127.0.0.1:")
        self.modbus_port = int(line.split(" on 127.0.0.1:")[1].split()[0])
        ok(f"plc-modbus serves on port {self.modbus_port}")
        self.web = self.spawn("plc-web", "--listen", "127.0.0.1:0")
        line = self.line(self.web, "plc-web", "plc-web: listening on 127.0.0.1:")
        self.url = "http://" + line.rsplit(" ", 1)[1] + "/"
        ok(f"plc-web listens at {self.url}")

    def modbus(self, pdu):
        """One Modbus TCP request to unit 1: the answer's PDU."""
        with socket.create_connection(("127.0.0.1", self.modbus_port), timeout=10) as s:
            s.sendall(struct.pack(">HHHB", 1, 0, len(pdu) + 1, 1) + pdu)
            head = s.recv(7, socket.MSG_WAITALL)
            _, _, length, _ = struct.unpack(">HHHB", head)
            return s.recv(length - 1, socket.MSG_WAITALL)

    def coil(self, address):
        pdu = self.modbus(struct.pack(">BHH", 1, address, 1))
        check(f"Modbus reads coil {address}", pdu[:2] == b"\x01\x01", pdu.hex())
        return bool(pdu[2] & 1)

    def stop(self):
        for p in self.procs:
            stop_group(p)
        shutil.rmtree(self.base, ignore_errors=True)


def stop_group(p):
    """SIGTERM p's process group, SIGKILL it if p has not ended within 10 s,
    then SIGKILL whatever of the group is left; p's exit status."""
    for sig, grace in (((signal.SIGTERM, 10), (signal.SIGKILL, 30))
                       if p.returncode is None else ()):
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=grace)
            break
        except subprocess.TimeoutExpired:
            continue
    try:
        os.killpg(p.pid, signal.SIGKILL)  # what it started and left behind
    except ProcessLookupError:
        pass
    return p.returncode


def chromedriver(tmp):
    """chromedriver, logging to tmp, in a process group of its own with the
    Chromium it will start; selenium starts it with the browser."""
    return Service(CHROMEDRIVER, log_path=os.path.join(tmp, "chromedriver.log"),
                   popen_kw={"start_new_session": True})


def start_browser(service, tmp):
    """Headless Chromium under chromedriver, its profile in tmp, its console
    log kept at every level."""
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", f"--user-data-dir={tmp}/profile", "--window-size=1280,900",
                "--no-first-run", "--disable-gpu", "--disable-extensions"):
        opts.add_argument(arg)
    if os.geteuid() == 0:
        opts.add_argument("--no-sandbox")  # Chromium's sandbox refuses to run as root
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=service, options=opts)
    # The window's size includes its frame: this makes the page (and so the
    # screenshots) 1280x900 itself.
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})
    return driver


# The page's DOM, named here only: NAME's row of the tags table, as a JavaScript
# expression of arguments[0].
TAG_ROW = 'document.querySelector(`#tags tr[data-tag="${CSS.escape(arguments[0])}"]`)'


def page_status(driver):
    """The connection state the page shows: "live" once its stream is open."""
    return driver.execute_script('return document.getElementById("status").textContent;')


def tag_value(driver, name):
    """The text the tags table shows as NAME's value, None while it has no row."""
    return driver.execute_script(
        f'const row = {TAG_ROW}; return row ? row.querySelector("td.value").textContent : null;',
        name)


def wait_tag(driver, name, text, within=10):
    """Wait until the tags table shows TEXT as NAME's value."""
    last = None

    def shown():
        nonlocal last
        last = tag_value(driver, name)
        return last == text
    try:
        wait_until(f"{name} shows {text}", shown, within)
    except Fail:
        raise Fail(f"{name} shows {last!r}, not {text!r}, after {within} s") from None


def tag_flashing(driver, name):
    """Whether NAME's row is highlighted as just changed."""
    return driver.execute_script(f'return {TAG_ROW}.classList.contains("changed");', name)


def show(driver, view):
    """Bring a view of the page into sight: 'overview', 'tags', ... (its #hash)."""
    driver.execute_script(f"location.hash = '#{view}'; window.scrollTo(0, 0);")


def screenshot(driver, view):
    show(driver, view)
    path = os.path.join(artifacts, f"web-{view}.png")
    check(f"screenshot of the {view}", driver.save_screenshot(path), path)
    print(f"artifact: {os.path.abspath(path)}")


def console(driver):
    """The browser console's entries since the last call."""
    return driver.get_log("browser")


def test_motor_start(plc, driver):
    """The simulated start button: motor_run true on the page within REACT_S."""
    wait_tag(driver, "motor_run", "false")
    ok("motor_run shows false")
    plc.run("plc-io-sim", "set", "motor_feedback", "1")  # the contactor answers: no trip
    pressed = time.monotonic()
    plc.run("plc-io-sim", "set", "start_button", "1")
    wait_tag(driver, "motor_run", "true")
    took = time.monotonic() - pressed
    check(f"motor_run true in the browser {took * 1000:.0f} ms after the press",
          took <= REACT_S, f"more than {REACT_S} s")
    check("Modbus coil 00001 (motor_run) agrees", plc.coil(0) is True)
    plc.run("plc-io-sim", "set", "start_button", "0")
    wait_tag(driver, "start_button", "false")
    check("the motor runs on once the button is released", tag_value(driver, "motor_run") == "true")


# What the page is checked for, in order, each given the running PLC and the
# browser showing the live page.
SCENARIOS = [test_motor_start]


def main():
    # ctest's timeout and Ctrl-C end the run through the finally below too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("browser-test: terminated"))
    os.makedirs(artifacts, exist_ok=True)
    failure_shot = os.path.join(artifacts, "web-failure.png")
    if os.path.exists(failure_shot):
        os.remove(failure_shot)  # from an earlier run
    tmp = tempfile.mkdtemp(prefix="plc-browser-chromium-")
    plc, service, driver, failed = Plc(), chromedriver(tmp), None, False
    try:
        t0 = time.monotonic()
        plc.start()
        ok(f"the PLC started in {time.monotonic() - t0:.2f} s")
        t0 = time.monotonic()
        driver = start_browser(service, tmp)
        ok(f"Chromium started in {time.monotonic() - t0:.2f} s")
        driver.get(plc.url)
        wait_until("the page says live", lambda: page_status(driver) == "live", 10)
        ok("the page is live")
        for scenario in SCENARIOS:
            scenario(plc, driver)
        # Screenshots once the release's highlight has faded (the scan statistics'
        # rows change all the time and stay highlighted).
        wait_until("start_button's row no longer highlighted",
                   lambda: not tag_flashing(driver, "start_button"), 5)
        screenshot(driver, "overview")
        screenshot(driver, "tags")
        entries = console(driver)
        check("no error or warning in the console",
              not any(e["level"] in ("SEVERE", "WARNING") for e in entries),
              "".join(f"\n  {e['level']}: {e['message']}" for e in entries))
        driver.quit()
        driver = None
        ok("Chromium has quit")
        # Under the sanitizers this is where a leak in what the browser did shows.
        check("plc-web exits 0 on SIGTERM once the browser has gone", stop_group(plc.web) == 0,
              f"exit status {plc.web.returncode}")
    except Exception as e:  # Fail or anything Selenium raises: say so, then clean up
        failed = True
        print(f"FAIL: {type(e).__name__}: {e}")
        if driver:
            try:
                driver.save_screenshot(failure_shot)
                print(f"artifact: {os.path.abspath(failure_shot)}")
                for entry in console(driver):
                    print(f"  console {entry['level']}: {entry['message']}")
            except Exception:
                pass
        for name in ("plc-io", "plc-logic", "plc-modbus", "plc-web", "chromedriver"):
            log = os.path.join(plc.base if name != "chromedriver" else tmp, name + ".log")
            if os.path.exists(log):
                print(f"--- {name}.log (tail)\n" + "".join(open(log).readlines()[-15:]))
    finally:
        if driver:
            try:
                driver.quit()
            except Exception:
                pass
        if getattr(service, "process", None):  # started, even if the browser was not
            stop_group(service.process)
        plc.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


sys.exit(main())

#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""plc-web in a real browser: the demo PLC runs examples/motor.c with the real
services (plc-shm-init, plc-io on the sim backend, plc-logic, plc-modbus and
plc-web on free ports) and headless Chromium, driven by chromedriver through
Selenium, opens the page. Checks the page goes live, motor_run shows false,
then turns true within 1 s of pressing the simulated start button (as Modbus
then reads it); that an operator made by `plc-web user add` logs in through the
form (a wrong password first shows the error), sets the parameter level_high,
which Modbus then reads back, acknowledges the high-level alarm (in plcctl and
the alarms view), and logs out; and that the console has no error or warning
but the refused login's own 401. Screenshots of the overview and the tags go to
ARTIFACT_DIR. Every wait is for a state with
a deadline; whatever happens, everything it started is stopped and every
directory it made removed.
usage: browser-test.py BUILD_DIR LAYOUT ARTIFACT_DIR"""
import json
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
USER, PASSWORD = "alice", "alice-browser-pw"  # the operator the test makes


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
    from selenium.webdriver.support.select import Select
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
        self.users = os.path.join(self.base, "web-users")
        # Console lines the test provokes on purpose: Chromium logs every answer
        # with an error status as "Failed to load resource", and the API's
        # statuses stay. Only these exact lines are let through (console_errors).
        self.provoked = []

    def spawn(self, name, *args):
        """Start service NAME, its output to NAME.log in the base directory."""
        with open(os.path.join(self.base, name + ".log"), "w") as log:
            p = subprocess.Popen([os.path.join(svc, name), *args], env=self.env, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    def run(self, name, *args, stdin=None):
        r = subprocess.run([os.path.join(svc, name), *args], env=self.env, capture_output=True,
                           text=True, timeout=60, input=stdin)
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
        self.run("plc-web", "user", "add", USER, "--role", "operator", "--users", self.users,
                 stdin=PASSWORD + "\n")
        self.web = self.spawn("plc-web", "--listen", "127.0.0.1:0", "--users", self.users,
                              "--modbus", f"127.0.0.1:{self.modbus_port}")
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

    def holding_float32(self, address):
        """The float32 in holding registers ADDRESS, ADDRESS+1, high word first (the
        demo's default_word_order ABCD)."""
        pdu = self.modbus(struct.pack(">BHH", 3, address, 2))
        check(f"Modbus reads holding registers {address}-{address + 1}",
              pdu[:2] == b"\x03\x04", pdu.hex())
        return struct.unpack(">f", pdu[2:6])[0]

    def alarm(self, name):
        """Alarm NAME as `plcctl --json alarms` shows it."""
        return next(a for a in json.loads(self.run("plcctl", "--json", "alarms"))
                    if a["alarm"] == name)

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


def alarm_cell(driver, name, cell):
    """The text of NAME's cell CELL ('state', 'acked') in the alarms view, None
    while it has no row."""
    return driver.execute_script(
        'const row = document.querySelector(`#alarms-table tr[data-alarm="${CSS.escape('
        'arguments[0])}"]`); return row ? row.querySelector("td." + arguments[1]).textContent'
        ' : null;', name, cell)


def element(driver, css, within=5):
    """The element CSS selects, once it is shown."""
    # One WebDriver round trip a poll (each takes tens of ms): visible means it has a box.
    def shown():
        return driver.execute_script(
            "const e = document.querySelector(arguments[0]);"
            "return e && e.getClientRects().length ? e : null;", css)
    return wait_until(f"{css} is shown", shown, within)


def text_of(driver, css):
    """The text CSS's element shows, None while there is none."""
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", css)


def wait_text(driver, css, good, within=5):
    """Wait until the text of CSS satisfies good(text); that text."""
    last = None

    def probe():
        nonlocal last
        last = text_of(driver, css)
        return last is not None and good(last)
    try:
        wait_until(f"{css}", probe, within)
    except Fail:
        raise Fail(f"{css} shows {last!r} after {within} s") from None
    return last


def fill(driver, css, text):
    field = element(driver, css)
    field.clear()
    field.send_keys(text)


def show(driver, view):
    """Bring a view of the page into sight: 'overview', 'tags', ... (its #hash), at its top.
    The hash also names an element on some views (#tags is the table too), which the
    browser scrolls to once the view is shown: scrolled back after the next frame."""
    driver.execute_script("location.hash = '#' + arguments[0];", view)
    wait_until(f"the {view} view is shown at its top", lambda: driver.execute_async_script(
        "const [view, done] = arguments, s = document.getElementById('view-' + view);"
        "requestAnimationFrame(() => requestAnimationFrame(() => {"
        "  const shown = s && !s.hidden && window.scrollY === 0; window.scrollTo(0, 0);"
        "  done(shown); }));", view), 5)


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


def log_in(driver, password):
    fill(driver, "#login-user", USER)
    fill(driver, "#login-password", password)
    element(driver, "#login-submit").click()


def test_login(plc, driver):
    """The operator logs in through the header's form; a wrong password first is refused there."""
    plc.provoked.append((plc.url + "api/login", 401))
    log_in(driver, "not-" + PASSWORD)
    said = wait_text(driver, "#login-error", lambda t: t != "")
    check(f"a wrong password shows '{said}'", said == "wrong user name or password")
    log_in(driver, PASSWORD)
    said = wait_text(driver, "#session-user", lambda t: t != "")
    check(f"logged in, the header shows '{said}'", said == f"{USER} (operator)")


def test_set_parameter(plc, driver):
    """level_high set in the operate view reaches the gateway: Modbus reads what was typed."""
    show(driver, "operate")
    before = plc.holding_float32(100)
    typed = "87.5" if before != 87.5 else "86.25"  # exact in float32
    Select(element(driver, "#param-tag")).select_by_value("level_high")
    fill(driver, "#param-value", typed)
    element(driver, "#param-submit").click()
    said = wait_text(driver, "#param-result", lambda t: t != "")
    check(f"#param-result confirms: '{said}'", said.startswith("level_high: ") and
          said.endswith(f"-> {typed}"), said)
    got = plc.holding_float32(100)
    check(f"Modbus holding registers 40101-40102 read {got}", got == float(typed))
    wait_tag(driver, "level_high", typed)


def test_alarm_ack(plc, driver):
    """The demo's high-level alarm, raised by a force, acknowledged from the operate view."""
    name = "tank_level.h"
    plc.run("plcctl", "force", "tank_level", "97")
    try:
        wait_until(f"{name} active and unacknowledged",  # after the alarm's 2 s delay
                   lambda: plc.alarm(name)["state"] == "unack_active", 10)
        ok(f"{name} is active, unacknowledged")
        wait_until(f"the alarms view shows {name} unacknowledged",
                   lambda: alarm_cell(driver, name, "acked") == "false", 5)
        show(driver, "operate")
        before = text_of(driver, "#operate-result")  # the parameter's answer: wait for another
        element(driver, "#alarm-ack").click()
        said = wait_text(driver, "#operate-result", lambda t: t != before)
        check(f"#operate-result says '{said}'", said.startswith("alarms acknowledged"))
        got = plc.alarm(name)
        check(f"plcctl alarms: {name} acknowledged (ack_active)", got["state"] == "ack_active",
              got)
        show(driver, "alarms")
        wait_until(f"the alarms view shows {name} acknowledged",
                   lambda: (alarm_cell(driver, name, "state"),
                            alarm_cell(driver, name, "acked")) == ("ack_active", "true"), 5)
        ok(f"the alarms view shows {name} ack_active, acknowledged")
    finally:
        plc.run("plcctl", "unforce", "tank_level")
    show(driver, "tags")
    wait_until("the tags view shows tank_level released", lambda: driver.execute_script(
        f'return !{TAG_ROW}.querySelector("span.marker.forced");', "tank_level"), 5)
    ok("the tags view shows tank_level released")


def test_trend(plc, driver):
    """The trends view draws tank_level as it changes: the chart's own account of
    what it drew (data-*) and blue line pixels inside the plot."""
    show(driver, "trends")
    driver.execute_script(
        "const s = document.getElementById('trend-tag'); s.value = 'tank_level';"
        "s.dispatchEvent(new Event('change'));")
    chart = element(driver, "#trend-chart")
    try:
        for level in (42, 63):
            plc.run("plcctl", "force", "tank_level", str(level))
            wait_until(f"the trend chart's last tank_level is {level}",
                       lambda: chart.get_attribute("data-last") == str(level), 5)
        check("the chart is tank_level's", chart.get_attribute("data-tag") == "tank_level")
        lo, hi = float(chart.get_attribute("data-min")), float(chart.get_attribute("data-max"))
        check(f"its axis ({lo} .. {hi}) holds 42 and 63", lo <= 42 and hi >= 63, (lo, hi))
        check("it has more than one sample", int(chart.get_attribute("data-samples")) > 1)
        blue = driver.execute_script(
            "const c = arguments[0], d = c.getContext('2d').getImageData(70, 10, c.width - 80,"
            "  c.height - 40).data; let n = 0;"
            "for (let i = 0; i < d.length; i += 4)"
            "  if (d[i + 2] > 150 && d[i] < 120 && d[i + 3] > 0) n++;"
            "return n;", chart)
        check(f"the line is drawn ({blue} blue pixels in the plot)", blue > 50, blue)
        screenshot(driver, "trends")
    finally:
        plc.run("plcctl", "unforce", "tank_level")


def test_logout(plc, driver):
    """Logging out brings the login form back and closes the operate view."""
    element(driver, "#logout").click()
    element(driver, "#login-user")
    check("logged out, the login form is back", text_of(driver, "#session-user") is None)


def console_errors(plc, entries):
    """The console's errors and warnings, but the "Failed to load resource" line
    Chromium logs for each answer the test provoked (its URL and status)."""
    expected = [f"{url} - Failed to load resource: the server responded with a status of {status} "
                for url, status in plc.provoked]

    def provoked(e):  # each provoked answer excuses one line, no more
        hit = next((x for x in expected if e["level"] == "SEVERE" and
                    e.get("source") == "network" and e["message"].startswith(x)), None)
        if hit:
            expected.remove(hit)
        return hit is not None
    return [e for e in entries if e["level"] in ("SEVERE", "WARNING") and not provoked(e)]


# What the page is checked for, in order, each given the running PLC and the
# browser showing the live page.
SCENARIOS = [test_motor_start, test_login, test_set_parameter, test_alarm_ack, test_trend,
             test_logout]


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
        check("no error or warning in the console (but the refused login's 401)",
              not console_errors(plc, entries),
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

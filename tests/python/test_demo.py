# SPDX-License-Identifier: MIT
"""raspiplc against the demo PLC run by the real services (plc-supervise,
simulated field): read, watch a change plc-io-sim makes, the command
handshake through the Modbus gateway, a layout whose hash differs."""
import json
import os
import re
import threading

import pytest

import raspiplc
from conftest import DEMO, wait_for


def test_get_gives_typed_values_with_units(demo):
    with demo.connect() as plc:
        level = plc.get("tank_level")
        assert level.tag == "tank_level" and level.unit == "%" and level.type == "float32"
        assert isinstance(level.value, float)
        assert str(level) == f"{level.value:g} %"
        assert plc.value("level_high") == 80.0
        got = plc.get_many(["motor_run", "cmd_start", "level_high"])
        assert list(got) == ["motor_run", "cmd_start", "level_high"]
        assert isinstance(got["motor_run"].value, bool)
        assert isinstance(got["cmd_start"].value, int)
        assert plc.statistics()["reads"] >= 3


def test_get_agrees_with_plcctl(demo):
    demo.tool("plc-io-sim", "set", "stop_button", "1")
    try:
        with demo.connect() as plc:
            wait_for("stop_button 1", lambda: plc.value("stop_button") is True)
            got = {t: r.value for t, r in plc.get_many(["stop_button", "level_high"]).items()}
        assert json.loads(demo.tool("plcctl", "--json", "get", "stop_button", "level_high")) == got
    finally:
        demo.tool("plc-io-sim", "set", "stop_button", "0")


def test_unknown_tag_names_tag_and_layout(demo):
    with demo.connect() as plc, pytest.raises(raspiplc.LayoutError) as e:
        plc.get("tank_levle")
    assert e.value.tag == "tank_levle" and "tank_levle" in str(e.value)
    assert DEMO in str(e.value)


def test_watch_sees_a_change_made_with_plc_io_sim(demo):
    demo.tool("plc-io-sim", "set", "start_button", "0")
    with demo.connect() as plc:
        changes = plc.watch(["start_button", "tank_level"], timeout=10)
        first = [next(changes), next(changes)]  # the values now
        assert {c.tag for c in first} == {"start_button", "tank_level"}
        assert all(c.previous is None for c in first)
        setter = threading.Thread(target=demo.tool,
                                  args=("plc-io-sim", "set", "start_button", "1"))
        setter.start()
        change = next(changes)
        setter.join()
        assert (change.tag, change.previous, change.value) == ("start_button", False, True)
        changes.close()
        assert plc.statistics()["wakeups"] >= 1
    demo.tool("plc-io-sim", "set", "start_button", "0")


def test_watch_across_regions_sees_the_programs_answer(demo):
    """start_button (inputs, plc-io) and motor_run (outputs, plc-logic): two
    regions, two futex waits; the program starts the motor on the button."""
    demo.tool("plc-io-sim", "set", "motor_feedback", "1")
    with demo.connect() as plc:
        if plc.value("motor_run"):
            plc.command("cmd_stop", timeout=2.0)
            wait_for("motor stopped", lambda: not plc.value("motor_run"))
        seen = set()
        changes = plc.watch(["start_button", "motor_run"], timeout=10, initial=False)
        demo.tool("plc-io-sim", "set", "start_button", "1")
        for c in changes:
            seen.add((c.tag, c.value))
            if ("motor_run", True) in seen:
                break
        assert ("start_button", True) in seen
        demo.tool("plc-io-sim", "set", "start_button", "0")
        plc.command("cmd_stop", timeout=2.0)


def test_command_handshake_end_to_end(demo):
    demo.tool("plc-io-sim", "set", "motor_feedback", "1")
    with demo.connect() as plc:
        before = plc.value("cmd_start")
        counter = plc.command("cmd_start", timeout=2.0)
        assert counter == before + 1
        assert plc.value("ack_start") == counter  # the program acted on it
        wait_for("motor_run", lambda: plc.value("motor_run") is True)
        plc.command("cmd_stop", timeout=2.0)
        wait_for("motor stopped", lambda: plc.value("motor_run") is False)
        assert plc.statistics()["commands"] == 2


def test_command_refuses_what_is_no_counter_it_may_write(demo):
    with demo.connect() as plc:
        with pytest.raises(ValueError):
            plc.command("tank_level")
        with pytest.raises(raspiplc.NotWriterError) as e:
            plc.command("ack_start")  # written by plc-logic, not through the gateway
        assert e.value.region == "status" and e.value.tag == "ack_start"


def test_command_with_the_gateway_away_names_its_address(demo):
    from conftest import free_port
    port = free_port()  # nobody listens there
    with demo.connect(modbus=f"127.0.0.1:{port}") as plc:
        before = plc.value("cmd_start")
        with pytest.raises(raspiplc.CommandError) as e:
            plc.command("cmd_start", timeout=1.0)
        assert f"127.0.0.1:{port}" in str(e.value) and "plc-modbus" in str(e.value)
        assert e.value.tag == "cmd_start"
        assert plc.value("cmd_start") == before  # nothing was sent


def test_write_refused_where_the_layout_names_another_writer(demo):
    with demo.connect() as plc, pytest.raises(raspiplc.NotWriterError) as e:
        plc.set("motor_run", True)
    assert (e.value.tag, e.value.region) == ("motor_run", "outputs")
    assert "writer 'logic'" in str(e.value)
    assert e.value.path.endswith("/demo/outputs")


def test_layout_whose_hash_differs_is_a_clear_error(demo, tmp_shm):
    text = open(DEMO).read().replace("min = 0\nmax = 100\nunit = %\nmodbus = input_register:0",
                        "min = 0\nmax = 90\nunit = %\nmodbus = input_register:0", 1)
    other = os.path.join(tmp_shm, "demo.ini")
    with open(other, "w") as f:
        f.write(text)
    with raspiplc.connect(other, demo.base) as plc:
        assert plc.layout_hash != demo.connect().layout_hash
        with pytest.raises(raspiplc.LayoutMismatchError) as e:
            plc.get("tank_level")
    assert e.value.region == "inputs"
    assert e.value.path == os.path.join(demo.base, "demo", "inputs")
    assert "hash" in str(e.value) or "layout" in str(e.value)


def test_missing_region_names_plc_shm_init(tmp_shm):
    with raspiplc.connect(DEMO, tmp_shm) as plc, \
            pytest.raises(raspiplc.RegionMissingError) as e:
        plc.get("tank_level")
    assert e.value.region == "inputs" and "plc-shm-init" in str(e.value)
    assert isinstance(e.value, FileNotFoundError)


def test_info_is_plcctl_info(demo):
    with demo.connect() as plc:
        info = plc.info("outputs")
    assert info["region"] == "outputs" and info["writer_service"] == "logic"
    assert info["writer_alive"] and info["holder"] == "plc-logic"
    out = demo.tool("plcctl", "info", "outputs")
    assert info["layout_hash"] in out and info["path"] in out


def test_alarms_like_plcctl_alarms(demo):
    with demo.connect() as plc:
        alarms = {a["name"]: a for a in plc.alarms()}
    assert set(alarms) == {"tank_level.h", "motor_trip"}
    assert alarms["tank_level.h"]["limit"] == 95.0
    assert alarms["tank_level.h"]["severity"] == "high"
    assert alarms["tank_level.h"]["state"] == "normal"


def test_cli_get_and_info(demo):
    import subprocess
    import sys
    env = dict(demo.env)
    out = subprocess.run([sys.executable, "-m", "raspiplc", "get", "tank_level", "level_high"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["tank_level  0 %", "level_high  80 %"]
    out = subprocess.run([sys.executable, "-m", "raspiplc", "info", "inputs"],
                         env=env, capture_output=True, text=True, check=True).stdout
    assert "writer_service    io" in out
    out = subprocess.run([sys.executable, "-m", "raspiplc", "watch", "level_high", "--timeout",
                          "0.2"], env=env, capture_output=True, text=True, check=True).stdout
    assert re.fullmatch(r"\S+ level_high=80 %\n", out)
    bad = subprocess.run([sys.executable, "-m", "raspiplc", "get", "nope"], env=env,
                         capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.startswith("raspiplc: tag 'nope'")


def test_events_hold_what_the_services_said(demo):
    with demo.connect() as plc:
        plc.command("cmd_stop", timeout=2.0)  # plc-modbus writes an event for the counter
        events = plc.events()
    assert any(e["source"] == "logic" and e["kind"] == "service-start" for e in events), events
    assert any(e["source"] == "modbus" and e["name"] == "cmd_stop" for e in events), events
    times = [e["time"] for e in events]
    assert times and all(isinstance(t, float) for t in times)

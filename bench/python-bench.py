#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""raspiplc (Python over libplc) beside libplc called from C, in the same run
(bench/README-python.md): get of one tag and of a 4 KiB region, and the
wake-up of a waiting reader after a C write. Reports, asserts nothing.

usage: bench/python-bench.py BUILD_DIR [N]
Makes its own layout and regions in a private directory under /dev/shm and
removes them. N: reads per measurement (default 20000); the wake-up runs
2000 writes, one every 2 ms."""
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

build = os.path.abspath(sys.argv[1])
n = int(sys.argv[2]) if len(sys.argv) > 2 else 20000
src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("RASPIPLC_LIBPLC", os.path.join(build, "runtime", "libplc.so.0"))
sys.path.insert(0, os.path.join(src, "python"))
import raspiplc  # noqa: E402

WAKES, EVERY_US = 2000, 2000
peer = os.path.join(build, "bench", "python-bench-peer")


def pct(v):
    v = sorted(v)
    at = lambda p: v[max(0, (len(v) * p + 99) // 100 - 1)]  # noqa: E731 nearest rank, as bench-stats.h
    return dict(n=len(v), p50=at(50), p95=at(95), p99=at(99), max=v[-1])


def timed(fn, count):
    out = []
    for _ in range(count):
        t0 = time.perf_counter_ns()
        fn()
        out.append(time.perf_counter_ns() - t0)
    return pct(out)


tmp = tempfile.mkdtemp(prefix="plc-python-bench-", dir="/dev/shm")
try:
    ini = os.path.join(tmp, "bench.ini")
    with open(ini, "w") as f:
        f.write("[layout]\nname = pybench\nversion = 1\n[region small]\nwriter = python\n"
                "[region big]\nwriter = python\n[tag stamp]\nregion = small\ntype = uint64\n")
        f.write("".join(f"[tag w{i}]\nregion = big\ntype = uint32\n" for i in range(1024)))
    base = os.path.join(tmp, "regions")
    subprocess.run([os.path.join(build, "services", "plc-shm-init"), "--layout", ini,
                    "--base-dir", base, "--retain-dir", os.path.join(tmp, "retain"), "--quiet"],
                   check=True)
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python "
                          f"{platform.python_version()}", "reads": n}

    # Reads: C first, then the same through raspiplc.
    results.update(json.loads(subprocess.run([peer, "read", ini, base, str(n)], check=True,
                                             capture_output=True, text=True).stdout))
    with raspiplc.connect(ini, base) as plc:
        plc.get("stamp")
        plc.read_region("big")
        results["py_get_one_tag_ns"] = timed(lambda: plc.get("stamp"), n)
        results["py_value_one_tag_ns"] = timed(lambda: plc.value("stamp"), n)
        results["py_read_region_4k_ns"] = timed(lambda: plc.read_region("big"), n)
        names = [f"w{i}" for i in range(1024)]
        results["py_get_many_1024_tags_ns"] = timed(lambda: plc.get_many(names), max(1, n // 100))

    # Wake-up after a C write: the C waiter, then the Python one, on the same writer.
    def wake(waiter):
        w = subprocess.Popen(waiter, stdout=subprocess.PIPE, text=True)
        if w.stdout.readline().strip() != "ready":
            raise SystemExit("python-bench: the waiter did not start")
        subprocess.run([peer, "write", ini, base, str(WAKES), str(EVERY_US)], check=True)
        return json.loads(w.communicate(timeout=60)[0])

    results.update(wake([peer, "wait", ini, base, str(WAKES)]))
    py_waiter = f"""
import json, sys, time
sys.path.insert(0, {os.path.join(src, "python")!r})
import raspiplc
lat = []
with raspiplc.connect({ini!r}, {base!r}) as plc:
    changes = plc.watch("stamp", timeout=30, initial=False)
    print("ready", flush=True)
    try:
        for c in changes:
            lat.append(time.monotonic_ns() - c.value)
            if len(lat) == {WAKES}:
                break
    except raspiplc.WriterDeadError:
        pass  # the writer finished: some writes came faster than a wake-up
lat.sort()
at = lambda p: lat[max(0, (len(lat) * p + 99) // 100 - 1)]
print(json.dumps({{"py_watch_wake_ns": dict(n=len(lat), p50=at(50), p95=at(95), p99=at(99),
                                            max=lat[-1])}}))
"""
    results.update(wake([sys.executable, "-c", py_waiter]))
    print(json.dumps(results, indent=2))
    rows = [("get one tag", "c_get_one_tag_ns", "py_get_one_tag_ns"),
            ("get one tag, plain value", "c_get_one_tag_ns", "py_value_one_tag_ns"),
            ("read 4 KiB region", "c_read_4k_region_ns", "py_read_region_4k_ns"),
            ("get_many 1024 tags (4 KiB)", "c_read_4k_region_ns", "py_get_many_1024_tags_ns"),
            ("watch wake-up after a C write", "c_wake_ns", "py_watch_wake_ns")]
    print(f"\n{'us, p50 / p99':<32}{'C (libplc)':>20}{'Python (raspiplc)':>24}")
    for what, c, p in rows:
        cv, pv = results[c], results[p]
        print(f"{what:<32}{cv['p50'] / 1e3:>11.2f} / {cv['p99'] / 1e3:<7.2f}"
              f"{pv['p50'] / 1e3:>15.2f} / {pv['p99'] / 1e3:<7.2f}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

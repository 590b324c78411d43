# SPDX-License-Identifier: MIT
"""python3 -m raspiplc get|watch|info: a small CLI over the library's calls,
with plcctl's defaults ($RASPIPLC_LAYOUT, $RASPIPLC_BASE_DIR)."""
import argparse
import datetime
import json
import sys

from . import PLCError, connect


def main(argv=None):
    p = argparse.ArgumentParser(prog="python3 -m raspiplc",
                                description="Read a RaspiPLC process image (docs/python.md).")
    p.add_argument("--layout", help="the layout file (default $RASPIPLC_LAYOUT or "
                                    "/etc/raspiplc/layout.ini)")
    p.add_argument("--base-dir", help="where the regions are (default $RASPIPLC_BASE_DIR, the "
                                      "layout's base_dir or /dev/shm/raspiplc)")
    p.add_argument("--json", action="store_true", help="print JSON")
    sub = p.add_subparsers(dest="verb", required=True)
    g = sub.add_parser("get", help="print tags' values, each region's from one snapshot")
    g.add_argument("tags", nargs="+")
    w = sub.add_parser("watch", help="print the values, then one line per change")
    w.add_argument("tags", nargs="+")
    w.add_argument("--timeout", type=float, help="stop after this many seconds")
    w.add_argument("--count", type=int, help="stop after this many changes")
    i = sub.add_parser("info", help="print a region's header (every region without one)")
    i.add_argument("region", nargs="?")
    a = p.parse_args(argv)
    try:
        with connect(a.layout, a.base_dir) as plc:
            if a.verb == "get":
                got = plc.get_many(a.tags)
                if a.json:
                    print(json.dumps([{"tag": r.tag, "value": r.value, "unit": r.unit}
                                      for r in got.values()]))
                else:
                    width = max(len(t) for t in a.tags)
                    for r in got.values():
                        print(f"{r.tag:<{width}}  {r}")
            elif a.verb == "watch":
                n = 0
                for c in plc.watch(a.tags, timeout=a.timeout):
                    when = datetime.datetime.fromtimestamp(c.time).isoformat(timespec="milliseconds")
                    if a.json:
                        print(json.dumps({"time": when, "tag": c.tag, "value": c.value,
                                          "unit": c.unit}), flush=True)
                    else:
                        print(f"{when} {c.tag}={c}", flush=True)
                    if c.previous is not None:
                        n += 1
                        if a.count and n >= a.count:
                            break
            else:
                info = plc.info(a.region)
                if a.json:
                    print(json.dumps(info))
                else:
                    for region in ([info] if a.region else info.values()):
                        for k, v in region.items():
                            print(f"{k:<17} {v}")
                        print()
    except PLCError as e:
        print(f"raspiplc: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

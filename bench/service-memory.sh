#!/bin/bash
# service-memory.sh BUILD_DIR [SECONDS]: each service's memory on the demo layout.
#
# Runs the whole PLC (plc-supervise: simulated field, Modbus on a loopback port)
# from BUILD_DIR on layout/demo.ini in a private base directory, waits until the
# scan has run SECONDS (default 10) worth of cycles, then prints per service:
# resident (VmRSS), locked (VmLck, the address range locked, of which only the
# touched pages are resident), proportional (Pss) and private memory, and the
# mappings that make up the resident set. Run as root, as the units run
# plc-logic with its memory locked and SCHED_FIFO. Prints; asserts nothing.
set -euo pipefail
build=${1:?usage: service-memory.sh BUILD_DIR [SECONDS]}
secs=${2:-10}
src=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
base=/dev/shm/plc-memory-$$
export RASPIPLC_LAYOUT=$src/layout/demo.ini RASPIPLC_BASE_DIR=$base RASPIPLC_RETAIN_DIR=$work
sup=
stop() {
    if [ -n "$sup" ]; then kill -INT "$sup" 2>/dev/null && wait "$sup" 2>/dev/null || true; fi
    rm -rf "$work" "$base"
}
trap stop EXIT
"$build/services/plc-supervise" --program "$build/examples/motor.so" --listen 127.0.0.1:15020 \
    --web 127.0.0.1:0 --log-dir "$work" >"$work/supervise.log" 2>&1 &
sup=$!
# Ready: the scan has counted SECONDS worth of its 10 ms cycles.
want=$((secs * 100))
for _ in $(seq 600); do
    n=$("$build/services/plcctl" get scan_count 2>/dev/null | awk '$1 == "scan_count" {print $2}') || n=0
    [ "${n:-0}" -ge "$want" ] 2>/dev/null && break
    sleep 0.1
done
[ "${n:-0}" -ge "$want" ] || { echo "service-memory: the scan did not run; $work/supervise.log:"; cat "$work/supervise.log"; exit 1; }

kib() { awk -v k="$2" '$1 == k":" {print $2}' "$1"; }
commit=$(git -C "$src" describe --always --dirty --abbrev=7 2>/dev/null || echo unknown)
echo "# service-memory.sh $build $secs (source at $commit): demo layout, $(uname -m), after $n scans"
echo
echo "| service | resident (VmRSS) | locked range (VmLck) | proportional (Pss) | private |"
echo "|---|---|---|---|---|"
for s in plc-logic plc-io plc-modbus plc-retain plc-web plc-supervise; do
    # this run's processes only: plc-supervise's children, not another instance's
    if [ "$s" = plc-supervise ]; then pid=$sup; else pid=$(pgrep -x -P "$sup" "$s"); fi
    st=/proc/$pid/status ro=/proc/$pid/smaps_rollup
    priv=$(( $(kib "$ro" Private_Clean) + $(kib "$ro" Private_Dirty) ))
    printf '| %s | %s KiB | %s KiB | %s KiB | %s KiB |\n' "$s" "$(kib "$st" VmRSS)" \
        "$(kib "$st" VmLck)" "$(kib "$ro" Pss)" "$priv"
done
for s in plc-logic plc-modbus; do
    pid=$(pgrep -x -P "$sup" "$s")
    echo
    echo "$s, resident KiB by mapping:"
    awk '/^[0-9a-f]+-[0-9a-f]+ / { n = $6 == "" ? "[anon]" : $6; sub(".*/", "", n) }
         /^Rss:/ { r[n] += $2 }
         END { for (n in r) if (r[n] >= 8) printf "  %6d %s\n", r[n], n }' "/proc/$pid/smaps" |
        sort -rn
done

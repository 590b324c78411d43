#!/usr/bin/env bash
# Where the gateway's time goes (bench/README-modbus.md): one modbus-bench workload
# (16 slices of 0.25 s per server) with perf on both server processes.
#   count:  system calls and context switches per request, from tracepoints (perf stat),
#           of each server and of the clients (the benchmark's client threads, over both
#           servers' slices); a request is a response sent, one sendto() each in both servers
#   record: where each server's CPU time goes (perf record -g, cpu-clock samples),
#           by binary and by function
# As root: perf needs it for tracepoints and kernel symbols.
# usage: bench/modbus-profile.sh BUILD_DIR count|record WORKLOAD [MODBUS_BENCH_ARGS...]
set -euo pipefail
if [ $# -lt 3 ] || { [ "$2" != count ] && [ "$2" != record ]; }; then
  echo "usage: $0 BUILD_DIR count|record WORKLOAD (fc03-1, fc03-8, fc03-64, mixed-8," \
       "mixed-64) [MODBUS_BENCH_ARGS...]" >&2
  exit 2
fi
build=$1 mode=$2 workload=$3
shift 3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$build/bench/modbus-bench" -w "$workload" --slices 16 -d 0.25 "$@" >"$tmp/bench.txt" 2>/dev/null &
bench=$!
gw='' lm=''
for _ in $(seq 200); do
  gw=$(pgrep -P "$bench" -x mb-gateway || true)
  lm=$(pgrep -P "$bench" -x mb-libmodbus || true)
  [ -n "$gw" ] && [ -n "$lm" ] && break
  sleep 0.05
done
if [ -z "$gw" ] || [ -z "$lm" ]; then
  echo "$0: the servers of modbus-bench did not start" >&2
  exit 1
fi

# perf script -F comm,ip,sym,dso: one line per sample, then its stack, leaf first.
classify='
function flush(  i, call, kind, key) {
    if (!nf) return
    total++
    if (dso[1] != "[kernel.kallsyms]") {
        key = "user space: " bin(dso[1])
    } else {
        call = "no system call"
        for (i = 1; i <= nf; i++) if (dso[i] != "[kernel.kallsyms]") { call = sym[i] "()"; break }
        kind = "the rest"
        for (i = 1; i <= nf; i++) {
            if (sym[i] == "__schedule") { kind = "context switch"; break }
            if (sym[i] == "try_to_wake_up" || sym[i] == "sock_def_readable") { kind = "waking a task"; break }
        }
        key = call ": " kind
    }
    n[key]++
    nf = 0
}
function bin(d,  a, k) { k = split(d, a, "/"); return a[k] }
/^[^\t]/ || /^$/ { flush(); next }
{
    nf++
    line = $0; sub(/^[\t ]*[0-9a-f]+ /, "", line)
    d = line; sub(/.*\(/, "", d); sub(/\)$/, "", d)
    f = line; sub(/ \(.*$/, "", f); sub(/\+0x[0-9a-f]+$/, "", f)
    sym[nf] = f; dso[nf] = d
}
END { flush(); for (k in n) printf "%6.2f%%  %s\n", 100 * n[k] / total, k | "sort -rn" }'

# The client threads, once they are all there (the workload's name ends in their count).
clients=${workload##*-}
for _ in $(seq 200); do
  [ "$(ls "/proc/$bench/task" | wc -l)" -gt "$clients" ] && break
  sleep 0.05
done

events=syscalls:sys_enter_read,syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto
events+=,syscalls:sys_enter_epoll_wait,syscalls:sys_enter_epoll_ctl,syscalls:sys_enter_pselect6
events+=,raw_syscalls:sys_enter,context-switches
pids=()
for s in gw lm; do
  if [ "$mode" = count ]; then
    perf stat -x, -e "$events" -p "${!s}" -o "$tmp/$s.txt" &
  else
    perf record -q -e cpu-clock -F 4999 -g -p "${!s}" -o "$tmp/$s.data" &
  fi
  pids+=($!)
done
if [ "$mode" = count ]; then
  perf stat -x, -e "$events" -p "$bench" -o "$tmp/cl.txt" &
  pids+=($!)
fi
wait "$bench"  # it stops both servers at the end, and perf with them
wait "${pids[@]}" || true

echo "# modbus-profile: $mode, workload $workload, $build/bench/modbus-bench"
sed -n '/^# /p' "$tmp/bench.txt"
if [ "$mode" = count ]; then
  # perf stat -x, lines: count,unit,event,...
  echo
  echo "| per request | gateway | libmodbus | clients (of both) |"
  echo "|---|---|---|---|"
  awk -F, '
    FNR == 1 { s++ }
    /^[0-9]/ { n[$3, s] = $1; if ($3 == "syscalls:sys_enter_sendto") req[s] = $1; order[++k] = $3 }
    END {
      req[3] = req[1] + req[2] # the clients sent both servers their requests
      for (i = 1; i <= k; i++) {
        e = order[i]; if (seen[e]++) continue
        printf "| %s | %.3f | %.3f | %.3f |\n", e, n[e, 1] / req[1], n[e, 2] / req[2], n[e, 3] / req[3]
      }
      printf "| requests (servers: sendto calls) | %d | %d | %d |\n", req[1], req[2], req[3]
    }' "$tmp/gw.txt" "$tmp/lm.txt" "$tmp/cl.txt"
else
  declare -A name=([gw]=gateway [lm]=libmodbus)
  for s in gw lm; do
    echo
    echo "## ${name[$s]}: by binary"
    perf report -i "$tmp/$s.data" --no-children --sort dso --stdio -g none 2>/dev/null |
      grep '%' | head -8 || true # head may close the pipe first
    echo
    echo "## ${name[$s]}: by the system call a kernel sample was in (the first user-space"
    echo "## frame of its stack), and whether it was in a context switch (__schedule) or"
    echo "## waking a task (try_to_wake_up, sock_def_readable)"
    perf script -i "$tmp/$s.data" -F comm,ip,sym,dso 2>/dev/null | awk "$classify" | head -16 || true
    echo
    echo "## ${name[$s]}: by function"
    perf report -i "$tmp/$s.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null |
      grep '%' | head -25 || true
  done
fi
echo
echo "# the benchmark's own output, for the rates under perf:"
sed -n '/^| workload/,/^Requests per second/p' "$tmp/bench.txt" | sed '$d'

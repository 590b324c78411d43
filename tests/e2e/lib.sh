# SPDX-License-Identifier: MIT
# Shared by the shell end-to-end tests: sourced after $base (a scratch
# directory the test removes) is set.
failures=0

# check DESCRIPTION COMMAND...: run it, say ok or FAIL with what it printed, count failures.
check() {
    local what=$1
    shift
    if "$@" >"$base/out" 2>"$base/err"; then
        echo "ok: $what"
    else
        echo "FAIL: $what: $* ($(cat "$base/err") $(cat "$base/out"))"
        failures=$((failures + 1))
    fi
}

# eventually COMMAND...: poll until it succeeds, for at most 30 s (readiness, not a fixed time).
eventually() {
    local end=$((SECONDS + 30))
    until "$@"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.05
    done
}

# The services a test starts: spawn LOG COMMAND... runs one in the background,
# its output appended to LOG; stop_all stops them (SIGTERM, then waits for
# each); kill_all, for the exit trap, kills whatever is left.
pids=()
spawn() {
    local log=$1
    shift
    "$@" >>"$log" 2>&1 &
    pids+=($!)
}
stop_all() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
    pids=()
}
kill_all() {
    for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
}

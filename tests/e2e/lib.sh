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

# Sourced by the guest scripts of the qemu suites (they run on the host's
# root): one line per check, "ok   - WHAT" or "FAIL - WHAT" (the host's filter
# shows both), and the count of failures. Set check_prefix to tag the lines.
failures=0
ok() { echo "ok   - ${check_prefix:-}$1"; }
bad() { echo "FAIL - ${check_prefix:-}$1"; failures=$((failures + 1)); }
# check WHAT CMD...: CMD's status is the check's.
check() {
    local what=$1
    shift
    if "$@"; then ok "$what"; else bad "$what"; fi
}
# The bound of a wait for something to happen (a line's level, a service
# back, a log line): generous, since a TCG guest on a loaded host is slow, not
# wrong; a wait ends as soon as its condition holds.
WAIT_MS=60000
# until_ms MS CMD...: CMD succeeds within MS milliseconds of the guest's clock
# (polled; under TCG one try can take longer than the poll). Only the last
# try speaks, and a failure says how long it waited.
now_ms() { local t=${EPOCHREALTIME/[.,]/}; echo $((t / 1000)); }
until_ms() {
    local t0 end
    t0=$(now_ms)
    end=$((t0 + $1))
    shift
    while (($(now_ms) < end)); do
        "$@" > /dev/null 2>&1 && return 0
        sleep 0.05
    done
    "$@" && return 0
    echo "     still not so after $(($(now_ms) - t0)) ms"
    return 1
}

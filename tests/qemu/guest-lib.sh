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

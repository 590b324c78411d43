# SPDX-License-Identifier: MIT
# Sourced by the shell tests: plc_skip REASON... ends a test that cannot run on
# this machine with exit status 77 (ctest's SKIP_RETURN_CODE), or with 1 under
# CI=true, since CI provides everything a test needs; one line says what was
# missing either way, prefixed with "$plc_skip_tag: " when that is set. The
# cmocka tests do the same per case with plc_test_skip() (tests/ci-skip.h).
plc_skip() {
    if [ "${CI:-}" = true ]; then
        echo "${plc_skip_tag:+$plc_skip_tag: }FAIL (CI=true): cannot run here: $*"
        exit 1
    fi
    echo "${plc_skip_tag:+$plc_skip_tag: }SKIP: $*"
    exit 77
}

#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# plcctl get and force of byte and 64-bit tags: values past 2^53 exactly, in
# columns and in --json, and the range of each type in the errors.
# usage: test-plcctl-types64.sh PLCCTL PLC_SHM_INIT LAYOUT POKE
. "$(dirname "$0")/lib.sh"

begin get_shows_64_bit_values_exactly
init
ctl get big huge lreal sbyte ubyte
expect_status 0
expect_no_err
expect_out <<'OUT'
TAG                   VALUE  UNIT
big        9007199254740993
huge   18446744073709551615
lreal                   0.1
sbyte                    -5
ubyte                   200
OUT
ctl --json get big huge sbyte
expect_json 'j == {"big": 9007199254740993, "huge": 18446744073709551615, "sbyte": -5}'
ctl dump outputs
expect_status 0
expect_out <<'OUT'
TAG    TYPE     OFFSET             VALUE  UNIT
big    int64         0  9007199254740993
lreal  float64       8               0.1
sbyte  int8         16                -5
OUT
end

begin watch_shows_64_bit_values_exactly
init
ctl watch big huge --count 2 --timeout 5
expect_status 0
grep -qE '^[0-9T:.+-]+ big=9007199254740993$' "$OUT" || fail "watch: $(cat "$OUT")"
grep -qE '^[0-9T:.+-]+ huge=18446744073709551615$' "$OUT" || fail "watch: $(cat "$OUT")"
end

begin force_holds_int64_values_exactly
init
ctl force big 9007199254740995
expect_status 0
expect_no_err
grep -qE '^big forced to 9007199254740995 until ' "$OUT" || fail "force printed '$(cat "$OUT")'"
ctl force huge 18446744073709551614
expect_status 0
ctl --json forces
expect_json '[(f["tag"], f["value"]) for f in j] ==
    [("big", 9007199254740995), ("huge", 18446744073709551614)]'
ctl force big -9223372036854775808
expect_status 0
ctl forces
grep -qE '^big +outputs +-9223372036854775808 ' "$OUT" || fail "forces: $(cat "$OUT")"
end

begin force_refuses_values_outside_the_type
init
ctl force big 9223372036854775808
expect_status 2
expect_err "plcctl: force: tag 'big' is int64: '9223372036854775808' is out of range (an integer from -9223372036854775808 to 9223372036854775807)"
ctl force huge -1
expect_status 2
expect_err "plcctl: force: tag 'huge' is uint64: '-1' is out of range (an integer from 0 to 18446744073709551615)"
ctl force sbyte 128
expect_status 2
expect_err "plcctl: force: tag 'sbyte' is int8: '128' is out of range (an integer from -128 to 127)"
ctl force ubyte 1.5
expect_status 2
expect_err "plcctl: force: tag 'ubyte' is uint8: '1.5' is not a value of the type (an integer from 0 to 255)"
ctl forces
expect_status 0
echo "TAG  REGION  VALUE  BY  SINCE  UNTIL" | expect_out
end

finish

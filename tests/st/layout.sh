#!/bin/bash
# SPDX-License-Identifier: MIT
# plc-st layout on the cases in tests/st/layout/: what each located address
# becomes (region, type, GPIO line, Modbus address, as plc-modbus --print-map
# reads the file back), the warnings that name what behaves unlike OpenPLC,
# the version that goes up only when the content changes, the options, and
# the errors (nothing written then).
# usage: layout.sh BUILD_DIR SOURCE_DIR
set -u
build=$1
src=$2
st=$build/services/plc-st
cases=$src/tests/st/layout
base=$(mktemp -d)
trap 'rm -rf "$base"' EXIT
. "$src/tests/e2e/lib.sh"

gen() { "$st" layout "$@" 2>"$base/warn"; }
map() { "$build/services/plc-modbus" --print-map "$base/plant.ini"; }
# map_has TABLE ADDRESS TAG TYPE ACCESS REGION: one line of --print-map
map_has() {
    map | awk -v t="$1" -v a="$2" -v n="$3" -v ty="$4" -v ac="$5" -v r="$6" \
        '$1 == t && $2 == a && $4 == n && $5 == ty && $7 == ac && $8 == r { f = 1 } END { exit !f }'
}
# key_is TAG KEY VALUE: the tag's section in plant.ini sets KEY = VALUE
key_is() {
    awk -v s="[tag $1]" -v k="$2" -v v="$3" '$0 == s { in_ = 1; next } /^\[/ { in_ = 0 }
        in_ && $1 == k && $3 == v { f = 1 } END { exit !f }' "$base/plant.ini"
}
region_key_is() {
    awk -v s="[region $1]" -v k="$2" -v v="$3" '$0 == s { in_ = 1; next } /^\[/ { in_ = 0 }
        in_ && $1 == k && $3 == v { f = 1 } END { exit !f }' "$base/plant.ini"
}
warns() { grep -q "$1" "$base/warn"; }
no_warning_for() { ! grep -q "$1" "$base/warn"; }
version_is() { grep -qx "version = $1" "$base/plant.ini"; }

check "all-areas.st: a layout is written" gen "$cases/all-areas.st" -o "$base/plant.ini"
check "it loads (plc-layout check)" "$build/layout/plc-layout" check "$base/plant.ini"
check "its name is the output file's" grep -qx "name = plant" "$base/plant.ini"
check "%IX0.0 keeps the base's GPIO2 and discrete input 0" key_is ix0_0 gpio GPIO2
check "... as discrete input 0 of region inputs" map_has discrete_input 0 ix0_0 bool read-only inputs
check "%IX5.0 (beyond the Pi map) is discrete input 40 by OpenPLC's rule" \
    map_has discrete_input 40 ix5_0 bool read-only inputs
check "... with a warning that nothing writes it" warns "all-areas.st:5:.*P4009.*%IX5.0.*no GPIO"
check "%IW0 declared INT is an int16 input register 0" map_has input_register 0 iw0 int16 read-only inputs
check "%QX0.0 is coil 0 on GPIO14, written by the scan" key_is qx0_0 gpio GPIO14
check "... coil 0 of region outputs" map_has coil 0 qx0_0 bool read-only outputs
check "%QX0.1, which the program only reads, is named in a warning" \
    warns "all-areas.st:8:.*P4009.*%QX0.1.*never writes"
check "%QW1 declared WORD is holding register 1" map_has holding_register 1 qw1 uint16 read-only outputs
check "%MW3, only read, is holding register 1027 that SCADA writes (region scada)" \
    map_has holding_register 1027 mw3 int16 read-write scada
check "... and has no safe value (its writer is Modbus)" bash -c "! awk '/^\[tag mw3\]/,/^$/' '$base/plant.ini' | grep -q '^safe'"
check "%MW4, read and written, is in region memory, read-only to SCADA" \
    map_has holding_register 1028 mw4 int16 read-only memory
check "... named in a warning with its holding register and what to do" \
    warns "all-areas.st:11:.*P4008.*%MW4.*holding_register:1028.*command word"
check "%MW5, only written, has no warning" no_warning_for "%MW5"
check "%MW3, only read, has no warning" no_warning_for "%MW3"
check "%MD1 declared REAL is float32 at 2050-2051, high word first" \
    map_has holding_register 2050-2051 md1 float32 read-write scada
check "%MD2 declared DINT is int32 at 2052-2053, written by the scan" \
    map_has holding_register 2052-2053 md2 int32 read-only memory
check "%ML2 declared LINT is int64 at 4104-4107, written by the scan" \
    map_has holding_register 4104-4107 ml2 int64 read-only memory
check "%IB3 declared BYTE is a uint8 input" key_is ib3 type uint8
check "... with no Modbus address on OpenPLC's map, named in a warning" \
    warns "all-areas.st:16:.*P4009.*%IB3.*no Modbus address"
check "plc-logic's statistics are in region diagnostics" key_is scan_count region diagnostics
check "... which [logic] names" bash -c "awk '/^\[logic\]/,/^$/' '$base/plant.ini' | grep -qx 'diagnostics = diagnostics'"
check "no unmapped_reads without --zero-fill" bash -c "! grep -q unmapped_reads '$base/plant.ini'"
check "no retain without --persistent" bash -c "! grep -q '^retain' '$base/plant.ini'"
check "a new file is version 1" version_is 1

check "the same program again: written" gen "$cases/all-areas.st" -o "$base/plant.ini"
check "... the version stays 1" version_is 1
check "... and nothing says it changed" no_warning_for "changed"
check "the changed program: written" gen "$cases/all-areas-2.st" -o "$base/plant.ini"
check "... the version goes up to 2" version_is 2
check "... saying so" warns "plant.ini: the layout changed: version 2 (was 1)"
check "... %MW3, now written too, moved to region memory" \
    map_has holding_register 1027 mw3 int16 read-only memory
check "--version 7 sets it" gen "$cases/all-areas-2.st" --version 7 -o "$base/plant.ini"
check "... to 7" version_is 7

check "--persistent --zero-fill --name plant2" \
    gen "$cases/all-areas.st" --persistent --zero-fill --name plant2 -o "$base/plant.ini"
check "... region memory is retained" region_key_is memory retain yes
check "... region scada is retained" region_key_is scada retain yes
check "... the inputs are not" bash -c "! awk '/^\[region inputs\]/,/^$/' '$base/plant.ini' | grep -q '^retain'"
check "... reads of unused addresses answer zeros" grep -qx "unmapped_reads = zero" "$base/plant.ini"
check "... the name is plant2, version 1 (another layout)" grep -qx "name = plant2" "$base/plant.ini"

# Errors: exit 1 with the place and the code; nothing written.
refused() { # FILE CODE LINE PATTERN
    rm -f "$base/bad.ini"
    ! "$st" layout "$cases/$1" -o "$base/bad.ini" 2>"$base/err" &&
        grep -q "$1:$3:.*error\[$2\].*$4" "$base/err" && [ ! -e "$base/bad.ini" ]
}
check "REAL at %MW0 is refused at bad-type.st:3 (P4007)" refused bad-type.st P4007 3 "REAL.*%MW0"
check "INT and UINT at %MW0 are refused (P4010)" refused two-types.st P4010 10 "%MW0.*INT"
no_located() {
    ! "$st" layout "$cases/none.st" -o "$base/bad.ini" 2>"$base/err" &&
        grep -q "P4011.*none.st locates no variable" "$base/err" && [ ! -e "$base/bad.ini" ]
}
check "a program with no located variable is refused (P4011)" no_located
no_base() {
    "$st" layout "$cases/all-areas.st" --base "$base/missing.ini" -o "$base/bad.ini" 2>"$base/err"
    [ $? -eq 2 ] && grep -q "base layout $base/missing.ini" "$base/err" && [ ! -e "$base/bad.ini" ]
}
check "a missing base: exit 2 naming it" no_base

echo "$failures failure(s)"
[ "$failures" -eq 0 ]

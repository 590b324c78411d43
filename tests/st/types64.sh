#!/bin/bash
# SPDX-License-Identifier: MIT
# plc-st binds the 8- and 64-bit IEC types to the byte and 64-bit tag types:
# SINT, USINT/BYTE to int8, uint8; LINT, ULINT/LWORD to int64, uint64; LREAL
# to float64; by name and by located address (%ML of OpenPLC's Pi map).
# usage: types64.sh BUILD_DIR SOURCE_DIR
set -u
st=$1/services/plc-st
src=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
fail() { echo "FAIL $*"; failed=1; }
# accepts NAME LAYOUT TEXT: NAME.st compiles against LAYOUT into C holding TEXT
accepts() {
    "$st" emit-c "$work/$1.st" --layout "$2" -o "$work/$1.c" 2>"$work/err" ||
        fail "$1.st refused: $(cat "$work/err")"
    grep -qF "$3" "$work/$1.c" || fail "$1.c does not reach $3"
}
# refuses NAME LAYOUT LINE: NAME.st is refused against LAYOUT with the error LINE
refuses() {
    if "$st" emit-c "$work/$1.st" --layout "$2" -o "$work/$1.c" 2>"$work/err"; then
        fail "$1.st accepted against $2"
    fi
    grep -qF "$3" "$work/err" || fail "$1.st against $2: $(cat "$work/err")"
}

cat >"$work/fits.st" <<'ST'
PROGRAM main
VAR_EXTERNAL
  big : LINT;
  huge : ULINT;
  lreal : LREAL;
  sbyte : SINT;
  ubyte : BYTE;
END_VAR
big := big + 1;
lreal := lreal * 2.0;
sbyte := sbyte - 1;
END_PROGRAM
ST
accepts fits "$src/tests/services/types64.ini" 'outputs->big'

cat >"$work/ml.st" <<'ST'
PROGRAM main
VAR
  total AT %ML0 : LINT;
END_VAR
total := total + 1;
END_PROGRAM
ST
accepts ml "$src/layout/openplc-pi.ini" 'memory->ml0'

cat >"$work/bad.st" <<'ST'
PROGRAM main
VAR
  total AT %ML1 : DINT;
END_VAR
VAR_EXTERNAL
  sbyte : INT;
END_VAR
total := 1;
END_PROGRAM
ST
refuses bad "$src/layout/openplc-pi.ini" \
    "bad.st:3:3: error[P4003]: 'total' is declared DINT but tag 'ml1' is int64"
refuses bad "$src/tests/services/types64.ini" \
    "bad.st:6:3: error[P4003]: 'sbyte' is declared INT but tag 'sbyte' is int8"
[ "$failed" -eq 0 ] && echo "ok"
exit "$failed"

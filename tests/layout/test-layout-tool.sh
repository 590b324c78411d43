#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# plc-layout header: a layout edited without a version bump stops the build with
# exit status 1 and one line saying what changed and what to do; after the bump
# the header is written and the lock follows. --help goes to stdout with status
# 0 (the man page is made from it), bad usage to stderr with status 2.
#
#   test-layout-tool.sh PLC-LAYOUT SOURCE-DIR
set -euo pipefail

tool=$1
src=$2
dir=$(mktemp -d /tmp/plc-layout-tool-XXXXXX)
trap 'rm -rf "$dir"' EXIT

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

cp "$src/layout/demo.ini" "$src/layout/demo.lock" "$dir/"
layout=$dir/demo.ini
lock=$dir/demo.lock
old_hash=$(sed -n 's/^hash = //p' "$lock")
version=$(sed -n 's/^version = //p' "$lock")
cp "$lock" "$dir/lock.before"

# Move cmd_start from holding register 0 to 20.
sed -i '/^\[tag cmd_start\]/,/^\[/ s/^modbus = holding_register:0$/modbus = holding_register:20/' \
    "$layout"
grep -q '^modbus = holding_register:20$' "$layout" || fail "the edit did not apply"
new_hash=$("$tool" check "$layout" | sed -n 's/.* hash \([0-9a-f]*\):.*/\1/p')
[[ -n $new_hash && $new_hash != "$old_hash" ]] || fail "hash did not change ($new_hash)"

rc=0
"$tool" header "$layout" "$lock" "$dir/out.h" >"$dir/stdout" 2>"$dir/stderr" || rc=$?
[[ $rc -eq 1 ]] || fail "exit status $rc, want 1"
want="plc-layout: $lock: layout 'demo' changed (hash $new_hash, lock has $old_hash) but its version is still $version: bump [layout] version in $layout, then run 'plc-layout lock $layout'"
[[ $(cat "$dir/stderr") == "$want" ]] || fail "stderr
  got:  $(cat "$dir/stderr")
  want: $want"
grep -q 'changed' "$dir/stderr" || fail "stderr lacks 'changed'"
grep -qF 'bump [layout] version' "$dir/stderr" || fail "stderr lacks 'bump [layout] version'"
[[ ! -s $dir/stdout ]] || fail "unexpected stdout: $(cat "$dir/stdout")"
[[ ! -e $dir/out.h ]] || fail "header written although the lock check failed"
cmp -s "$lock" "$dir/lock.before" || fail "lock changed although the check failed"

# Bump the version: the header is written and the lock records the new one.
bumped=$((version + 1))
sed -i "/^\[layout\]/,/^\[/ s/^version = $version\$/version = $bumped/" "$layout"
"$tool" header "$layout" "$lock" "$dir/out.h" 2>"$dir/stderr" ||
    fail "header after the bump: $(cat "$dir/stderr")"
grep -q "^#define PLC_LAYOUT_VERSION ${bumped}u$" "$dir/out.h" || fail "out.h lacks version $bumped"
grep -q "^#define PLC_LAYOUT_HASH UINT64_C(0x$new_hash)$" "$dir/out.h" || fail "out.h lacks the hash"
grep -q "^version = $bumped$" "$lock" || fail "lock not at version $bumped: $(cat "$lock")"
grep -q "^hash = $new_hash$" "$lock" || fail "lock lacks the new hash: $(cat "$lock")"
# --help and bad usage.
rc=0
"$tool" --help >"$dir/stdout" 2>"$dir/stderr" || rc=$?
[[ $rc -eq 0 ]] || fail "--help: exit status $rc, want 0"
[[ $(head -1 "$dir/stdout") == "usage: plc-layout check LAYOUT" ]] || fail "--help: $(head -1 "$dir/stdout")"
[[ ! -s $dir/stderr ]] || fail "--help wrote to stderr: $(cat "$dir/stderr")"
rc=0
"$tool" header "$layout" >"$dir/stdout" 2>"$dir/stderr" || rc=$?
[[ $rc -eq 2 ]] || fail "bad usage: exit status $rc, want 2"
[[ $(head -1 "$dir/stderr") == "usage: plc-layout check LAYOUT" ]] || fail "bad usage: $(cat "$dir/stderr")"
[[ ! -s $dir/stdout ]] || fail "bad usage wrote to stdout: $(cat "$dir/stdout")"
echo "ok"

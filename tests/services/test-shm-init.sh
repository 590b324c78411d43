#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# plc-shm-init from the command line: creates, keeps (with the data), refuses
# a region made from another layout, and re-creates it with --recreate; the
# same for the services' event rings, and what the restore did in its own.
# usage: test-shm-init.sh PLCCTL PLC_SHM_INIT LAYOUT POKE
. "$(dirname "$0")/lib.sh"

REGIONS="inputs:4096:io outputs:4096:logic commands:4096:modbus parameters:4096:modbus status:4096:logic"

# The lines plc-shm-init prints for the rings and every region, VERB being
# created/kept/re-created. parameters and status hold retained tags: restored
# (from no snapshot here) when made, left alone when kept.
init_lines() {
    local r name size writer
    echo "plc-shm-init: event rings $1 (1024 records each) in $BASE/demo"
    for r in $REGIONS; do
        IFS=: read -r name size writer <<<"$r"
        [ "$1" != kept ] && [ "$name" = parameters ] &&
            echo "plc-shm-init: no retain snapshot in $RASPIPLC_RETAIN_DIR (first boot): retained tags start from their initial values"
        echo "plc-shm-init: region '$name' $1 ($size bytes, writer $writer) in $BASE/demo"
        [ "$1" = kept ] && { [ "$name" = parameters ] || [ "$name" = status ]; } &&
            echo "plc-shm-init: region '$name': live values kept, nothing restored"
    done
    echo "plc-shm-init: layout 'demo' version 1 ready"
}

# The demo layout with another initial value for level_high: same name and
# version, another hash.
changed_layout() {
    sed '/^\[tag level_high\]$/,/^$/ s/^initial = 80$/initial = 70/' "$LAYOUT" >"$WORK/demo.ini"
    grep -q '^initial = 70$' "$WORK/demo.ini" || fail "could not change the layout copy"
}

begin init_creates_all_regions
init
expect_status 0
init_lines created | expect_out
expect_no_err
for r in $REGIONS; do
    [ -f "$BASE/demo/${r%%:*}" ] || fail "no region file $BASE/demo/${r%%:*}"
done
for s in shm-init io logic modbus retain plcctl web; do
    [ "$(stat -c %a:%s "$BASE/demo/events-$s" 2>&1)" = 660:131584 ] ||
        fail "events-$s: $(stat -c %a:%s "$BASE/demo/events-$s" 2>&1), expected mode 660, 1024 records"
done
end

begin init_posts_the_restore_to_its_ring
init
init
run "$RING_DUMP" "$LAYOUT" "$BASE" shm-init
expect_status 0
expect_out <<'EOF'
retain-restore	5	-	0	0	no snapshot: initial values
retain-restore	6	parameters	0	0	live values kept, nothing restored
retain-restore	6	status	0	0	live values kept, nothing restored
EOF
expect_no_err
end

begin init_event_records_must_be_a_power_of_two
init --event-records 1000
expect_status 2
expect_err "plc-shm-init: --event-records '1000' is not a power of two from 2 to 1048576"
init --event-records 64
expect_status 0
[ "$(stat -c %s "$BASE/demo/events-io")" = $((512 + 64 * 128)) ] || fail "events-io is not 64 records"
init --event-records 128
expect_status 1
expect_err_contains "plc-shm-init: $BASE/demo/events-io: event ring holds 64 records, not 128 (plc-shm-init --recreate re-creates it; its records are lost)"
init --event-records 128 --recreate
expect_status 0
head -1 "$OUT" | grep -qx "plc-shm-init: event rings re-created (128 records each) in $BASE/demo" ||
    fail "first line: $(head -1 "$OUT")"
end

begin init_twice_keeps_regions_and_initial_values
init
init
expect_status 0
init_lines kept | expect_out
expect_no_err
ctl get level_high level_low level_alarm fault_delay_ms
expect_status 0
expect_out <<'EOF'
TAG             VALUE  UNIT
level_high         80  %
level_low          20  %
level_alarm        95  %
fault_delay_ms   2000  ms
EOF
end

begin init_again_keeps_written_data
init
run "$POKE" "$LAYOUT" "$BASE" modbus level_low 33.5
expect_status 0
echo "poked level_low=33.5" | expect_out
run "$POKE" "$LAYOUT" "$BASE" modbus cmd_start 7
expect_status 0
init
expect_status 0
init_lines kept | expect_out
ctl get level_low cmd_start level_high
expect_status 0
expect_out <<'EOF'
TAG         VALUE  UNIT
level_low    33.5  %
cmd_start       7
level_high     80  %
EOF
ctl info parameters
expect_cell epoch VALUE 1
expect_cell seq VALUE 2
expect_cell writes VALUE 1
end

begin init_refuses_region_of_changed_layout
init
changed_layout
run "$SHM_INIT" --base-dir "$BASE" "$WORK/demo.ini"
expect_status 1
expect_out </dev/null
[ "$(wc -l <"$ERR")" -eq 13 ] || fail "expected one error per ring and region: $(cat "$ERR")"
expect_err_contains "plc-shm-init: $BASE/demo/events-io: event ring was made for layout hash "
expect_err_contains "plc-shm-init: $BASE/demo/inputs: region 'inputs' was made from layout 'demo' version 1 (hash "
expect_err_contains "was made from layout 'demo' version 1"
expect_err_contains "--recreate"
[ "$(grep -c -- "--recreate" "$ERR")" -eq 13 ] || fail "every line should name --recreate"
# Left alone: the old layout still reads its value.
ctl get level_high
expect_status 0
expect_out <<'EOF'
TAG         VALUE  UNIT
level_high     80  %
EOF
end

begin init_recreate_applies_changed_layout
init
run "$POKE" "$LAYOUT" "$BASE" modbus level_low 33.5
changed_layout
run "$SHM_INIT" --base-dir "$BASE" --recreate "$WORK/demo.ini"
expect_status 0
init_lines re-created | expect_out
expect_no_err
run "$PLCCTL" --layout "$WORK/demo.ini" --base-dir "$BASE" get level_high level_low
expect_status 0
expect_out <<'EOF'
TAG         VALUE  UNIT
level_high     70  %
level_low      20  %
EOF
run "$PLCCTL" --layout "$WORK/demo.ini" --base-dir "$BASE" info parameters
expect_status 0
expect_cell epoch VALUE 2
expect_cell seq VALUE 0
run "$PLCCTL" --layout "$WORK/demo.ini" --base-dir "$BASE" --json info inputs
expect_json 'j["epoch"] == 2 and j["layout"] == "demo" and j["layout_version"] == 1'
# The old layout no longer matches the regions.
ctl get level_high
expect_status 1
expect_out </dev/null
expect_err_contains "plcctl: $BASE/demo/parameters: region 'parameters' was made from layout 'demo' version 1"
end

begin init_refuses_a_symlinked_layout_directory
# BASE/demo pointing elsewhere would put every region outside the base directory.
mkdir -p "$BASE" "$WORK/elsewhere"
ln -s "$WORK/elsewhere" "$BASE/demo"
init
expect_status 1
expect_out </dev/null
expect_err "plc-shm-init: $BASE/demo: is a symlink: regions go in a directory plc-shm-init makes below the base directory; remove it and run plc-shm-init again"
[ -z "$(ls -A "$WORK/elsewhere")" ] || fail "made files outside the base directory: $(ls -A "$WORK/elsewhere")"
end

begin init_refuses_a_relative_base_dir
run "$SHM_INIT" --base-dir "relative/base" "$LAYOUT"
expect_status 1
expect_out </dev/null
expect_err "plc-shm-init: base directory 'relative/base' is not an absolute path"
[ ! -e relative ] || fail "made a directory relative to the working directory"
end

begin init_refuses_a_base_dir_with_dotdot
run "$SHM_INIT" --base-dir "$BASE/../escape" "$LAYOUT"
expect_status 1
expect_out </dev/null
expect_err "plc-shm-init: base directory '$BASE/../escape' has a '..' component: give the directory itself"
[ ! -e "$TMP/escape" ] || fail "made $TMP/escape"
sed 's|^\[layout\]$|[layout]\nbase_dir = /dev/shm/a/../b|' "$LAYOUT" >"$WORK/dotdot.ini"
line=$(grep -n '^base_dir = ' "$WORK/dotdot.ini" | cut -d: -f1)
run "$SHM_INIT" "$WORK/dotdot.ini"
expect_status 1
expect_err "plc-shm-init: $WORK/dotdot.ini:$line: [layout]: base_dir '/dev/shm/a/../b' has a '..' component: give the directory itself"
end

begin init_bad_option_is_usage_error
run "$SHM_INIT" --bogus "$LAYOUT"
expect_status 2
end

finish

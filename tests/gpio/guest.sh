#!/bin/bash
# The gpio-sim checks, run inside the qemu guest (chroot into the host's
# root): plc-io's libgpiod backend against the kernel's GPIO character
# device, with lines simulated by gpio-sim. One boot runs every check.
# usage: guest.sh BUILD_DIR v1|v2 [test|bench]   exit 0 when every check passed
# (bench: run bench/io-bench-gpiosim against the running plc-io instead)
set -u
build=$1
variant=$2
mode=${3:-test}
case $variant in
v1) plcio=$build/services/plc-io ;;
v2) plcio=$build/gpio-v2/services/plc-io ;;
*) echo "guest: unknown variant '$variant'"; exit 2 ;;
esac
peer=$build/tests/gpio/gpio-peer
shminit=$build/services/plc-shm-init
export RASPIPLC_BASE_DIR=/dev/shm/plc
# Scratch space: the host's root is read-only here, and a tmpfs over /tmp would
# hide a checkout that lives there.
tmp=/dev/shm/guest
mkdir -p "$tmp"
check_prefix="[$variant] "
. "$(dirname "$0")/../qemu/guest-lib.sh"

# ---- a simulated chip: 8 lines, line 7 held by a kernel hog ------------------
cfg=/sys/kernel/config/gpio-sim/plc
mkdir "$cfg" "$cfg/bank0" || { echo "guest: gpio-sim is not in configfs"; exit 3; }
echo 8 > "$cfg/bank0/num_lines"
echo plc-sim > "$cfg/bank0/label"
names=(IN_PU IN_PD IN_DEB OUT_A OUT_B OUT_OD SPARE6 BUSY)
for i in "${!names[@]}"; do
    mkdir "$cfg/bank0/line$i"
    echo "${names[$i]}" > "$cfg/bank0/line$i/name"
done
mkdir "$cfg/bank0/line7/hog"
echo busy-hog > "$cfg/bank0/line7/hog/name"
echo output-high > "$cfg/bank0/line7/hog/direction"
# A second chip, as an I2C expander would be: lines on two chips in one plc-io.
mkdir "$cfg/bank1" "$cfg/bank1/line0" "$cfg/bank1/line1"
echo 2 > "$cfg/bank1/num_lines"
echo plc-sim-2 > "$cfg/bank1/label"
echo IN2 > "$cfg/bank1/line0/name"
echo OUT2 > "$cfg/bank1/line1/name"
echo 1 > "$cfg/live"
dev=$(cat "$cfg/dev_name")
chip=$(cat "$cfg/bank0/chip_name")
chip2=$(cat "$cfg/bank1/chip_name")
sys=/sys/devices/platform/$dev/$chip
sys2=/sys/devices/platform/$dev/$chip2
echo "guest: gpio-sim chips $chip and $chip2 (device $dev), plc-io $plcio"

level() { cat "$sys/sim_gpio$1/value"; }
pull() { echo "pull-$2" > "$sys/sim_gpio$1/pull"; }
# The level of line $1 becomes $2 within $3 ms (gpio-sim has no change event to
# wait on: until_ms polls, and a failure says how long it waited).
level_is() { [ "$(level "$1")" = "$2" ] || { echo "     line $1 is $(level "$1"), expected $2"; return 1; }; }
wait_level() { until_ms "$3" level_is "$1" "$2"; }
level2_is() { # the same on the second chip
    [ "$(cat "$sys2/sim_gpio$1/value")" = "$2" ] ||
        { echo "     $chip2 line $1 is $(cat "$sys2/sim_gpio$1/value"), expected $2"; return 1; }
}
wait_level2() { until_ms "$3" level2_is "$1" "$2"; }
has_line() { grep -q "$2" "$1" 2>/dev/null || { echo "     '$2' not in $1:"; sed 's/^/     | /' "$1"; return 1; }; }
wait_line() { until_ms "$3" has_line "$1" "$2"; } # file pattern ms

cat > $tmp/t.ini <<INI
[layout]
name = gpiotest
version = 1
[region inputs]
writer = io
[region outputs]
writer = logic
[tag in_pu]
region = inputs
type = bool
gpio = IN_PU
gpio_bias = pull-up
gpio_active_low = yes
[tag in_pd]
region = inputs
type = bool
gpio = $chip:1
gpio_bias = pull-down
[tag in_deb]
region = inputs
type = bool
gpio = IN_DEB
gpio_bias = pull-down
gpio_debounce = 500ms
[tag in2]
region = inputs
type = bool
gpio = IN2
gpio_bias = pull-down
[tag out_a]
region = outputs
type = bool
gpio = OUT_A
safe = 0
[tag out_b]
region = outputs
type = bool
gpio = OUT_B
gpio_active_low = yes
safe = 1
[tag out_od]
region = outputs
type = bool
gpio = OUT_OD
gpio_drive = open-drain
safe = 0
[tag out2]
region = outputs
type = bool
gpio = plc-sim-2:1
safe = 0
[region status]
writer = logic
[tag beat]
region = status
type = uint32
INI
pull 5 up # OUT_OD's external pull-up resistor
"$shminit" -q $tmp/t.ini || { echo "guest: plc-shm-init failed"; exit 4; }

"$plcio" --heartbeat-timeout 1000 $tmp/t.ini > $tmp/io.log 2>&1 &
io=$!
wait_line $tmp/io.log "plc-io: ready" "$WAIT_MS" || { echo "guest: plc-io did not start"; exit 5; }
sed 's/^/     | /' $tmp/io.log
if [ "$mode" = bench ]; then
    "$build/bench/io-bench-gpiosim" $tmp/t.ini "$sys" "$variant"
    exit $?
fi

# ---- inputs: bias and active-low as requested --------------------------------
check "IN_PU is pulled up by the bias plc-io requested" wait_level 0 1 "$WAIT_MS"
check "in_pu reads 0: level high through active-low" "$peer" wait $tmp/t.ini in_pu 0 "$WAIT_MS"
check "IN_PD is pulled down, in_pd reads 0" "$peer" wait $tmp/t.ini in_pd 0 "$WAIT_MS"
check "chip:offset binding resolved to $chip 1" grep -q "in_pd .* $chip *1 *IN_PD *pull-down" $tmp/io.log

# ---- the settings the kernel has in effect ----------------------------------------
info() { # chip offset expected-line
    local got
    got=$("$peer" line-info "/dev/$1" "$2")
    [ "$got" = "$3" ] || { echo "     $1:$2: got '$got', want '$3'"; return 1; }
}
check "kernel: IN_PU is an input, pull-up, active-low, held by plc-io" \
    info "$chip" 0 "consumer=plc-io input push-pull pull-up active-low"
check "kernel: OUT_B is an output, active-low" \
    info "$chip" 4 "consumer=plc-io output push-pull as-is active-low"
check "kernel: OUT_OD is an open-drain output" \
    info "$chip" 5 "consumer=plc-io output open-drain as-is"
check "kernel: OUT2 on the second chip is held by plc-io" \
    info "$chip2" 1 "consumer=plc-io output push-pull as-is"
if [ "$variant" = v2 ]; then
    check "kernel: IN_DEB has a 500 ms debounce in the kernel (v2)" \
        info "$chip" 2 "consumer=plc-io input push-pull pull-down debounce=500000us"
else
    check "kernel: IN_DEB has no kernel debounce (v1: plc-io debounces)" \
        info "$chip" 2 "consumer=plc-io input push-pull pull-down"
fi

# ---- inputs: edge events into the region -------------------------------------
pull 0 down
check "edge on IN_PU (pulled low) makes in_pu 1" "$peer" wait $tmp/t.ini in_pu 1 "$WAIT_MS"
pull 1 up
check "edge on IN_PD (pulled high) makes in_pd 1" "$peer" wait $tmp/t.ini in_pd 1 "$WAIT_MS"
pull 0 up
check "edge back makes in_pu 0" "$peer" wait $tmp/t.ini in_pu 0 "$WAIT_MS"
echo pull-up > "$sys2/sim_gpio0/pull"
check "edge on IN2 of the second chip makes in2 1" "$peer" wait $tmp/t.ini in2 1 "$WAIT_MS"
check "the chip label binding plc-sim-2:1 resolved to $chip2 1" grep -q "out2 .* $chip2 *1 *OUT2" $tmp/io.log

# ---- debounce: 500 ms ----------------------------------------------------------
"$peer" steady $tmp/t.ini in_deb 0 1500 > $tmp/steady.out 2>&1 &
watcher=$!
wait_line $tmp/steady.out watching "$WAIT_MS"
pull 2 up
sleep 0.05
pull 2 down
wait "$watcher"
check "a 50 ms glitch on IN_DEB (debounce 500 ms) never reaches the region" [ $? -eq 0 ]
grep gpio-peer $tmp/steady.out | sed 's/^/     /'
pull 2 up
check "a lasting change on IN_DEB reaches in_deb" "$peer" wait $tmp/t.ini in_deb 1 "$WAIT_MS"

# ---- outputs: safe until the logic runs, then follow ----------------------------
check "OUT_A holds safe 0 before any logic" wait_level 3 0 "$WAIT_MS"
check "OUT_B holds safe 1 (active-low: level 0) before any logic" wait_level 4 0 "$WAIT_MS"
"$peer" logic $tmp/t.ini out_a=1 out_b=0 out2=1 out_od=1 > $tmp/logic.out 2>&1 &
logic=$!
wait_line $tmp/logic.out ready "$WAIT_MS"
check "OUT_A follows out_a=1" wait_level 3 1 "$WAIT_MS"
check "OUT_B follows out_b=0 (level 1)" wait_level 4 1 "$WAIT_MS"
check "OUT2 on the second chip follows out2=1" wait_level2 1 1 "$WAIT_MS"
check "plc-io logged following" wait_line $tmp/io.log "outputs: following region 'outputs'" "$WAIT_MS"

# ---- fail-safe: kill the logic for real ------------------------------------------
kill -9 "$logic"
wait "$logic" 2>/dev/null
check "OUT_A back to safe 0 after the logic was killed" wait_level 3 0 "$WAIT_MS"
check "OUT_B back to safe 1 (level 0) after the logic was killed" wait_level 4 0 "$WAIT_MS"
check "OUT2 on the second chip back to safe 0" wait_level2 1 0 "$WAIT_MS"
check "OUT_OD (open-drain) back to its safe 0" wait_level 5 0 "$WAIT_MS"
check "plc-io logged the death of pid $logic" \
    wait_line $tmp/io.log "outputs: safe values: writer pid $logic" "$WAIT_MS"
"$peer" logic $tmp/t.ini out_a=1 out_b=1 > $tmp/logic2.out 2>&1 &
logic=$!
wait_line $tmp/logic2.out ready "$WAIT_MS"
check "a new logic takes over: OUT_A 1" wait_level 3 1 "$WAIT_MS"
check "a new logic takes over: OUT_B 1 (level 0)" wait_level 4 0 "$WAIT_MS"
kill -9 "$logic"
wait "$logic" 2>/dev/null
check "and after its death OUT_A is safe again" wait_level 3 0 "$WAIT_MS"

# ---- event overflow: more edges than the kernel buffers (v1: 16 a line; v2: 16 a line
# of the request, rounded up to a power of two: 128 here) while plc-io is stopped
kill -STOP "$io"
for ((i = 1; i <= 301; i++)); do
    if ((i % 2)); then pull 1 down; else pull 1 up; fi
done
kill -CONT "$io"
check "after 301 edges on IN_PD while plc-io was stopped, in_pd shows the last level (0)" \
    "$peer" wait $tmp/t.ini in_pd 0 "$WAIT_MS"
check "plc-io saw the kernel drop edges and read every line again" \
    wait_line $tmp/io.log "edge events were lost: full read" "$WAIT_MS"

# ---- refused bindings ---------------------------------------------------------------
refused() { # name tag-binding expected-message
    printf '[layout]\nname = %s\nversion = 1\n[region inputs]\nwriter = io\n[tag x]\nregion = inputs\ntype = bool\ngpio = %s\n' \
        "$1" "$2" > "$tmp/$1.ini"
    "$shminit" -q "$tmp/$1.ini" || return 1
    "$plcio" "$tmp/$1.ini" > "$tmp/$1.out" 2>&1
    local rc=$?
    if [ $rc -ne 1 ] || ! grep -qF "$3" "$tmp/$1.out"; then
        echo "     exit $rc, output:"; sed 's/^/     | /' "$tmp/$1.out"
        return 1
    fi
}
check "a line hogged in the kernel is refused naming its consumer" \
    refused hogged BUSY "plc-io: tag 'x': line BUSY ($chip:7) is held by consumer 'busy-hog'"
check "a line held by the running plc-io is refused naming it" \
    refused taken IN_PU "plc-io: tag 'x': line IN_PU ($chip:0) is held by consumer 'plc-io'"
check "an unknown line name is refused" \
    refused unknown NO_SUCH_LINE "plc-io: tag 'x': no GPIO line named 'NO_SUCH_LINE' on any chip"
check "an unknown chip is refused" \
    refused nochip gpiochip99:0 "plc-io: tag 'x': no GPIO chip 'gpiochip99'"

# ---- stop -----------------------------------------------------------------------------
kill -TERM "$io"
wait "$io"
check "plc-io stops cleanly on SIGTERM" [ $? -eq 0 ]
echo "guest: [$variant] $failures failed"
[ $failures -eq 0 ]

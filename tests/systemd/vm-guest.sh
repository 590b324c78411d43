#!/bin/bash
# The systemd suite, inside the qemu guest, as plc-vmtest.service under a real
# systemd (PID 1) with udev: what a user on a Pi gets from the Debian package.
# Boot 1:
#   - dpkg -i of the package (its dependencies are the host's, whose root
#     and dpkg database the guest sees): group, users, udev rule (GPIO chips
#     to group gpio), units enabled, the PLC not started; then started by
#     systemd on a gpio-sim chip whose lines are named like the Pi's header
#     (GPIO0..GPIO27), with the real libgpiod backend, the installed demo
#     layout, Modbus moved to port 502;
#   - each service as its own user with only its capability; plc-logic at
#     SCHED_FIFO; plc-web answers on 127.0.0.1:8080; Modbus start -> motor
#     line on;
#   - plc-web user add of an operator and an engineer: the users file's group
#     lets plc-web read it; logged in, they set a parameter (read back over
#     Modbus), send a command, force and release a tag, and the events name
#     them;
#   - plc-mqtt skipped by its ExecCondition= (the demo's [mqtt] enabled = no),
#     no failure, no restart; enabled, it logs in to a mosquitto in the guest
#     with the password file only its user reads, and is skipped again after;
#   - kill -9 of plc-logic: outputs safe, restarted by systemd; the same with
#     plc-logic hidden from plc-io's /proc (ProtectProc=invisible drop-in);
#   - every service hung (SIGSTOP): systemd's watchdog restarts it;
#   - a retained parameter survives a stop, a lost /dev/shm and a start;
#   - a last parameter written, then the power cut (no sync, no shutdown).
# Boot 2, the reboot, on the same disk:
#   - raspiplc.target and every service started by the boot, once each;
#     the parameters of boot 1 restored, the last one included; the program
#     runs the outputs; boot 1's web user logs in;
#   - dpkg -r stops the PLC and removes units and rule, keeps the user's
#     layout, the retained values, the users and plc-web's users file;
#     dpkg --purge removes /etc/raspiplc and /var/lib/raspiplc.
# usage: vm-guest.sh SRC BUILD 1|2 DEB   (DEB: the raspiplc_*_amd64.deb
# scripts/package.sh made). Exits through isa-debug-exit with the number of
# failures.
set -u
src=$1
build=$2
phase=$3
deb=$4
log=/run/plc-vmtest
mkdir -p "$log"
. "$src/tests/qemu/guest-lib.sh"
report() {
    if ((failures)); then # what the services said, for the log
        journalctl -q -o short-monotonic --no-pager -u 'plc-*' | tail -150 | sed 's/^/     journal| /'
    fi
    echo "guest: $failures failure(s), $(cut -d' ' -f1 /proc/uptime) s after boot"
    local s=$failures
    ((s > 120)) && s=120
    printf "\\$(printf %03o "$s")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
    systemctl poweroff --force --force
}
eq() { [ "$1" = "$2" ] || { echo "     got '$1', want '$2'"; return 1; }; }

# ---- the chip vm-init.sh made: 28 lines GPIO0..GPIO27 ------------------------------
cfg=/sys/kernel/config/gpio-sim/pi
chip=$(cat "$cfg/bank0/chip_name") || { echo "guest: no gpio-sim chip"; report; }
sys=/sys/devices/platform/$(cat "$cfg/dev_name")/$chip
level() { cat "$sys/sim_gpio$1/value"; }
level_is() { eq "$(level "$1")" "$2"; }
udevadm settle
services=(io logic modbus retain web)
watched=(io logic modbus retain) # plc-web has no watchdog: nothing depends on it
pid_of() { systemctl show -p MainPID --value "plc-$1"; }
restarted() { local p; p=$(pid_of "$1"); [ "$p" != 0 ] && [ "$p" != "$2" ] && [ "$(systemctl is-active "plc-$1")" = active ]; }
# The journal's lines of plc-NAME (systemd's own about it included) that hold TEXT;
# logged_more NAME COUNT TEXT: more of them than COUNT.
logged() { journalctl -q -o cat -u "plc-$1" | grep -cF "$2"; }
logged_more() { (($(logged "$1" "$3") > $2)); }
mb() { mbpoll -m tcp -a 1 -p 502 -o 10 -1 "$@" 127.0.0.1 2>&1 | sed -n 's/^\[[0-9]*\]:[[:space:]]*//p;/failed/p'; }
mbw() { mbpoll -m tcp -a 1 -p 502 -o 10 "$@" 2>&1 | sed -n '/^Written\|failed/p'; }
reads() { eq "$(mb "${@:2}")" "$1"; } # reads WANT MBPOLL-ARGS...
# plc-web's API on its default address (plc-web.service: 127.0.0.1:8080).
web_get() { /usr/bin/python3 -c 'import sys, urllib.request
print(urllib.request.urlopen("http://127.0.0.1:8080" + sys.argv[1], timeout=10).read().decode())' "$1"; }
web_layout_is_demo() { web_get /api/layout | grep -q '"name":"demo"'; }
# With a login (vm-web.py): web SESSION login USER PASSWORD, web SESSION METHOD PATH [JSON];
# answers STATUS WANT SESSION ...: the answer has STATUS and holds WANT.
web() { /usr/bin/python3 "$src/tests/systemd/vm-web.py" "$log/web-$1" "${@:2}"; }
answers() {
    local got
    got=$(web "${@:3}")
    [[ $got == "$1 "*"$2"* ]] || { echo "     got '$got', want $1 with '$2'"; return 1; }
}
echo "guest: boot $phase: /dev/$chip is $(stat -c '%U:%G %a' "/dev/$chip") ($(cut -d' ' -f1 /proc/uptime) s after boot)"

if [ "$phase" = 2 ]; then
    . "$src/tests/systemd/vm-reboot.sh"
    report
fi

# ---- the package, for real ----------------------------------------------------------
# man-db's trigger would index every manual page of the host under TCG (minutes).
rm -f /var/lib/man-db/auto-update
if dpkg -i "$deb" > "$log/install.log" 2>&1; then
    ok "dpkg -i ${deb##*/} exits 0"
else
    bad "dpkg -i ${deb##*/} exits 0"
    sed 's/^/     | /' "$log/install.log"
fi
check "raspiplc is installed" eq "$(dpkg-query -W -f '${db:Status-Abbrev}' raspiplc)" "ii "
check "installing did not start the PLC (a PLC drives outputs)" \
    eq "$(systemctl is-active raspiplc.target plc-io)" "$(printf 'inactive\ninactive')"
check "group raspiplc exists" getent group raspiplc
user_ok() { # user_ok NAME: a system user in group raspiplc that cannot log in
    local e gid
    e=$(getent passwd "$1") || { echo "     no user $1"; return 1; }
    gid=$(getent group raspiplc | cut -d: -f3)
    eq "$(echo "$e" | cut -d: -f4,7)" "$gid:/usr/sbin/nologin"
}
for u in init io logic modbus retain web mqtt; do
    check "user raspiplc-$u exists, group raspiplc, no login" user_ok "raspiplc-$u"
done
check "group raspiplc-mqtt exists (the broker password's)" getent group raspiplc-mqtt
udevadm settle
check "udev rule gives /dev/$chip to group gpio, mode 660" \
    eq "$(stat -c '%G %a' "/dev/$chip")" "gpio 660"
# Enabled: the target, wanted by multi-user.target; the target wants the services.
check "raspiplc.target is enabled" eq "$(systemctl is-enabled raspiplc.target)" enabled
check "multi-user.target wants raspiplc.target (started at boot)" \
    bash -c 'systemctl show -p Wants --value multi-user.target | grep -qw raspiplc.target'

# The user's edit: Modbus on the standard port (deployment, not shape: no version bump).
sed -i 's/^listen = .*/listen = 127.0.0.1:502/' /etc/raspiplc/layout.ini

# ---- start ---------------------------------------------------------------------------------
t0=$(now_ms)
if systemctl start raspiplc.target; then ok "systemctl start raspiplc.target"; else bad "systemctl start raspiplc.target"; fi
echo "guest: raspiplc.target started in $(($(now_ms) - t0)) ms (every service sent READY=1)"
for s in shm-init "${services[@]}"; do
    check "plc-$s is active" eq "$(systemctl is-active "plc-$s")" active
done
cap_eff() { sed -n 's/^CapEff:[[:space:]]*//p' "/proc/$1/status"; }
for s in "${services[@]}"; do
    pid=$(pid_of "$s")
    check "plc-$s runs as raspiplc-$s" eq "$(stat -c %U "/proc/$pid")" "raspiplc-$s"
done
check "plc-io: no capability" eq "$(cap_eff "$(pid_of io)")" 0000000000000000
check "plc-retain: no capability" eq "$(cap_eff "$(pid_of retain)")" 0000000000000000
check "plc-web: no capability" eq "$(cap_eff "$(pid_of web)")" 0000000000000000
check "plc-modbus: CAP_NET_BIND_SERVICE only" eq "$(cap_eff "$(pid_of modbus)")" 0000000000000400
check "plc-logic: CAP_SYS_NICE only" eq "$(cap_eff "$(pid_of logic)")" 0000000000800000
check "plc-modbus serves port 502 (sched_priority 30227 reads 50: SCHED_FIFO granted)" \
    eq "$(mb -t 3 -r 227)" 50
check "plc-web answers GET /api/layout on 127.0.0.1:8080 (layout demo)" until_ms "$WAIT_MS" web_layout_is_demo
check "plc-web listens on 127.0.0.1:8080 only" eq "$(ss -Hltn 'sport = :8080' | awk '{ print $4 }')" 127.0.0.1:8080
check "plc-logic's scan thread is SCHED_FIFO" \
    bash -c "ps -L -o cls= -p $(pid_of logic) | grep -q FF"
check "plc-logic holds the cpu_dma_latency request (60-raspiplc.rules, DeviceAllow=)" \
    bash -c "ls -l /proc/$(pid_of logic)/fd | grep -q /dev/cpu_dma_latency"
check "plc-logic's memory is locked" \
    bash -c "awk '\$1 == \"VmLck:\" && \$2 > 0 { ok = 1 } END { exit !ok }' /proc/$(pid_of logic)/status"
check "plc-retain keeps /var/lib/raspiplc (StateDirectory)" \
    eq "$(stat -c %U /var/lib/raspiplc)" raspiplc-retain

# ---- Modbus start -> motor line on the chip -------------------------------------------------
# GPIO23 motor_run, GPIO25 motor_fault (safe 1), GPIO22 motor_feedback (pull-down).
check "motor_fault line low: the logic runs" until_ms "$WAIT_MS" level_is 25 0
echo pull-up > "$sys/sim_gpio22/pull" # the contactor's feedback
ack=$(mb -t 3 -r 11)
check "write cmd_start = ack_start + 1 over Modbus" eq "$(mbw -t 4 -r 1 127.0.0.1 $((ack + 1)))" "Written 1 references."
check "motor_run line GPIO23 goes high" until_ms "$WAIT_MS" level_is 23 1
check "coil 00001 motor_run reads 1" eq "$(mb -t 0 -r 1)" 1
check "ack_start 30011 acknowledges the request" eq "$(mb -t 3 -r 11)" $((ack + 1))

# ---- plc-web: the first users, logins and writes, as on a Pi -------------------------------
# Made as docs/web.md says (password on stdin); the new file's group lets
# plc-web (user raspiplc-web) read it, and the sandbox lets it write its ring
# and the forcing table and reach plc-modbus.
t0=$(now_ms)
check "plc-web user add alice --role operator (password on stdin)" \
    bash -c 'echo alice-pw | plc-web user add alice --role operator'
check "plc-web user add eve --role engineer" bash -c 'echo eve-pw | plc-web user add eve --role engineer'
check "the new users file is root:raspiplc, mode 640" \
    eq "$(stat -c '%U:%G %a' /etc/raspiplc/web-users)" "root:raspiplc 640"
shm=/dev/shm/raspiplc/demo
check "plc-web's ring events-web and the forcing table: group raspiplc, mode 660" \
    eq "$(stat -c '%G %a' $shm/events-web $shm/force | sort -u)" "raspiplc 660"
check "alice logs in (POST /api/login): operator" answers 200 '"role": "operator"' alice login alice alice-pw
check "alice sets level_high 80 -> 85 (POST /api/tags/level_high)" \
    answers 200 '{"before": 80.0, "tag": "level_high", "value": 85.0}' \
    alice POST /api/tags/level_high '{"value": 85}'
check "Modbus 40101 reads level_high 85 (written through plc-modbus)" reads 85 -t 4:float -B -r 101
counter=$(mb -t 4 -r 1)
check "alice sends cmd_start (POST /api/commands/cmd_start): acknowledged" \
    answers 200 "{\"acknowledged\": true, \"command\": \"cmd_start\", \"counter\": $((counter + 1))}" \
    alice POST /api/commands/cmd_start
check "an operator may not force: 403" answers 403 'needs the engineer role' \
    alice POST /api/forces/tank_level '{"value": 42}'
check "eve logs in: engineer" answers 200 '"role": "engineer"' eve login eve eve-pw
check "eve forces tank_level to 42 for 10min (POST /api/forces/tank_level)" \
    answers 200 '{"for_s": 600, "tag": "tank_level", "value": 42.0}' \
    eve POST /api/forces/tank_level '{"for": "10min", "value": 42}'
check "tank_level is marked forced" until_ms "$WAIT_MS" answers 200 '"forced": true' eve GET /api/tags/tank_level
check "eve releases it (DELETE /api/forces/tank_level)" answers 200 '"released": true' \
    eve DELETE /api/forces/tank_level
check "alice sets level_high back to 80" answers 200 '"value": 80.0' \
    alice POST /api/tags/level_high '{"value": 80}'
events=$(plcctl events --json)
for text in "web user alice set level_high 80 -> 85" "web user alice sent cmd_start (counter $((counter + 1)))" \
    "web user eve forced tank_level to 42" "web user eve released tank_level"; do
    check "plcctl events: '$text'" grep -qF "$text" <<<"$events"
done
echo "guest: plc-web's users, logins and writes took $(($(now_ms) - t0)) ms"

# ---- plc-mqtt: skipped by its condition; run on a broker once the layout enables it ---------
mqtt_result_is() { eq "$(systemctl show -p Result --value plc-mqtt)" "$1"; }
mqtt_active() { eq "$(systemctl is-active plc-mqtt)" active; }
check "raspiplc.target wants plc-mqtt.service" \
    bash -c 'systemctl show -p Wants --value raspiplc.target | grep -qw plc-mqtt.service'
check "plc-mqtt is skipped: the demo's [mqtt] says enabled = no (ExecCondition=)" \
    until_ms "$WAIT_MS" mqtt_result_is exec-condition
check "plc-mqtt is inactive, not failed" eq "$(systemctl is-active plc-mqtt)" inactive
check "systemd logged the skip" logged_more mqtt 0 "Skipped due to 'exec-condition'"
check "a skipped plc-mqtt is not restarted (NRestarts 0)" eq "$(systemctl show -p NRestarts --value plc-mqtt)" 0
mqtt_skips=$(logged mqtt "Skipped due to 'exec-condition'")
# The host's mosquitto, run in the guest with a password file, on localhost.
mq=$log/mosquitto
mkdir -p "$mq"
if mosquitto_passwd -c -b "$mq/passwd" demo-node node-pw >"$mq/passwd.log" 2>&1; then
    printf 'listener 1883 127.0.0.1\nallow_anonymous false\npassword_file %s\npersistence false\nlog_dest file %s\nconnection_messages true\nuser root\n' \
        "$mq/passwd" "$mq/log" >"$mq/mosquitto.conf"
    mosquitto -c "$mq/mosquitto.conf" >"$mq/out" 2>&1 &
    mq_pid=$!
    check "mosquitto listens on 127.0.0.1:1883" until_ms "$WAIT_MS" bash -c 'exec 3<>/dev/tcp/127.0.0.1/1883'
    # As docs/mqtt.md says: the password file, then [mqtt] enabled with a login.
    install -m 0640 -o root -g raspiplc-mqtt /dev/null /etc/raspiplc/mqtt-password
    echo node-pw >/etc/raspiplc/mqtt-password
    cp /etc/raspiplc/layout.ini "$log/layout.before-mqtt"
    sed -i -e '/^\[mqtt\]$/,/^\[/ s/^enabled = .*/enabled = yes/' \
        -e '/^\[mqtt\]$/a username = demo-node\npassword_file = /etc/raspiplc/mqtt-password' \
        /etc/raspiplc/layout.ini
    check "systemctl restart plc-mqtt with [mqtt] enabled = yes" systemctl restart plc-mqtt
    check "plc-mqtt is active" until_ms "$WAIT_MS" mqtt_active
    pid=$(systemctl show -p MainPID --value plc-mqtt)
    check "plc-mqtt runs as raspiplc-mqtt" eq "$(stat -c %U "/proc/$pid")" raspiplc-mqtt
    check "plc-mqtt: no capability" eq "$(cap_eff "$pid")" 0000000000000000
    check "plc-mqtt logs in to the broker as demo-node (its password file read)" until_ms "$WAIT_MS" \
        grep -q "New client connected from 127.0.0.1.*u'demo-node'" "$mq/log"
    check "plc-web's user cannot read the broker password" \
        bash -c '! runuser -u raspiplc-web -- cat /etc/raspiplc/mqtt-password 2>/dev/null'
    check "plc-mqtt has a watchdog and has not been restarted" \
        eq "$(systemctl show -p WatchdogUSec --value plc-mqtt) $(systemctl show -p NRestarts --value plc-mqtt)" "20s 0"
    cp "$log/layout.before-mqtt" /etc/raspiplc/layout.ini
    rm -f /etc/raspiplc/mqtt-password
    check "systemctl restart plc-mqtt with enabled = no again" systemctl restart plc-mqtt
    check "plc-mqtt stopped cleanly and is skipped again" \
        until_ms "$WAIT_MS" logged_more mqtt "$mqtt_skips" "Skipped due to 'exec-condition'"
    check "plc-mqtt's NDEATH: the broker saw it disconnect, not time out" \
        bash -c "grep -q 'Client .* disconnected\\.' '$mq/log'"
    kill "$mq_pid"
    wait "$mq_pid"
else
    bad "mosquitto_passwd makes a password file (package mosquitto)"
    sed 's/^/     | /' "$mq/passwd.log"
fi

# ---- kill -9 of the logic: outputs safe, systemd restarts it --------------------------------
old=$(pid_of logic)
safe=$(logged io "outputs: safe values:")
following=$(logged io "outputs: following region 'outputs'")
kill -9 "$old"
check "plc-io logs outputs safe after kill -9 of plc-logic" until_ms "$WAIT_MS" logged_more io "$safe" "outputs: safe values:"
check "systemd restarts plc-logic (new pid, active)" until_ms "$WAIT_MS" restarted logic "$old"
check "plc-io follows the restarted logic again" until_ms "$WAIT_MS" logged_more io "$following" "outputs: following region 'outputs'"
check "after the restart the program drives the outputs again (motor_fault low)" until_ms "$WAIT_MS" level_is 25 0
check "NRestarts of plc-logic is 1" eq "$(systemctl show -p NRestarts --value plc-logic)" 1

# ---- the same with plc-logic hidden from plc-io's /proc (a user's ProtectProc= drop-in) --------
# plc-io cannot read plc-logic's start time then; it must still follow it and see it die.
mkdir -p /etc/systemd/system/plc-io.service.d
printf '[Service]\nProtectProc=invisible\n' > /etc/systemd/system/plc-io.service.d/hide.conf
systemctl daemon-reload
following=$(logged io "outputs: following region 'outputs'")
check "plc-io restarts with ProtectProc=invisible" systemctl restart plc-io
check "the drop-in is in force" eq "$(systemctl show -p ProtectProc --value plc-io)" invisible
check "plc-io follows a plc-logic it cannot see in /proc" \
    until_ms "$WAIT_MS" logged_more io "$following" "outputs: following region 'outputs'"
check "motor_fault low: the program's values, not the safe ones" until_ms "$WAIT_MS" level_is 25 0
old=$(pid_of logic)
safe=$(logged io "outputs: safe values:")
kill -9 "$old"
check "plc-io still sees the hidden plc-logic die" until_ms "$WAIT_MS" logged_more io "$safe" "outputs: safe values:"
check "systemd restarts plc-logic again" until_ms "$WAIT_MS" restarted logic "$old"
rm -r /etc/systemd/system/plc-io.service.d
systemctl daemon-reload
check "plc-io restarts without the drop-in" systemctl restart plc-io
check "motor_fault low again" until_ms "$WAIT_MS" level_is 25 0

# ---- a hung service: systemd's watchdog restarts it ----------------------------------------
for s in "${watched[@]}"; do
    old=$(pid_of "$s")
    timeouts=$(logged "$s" "Watchdog timeout")
    wd=$(systemctl show -p WatchdogUSec --value "plc-$s")
    check "plc-$s has a watchdog ($wd)" test "$wd" != 0 -a "$wd" != infinity
    t0=$(now_ms)
    kill -STOP "$old"
    check "plc-$s hung by SIGSTOP is restarted by the watchdog" until_ms "$WAIT_MS" restarted "$s" "$old"
    echo "guest: plc-$s active again $(($(now_ms) - t0)) ms after SIGSTOP (WatchdogSec $wd, RestartSec 200ms)"
    check "systemd logged the watchdog timeout of plc-$s" logged_more "$s" "$timeouts" "Watchdog timeout"
    check "the hung plc-$s process is gone" bash -c "! kill -0 $old 2>/dev/null"
done
check "the program drives the outputs after all that (motor_fault low)" until_ms "$WAIT_MS" level_is 25 0

# ---- retain across a stop and a lost process image ---------------------------------------------
check "write fault_delay_ms 40107 = 4321 (retained)" eq "$(mbw -t 4:int -B -r 107 127.0.0.1 4321)" "Written 1 references."
if systemctl stop raspiplc.target; then ok "systemctl stop raspiplc.target"; else bad "systemctl stop raspiplc.target"; fi
for s in "${services[@]}"; do
    check "plc-$s is inactive after the stop" eq "$(systemctl is-active "plc-$s")" inactive
    check "plc-$s stopped cleanly" eq "$(systemctl show -p Result --value "plc-$s")" success
done
check "the snapshot holds fault_delay_ms 4321" grep -q '^tag fault_delay_ms uint32 4321$' /var/lib/raspiplc/demo.retain
rm -rf /dev/shm/raspiplc # what a reboot does
if systemctl start raspiplc.target; then ok "start again"; else bad "start again"; fi
check "fault_delay_ms reads 4321 after the restart" reads 4321 -t 4:int -B -r 107
check "level_high still at its initial 80" reads 80 -t 4:float -B -r 101

# ---- the power cut ------------------------------------------------------------------------------
# Everything so far to the disk; then one more parameter, and the power goes
# once plc-retain's snapshot shows it: only its own fsyncs make it survive.
sync
check "write level_low 40103 = 12.5 (retained)" eq "$(mbw -t 4:float -B -r 103 127.0.0.1 12.5)" "Written 1 references."
check "the snapshot holds level_low 12.5" until_ms "$WAIT_MS" grep -q '^tag level_low float32 12.5$' /var/lib/raspiplc/demo.retain
echo "guest: power cut ($(cut -d' ' -f1 /proc/uptime) s after boot)"
report

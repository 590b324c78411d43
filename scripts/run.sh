#!/usr/bin/env bash
# Install what is needed, build, and run the whole demo PLC in the foreground
# under plc-supervise (as systemd runs the units in systemd/ on a Pi):
# plc-shm-init once, then plc-io on the simulated field, plc-logic running
# examples/motor.c, plc-modbus on 127.0.0.1:1502, plc-retain and plc-web (the
# page on 127.0.0.1:8080), each restarted when it dies. Ctrl-C stops them all
# (plc-retain last).
#
# Everything lives in private places, never a real deployment's: regions in
# /dev/shm/raspiplc-demo, retained tags in build/demo-retain, each service's
# output in build/demo-logs/NAME.log. Extra arguments go to plc-supervise.
#
# RASPIPLC_BUILD_DIR=DIR runs the build in DIR instead (tests run their own), and
# RASPIPLC_SETUP=no skips installing and building (it is done already).
set -euo pipefail
cd "$(dirname "$0")/.."
build=${RASPIPLC_BUILD_DIR:-build}
if [ "${RASPIPLC_SETUP:-yes}" != no ]; then
    scripts/install-deps.sh
    scripts/build.sh "$build"
fi
build=$(cd "$build" && pwd)

export RASPIPLC_LAYOUT=${RASPIPLC_LAYOUT:-$PWD/layout/demo.ini}
export RASPIPLC_BASE_DIR=${RASPIPLC_BASE_DIR:-/dev/shm/raspiplc-demo}
export RASPIPLC_RETAIN_DIR=${RASPIPLC_RETAIN_DIR:-$build/demo-retain}
logs=$build/demo-logs
mkdir -p "$RASPIPLC_RETAIN_DIR" "$logs"

# The page's address: the last --web given, else plc-supervise's default.
web=127.0.0.1:8080
prev=
for a in "$@"; do
    case $prev in --web) web=$a ;; esac
    case $a in --web=*) web=${a#--web=} ;; --no-web) web= ;; esac
    prev=$a
done

# Who may log in to the page: a user 'demo' (engineer: may also force) with a
# password made at the first run and kept beside the build, never a fixed one.
web_users=$build/demo-web-users
web_password=$build/demo-web-password
if [ ! -s "$web_users" ] || [ ! -s "$web_password" ]; then
    (umask 077; head -c 12 /dev/urandom | base64 | tr -d '/+=' > "$web_password")
    "$build"/services/plc-web user add demo --role engineer --users "$web_users" < "$web_password"
fi

cat <<EOF
RaspiPLC demo: regions in $RASPIPLC_BASE_DIR, retained tags in $RASPIPLC_RETAIN_DIR,
service logs in $logs. In another shell (README.md, "Press start, read the motor"):
  export RASPIPLC_LAYOUT=$RASPIPLC_LAYOUT RASPIPLC_BASE_DIR=$RASPIPLC_BASE_DIR
  $build/services/plc-io-sim set motor_feedback 1; $build/services/plc-io-sim set start_button 1
  $build/services/plc-io-sim set start_button 0
  mbpoll -m tcp -p 1502 -a 1 -t 0 -r 1 -c 4 -1 127.0.0.1    # coils: motor_run is the first
  $build/services/plcctl get motor_run cmd_start ack_start
Alarms (README.md, "Raise, acknowledge and clear an alarm"); events as they come:
  $build/services/plcctl events --follow
  $build/services/plcctl force tank_level 97                  # raise tank_level.h
  mbpoll -m tcp -p 1502 -a 1 -t 4 -r 4 127.0.0.1 1           # acknowledge (cmd_alarm_ack + 1)
  $build/services/plcctl unforce tank_level                   # clear
EOF
if [ -n "$web" ]; then
    echo "Open http://$web/ in a browser: the status page, every tag live (docs/web.md)."
    echo "Log in there as demo, password $(cat "$web_password") (kept in $web_password)."
fi
echo
# plc-logic runs a copy of example (a) at a path of its own, so a program built
# there and loaded with SIGHUP replaces it until the next start (README.md,
# "Your first Structured Text program").
program=${RASPIPLC_PROGRAM:-$build/demo-program.so}
[ -n "${RASPIPLC_PROGRAM:-}" ] || cp "$build"/examples/motor.so "$program"
exec "$build"/services/plc-supervise --program "$program" --listen 127.0.0.1:1502 \
  --web-users "$web_users" --log-dir "$logs" "$@"

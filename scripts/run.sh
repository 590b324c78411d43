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
# --mqtt (or RASPIPLC_MQTT=yes) also runs plc-mqtt, the Sparkplug B edge node
# (docs/mqtt.md), against a mosquitto of its own: Debian's, on 127.0.0.1:1883
# (RASPIPLC_MQTT_PORT; a free port when that one is taken, 0: any free one),
# its configuration and log in build/demo-mqtt, stopped with the demo.
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
# --mqtt and --no-mqtt are ours: plc-supervise gets --mqtt with our broker.
web=127.0.0.1:8080
mqtt=${RASPIPLC_MQTT:-no}
prev=
args=()
for a in "$@"; do
    case $prev in --web) web=$a ;; esac
    case $a in
    --web=*) web=${a#--web=} ;;
    --no-web) web= ;;
    --mqtt) mqtt=yes; prev=$a; continue ;;
    --no-mqtt) mqtt=no ;;
    esac
    args+=("$a")
    prev=$a
done
case $mqtt in yes | no) ;; *) echo "run.sh: RASPIPLC_MQTT is '$mqtt', not yes or no" >&2; exit 2 ;; esac

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
# plc-logic runs a copy of example (a) at a path of its own, so a program built
# there and loaded with SIGHUP replaces it until the next start (README.md,
# "Your first Structured Text program").
program=${RASPIPLC_PROGRAM:-$build/demo-program.so}
[ -n "${RASPIPLC_PROGRAM:-}" ] || cp "$build"/examples/motor.so "$program"
supervise=("$build"/services/plc-supervise --program "$program" --listen 127.0.0.1:1502
           --web-users "$web_users" --log-dir "$logs")
if [ "$mqtt" = no ]; then
    echo
    exec "${supervise[@]}" ${args[@]+"${args[@]}"}
fi

# ---- --mqtt: a local mosquitto, then plc-mqtt on it ----------------------------------------
command -v mosquitto >/dev/null ||
    { echo "run.sh: --mqtt needs mosquitto (scripts/install-deps.sh installs it)" >&2; exit 1; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port=${RASPIPLC_MQTT_PORT:-1883}
if [ "$port" = 0 ] || listening "$port"; then
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
mq=$build/demo-mqtt
mkdir -p "$mq"
# Anonymous, on localhost only, nothing kept on disk. As root it would switch
# to user mosquitto, who cannot write here: it stays who runs this.
cat >"$mq/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
log_dest file $mq/mosquitto.log
connection_messages true
user $(id -un)
CONF
# Its own session: Ctrl-C reaches plc-supervise, which stops plc-mqtt (so its
# NDEATH goes out) before the broker is stopped on the way out.
setsid mosquitto -c "$mq/mosquitto.conf" >"$mq/mosquitto.out" 2>&1 &
broker=$!
echo "$broker" >"$mq/mosquitto.pid"
stop_broker() {
    kill "$broker" 2>/dev/null && wait "$broker" 2>/dev/null
    rm -f "$mq/mosquitto.pid"
}
trap stop_broker EXIT
for _ in $(seq 200); do
    listening "$port" && break
    kill -0 "$broker" 2>/dev/null || break
    sleep 0.05
done
if ! listening "$port"; then
    echo "run.sh: mosquitto does not listen on 127.0.0.1:$port ($mq/mosquitto.log):" >&2
    cat "$mq/mosquitto.out" "$mq/mosquitto.log" >&2 2>/dev/null
    exit 1
fi
cat <<MSG
MQTT (docs/mqtt.md): plc-mqtt publishes the demo as Sparkplug B edge node 'demo' of group
'raspiplc' to a mosquitto on 127.0.0.1:$port (pid $broker, log in $mq). Watch it decoded:
  mosquitto_sub -h 127.0.0.1 -p $port -t 'spBv1.0/#' -v -F '%t %x' | $build/services/plcctl --layout $RASPIPLC_LAYOUT mqtt-decode
Data carries aliases: the decoder names them from the layout (and from each birth), so the
tags above show in DDATA as they change.

MSG
# --mqtt: plc-mqtt runs although the demo's [mqtt] says enabled = no, on this
# broker. Not exec: the broker is stopped once plc-supervise is done.
"${supervise[@]}" --mqtt --mqtt-broker "mqtt://127.0.0.1:$port" ${args[@]+"${args[@]}"}

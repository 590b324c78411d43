#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The checks of test-package-install.sh, run by it as the first process of
# new user, mount and pid namespaces (root-lib.sh's plc_ns), on a fresh
# Debian root unpacked in ROOT with the packages copied to ROOT/tmp/packages:
#   - apt-get install ./raspiplc_VERSION_ARCH.deb: the dependencies from
#     Debian, the files, users and conffiles in place, the programs run;
#   - the PLC started the way a container runs it (plc-supervise, no systemd),
#     Modbus TCP on the user's port (an edit of /etc/raspiplc/layout.ini);
#     a retained setpoint written over Modbus and read back; stopped;
#   - the upgrade to the same package with a higher version and a changed
#     layout.lock: the user's edited layout.ini kept, the new layout.lock
#     taken (both conffiles), the setpoint restored from /var/lib/raspiplc
#     after a lost process image (what a reboot does);
#   - apt-get install ./python3-raspiplc_VERSION_all.deb on the running PLC:
#     `import raspiplc` reads the tags the PLC holds, on this architecture's
#     python3 and libplc; a command goes through the gateway and is acknowledged;
#   - apt-get purge: everything the package made is gone but the system
#     users (Debian's usual way), and nothing new is left in the root but
#     the dependencies and apt's own records.
# One "ok ..." or "FAIL: ..." line per check; exits 1 after any failure.
#   package-checks.sh ROOT ARCH PORT DEB UPGRADE_DEB PYTHON_DEB
# DEB, UPGRADE_DEB and PYTHON_DEB are paths inside the root (PYTHON_DEB "-":
# no Python checks); PORT is free on the host,
# whose network the namespace shares.
set -u
if [ $# -ne 6 ]; then
    echo "usage: $0 ROOT ARCH PORT DEB UPGRADE_DEB PYTHON_DEB" >&2
    exit 2
fi
root=$1 arch=$2 port=$3 deb=$4 deb2=$5 pydeb=$6
export LC_ALL=C # one collation for sort and comm
. "$(dirname "$0")/root-lib.sh"

failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { # check WHAT CMD...: CMD's status is the check's, and check's
    if "${@:2}"; then ok "$1"; else fail "$1"; return 1; fi
}
eq() { [ "$1" = "$2" ] || { echo "    got '$1', want '$2'"; return 1; }; }
# The end when what follows cannot run: the namespace, and every process
# started in it, ends with this shell.
give_up() {
    fail "$*"
    echo "package-checks: $failures failure(s); the rest cannot run"
    exit 1
}
now() { date +%s; }
# until_s SECONDS CMD...: CMD succeeds within SECONDS (polled every 0.2 s).
until_s() {
    local end=$(($(now) + $1))
    shift
    while (($(now) < end)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    "$@"
}

# This namespace's own proc over /proc too: ps and kill see only its processes.
mount -t proc proc /proc || give_up "mount proc for the pid namespace"
plc_root_mount "$root" || give_up "mount proc, /dev and tmpfs in the root"
in_root=(chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8
    DEBIAN_FRONTEND=noninteractive)
in_root() { "${in_root[@]}" "$@"; }
log=$root/tmp/packages/log
mkdir -p "$log"
# run NAME CMD...: CMD in the root, its output to the log NAME; shown on failure.
run() {
    local name=$1 t0=$(now) rc
    shift
    in_root "$@" >"$log/$name" 2>&1
    rc=$?
    echo "    ($name: $(($(now) - t0)) s)"
    ((rc == 0)) || sed 's/^/    | /' "$log/$name" | tail -40
    return $rc
}
apt_get() { run "$1" apt-get -q -y -o Dpkg::Use-Pty=0 "${@:2}"; }

listing() { # the root's files but the mounts, ours, and apt's and dpkg's records and caches
    (cd "$root" && find . -xdev ! -type d ! -path './tmp/*' ! -path './var/log/plc-test-*' \
        ! -path './var/lib/apt/*' ! -path './var/lib/dpkg/*' ! -path './var/cache/apt/*' \
        ! -path './var/cache/ldconfig/*' ! -path './var/log/apt/*' ! -path './var/log/dpkg.log' \
        ! -path './var/log/alternatives.log' | sort)
}

# ---- install -----------------------------------------------------------------------------
# The dependencies first, from Debian, as apt would install them with the
# package: the root as it is then is what the purge must return it to (a
# dependency's maintainer scripts make files of their own).
apt_get update update || give_up "apt-get update in the root"
pkgname=$(dpkg-deb -f "$root$deb" Package)
version=$(dpkg-deb -f "$root$deb" Version)
check "apt-get satisfy the package's Depends from Debian" \
    apt_get depends satisfy --no-install-recommends "$(dpkg-deb -f "$root$deb" Depends)" ||
    give_up "the dependencies are not installed"
# python3-raspiplc's, but the raspiplc it is built with (installed below).
if [ "$pydeb" != - ]; then
    pydeps=$(dpkg-deb -f "$root$pydeb" Depends | tr ',' '\n' | sed 's/^ *//' |
        grep -v '^raspiplc\b' | paste -sd, -)
    check "apt-get satisfy python3-raspiplc's other Depends from Debian ($pydeps)" \
        apt_get pydepends satisfy --no-install-recommends "$pydeps" ||
        give_up "python3-raspiplc's dependencies are not installed"
fi
listing >"$log/files.before"
check "apt-get install ./${deb##*/}" apt_get install install --no-install-recommends "$deb" ||
    give_up "the package is not installed"
status() { in_root dpkg-query -W -f '${db:Status-Abbrev}${Version}' "$pkgname" 2>/dev/null; }
check "$pkgname $version is installed" eq "$(status)" "ii $version"
in_root dpkg-query -L "$pkgname" | sort >"$log/package.files"
owned() { grep -qx "$1" "$log/package.files" || { echo "    the package has no $1"; return 1; }; }
runs() { owned "$1" && [ -x "$root$1" ] && in_root "$1" --help >/dev/null 2>&1; }
for b in plc-shm-init plc-io plc-io-sim plc-logic plc-modbus plc-retain plc-web plc-mqtt plcctl plc-supervise; do
    check "/usr/bin/$b is the package's and runs (--help)" runs "/usr/bin/$b"
done
unitdir=
for d in /lib/systemd/system /usr/lib/systemd/system; do
    [ -e "$root$d/raspiplc.target" ] && unitdir=$d
done
check "raspiplc.target installed" test -n "$unitdir"
for u in plc-shm-init plc-io plc-logic plc-modbus plc-retain plc-web plc-mqtt; do
    check "unit $u.service installed, running /usr/bin/$u" grep -q "^ExecStart=/usr/bin/$u\\b" "$root$unitdir/$u.service"
done
conffiles=$(in_root dpkg-query -W -f '${Conffiles}' "$pkgname")
for f in layout.ini layout.lock; do
    check "/etc/raspiplc/$f is a conffile" grep -q "^ */etc/raspiplc/$f " <<<"$conffiles"
done
check "/etc/raspiplc/layout.ini is the demo layout" grep -q '^name = demo$' "$root/etc/raspiplc/layout.ini"
check "/etc/raspiplc/program.so is there (example (a))" test -f "$root/etc/raspiplc/program.so"
check "/var/lib/raspiplc is there for plc-retain: raspiplc-retain:raspiplc 750" \
    eq "$(in_root stat -c '%U:%G %a' /var/lib/raspiplc)" "raspiplc-retain:raspiplc 750"
check "raspiplc.target is enabled (wanted by multi-user.target)" \
    test -L "$root/etc/systemd/system/multi-user.target.wants/raspiplc.target"
user_ok() { # user_ok NAME: a system user in group raspiplc that cannot log in
    local e gid
    e=$(in_root getent passwd "$1") || { echo "    no user $1"; return 1; }
    gid=$(in_root getent group raspiplc | cut -d: -f3)
    (($(echo "$e" | cut -d: -f3) < 1000)) || { echo "    $e: not a system uid"; return 1; }
    eq "$(echo "$e" | cut -d: -f4,7)" "$gid:/usr/sbin/nologin"
}
for g in raspiplc gpio raspiplc-mqtt; do
    check "group $g exists" eval "in_root getent group $g >/dev/null"
done
for u in init io logic modbus retain web mqtt; do
    check "user raspiplc-$u exists: system uid, group raspiplc, no login" user_ok "raspiplc-$u"
done

# ---- the user's edits (deployment, not shape: no version bump) -------------------------------
# Modbus on a port of ours. lock_memory stays yes: this namespace, like a
# container, has no CAP_IPC_LOCK and an 8 MiB memlock limit, which plc-logic
# must run under (test-supervise.sh has the case).
conf=$root/etc/raspiplc/layout.ini
sed -i -e "s/^listen = .*/listen = 127.0.0.1:$port/" "$conf"
echo "; edited by the user" >>"$conf"
cp "$conf" "$log/layout.mine"

# ---- run it as a container would: plc-supervise ---------------------------------------------
mb() { mbpoll -m tcp -a 1 -p "$port" -o 5 -1 "$@" 127.0.0.1 2>&1 | sed -n 's/^\[[0-9]*\]:[[:space:]]*//p;/failed/p'; }
mbw() { mbpoll -m tcp -a 1 -p "$port" -o 5 "$@" 2>&1 | sed -n '/^Written\|failed/p'; }
reads() { eq "$(mb "${@:2}")" "$1"; } # reads WANT MBPOLL-ARGS...
# Ready: plc-modbus answers, and the scan runs (scan_count, 30201, above 0).
scanning() { local n; n=$(mb -t 3:int -B -r 201) && [[ $n =~ ^[0-9]+$ ]] && ((n > 0)); }
sup=
start() { # start N: plc-supervise in the background, ready within the bound
    local t0=$(now)
    # chroot and env exec: $! is plc-supervise itself.
    "${in_root[@]}" plc-supervise --status-interval 0 --web 127.0.0.1:0 --log-dir "/var/log/plc-test-$1" >"$log/supervise-$1" 2>&1 &
    sup=$!
    # Up to 180 s (the first start under qemu is slow), less if it gives up.
    local end=$(($(now) + 180))
    until scanning || (($(now) > end)) || ! kill -0 "$sup" 2>/dev/null; do sleep 0.2; done
    if scanning; then
        ok "plc-supervise $1: Modbus answers on 127.0.0.1:$port and the scan runs (after $(($(now) - t0)) s)"
    else
        sed 's/^/    | /' "$log/supervise-$1"
        tail -n 20 "$root"/var/log/plc-test-"$1"/*.log 2>/dev/null | sed 's/^/    | /'
        give_up "plc-supervise $1: no scan_count over Modbus on 127.0.0.1:$port within 180 s"
    fi
}
plc_procs() { # the PLC's processes in the namespace
    local p c
    for p in /proc/[0-9]*; do
        c=$(cat "$p/comm" 2>/dev/null) || continue
        case $c in plc-* | plcctl) echo "${p#/proc/} $c" ;; esac
    done
}
stop() { # stop N: SIGTERM to plc-supervise, which stops the rest
    local rc
    kill -TERM "$sup"
    # wait returns when it exits; the bound is a watchdog in the background.
    (sleep 60 && kill -KILL "$sup" 2>/dev/null) &
    local dog=$!
    wait "$sup"
    rc=$?
    kill "$dog" 2>/dev/null
    check "plc-supervise $1 stops on SIGTERM with status 0" eq "$rc" 0
    check "no PLC process left after stop $1" eq "$(plc_procs)" ""
}

start 1
check "fault_delay_ms (40107) reads its initial 2000" reads 2000 -t 4:int -B -r 107
check "write fault_delay_ms = 4321 (a retained setpoint)" \
    eq "$(mbw -t 4:int -B -r 107 127.0.0.1 4321)" "Written 1 references."
check "fault_delay_ms reads 4321 back" reads 4321 -t 4:int -B -r 107
snap=$root/var/lib/raspiplc/demo.retain
check "plc-retain's snapshot in /var/lib/raspiplc holds fault_delay_ms 4321" \
    until_s 60 grep -q '^tag fault_delay_ms uint32 4321$' "$snap"
stop 1

# ---- upgrade -------------------------------------------------------------------------------------
version2=$(dpkg-deb -f "$root$deb2" Version)
check "apt-get install ./${deb2##*/} upgrades" apt_get upgrade install --no-install-recommends "$deb2"
check "$pkgname $version2 is installed" eq "$(status)" "ii $version2"
check "the upgrade kept the user's edited layout.ini (a conffile)" cmp -s "$log/layout.mine" "$conf"
check "the upgrade brought the package's new layout.lock, which the user had not changed" \
    grep -qx '# upgrade1' "$root/etc/raspiplc/layout.lock"
check "and left no .dpkg-old, -new or -dist files in /etc/raspiplc" \
    eq "$(cd "$root/etc/raspiplc" && echo *.dpkg-*)" "*.dpkg-*"
check "the snapshot is still there" grep -q '^tag fault_delay_ms uint32 4321$' "$snap"
# What a reboot does: the process image is gone, the snapshot is not.
rm -rf "$root/dev/shm/raspiplc"
start 2
check "plc-shm-init restored the retained tags from /var/lib/raspiplc" \
    grep -q 'retained tags restored from /var/lib/raspiplc/demo.retain' "$root/var/log/plc-test-2/plc-shm-init.log"
check "fault_delay_ms reads 4321 after the upgrade" reads 4321 -t 4:int -B -r 107
check "level_high (40101) still reads its initial 80" reads 80 -t 4:float -B -r 101

# ---- the Python library, on the running PLC ------------------------------------------------------
if [ "$pydeb" != - ]; then
    check "apt-get install ./${pydeb##*/}" apt_get python install --no-install-recommends "$pydeb"
    # The installed layout, base directory and gateway address are raspiplc's defaults.
    py_script='import raspiplc
with raspiplc.connect() as plc:
    print(plc.value("fault_delay_ms"), plc.value("level_high"))
    print(plc.command("cmd_stop", timeout=10.0) == plc.value("ack_stop"))'
    check "python3: import raspiplc reads fault_delay_ms 4321 and level_high 80, a command is acknowledged" \
        eq "$(in_root python3 -c "$py_script" 2>&1)" "$(printf '4321 80.0\nTrue')"
    check "python3 -m raspiplc get fault_delay_ms" \
        eval 'in_root python3 -m raspiplc get fault_delay_ms 2>&1 | grep -qw 4321'
fi
stop 2

# ---- purge ---------------------------------------------------------------------------------------
purged=("$pkgname")
[ "$pydeb" = - ] || purged+=(python3-raspiplc)
check "apt-get purge ${purged[*]}" apt_get purge purge "${purged[@]}"
check "python3-raspiplc is gone from dpkg's database" \
    eq "$(in_root dpkg-query -W -f '${db:Status-Abbrev}' python3-raspiplc 2>/dev/null)" ""
check "$pkgname is gone from dpkg's database" eq "$(status)" ""
left=$(while read -r f; do [ -e "$root$f" ] && [ ! -d "$root$f" ] && echo "$f"; done <"$log/package.files")
check "every file of the package is gone" eq "$left" ""
for d in /etc/raspiplc /var/lib/raspiplc /usr/share/doc/raspiplc /usr/share/raspiplc; do
    check "$d is gone" test ! -e "$root$d"
done
# Debian's usual way: files may still belong to them (raspiplc.sysusers).
for u in init io logic modbus retain web mqtt; do
    check "system user raspiplc-$u stays" eval "in_root getent passwd raspiplc-$u >/dev/null"
done
# Nothing new since the dependencies were in: no rule, unit link or state
# of ours; useradd's backups of the user databases stay with the users.
listing | comm -13 "$log/files.before" - |
    grep -vxE '\./etc/(passwd|group|shadow|gshadow)-' >"$log/files.new"
check "the purge leaves nothing new in the root (users aside)" eq "$(cat "$log/files.new")" ""

echo "package-checks: $failures failure(s)"
((failures == 0))

# SPDX-License-Identifier: MIT
# Sourced by the package install tests: fresh Debian 12 (bookworm) roots per
# architecture, and a way to run commands as root in them without changing the
# host.
#
# The roots are cached as one tarball per architecture, outside the source
# tree, in $PLC_ROOT_CACHE (default /var/cache/raspiplc/roots): a minimal
# system with apt (mmdebstrap --variant=apt) from the Debian mirror this
# machine's apt uses, made when missing (under a lock, so parallel tests make
# each once) and unpacked fresh for every test.
#
# plc_ns runs a command as root of new user, mount and pid namespaces: every
# uid maps to itself, so dpkg's chown and apt's _apt user work; a foreign
# architecture gets qemu-user-static registered in a binfmt_misc instance of
# its own (Linux 6.7 and later; scripts/binfmt.sh), so the root needs no
# copy of qemu. The host's binfmt_misc is never touched, and when the
# namespace's first process dies, everything started in it dies too.
#
# Needs: mmdebstrap, qemu-user-static (foreign architectures), unshare and
# setpriv (util-linux), zstd. Functions that cannot work here call plc_skip
# (tests/ci-skip.sh): exit 77, or a failure under CI=true.

. "$(dirname "${BASH_SOURCE[0]}")/../ci-skip.sh"
. "$(dirname "${BASH_SOURCE[0]}")/../../scripts/binfmt.sh"

plc_root_cache=${PLC_ROOT_CACHE:-/var/cache/raspiplc/roots}
plc_root_suite=bookworm

# plc_root_qemu ARCH: sets qemu_bin, the qemu-user-static that runs ARCH's
# programs, and binfmt_entry (scripts/binfmt.sh); qemu_bin is empty for the
# host's own architecture.
plc_root_qemu() {
    qemu_bin=
    [ "$1" = "$(dpkg --print-architecture)" ] && return 0
    plc_binfmt "$1" || return 2
    qemu_bin=/usr/bin/$binfmt_qemu-static
}

# plc_root_check ARCH: skips (plc_skip) unless this machine can make and enter
# a root of ARCH; then sets qemu_bin (plc_root_qemu).
plc_root_check() {
    local tool
    [ "$(id -u)" = 0 ] || plc_skip "needs root (a chroot, and every uid mapped in a user namespace)"
    for tool in mmdebstrap unshare setpriv zstd dpkg; do
        command -v "$tool" >/dev/null || plc_skip "'$tool' is not installed (scripts/install-deps.sh installs it)"
    done
    plc_root_qemu "$1" || exit 2
    if [ -n "$qemu_bin" ]; then
        [ -x "$qemu_bin" ] || plc_skip "no $qemu_bin to run $1 programs (apt-get install qemu-user-static)"
    fi
    local err need="user namespaces as root"
    [ -n "$qemu_bin" ] && need+=", and binfmt_misc in them: Linux 6.7 or later"
    err=$(plc_ns "$1" true 2>&1 >/dev/null) ||
        plc_skip "cannot run $1 programs in a namespace of their own here ($need): $(echo $err)"
}

# plc_ns ARCH CMD...: CMD as root of new user, mount and pid namespaces (pid 1
# there), every uid and gid mapped to itself; qemu-user-static for a foreign
# ARCH in the namespace's own binfmt_misc. Returns CMD's status. When this
# shell dies, the namespace's first process does, and with it every process
# of the namespace; plc_ns_stop does the same from a trap.
#
# The identity map is written from here, as real root, rather than with
# unshare --map-users (newuidmap, which only grants /etc/subuid's ranges):
# the namespace's first shell waits on a pipe until the maps are in, then
# execs CMD, which gets full capabilities as uid 0 of the namespace. That
# change of credentials clears the parent-death signal unshare --kill-child
# set, so setpriv sets it again after it: unshare's death (it dies with
# this shell) is the namespace's.
plc_ns() {
    local arch=$1 fifo fd pid me t reg= rc
    shift
    plc_root_qemu "$arch" || return 2
    [ -z "$qemu_bin" ] || reg="$(plc_binfmt_register "$qemu_bin") &&"
    fifo=$(mktemp -u -t plc-ns.XXXXXX) && mkfifo -m 600 "$fifo" || return 1
    setpriv --pdeathsig KILL unshare --user --mount --pid --fork --kill-child \
        bash -c 'read -r go <"$0" && rm -f "$0" && [ "$go" = go ] &&
            exec setpriv --pdeathsig KILL bash -c "$1" bash "${@:2}"' \
        "$fifo" "$reg exec \"\$@\"" "$@" &
    pid=$!
    plc_ns_pid=$pid
    me=$(readlink /proc/self/ns/user)
    # unshare is in its new user namespace within milliseconds; bounded anyway.
    for ((t = 0; t < 500; t++)); do
        [ "$(readlink "/proc/$pid/ns/user" 2>/dev/null)" != "$me" ] && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.01
    done
    # Read-write: the open does not wait for the reader, which may be dead.
    exec {fd}<>"$fifo"
    if echo '0 0 4294967295' >"/proc/$pid/uid_map" && echo '0 0 4294967295' >"/proc/$pid/gid_map"; then
        echo go >&"$fd"
    else
        echo "plc_ns: cannot map the uids of a new user namespace" >&2
        echo no >&"$fd"
    fi
    wait "$pid"
    rc=$?
    plc_ns_pid=
    exec {fd}>&-
    rm -f "$fifo"
    return "$rc"
}

# plc_ns_stop: ends the namespace of a plc_ns still running (from a trap):
# SIGKILL to unshare, whose death its child, the namespace's first process,
# follows (the parent-death signal); the kernel kills every other process of
# the namespace before that one becomes a zombie. Waits for that (bounded),
# so that nothing in the namespace writes any more when it returns.
plc_ns_stop() {
    local init t
    [ -n "${plc_ns_pid:-}" ] || return 0
    init=$(cat "/proc/$plc_ns_pid/task/$plc_ns_pid/children" 2>/dev/null)
    kill -KILL "$plc_ns_pid" 2>/dev/null
    wait "$plc_ns_pid" 2>/dev/null
    for ((t = 0; t < 200; t++)); do
        [ -n "$init" ] && [ "$(cut -d' ' -f3 "/proc/${init%% *}/stat" 2>/dev/null)" != Z ] || break
        [ -e "/proc/${init%% *}" ] || break
        sleep 0.05
    done
    plc_ns_pid=
}

# plc_root_sources: the apt sources of a bookworm root, one-line format, from
# the Debian mirrors this machine's apt uses (apt-cache policy: the archive's
# origin Debian, labels Debian and Debian-Security), else deb.debian.org;
# $PLC_DEBIAN_MIRROR and $PLC_DEBIAN_SECURITY override them.
plc_root_sources() {
    local mirrors main security
    mirrors=$(apt-cache policy 2>/dev/null | awk '
        $1 ~ /^[0-9]+$/ && $2 ~ /^[a-z]+:\/\// { uri = $2; next }
        $1 == "release" && uri != "" && $2 ~ /(^|,)o=Debian(,|$)/ {
            if ($2 ~ /(^|,)l=Debian-Security(,|$)/) print "security", uri
            else if ($2 ~ /(^|,)l=Debian(,|$)/) print "main", uri
            uri = "" }')
    main=${PLC_DEBIAN_MIRROR:-$(awk '$1 == "main" {print $2; exit}' <<<"$mirrors")}
    security=${PLC_DEBIAN_SECURITY:-$(awk '$1 == "security" {print $2; exit}' <<<"$mirrors")}
    main=${main:-http://deb.debian.org/debian}
    security=${security:-http://deb.debian.org/debian-security}
    echo "deb $main $plc_root_suite main"
    echo "deb $main $plc_root_suite-updates main"
    echo "deb $security $plc_root_suite-security main"
}

# plc_root_make ARCH: the cached tarball of a fresh root of ARCH, made now if
# missing; sets plc_root_tar. Under a lock per architecture: a test that
# finds another making it waits for that one. What is made goes to a
# temporary name first, so a crash leaves no half tarball behind.
plc_root_make() {
    local arch=$1 lock t0 log part
    plc_root_tar=$plc_root_cache/debian-$plc_root_suite-$arch.tar.zst
    part=${plc_root_tar%.tar.zst}.part.tar.zst # mmdebstrap's format follows the name
    mkdir -p "$plc_root_cache" || plc_skip "cannot make the root cache $plc_root_cache (set PLC_ROOT_CACHE)"
    exec {lock}>"$plc_root_cache/.$arch.lock"
    flock "$lock"
    if [ ! -s "$plc_root_tar" ]; then
        t0=$(date +%s)
        log=$plc_root_cache/debian-$plc_root_suite-$arch.log
        plc_root_sources >"$plc_root_cache/sources-$arch.list"
        echo "root-lib: making the $arch root ($plc_root_tar; log: $log)"
        # --variant=apt: Essential packages and apt, nothing else (the test
        # installs the rest with apt, as a user would). The package lists
        # stay, so the root's apt-get update fetches only what changed since
        # (parsing all of them under qemu takes a minute), without the
        # translations. dpkg does not fsync each file (force-unsafe-io, as
        # Debian's build daemons run it): a test root never survives a crash.
        # check/qemu is for the host's binfmt_misc: the namespace has its own.
        if plc_ns "$arch" mmdebstrap --variant=apt --arch="$arch" \
            --skip=check/qemu --skip=cleanup/apt/lists \
            --aptopt='Acquire::Retries "3"' --aptopt='Acquire::Languages "none"' \
            --dpkgopt=force-unsafe-io "$plc_root_suite" "$part" \
            "$plc_root_cache/sources-$arch.list" >"$log" 2>&1; then
            mv "$part" "$plc_root_tar"
            echo "root-lib: made the $arch root in $(($(date +%s) - t0)) s"
        else
            rm -f "$part"
            tail -20 "$log" | sed 's/^/    | /'
            echo "root-lib: FAIL: mmdebstrap of the $arch root failed after $(($(date +%s) - t0)) s (log: $log)"
            exec {lock}>&-
            return 1
        fi
    fi
    exec {lock}>&-
}

# plc_root_unpack ARCH DIR: a fresh root of ARCH in DIR (which must not exist
# yet), from the cached tarball, with this machine's name service answers
# (resolv.conf) and the sources of plc_root_sources.
plc_root_unpack() {
    local arch=$1 dir=$2
    plc_root_make "$arch" || return 1
    mkdir "$dir" &&
        tar --zstd -xpf "$plc_root_tar" --numeric-owner -C "$dir" &&
        rm -f "$dir"/etc/apt/sources.list.d/* && # mmdebstrap's copy of the same
        plc_root_sources >"$dir/etc/apt/sources.list" &&
        cp -L /etc/resolv.conf "$dir/etc/resolv.conf"
}

# plc_root_mount DIR: inside plc_ns, what programs in the root DIR need: a
# proc of the namespace's pid namespace, /dev with the host's null, zero,
# full, random, urandom and tty bound in (device nodes cannot be made in a
# user namespace), a /dev/pts of its own (dpkg's log wants a pty), /dev/shm
# (the process image) and /run as tmpfs. The mounts vanish with the
# namespace.
plc_root_mount() {
    local dir=$1 d
    mount -t proc proc "$dir/proc" || return 1
    mount -t tmpfs -o mode=755,size=1m tmpfs "$dir/dev" || return 1
    for d in null zero full random urandom tty; do
        touch "$dir/dev/$d" && mount --bind "/dev/$d" "$dir/dev/$d" || return 1
    done
    mkdir "$dir/dev/shm" "$dir/dev/pts" &&
        mount -t devpts -o newinstance,ptmxmode=0666 devpts "$dir/dev/pts" &&
        ln -s pts/ptmx "$dir/dev/ptmx" &&
        ln -s /proc/self/fd "$dir/dev/fd" &&
        ln -s /proc/self/fd/0 "$dir/dev/stdin" &&
        ln -s /proc/self/fd/1 "$dir/dev/stdout" &&
        ln -s /proc/self/fd/2 "$dir/dev/stderr" || return 1
    mount -t tmpfs -o mode=1777 tmpfs "$dir/dev/shm" &&
        mount -t tmpfs -o mode=755 tmpfs "$dir/run"
}

# Shared by the qemu suites (tests/gpio/run.sh, tests/systemd/run-vm.sh):
# Debian's amd64 kernel, gpio-sim built out of tree, a busybox initramfs, and
# one TCG boot whose guest status comes back through isa-debug-exit.
# Source it with $qemu_tag set (the suite's name, the prefix of every line).
#
# Everything comes from Debian packages and is cached under BUILD/gpio-cache:
# the kernel of linux-image-amd64's current ABI (apt-get download + dpkg-deb
# -x; installing it would build an initramfs), its headers and kbuild, and
# gpio-sim built out of tree from linux-source. The cache is shared by the
# suites, so it is filled under a lock.
#
# Exit codes of a suite: 0 passed, 1 failed, 77 cannot run here (one line says
# why); with CI=true a cannot-run is a failure, since CI provides everything.

. "$(dirname "${BASH_SOURCE[0]}")/../ci-skip.sh"
skip() { plc_skip_tag=$qemu_tag plc_skip "$@"; }

# What a suite started or made goes when it ends, passed, failed or stopped:
# the qemu of qemu_boot (SIGTERM through timeout, SIGKILL 10 s later if it
# lingers) and the paths in qemu_temp.
qemu_pid=
qemu_temp=()
qemu_exit() {
    if [ -n "$qemu_pid" ]; then
        kill "$qemu_pid" 2>/dev/null
        wait "$qemu_pid" 2>/dev/null
    fi
    if ((${#qemu_temp[@]})); then rm -rf -- "${qemu_temp[@]}"; fi
}
trap qemu_exit EXIT
die() {
    echo "$qemu_tag: FAIL: $*"
    exit 1
}
step() { echo "$qemu_tag: $*"; }

# qemu_prepare SRC BUILD: checks this machine can run a guest, then sets
# abi, image, vmlinuz, modroot (the kernel's /lib/modules/ABI), gpiosim_ko and
# cache (BUILD/gpio-cache), fetching and building what is not cached yet.
qemu_prepare() {
    local src=$1 build=$2 tool d
    for tool in uname qemu-system-x86_64 busybox apt-get apt-cache dpkg-deb cpio depmod make gcc xz flock; do
        command -v "$tool" >/dev/null || skip "'$tool' is not installed (scripts/install-deps.sh installs it)"
    done
    [ "$(uname -m)" = x86_64 ] || skip "the host is $(uname -m); the suite boots Debian's amd64 kernel"
    ldd "$(command -v busybox)" >/dev/null 2>&1 && skip "busybox is not the static one (install busybox-static)"
    case $src$build in *[[:space:]]*) skip "the source or build path has a space: it travels on the kernel command line" ;; esac
    for d in "$src" "$build"; do
        case $d/ in /dev/* | /proc/* | /sys/*) skip "$d is under /dev, /proc or /sys, which the guest mounts anew" ;; esac
    done
    cache=$build/gpio-cache
    mkdir -p "$cache"
    exec {qemu_lock}>"$cache/.lock"
    flock "$qemu_lock"
    qemu_kernel
    qemu_gpiosim
    flock -u "$qemu_lock"
}

# The kernel ABI linux-image-amd64 depends on now, downloaded and unpacked once.
qemu_kernel() {
    image_dep() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
    image=$(image_dep)
    if [ -z "$image" ] && [ "$(id -u)" = 0 ]; then
        apt-get update -qq >/dev/null 2>&1
        image=$(image_dep)
    fi
    [ -n "$image" ] || skip "apt knows no linux-image-amd64 (no package lists: run apt-get update)"
    abi=${image#linux-image-}
    local version series hdeps d
    version=$(apt-cache show "$image" | awk '/^Version:/ {print $2; exit}')
    series=$(echo "$abi" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
    kroot=$cache/kernel-$abi
    step "kernel $abi ($version), cache $cache"

    local debs=$kroot/debs
    if [ ! -e "$debs/.ok" ]; then
        mkdir -p "$debs"
        step "downloading $image, its headers and linux-source-$series"
        # The headers need their -common tree and kbuild: take those names from apt.
        hdeps=$(apt-cache depends "linux-headers-$abi" 2>/dev/null |
            awk '/Depends: linux-(headers-.*-common|kbuild-)/ {print $2}')
        (cd "$debs" && apt-get download -q "$image" "linux-headers-$abi" $hdeps \
            "linux-source-$series=$version" 2>&1 | grep -v '^W: Download is performed unsandboxed') ||
            skip "apt-get download of the kernel packages failed (no archive reachable?)"
        ls "$debs"/linux-image-*.deb "$debs"/linux-source-*.deb >/dev/null 2>&1 ||
            skip "apt-get download did not bring the kernel packages"
        touch "$debs/.ok"
    fi

    local root=$kroot/root
    headers=$root/usr/src/linux-headers-$abi
    if [ ! -e "$root/.ok" ]; then
        step "unpacking the kernel, headers and kbuild"
        rm -rf "$root"
        mkdir -p "$root"
        for d in "$debs"/linux-image-*.deb "$debs"/linux-headers-*.deb "$debs"/linux-kbuild-*.deb; do
            dpkg-deb -x "$d" "$root" || die "dpkg-deb -x $d"
        done
        # The headers' Makefile includes the -common tree by its installed path.
        sed -i "s|^include /usr/src/|include $root/usr/src/|" "$headers/Makefile"
        depmod -b "$root" "$abi" || die "depmod"
        touch "$root/.ok"
    fi
    vmlinuz=$root/boot/vmlinuz-$abi
    modroot=$root/lib/modules/$abi
    [ -r "$vmlinuz" ] || die "no $vmlinuz"
}

# gpio-sim, out of tree: Debian's kernel does not build it.
qemu_gpiosim() {
    local mod=$kroot/gpio-sim series
    series=$(echo "$abi" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
    gpiosim_ko=$mod/gpiosim.ko
    [ -e "$mod/.ok" ] && return
    step "building gpio-sim out of tree from linux-source-$series"
    rm -rf "$mod"
    mkdir -p "$mod"
    dpkg-deb --fsys-tarfile "$kroot"/debs/linux-source-*.deb |
        tar -xO "./usr/src/linux-source-$series.tar.xz" |
        tar -xJ -C "$mod" --strip-components=3 \
            "linux-source-$series/drivers/gpio/gpio-sim.c" \
            "linux-source-$series/drivers/gpio/gpiolib.h" \
            "linux-source-$series/kernel/irq/irq_sim.c" || die "cannot take gpio-sim from linux-source"
    mv "$mod"/*/gpio-sim.c "$mod"/*/gpiolib.h "$mod"/*/irq_sim.c "$mod"/ 2>/dev/null
    # irq_to_desc() is not exported to modules; generic_handle_irq() does the same.
    sed -i 's/handle_simple_irq(irq_to_desc(irqnum))/generic_handle_irq(irqnum)/' "$mod/irq_sim.c"
    grep -q 'generic_handle_irq(irqnum)' "$mod/irq_sim.c" || die "irq_sim.c changed: the patch no longer applies"
    printf 'obj-m := gpiosim.o\ngpiosim-y := gpio-sim.o irq_sim.o\n' > "$mod/Kbuild"
    make -s -C "$headers" M="$mod" modules > "$mod/build.log" 2>&1 ||
        { cat "$mod/build.log"; die "building gpio-sim failed"; }
    touch "$mod/.ok"
}

# qemu_initramfs OUT INIT MODULE...: an initramfs of busybox, INIT as /init
# (with tests/qemu/init-lib.sh as /lib.sh),
# the named modules with their dependencies (loaded in order from
# /modules.list) and gpiosim.ko last.
qemu_initramfs() {
    local out=$1 init=$2 ird n d
    shift 2
    ird=$out.d
    qemu_temp+=("$ird")
    rm -rf "$ird"
    mkdir -p "$ird"/{bin,proc,sys,dev,modules}
    cp "$(command -v busybox)" "$ird/bin/busybox"
    for n in sh mount umount mkdir rm ln insmod sed chroot printf dd poweroff cat echo switch_root; do
        ln -s busybox "$ird/bin/$n"
    done
    cp "$init" "$ird/init"
    cp "$(dirname "${BASH_SOURCE[0]}")/init-lib.sh" "$ird/lib.sh"
    chmod +x "$ird/init"
    local -A deps paths seen
    local path list order=()
    while IFS=: read -r path list; do
        n=$(basename "$path" .ko)
        paths[$n]=$path
        deps[$n]=$list
    done < "$modroot/modules.dep"
    visit() {
        local m=$1 dep
        [ -n "${seen[$m]:-}" ] && return
        seen[$m]=1
        [ -n "${paths[$m]:-}" ] || die "no module '$m' in $image"
        for dep in ${deps[$m]}; do visit "$(basename "$dep" .ko)"; done
        order+=("$m")
    }
    for n in "$@"; do visit "$n"; done
    : > "$ird/modules.list"
    for n in "${order[@]}"; do
        cp "$modroot/${paths[$n]}" "$ird/modules/$n.ko"
        echo "$n.ko" >> "$ird/modules.list"
    done
    cp "$gpiosim_ko" "$ird/modules/"
    echo gpiosim.ko >> "$ird/modules.list"
    (cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) > "$out" || die "cpio"
}

# qemu_boot NAME INITRAMFS FILTER APPEND...: one TCG boot of the kernel with the
# host's root shared read-only over 9p (mount tag hostroot); the console goes
# to BUILD/gpio-cache/qemu-NAME.log and the lines matching the extended regex
# FILTER to stdout; qemu_mem (MiB, default 512) and the array qemu_args (more
# qemu arguments) when set. Returns 0 when the guest reported status 0, 1 otherwise
# (with one line saying why). qemu runs in the background, so that a suite
# stopped meanwhile stops it too (qemu_exit).
qemu_boot() {
    local name=$1 initrd=$2 filter=$3 q t0 console
    shift 3
    local log=$cache/qemu-$name.log
    t0=$(date +%s)
    : > "$log"
    timeout -k 10 600 qemu-system-x86_64 -accel tcg -m "${qemu_mem:-512}" -smp 1 -display none -monitor none \
        -serial stdio -no-reboot \
        -kernel "$vmlinuz" -initrd "$initrd" \
        -append "console=ttyS0 quiet panic=-1 $*" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x01 \
        -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
        ${qemu_args[@]+"${qemu_args[@]}"} \
        < /dev/null > "$log" 2>&1 &
    qemu_pid=$!
    # The console as it comes, filtered; tail ends once qemu has.
    tail -n +1 -f --pid="$qemu_pid" "$log" | grep -aE "$filter" &
    console=$!
    wait "$qemu_pid"
    q=$?
    qemu_pid=
    wait "$console"
    qemu_seconds=$(($(date +%s) - t0))
    if [ "$q" = 124 ]; then
        echo "$qemu_tag: [$name] qemu timed out after 600 s (log: $log)"
        return 1
    elif [ $((q & 1)) = 0 ]; then
        echo "$qemu_tag: [$name] the guest never reported a status (qemu exit $q; log: $log)"
        tail -20 "$log"
        return 1
    elif [ $((q >> 1)) != 0 ]; then
        echo "$qemu_tag: [$name] FAILED: guest status $((q >> 1)) ($qemu_seconds s; log: $log)"
        return 1
    fi
    return 0
}

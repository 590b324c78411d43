#!/bin/bash
# The gpio-sim suite: plc-io's libgpiod backends against the kernel's GPIO
# character device, in qemu (TCG), with lines simulated by gpio-sim.
#
# usage: tests/gpio/run.sh SRC_DIR BUILD_DIR [v1] [v2]
#        GPIO_MODE=bench tests/gpio/run.sh ...   runs bench/io-bench-gpiosim instead
#
# Everything it needs comes from Debian packages and is cached under
# BUILD_DIR/gpio-cache: the kernel of linux-image-amd64's current ABI
# (apt-get download + dpkg-deb -x; installing it would build an initramfs),
# its headers and kbuild, gpio-sim built out of tree from linux-source, an
# initramfs of busybox-static and the modules, and libgpiod 2.x from
# <codename>-backports fetched with a private apt configuration (the system's
# apt sources are not touched) for a second, v2 build of plc-io. Then one
# qemu boot per backend runs every check (tests/gpio/guest.sh) and returns
# its status through isa-debug-exit.
#
# Exit 0 passed, 1 failed, 77 cannot run here (one line says why); with
# CI=true a cannot-run is a failure, since CI provides everything.
set -uo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
shift 2
variants=("$@")
((${#variants[@]})) || variants=(v1 v2)
cache=$build/gpio-cache
mkdir -p "$cache"

skip() {
    if [ "${CI:-}" = true ]; then
        echo "gpio-sim: FAIL: cannot run in CI: $*"
        exit 1
    fi
    echo "gpio-sim: SKIP: $*"
    exit 77
}
die() {
    echo "gpio-sim: FAIL: $*"
    exit 1
}
step() { echo "gpio-sim: $*"; }

# ---- can this machine run it? --------------------------------------------------------
for tool in uname qemu-system-x86_64 busybox apt-get apt-cache dpkg-deb cpio depmod make gcc xz; do
    command -v "$tool" >/dev/null || skip "'$tool' is not installed (scripts/install-deps.sh installs it)"
done
[ "$(uname -m)" = x86_64 ] || skip "the host is $(uname -m); the suite boots Debian's amd64 kernel"
ldd "$(command -v busybox)" >/dev/null 2>&1 && skip "busybox is not the static one (install busybox-static)"
case $src$build in *[[:space:]]*) skip "the source or build path has a space: it travels on the kernel command line" ;; esac
for d in "$src" "$build"; do
    case $d/ in /dev/* | /proc/* | /sys/*) skip "$d is under /dev, /proc or /sys, which the guest mounts anew" ;; esac
done

# ---- the kernel ABI linux-image-amd64 depends on now -------------------------------------
image_dep() { apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}'; }
image=$(image_dep)
if [ -z "$image" ] && [ "$(id -u)" = 0 ]; then
    apt-get update -qq >/dev/null 2>&1
    image=$(image_dep)
fi
[ -n "$image" ] || skip "apt knows no linux-image-amd64 (no package lists: run apt-get update)"
abi=${image#linux-image-}
version=$(apt-cache show "$image" | awk '/^Version:/ {print $2; exit}')
series=$(echo "$abi" | sed 's/^\([0-9]*\.[0-9]*\).*/\1/')
kroot=$cache/kernel-$abi
step "kernel $abi ($version), cache $cache"

# ---- Debian packages, downloaded once -----------------------------------------------------
debs=$kroot/debs
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

root=$kroot/root
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
[ -r "$vmlinuz" ] || die "no $vmlinuz"

# ---- gpio-sim, out of tree -----------------------------------------------------------------
mod=$kroot/gpio-sim
if [ ! -e "$mod/.ok" ]; then
    step "building gpio-sim out of tree from linux-source-$series"
    rm -rf "$mod"
    mkdir -p "$mod"
    dpkg-deb --fsys-tarfile "$debs"/linux-source-*.deb |
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
fi

# ---- initramfs: busybox, the modules, /init --------------------------------------------------
step "making the initramfs"
ird=$cache/initramfs
rm -rf "$ird"
mkdir -p "$ird"/{bin,proc,sys,dev,modules}
cp "$(command -v busybox)" "$ird/bin/busybox"
for app in sh mount mkdir insmod sed chroot printf dd poweroff cat echo; do
    ln -s busybox "$ird/bin/$app"
done
cp "$src/tests/gpio/init.sh" "$ird/init"
chmod +x "$ird/init"
declare -A deps paths seen
while IFS=: read -r path list; do
    name=$(basename "$path" .ko)
    paths[$name]=$path
    deps[$name]=$list
done < "$root/lib/modules/$abi/modules.dep"
order=()
visit() {
    local n=$1 d
    [ -n "${seen[$n]:-}" ] && return
    seen[$n]=1
    [ -n "${paths[$n]:-}" ] || die "no module '$n' in $image"
    for d in ${deps[$n]}; do visit "$(basename "$d" .ko)"; done
    order+=("$n")
}
for m in configfs virtio_pci 9pnet_virtio 9p; do visit "$m"; done
: > "$ird/modules.list"
for n in "${order[@]}"; do
    cp "$root/lib/modules/$abi/${paths[$n]}" "$ird/modules/$n.ko"
    echo "$n.ko" >> "$ird/modules.list"
done
cp "$mod/gpiosim.ko" "$ird/modules/"
echo gpiosim.ko >> "$ird/modules.list"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -1) > "$cache/initramfs.cpio.gz" || die "cpio"

# ---- libgpiod 2.x from backports, private apt, and the v2 build of plc-io --------------------------
if [[ " ${variants[*]} " == *" v2 "* ]]; then
    v2=$cache/libgpiod2
    if [ ! -e "$v2/.ok" ]; then
        . /etc/os-release
        apt=$cache/apt
        mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/parts" "$apt/debs"
        # The archive the system already uses for its own release, with -backports.
        uri=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 2>/dev/null |
            awk -v s="$VERSION_CODENAME" '$2 == s {print $1; exit}')
        [ -n "$uri" ] || skip "apt has no source for '$VERSION_CODENAME' to take $VERSION_CODENAME-backports from"
        echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $VERSION_CODENAME-backports main" \
            > "$apt/sources.list"
        opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o "Dir::Etc::SourceParts=$apt/parts"
            -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache" -o Debug::NoLocking=1)
        step "fetching libgpiod 2.x from $VERSION_CODENAME-backports (private apt lists in $apt)"
        apt-get "${opts[@]}" update -qq > "$apt/update.log" 2>&1 ||
            { cat "$apt/update.log"; skip "apt-get update of $VERSION_CODENAME-backports failed"; }
        (cd "$apt/debs" && rm -f ./*.deb && apt-get "${opts[@]}" download -q \
            "libgpiod-dev/$VERSION_CODENAME-backports" "libgpiod3/$VERSION_CODENAME-backports" 2>&1 |
            grep -v '^W: Download is performed unsandboxed') ||
            skip "apt-get download of libgpiod 2.x from backports failed"
        rm -rf "$v2"
        mkdir -p "$v2"
        for d in "$apt"/debs/*.deb; do dpkg-deb -x "$d" "$v2" || die "dpkg-deb -x $d"; done
        pc=$(find "$v2" -name libgpiod.pc | head -1)
        [ -n "$pc" ] || die "no libgpiod.pc in the backports packages"
        mkdir -p "$v2/pkgconfig"
        sed "s|^prefix=/usr|prefix=$v2/usr|" "$pc" > "$v2/pkgconfig/libgpiod.pc"
        touch "$v2/.ok"
    fi
    step "building plc-io against libgpiod $(PKG_CONFIG_PATH=$v2/pkgconfig pkg-config --modversion libgpiod) in $build/gpio-v2"
    PKG_CONFIG_PATH=$v2/pkgconfig cmake -S "$src" -B "$build/gpio-v2" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        > "$cache/v2-cmake.log" 2>&1 || { cat "$cache/v2-cmake.log"; die "configuring the v2 build"; }
    grep -q 'gpiod-v2.c' "$cache/v2-cmake.log" || { cat "$cache/v2-cmake.log"; die "the v2 build did not pick gpiod-v2.c"; }
    cmake --build "$build/gpio-v2" --target plc-io -j2 > "$cache/v2-build.log" 2>&1 ||
        { cat "$cache/v2-build.log"; die "building the v2 plc-io"; }
fi
[ -x "$build/services/plc-io" ] && [ -x "$build/tests/gpio/gpio-peer" ] || die "build plc-io and gpio-peer first"
[ "${GPIO_MODE:-test}" = test ] || [ -x "$build/bench/io-bench-gpiosim" ] || die "build io-bench-gpiosim first"

# ---- one boot per backend -------------------------------------------------------------------------
rc=0
for v in "${variants[@]}"; do
    step "booting $abi in qemu (TCG) for the $v backend"
    log=$cache/qemu-$v.log
    t0=$(date +%s)
    timeout 600 qemu-system-x86_64 -accel tcg -m 512 -smp 1 -display none -monitor none \
        -serial stdio -no-reboot \
        -kernel "$vmlinuz" -initrd "$cache/initramfs.cpio.gz" \
        -append "console=ttyS0 quiet panic=-1 plc_script=$src/tests/gpio/guest.sh plc_build=$build plc_variant=$v plc_mode=${GPIO_MODE:-test}" \
        -device isa-debug-exit,iobase=0xf4,iosize=0x01 \
        -virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap" \
        < /dev/null 2>&1 | tee "$log" | grep -E '^(ok|FAIL|     |guest:|init:|io-bench|latency|edge|outputs|floor)'
    q=${PIPESTATUS[0]}
    if [ "$q" = 124 ]; then
        echo "gpio-sim: [$v] qemu timed out after 600 s (log: $log)"
        rc=1
    elif [ $((q & 1)) = 0 ]; then
        echo "gpio-sim: [$v] the guest never reported a status (qemu exit $q; log: $log)"
        tail -20 "$log"
        rc=1
    elif [ $((q >> 1)) != 0 ]; then
        echo "gpio-sim: [$v] FAILED: guest status $((q >> 1)) ($(($(date +%s) - t0)) s; log: $log)"
        rc=1
    else
        echo "gpio-sim: [$v] passed ($(grep -c '^ok' "$log") checks, $(($(date +%s) - t0)) s, mode ${GPIO_MODE:-test})"
    fi
done
exit $rc

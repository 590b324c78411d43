#!/bin/bash
# The gpio-sim suite: plc-io's libgpiod backends against the kernel's GPIO
# character device, in qemu (TCG), with lines simulated by gpio-sim.
#
# usage: tests/gpio/run.sh SRC_DIR BUILD_DIR [v1] [v2]
#        GPIO_MODE=bench tests/gpio/run.sh ...   runs bench/io-bench-gpiosim instead
#
# The kernel, gpio-sim and the initramfs come from tests/qemu/lib.sh (cached
# under BUILD_DIR/gpio-cache). libgpiod 2.x comes from <codename>-backports,
# fetched with a private apt configuration (the system's apt sources are not
# touched), for a second, v2 build of plc-io. Then one qemu boot per backend
# runs every check (tests/gpio/guest.sh) and returns its status through
# isa-debug-exit.
#
# Exit 0 passed, 1 failed, 77 cannot run here (one line says why); with
# CI=true a cannot-run is a failure, since CI provides everything.
set -uo pipefail
src=$(cd "$1" && pwd)
build=$(cd "$2" && pwd)
shift 2
variants=("$@")
((${#variants[@]})) || variants=(v1 v2)
qemu_tag=gpio-sim
. "$src/tests/qemu/lib.sh"
qemu_prepare "$src" "$build"

# ---- initramfs: busybox, the modules, /init --------------------------------------------------
step "making the initramfs"
qemu_initramfs "$cache/initramfs-gpio.cpio.gz" "$src/tests/gpio/init.sh" configfs virtio_pci 9pnet_virtio 9p

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
    if qemu_boot "$v" "$cache/initramfs-gpio.cpio.gz" '^(ok|FAIL|     |guest:|init:|io-bench|latency|edge|outputs|floor)' \
        "plc_script=$src/tests/gpio/guest.sh plc_build=$build plc_variant=$v plc_mode=${GPIO_MODE:-test}"; then
        echo "gpio-sim: [$v] passed ($(grep -c '^ok' "$cache/qemu-$v.log") checks, $qemu_seconds s, mode ${GPIO_MODE:-test})"
    else
        rc=1
    fi
done
exit $rc

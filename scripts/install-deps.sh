#!/usr/bin/env bash
# Install the Debian packages RaspiPLC builds, runs and tests with.
# Debian 12 / Raspberry Pi OS Bookworm; newer releases work the same.
set -euo pipefail

packages=(
  build-essential cmake pkg-config     # toolchain
  gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu      # ARM code: the seqlock's barriers
  gcc-arm-linux-gnueabihf binutils-arm-linux-gnueabihf  #   (tests/runtime/test-barriers.sh), cross builds
  help2man                             # manual pages from --help (cmake/Manpages.cmake)
  libinih-dev                          # layout files
  libjson-c-dev                        # plcctl --json, plc-web
  libmicrohttpd-dev                    # plc-web: HTTP server
  libcrypt-dev openssl                 # plc-web: yescrypt password hashes; its TLS test's certificate
  libxml2-dev                          # plc-st: PLCopen XML (plc.xml)
  zlib1g-dev libsystemd-dev            # retain CRC-32, sd_notify
  libmodbus-dev libgpiod-dev           # Modbus gateway, GPIO
  libmosquitto-dev libprotobuf-c-dev   # plc-mqtt: MQTT client, Sparkplug B payloads (protobuf-c)
  protobuf-c-compiler protobuf-compiler  #   C code and the tests' Python module from mqtt/sparkplug_b.proto
  mosquitto mosquitto-clients          # plc-mqtt's tests and scripts/run.sh --mqtt: a real broker, mosquitto_sub
  python3-paho-mqtt python3-protobuf   #   the tests' Sparkplug host application (tests/mqtt/)
  libcmocka-dev python3 strace         # tests (strace: retain fault injection)
  python3-pytest                       # the Python library raspiplc's tests (tests/python/)
  chromium chromium-driver python3-selenium  # plc-web's page in a real browser (tests/web/browser-test.py)
  stress-ng rt-tests                   # bench/scan-bench.c: load and cyclictest's floor
  qemu-system-x86 busybox-static       # gpio-sim suite (tests/gpio/run.sh): qemu guest, initramfs
  cpio kmod xz-utils                   #   initramfs archive, depmod, linux-source tarball
  mbpoll socat                         # Modbus tests: an independent client, RTU over ptys
  clang libclang-rt-14-dev             # Modbus fuzz target (libFuzzer)
  systemd udev procps e2fsprogs        # tests: systemd-analyze; the systemd suite boots them on a disk (tests/systemd/run-vm.sh)
  mmdebstrap zstd qemu-user-static     # package install tests: Debian 12 roots per architecture (tests/install/root-lib.sh)
)
# The suite fetches the kernel image, headers, linux-source and libgpiod 2.x
# itself with apt-get download into the build tree (tests/gpio/run.sh).

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"

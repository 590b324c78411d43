#!/bin/bash
# plc-io latency through the kernel's GPIO character device with gpio-sim, in
# the qemu guest of the gpio-sim suite (TCG: figures of an emulator).
# usage: bench/io-bench-qemu.sh [BUILD_DIR] [v1] [v2]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
shift || true
cmake --build "$build" --target plc-io gpio-peer io-bench-gpiosim plc-shm-init -j2 >/dev/null
GPIO_MODE=bench exec bash tests/gpio/run.sh . "$build" "$@"

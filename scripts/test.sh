#!/usr/bin/env bash
# Install what is needed, build, and pass every test; build for the Pi's CPUs
# (arm64, armhf) and pass their tests under qemu-user; then build and test
# again under AddressSanitizer and UndefinedBehaviorSanitizer.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

scripts/build.sh build
# The Debian packages for the three architectures, which tests of the native
# build check and install (tests/package, tests/install).
scripts/package.sh --out build/packages amd64 arm64 armhf
ctest --test-dir build --output-on-failure -j2

scripts/cross-build.sh arm64 armhf
for arch in arm64 armhf; do
  scripts/cross-test.sh "$arch" --output-on-failure -j2
done

scripts/build.sh build-asan -DPLC_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2

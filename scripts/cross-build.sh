#!/usr/bin/env bash
# Build RaspiPLC for one or more architectures from the same source with
# Debian's cross compilers against Debian's -dev packages for the target
# (multiarch), into build-ARCH; the tests run under qemu-user there:
#     scripts/cross-test.sh arm64
# usage: scripts/cross-build.sh ARCH... [-- CMAKE_ARGS...]   (ARCH: amd64 arm64 armhf)
# It installs what it needs first (root or sudo): the target architecture,
# the cross compiler, the -dev packages and qemu-user. scripts/test.sh runs
# both for arm64 and armhf: docs/arm.md.
set -euo pipefail
cd "$(dirname "$0")/.."

arches=()
while (($#)) && [ "$1" != "--" ]; do arches+=("$1"); shift; done
[ "${1:-}" = "--" ] && shift
((${#arches[@]})) || { echo "usage: $0 ARCH... [-- CMAKE_ARGS...] (amd64 arm64 armhf)" >&2; exit 2; }

native=$(dpkg --print-architecture)
# The libraries the build links and tests with, per target architecture.
libs=(libc6-dev libinih-dev libjson-c-dev zlib1g-dev libsystemd-dev libmodbus-dev libgpiod-dev
      libcmocka-dev libxml2-dev libmicrohttpd-dev libcrypt-dev libmosquitto-dev libprotobuf-c-dev)

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "cross-build: need root (or sudo) to install packages" >&2; exit 1; }
  sudo=(sudo)
fi

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

for arch in "${arches[@]}"; do
  case $arch in
    amd64) triplet=x86_64-linux-gnu ;;
    arm64) triplet=aarch64-linux-gnu ;;
    armhf) triplet=arm-linux-gnueabihf ;;
    *) echo "cross-build: unknown architecture '$arch' (amd64, arm64, armhf)" >&2; exit 2 ;;
  esac
  toolchain=()
  want=(cmake pkg-config protobuf-c-compiler protobuf-compiler) # protoc-c, protoc: build-time code generators
  if [ "$arch" = "$native" ]; then
    scripts/install-deps.sh # the native build is the usual one, fuzz target included
  else
    [ -f "cmake/toolchain-$triplet.cmake" ] ||
      { echo "cross-build: no cmake/toolchain-$triplet.cmake: $arch builds natively only" >&2; exit 2; }
    toolchain=(-DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/toolchain-$triplet.cmake")
    # Debian's cross compiler for a triplet is gcc-TRIPLET (install-deps.sh
    # has them too: the native tests disassemble ARM code with them).
    want+=("gcc-$triplet" qemu-user "${libs[@]/%/:$arch}")
    if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
      echo "cross-build: adding architecture $arch"
      "${sudo[@]}" dpkg --add-architecture "$arch"
      "${sudo[@]}" apt-get update -qq
    fi
  fi
  missing=()
  for p in "${want[@]}"; do installed "$p" || missing+=("$p"); done
  if ((${#missing[@]})); then
    echo "cross-build: installing ${missing[*]}"
    "${sudo[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
      "${missing[@]}"
  fi
  echo "cross-build: $arch into build-$arch"
  scripts/build.sh "build-$arch" "${toolchain[@]}" "$@"
done

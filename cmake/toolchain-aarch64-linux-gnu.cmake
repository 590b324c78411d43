# Cross build for arm64 (Raspberry Pi 3/4/5, Zero 2 on a 64-bit OS) with
# Debian's cross compiler against Debian's arm64 -dev packages, installed
# beside the native ones (multiarch: dpkg --add-architecture arm64). No
# sysroot: the default root holds the headers and lib/aarch64-linux-gnu.
# scripts/cross-build.sh installs what this needs and uses it.
set(PLC_CROSS_TRIPLET aarch64-linux-gnu)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-multiarch.cmake)

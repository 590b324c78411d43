# Cross build for armhf (ARMv7 with VFP: Raspberry Pi 2/3/4 on a 32-bit OS;
# Debian's armhf is not built for the ARMv6 Pi 1 and Zero) with Debian's cross
# compiler against Debian's armhf -dev packages, installed beside the native
# ones (multiarch: dpkg --add-architecture armhf). No sysroot: the default root
# holds the headers and lib/arm-linux-gnueabihf. docs/arm.md says how off_t
# and time_t are built here. scripts/cross-build.sh installs what this needs.
set(PLC_CROSS_TRIPLET arm-linux-gnueabihf)
set(CMAKE_SYSTEM_PROCESSOR arm)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-multiarch.cmake)

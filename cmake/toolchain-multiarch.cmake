# What the per-architecture toolchain files share: a Debian multiarch cross
# build (PLC_CROSS_TRIPLET's compiler, its -dev packages in the default root)
# whose programs and tests run under qemu-user (cmake/CrossEmulator.cmake
# finds it from CMAKE_SYSTEM_PROCESSOR).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${PLC_CROSS_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${PLC_CROSS_TRIPLET})

# Libraries and headers from the target's multiarch directories only (the
# default root is also the host's: never link a host library by mistake);
# programs (pkg-config, python3, qemu) from the host.
set(CMAKE_FIND_ROOT_PATH /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config reads the target's .pc files, not the host's.
set(ENV{PKG_CONFIG_LIBDIR} "/usr/lib/${PLC_CROSS_TRIPLET}/pkgconfig:/usr/share/pkgconfig")
unset(ENV{PKG_CONFIG_PATH})

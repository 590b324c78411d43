# What the per-architecture toolchain files share: a Debian multiarch cross
# build (PLC_CROSS_TRIPLET's compiler, its -dev packages in the default root)
# whose programs and tests run under qemu-user (PLC_CROSS_EMULATOR).
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

# Target programs run under qemu-user: the tests (add_test), and plc-layout,
# which generates plc-image.h at build time (add_custom_command prepends the
# emulator to a command naming an executable target). The target's dynamic
# loader and libraries come from the multiarch root, so no -L is needed.
find_program(PLC_CROSS_EMULATOR_PATH ${PLC_CROSS_EMULATOR})
if(NOT PLC_CROSS_EMULATOR_PATH)
  message(FATAL_ERROR "${PLC_CROSS_EMULATOR} not found: the build runs plc-layout under it "
                      "(apt-get install qemu-user)")
endif()
set(CMAKE_CROSSCOMPILING_EMULATOR ${PLC_CROSS_EMULATOR_PATH})

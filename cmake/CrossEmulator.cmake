# A cross build runs its own programs under qemu-user: plc-layout, which
# writes plc-image.h at build time, plc-modbus for the map, each program for
# its manual page (cmake/Manpages.cmake) and the tests.
# CMake puts CMAKE_CROSSCOMPILING_EMULATOR before a custom command or a test
# naming an executable target. It is found here, not in a toolchain file, so
# that every cross build gets it: ours (cmake/toolchain-*.cmake) and
# dpkg-buildpackage's, which passes only CMAKE_SYSTEM_NAME,
# CMAKE_SYSTEM_PROCESSOR and the compiler.
if(CMAKE_CROSSCOMPILING AND NOT CMAKE_CROSSCOMPILING_EMULATOR)
  # qemu names 32-bit ARM 'arm' whatever the processor's version (debhelper
  # says armv7l for armhf).
  string(REGEX REPLACE "^arm.*" "arm" _qemu_cpu "${CMAKE_SYSTEM_PROCESSOR}")
  find_program(PLC_CROSS_EMULATOR qemu-${_qemu_cpu})
  if(NOT PLC_CROSS_EMULATOR)
    message(FATAL_ERROR "qemu-${_qemu_cpu} not found: a cross build runs plc-layout under it "
                        "(apt-get install qemu-user)")
  endif()
  set(CMAKE_CROSSCOMPILING_EMULATOR ${PLC_CROSS_EMULATOR})
endif()

# off_t and time_t on 32-bit targets (armhf): docs/arm.md says why.
#
# off_t is 64-bit everywhere: _FILE_OFFSET_BITS=64 on a 32-bit target. No
# library interface the project calls carries an off_t (zlib maps its gz*
# calls to the *64 ones itself), so this changes our own code only.
#
# time_t follows the distribution's ABI: whatever the compiler gives by
# default. Debian 13 armhf (the t64 transition) gives 64 bits and every
# library there is built that way. Debian 12 armhf gives 32 bits and its
# libraries expect that: libgpiod 1.6 fills a struct gpiod_line_event whose
# struct timespec would change size under _TIME_BITS=64. There the project's
# own times stay 2038-safe by being uint64_t nanoseconds, see docs/arm.md.
include(CheckTypeSize)
if(CMAKE_SIZEOF_VOID_P EQUAL 4)
  add_compile_definitions(_FILE_OFFSET_BITS=64)
  set(CMAKE_EXTRA_INCLUDE_FILES time.h)
  check_type_size(time_t PLC_SIZEOF_TIME_T)
  unset(CMAKE_EXTRA_INCLUDE_FILES)
  if(PLC_SIZEOF_TIME_T EQUAL 8)
    set(_abi "64-bit")
  else()
    set(_abi "32-bit (the distribution's ABI: no _TIME_BITS=64 against its libraries)")
  endif()
  message(STATUS "32-bit target: off_t 64-bit, time_t ${_abi}")
endif()

# Manual pages made from each program's --help by help2man, so that what an
# option does is written once, in the program.
#
#   plc_manpage(TARGET WHATIS)
#       TARGET.1 in section 1, its NAME line "TARGET - WHATIS" (the one thing
#       --help does not say), installed to share/man/man1.
#
# PLC_MANPAGES: AUTO (when help2man is found), ON or OFF. help2man runs a
# wrapper that starts the program (under qemu-user in a cross build) and
# rewrites its usage lines into the form help2man takes as the synopsis
# (cmake/help2man-usage.awk).
include(GNUInstallDirs)
set(PLC_MANPAGES AUTO CACHE STRING "Manual pages from --help with help2man: AUTO, ON or OFF")
set_property(CACHE PLC_MANPAGES PROPERTY STRINGS AUTO ON OFF)
find_program(PLC_HELP2MAN help2man)
if(PLC_MANPAGES STREQUAL "ON" AND NOT PLC_HELP2MAN)
  message(FATAL_ERROR "PLC_MANPAGES=ON but help2man is not found (apt-get install help2man)")
endif()

function(plc_manpage target whatis)
  if(PLC_MANPAGES STREQUAL "OFF" OR NOT PLC_HELP2MAN)
    return()
  endif()
  set(_dir "${CMAKE_BINARY_DIR}/man")
  string(REPLACE ";" " " _emu "${CMAKE_CROSSCOMPILING_EMULATOR}")
  file(GENERATE OUTPUT "${_dir}/bin/${target}" CONTENT "#!/bin/bash
set -o pipefail
${_emu} '$<TARGET_FILE:${target}>' \"$@\" |
  awk -v name=${target} -f '${CMAKE_SOURCE_DIR}/cmake/help2man-usage.awk'
")
  add_custom_command(
    OUTPUT "${_dir}/${target}.1"
    COMMAND chmod +x "${_dir}/bin/${target}"
    COMMAND "${PLC_HELP2MAN}" --no-info --section=1 "--source=RaspiPLC ${PROJECT_VERSION}"
            "--version-string=${PROJECT_VERSION}" "--name=${whatis}"
            "--output=${_dir}/${target}.1" "${_dir}/bin/${target}"
    DEPENDS ${target} "${_dir}/bin/${target}" "${CMAKE_SOURCE_DIR}/cmake/help2man-usage.awk"
    COMMENT "Writing the manual page ${target}.1 from ${target} --help"
    VERBATIM)
  add_custom_target(${target}_man ALL DEPENDS "${_dir}/${target}.1")
  install(FILES "${_dir}/${target}.1" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
endfunction()

# CMake functions for PLC programs and layouts.
#
#   plc_add_program(NAME SOURCES... [IMAGE target])
#       Build NAME.so, a PLC program plc-logic loads, from C sources that
#       include plc-image.h (the layout's generated header, from IMAGE:
#       plc_image, the project layout, unless given), plc-program.h and
#       plc-iec.h. It links libplc (for the function blocks) without a
#       run path: the process that loads it (plc-logic) has libplc.so.N
#       loaded already, and the same file works in the build tree and
#       installed. A call to a function libplc does not export (a typo, a
#       private one) fails the link (-z defs) rather than the load.
#
#   plc_add_st_program(NAME SOURCES... [LAYOUT file] [PROGRAM name])
#       Build NAME.so from Structured Text with plc-st build: against
#       LAYOUT (VAR_EXTERNAL and located variables become its tags) or,
#       without one, as a program no real layout accepts (for sim and tests).
#
#   plc_layout_image(TARGET LAYOUT [LOCK file])
#       An INTERFACE target whose include directory holds plc-image.h
#       generated from LAYOUT, after LAYOUT's lock file (LAYOUT with .lock,
#       unless given) is checked.

function(plc_layout_image target layout)
  cmake_parse_arguments(L "" "LOCK" "" ${ARGN})
  get_filename_component(_stem "${layout}" NAME_WE)
  get_filename_component(_dir "${layout}" DIRECTORY)
  if(NOT L_LOCK)
    set(L_LOCK "${_dir}/${_stem}.lock")
  endif()
  set(_gen "${CMAKE_BINARY_DIR}/generated/${target}")
  if(target STREQUAL "plc_image")
    set(_gen "${CMAKE_BINARY_DIR}/generated") # where the project has always had it
  endif()
  # A missing lock is reported by plc-layout itself, with what to run.
  set(_lock_dep "")
  if(EXISTS "${L_LOCK}")
    set(_lock_dep "${L_LOCK}")
  endif()
  add_custom_command(
    OUTPUT "${_gen}/plc-image.h"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${_gen}"
    COMMAND plc-layout header "${layout}" "${L_LOCK}" "${_gen}/plc-image.h"
    DEPENDS plc-layout "${layout}" ${_lock_dep}
    COMMENT "Generating plc-image.h from ${layout}")
  add_custom_target(${target}_header ALL DEPENDS "${_gen}/plc-image.h")
  add_library(${target} INTERFACE)
  target_include_directories(${target} INTERFACE "${_gen}")
  add_dependencies(${target} ${target}_header)
endfunction()

function(plc_add_program name)
  cmake_parse_arguments(P "" "IMAGE" "SOURCES" ${ARGN})
  set(_src ${P_SOURCES} ${P_UNPARSED_ARGUMENTS})
  if(NOT P_IMAGE)
    set(P_IMAGE plc_image)
  endif()
  add_library(${name} MODULE ${_src})
  target_link_libraries(${name} PRIVATE ${P_IMAGE} plc)
  target_link_options(${name} PRIVATE LINKER:-z,defs)
  set_target_properties(${name} PROPERTIES PREFIX "" C_VISIBILITY_PRESET hidden
                                           SKIP_BUILD_RPATH ON)
endfunction()

function(plc_add_st_program name)
  cmake_parse_arguments(P "" "LAYOUT;PROGRAM" "SOURCES" ${ARGN})
  set(_src ${P_SOURCES} ${P_UNPARSED_ARGUMENTS})
  set(_abs "")
  foreach(s ${_src})
    get_filename_component(_a "${s}" ABSOLUTE)
    list(APPEND _abs "${_a}")
  endforeach()
  set(_opts "")
  set(_deps ${_abs})
  if(P_LAYOUT)
    get_filename_component(_l "${P_LAYOUT}" ABSOLUTE)
    list(APPEND _opts --layout "${_l}")
    list(APPEND _deps "${_l}")
  endif()
  if(P_PROGRAM)
    list(APPEND _opts --program "${P_PROGRAM}")
  endif()
  set(_so "${CMAKE_CURRENT_BINARY_DIR}/${name}.so")
  add_custom_command(
    OUTPUT "${_so}"
    COMMAND plc-st build ${_abs} ${_opts} -o "${_so}"
    DEPENDS plc-st plc ${_deps}
    COMMENT "Compiling Structured Text ${name}.so"
    VERBATIM)
  add_custom_target(${name} ALL DEPENDS "${_so}")
endfunction()

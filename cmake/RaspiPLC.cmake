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

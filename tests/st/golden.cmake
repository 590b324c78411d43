# The golden cases of plc-st (run-golden.sh): one ctest per case, named
# st-golden-NAME, st-errors-NAME, st-examples-NAME and st-xml-NAME. Registered only once
# the compiler's target exists, so the tree builds and tests without it.
# A new case file is picked up at the next build (CONFIGURE_DEPENDS).
if(TARGET plc-st)
  file(GLOB _st_golden CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/golden/*.st")
  file(GLOB _st_errors CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/errors/*.st")
  file(GLOB _st_examples CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/examples/*.jsonl")
  file(GLOB _st_xml CONFIGURE_DEPENDS "${CMAKE_CURRENT_LIST_DIR}/xml/*.xml")
  # A cross build runs plc-st under its emulator.
  set(_st_run "")
  if(CMAKE_CROSSCOMPILING_EMULATOR)
    string(REPLACE ";" " " _st_run "${CMAKE_CROSSCOMPILING_EMULATOR}")
  endif()
  foreach(_st_case IN LISTS _st_golden _st_errors _st_examples _st_xml)
    get_filename_component(_st_name "${_st_case}" NAME_WE)
    get_filename_component(_st_dir "${_st_case}" DIRECTORY)
    get_filename_component(_st_kind "${_st_dir}" NAME)
    add_test(NAME st-${_st_kind}-${_st_name}
             COMMAND bash "${CMAKE_CURRENT_LIST_DIR}/run-golden.sh" $<TARGET_FILE:plc-st> "${_st_case}")
    set_tests_properties(st-${_st_kind}-${_st_name} PROPERTIES
                         TIMEOUT 120 ENVIRONMENT "PLC_ST_RUN=${_st_run}")
  endforeach()
endif()

# The differential test (diff-fold.py): the constant folder against the
# generated C on random expressions of every type, with fixed seeds so a
# failure reproduces. About 1 s a round natively.
if(TARGET plc-st)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  # 10 rounds in the plain build; 3 on the Pi's CPUs under qemu and under the
  # sanitizers, where each round costs several times as much.
  set(_st_rounds 10)
  if(CMAKE_CROSSCOMPILING_EMULATOR OR PLC_SANITIZE)
    set(_st_rounds 3)
  endif()
  add_test(NAME st-diff-fold
           COMMAND ${Python3_EXECUTABLE} "${CMAKE_CURRENT_LIST_DIR}/diff-fold.py"
                   $<TARGET_FILE:plc-st> --seed 1 --rounds ${_st_rounds})
  set_tests_properties(st-diff-fold PROPERTIES TIMEOUT 600)
endif()

# A big program built as several C files at once runs as its one-file build.
if(TARGET plc-st)
  add_test(NAME st-split COMMAND bash "${CMAKE_CURRENT_LIST_DIR}/split.sh" $<TARGET_FILE:plc-st>
                                      "${PROJECT_SOURCE_DIR}")
  set_tests_properties(st-split PROPERTIES TIMEOUT 600)
endif()

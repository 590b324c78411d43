# plc-st sim's runner against a hand-written program object (sim-fixture.c):
# the JSON contract of issue 21 without the compiler. Included from
# tests/st/CMakeLists.txt.
foreach(_fixture st-sim-fixture st-sim-fixture2 st-sim-fixture-tasks)
  add_library(${_fixture} MODULE ${CMAKE_CURRENT_LIST_DIR}/sim-fixture.c)
  # as plc_add_program() does, but with no layout
  target_link_libraries(${_fixture} PRIVATE plc)
  target_link_options(${_fixture} PRIVATE LINKER:-z,defs)
  set_target_properties(${_fixture} PROPERTIES PREFIX "" C_VISIBILITY_PRESET hidden
                                               SKIP_BUILD_RPATH ON)
endforeach()
target_compile_definitions(st-sim-fixture2 PRIVATE FIXTURE_TWO)
target_compile_definitions(st-sim-fixture-tasks PRIVATE FIXTURE_TWO FIXTURE_TASKS)

add_executable(st-sim-run ${CMAKE_CURRENT_LIST_DIR}/st-sim-run.c)
target_link_libraries(st-sim-run PRIVATE plc_st_sim)

plc_add_test(test-sim SOURCES ${CMAKE_CURRENT_LIST_DIR}/test-sim.c LIBS plc_st_sim)
target_compile_definitions(test-sim PRIVATE
  SIM_FIXTURE="$<TARGET_FILE:st-sim-fixture>"
  SIM_FIXTURE2="$<TARGET_FILE:st-sim-fixture2>"
  SIM_FIXTURE_TASKS="$<TARGET_FILE:st-sim-fixture-tasks>")
add_dependencies(test-sim st-sim-fixture st-sim-fixture2 st-sim-fixture-tasks)

# The driver as a tool would run it: one scan, one watched variable.
add_test(NAME st-sim-run COMMAND st-sim-run $<TARGET_FILE:st-sim-fixture> --watch count)
set_tests_properties(st-sim-run PROPERTIES
  PASS_REGULAR_EXPRESSION "^{\"scan\":0,\"now_ns\":0,\"vars\":{\"count\":1}}\n$")

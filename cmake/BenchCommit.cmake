# cmake -DSRC=DIR -DOUT=FILE -P BenchCommit.cmake
# Writes OUT, a header defining PLC_BENCH_COMMIT as `git describe` of SRC
# ("unknown" outside a git checkout), and rewrites it only when that changed,
# so a benchmark names the commit it was built from without rebuilding every time.
execute_process(COMMAND git -C "${SRC}" describe --always --dirty --abbrev=7
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
endif()
set(text "#define PLC_BENCH_COMMIT \"${commit}\"\n")
set(old "")
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${OUT}" "${text}")
endif()

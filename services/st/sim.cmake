# plc_st_sim: the runner of `plc-st sim` (sim.c) and the value text both ways
# (st-value.c), which plc-st links. Included from services/st/CMakeLists.txt.
add_library(plc_st_sim STATIC ${CMAKE_CURRENT_LIST_DIR}/sim.c ${CMAKE_CURRENT_LIST_DIR}/st-value.c)
target_include_directories(plc_st_sim PUBLIC ${CMAKE_CURRENT_LIST_DIR})
# libplc PUBLIC: the program objects sim loads link it without a run path.
target_link_libraries(plc_st_sim PUBLIC plc PkgConfig::JSONC ${CMAKE_DL_LIBS} PRIVATE m)

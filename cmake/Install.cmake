# Install rules (cmake --install; scripts/install.sh wraps it and makes the
# users). Included last from the top-level CMakeLists.txt, so every target,
# including plc-io and plc-modbus when they are built, is known.
include(GNUInstallDirs)

set(PLC_CONFDIR "/etc/raspiplc" CACHE PATH "Where the layout and the program live")
set(PLC_UNITDIR "${CMAKE_INSTALL_PREFIX}/lib/systemd/system" CACHE PATH
    "Where the systemd units go (systemd also reads /usr/local/lib/systemd/system)")
set(PLC_SYSUSERSDIR "${CMAKE_INSTALL_PREFIX}/lib/sysusers.d" CACHE PATH
    "Where the sysusers.d file goes")
set(PLC_BINDIR "${CMAKE_INSTALL_FULL_BINDIR}")
set(PLC_DOCDIR "${CMAKE_INSTALL_FULL_DOCDIR}")

set(_plc_programs plc-shm-init plcctl plc-logic plc-retain plc-supervise plc-layout plc-st
                   plc-web)
foreach(t plc-io plc-io-sim plc-modbus plc-mqtt)
  if(TARGET ${t})
    list(APPEND _plc_programs ${t})
  endif()
endforeach()
install(TARGETS ${_plc_programs} RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# libplc.so.N (and libplc.so.VERSION) in the standard library directory, as a
# Debian package puts it: PREFIX/lib for /usr/local (listed in Debian's
# /etc/ld.so.conf.d/libc.conf), lib/<multiarch> for /usr. The installed
# binaries carry no run path (CMAKE_INSTALL_RPATH stays empty; cmake --install
# strips the build tree's): the dynamic linker finds the library through
# ld.so.cache, which scripts/install.sh refreshes with ldconfig.
install(TARGETS plc LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

# What a PLC program is built against, outside this tree (docs/programs.md):
# the link-time name libplc.so (above), the public headers in
# include/raspiplc and raspiplc.pc saying where both are. The layout's
# header comes from plc-layout. In Debian's packages: raspiplc-dev.
install(DIRECTORY ${CMAKE_SOURCE_DIR}/runtime/include/ ${CMAKE_SOURCE_DIR}/layout/include/
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/raspiplc FILES_MATCHING PATTERN "*.h")
foreach(_d LIBDIR INCLUDEDIR)
  # Relative to ${prefix} where it can be, so PKG_CONFIG_SYSROOT_DIR applies.
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${_d}}")
    set(PLC_PC_${_d} "${CMAKE_INSTALL_${_d}}")
  else()
    set(PLC_PC_${_d} "\${prefix}/${CMAKE_INSTALL_${_d}}")
  endif()
endforeach()
configure_file(${CMAKE_SOURCE_DIR}/runtime/raspiplc.pc.in ${CMAKE_BINARY_DIR}/raspiplc.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/raspiplc.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# plc_internal holds libplc's hidden functions for tests: an installed program
# that linked it would carry a second, private copy of libplc; one built on
# plc_internal_headers would depend on a format no ABI promise covers.
function(_plc_refuse_internal target top)
  get_target_property(_libs ${target} LINK_LIBRARIES)
  foreach(_l ${_libs})
    if(_l MATCHES "^plc_internal")
      message(FATAL_ERROR "${top} is installed but links ${_l} (tests only): link plc")
    elseif(TARGET ${_l})
      get_target_property(_type ${_l} TYPE)
      if(_type STREQUAL "STATIC_LIBRARY" OR _type STREQUAL "OBJECT_LIBRARY")
        _plc_refuse_internal(${_l} ${top})
      endif()
    endif()
  endforeach()
endfunction()
foreach(t ${_plc_programs} motor tank)
  _plc_refuse_internal(${t} ${t})
endforeach()

# Units: ExecStart= paths from this prefix.
set(PLC_UNITS plc-shm-init.service plc-io.service plc-logic.service plc-modbus.service
              plc-retain.service plc-web.service plc-mqtt.service)
foreach(u ${PLC_UNITS})
  configure_file(${CMAKE_SOURCE_DIR}/systemd/${u}.in ${CMAKE_BINARY_DIR}/systemd/${u} @ONLY)
  install(FILES ${CMAKE_BINARY_DIR}/systemd/${u} DESTINATION ${PLC_UNITDIR})
endforeach()
configure_file(${CMAKE_SOURCE_DIR}/systemd/raspiplc.target ${CMAKE_BINARY_DIR}/systemd/raspiplc.target
               COPYONLY)
install(FILES ${CMAKE_BINARY_DIR}/systemd/raspiplc.target DESTINATION ${PLC_UNITDIR})
# The users and groups the units run as, for systemd-sysusers (install.sh and
# the package's postinst run it; systemd runs it at boot).
file(STRINGS ${CMAKE_SOURCE_DIR}/systemd/raspiplc.sysusers _plc_group REGEX "^g ${PLC_GROUP} ")
if(NOT _plc_group)
  message(FATAL_ERROR "PLC_GROUP '${PLC_GROUP}' is not a group of systemd/raspiplc.sysusers")
endif()
install(FILES ${CMAKE_SOURCE_DIR}/systemd/raspiplc.sysusers DESTINATION ${PLC_SYSUSERSDIR}
        RENAME raspiplc.conf)

# Examples and the layout they were built for: the sources in share/, the
# built programs, which are machine code, in the library directory.
set(_plc_share ${CMAKE_INSTALL_DATADIR}/raspiplc)
install(FILES ${CMAKE_SOURCE_DIR}/layout/demo.ini ${CMAKE_SOURCE_DIR}/layout/demo.lock
              ${CMAKE_SOURCE_DIR}/layout/openplc-pi.ini ${CMAKE_SOURCE_DIR}/layout/openplc-pi.lock
        DESTINATION ${_plc_share}/layouts)
install(FILES ${CMAKE_SOURCE_DIR}/examples/motor.c ${CMAKE_SOURCE_DIR}/examples/tank.c
        DESTINATION ${_plc_share}/examples)
install(FILES $<TARGET_FILE:motor> $<TARGET_FILE:tank>
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/raspiplc/examples)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${CMAKE_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR} FILES_MATCHING
        PATTERN "*.md")

# The default layout, its lock (plc-layout header needs it to build a program
# for it) and program: the demo and example (a), only where the user has none
# yet, so a reinstall never overwrites the user's own.
install(CODE "
  set(_conf \"\$ENV{DESTDIR}${PLC_CONFDIR}\")
  file(MAKE_DIRECTORY \"\${_conf}\")
  foreach(_pair \"${CMAKE_SOURCE_DIR}/layout/demo.ini|layout.ini\"
                \"${CMAKE_SOURCE_DIR}/layout/demo.lock|layout.lock\"
                \"$<TARGET_FILE:motor>|program.so\")
    string(REPLACE \"|\" \";\" _p \"\${_pair}\")
    list(GET _p 0 _from)
    list(GET _p 1 _to)
    if(EXISTS \"\${_conf}/\${_to}\")
      message(STATUS \"Kept: \${_conf}/\${_to} (yours)\")
    else()
      file(COPY_FILE \"\${_from}\" \"\${_conf}/\${_to}\")
      message(STATUS \"Installing: \${_conf}/\${_to}\")
    endif()
  endforeach()
")

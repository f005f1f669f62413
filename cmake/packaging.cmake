# `make package` / cpack -G DEB: the Debian package of OpDesk (issue #12).
#
# Contents: /usr/bin/opdesk, the built web UI in /usr/share/opdesk/web (where the binary looks
# first, relative to itself: ../share/opdesk/web), the systemd unit, /etc/opdesk/opdesk.toml
# (a conffile generated from opdesk.example.toml with the packaged paths) and the maintainer
# scripts in packaging/debian. Runtime dependencies come from dpkg-shlibdeps (plus adduser for
# postinst). The web UI must be built first (make package does; cpack fails with a clear
# message otherwise).
set(OPDESK_WEB_DIST "${CMAKE_SOURCE_DIR}/web/dist" CACHE PATH "Built web UI to package")

install(TARGETS opdesk RUNTIME DESTINATION bin)
install(CODE "
  if(NOT EXISTS \"${OPDESK_WEB_DIST}/index.html\")
    message(FATAL_ERROR \"web UI not built: ${OPDESK_WEB_DIST}/index.html is missing (run: cd web && npm run build)\")
  endif()")
install(DIRECTORY "${OPDESK_WEB_DIST}/" DESTINATION share/opdesk/web OPTIONAL)
install(FILES "${CMAKE_SOURCE_DIR}/packaging/opdesk.service" DESTINATION /lib/systemd/system)
install(FILES "${CMAKE_SOURCE_DIR}/README.md" DESTINATION share/doc/opdesk)

# The packaged configuration: the example with the service's paths, so it never drifts.
file(READ "${CMAKE_SOURCE_DIR}/opdesk.example.toml" _opdesk_conf)
string(REGEX REPLACE "\ndata_dir = \"[^\"]*\"" "\ndata_dir = \"/var/lib/opdesk\"" _opdesk_conf "${_opdesk_conf}")
string(REGEX REPLACE "^# OpDesk configuration[^\n]*" "# OpDesk configuration for the opdesk service (/etc/opdesk/opdesk.toml; `opdesk setup` fills it in)." _opdesk_conf "${_opdesk_conf}")
file(WRITE "${CMAKE_BINARY_DIR}/packaging/opdesk.toml" "${_opdesk_conf}")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${CMAKE_SOURCE_DIR}/opdesk.example.toml")
install(FILES "${CMAKE_BINARY_DIR}/packaging/opdesk.toml" DESTINATION /etc/opdesk
        PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ)

set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "opdesk")
set(CPACK_PACKAGE_VENDOR "OpDesk")
set(CPACK_PACKAGE_CONTACT "OpDesk maintainers <opdesk@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Real-time operator panel for Asterisk, FreePBX and Issabel")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "comm")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser, procps")  # postinst; ExecReload=/bin/kill
# Suggests only: FreePBX/Issabel build Asterisk from source, Debian's asterisk must not be pulled in.
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "asterisk")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    "${CMAKE_SOURCE_DIR}/packaging/debian/conffiles;${CMAKE_SOURCE_DIR}/packaging/debian/postinst;${CMAKE_SOURCE_DIR}/packaging/debian/prerm;${CMAKE_SOURCE_DIR}/packaging/debian/postrm")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
# Tests and benchmarks have no install rules: the package holds only what is installed above.
include(CPack)

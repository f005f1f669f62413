# Third-party dependencies, all from Debian 12 packages (see scripts/install-deps).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(Boost 1.81 CONFIG REQUIRED COMPONENTS headers url)
find_package(OpenSSL REQUIRED)
find_package(nlohmann_json CONFIG REQUIRED)
find_package(spdlog CONFIG REQUIRED)
find_package(fmt CONFIG REQUIRED)
find_package(CLI11 CONFIG REQUIRED)
find_package(tomlplusplus CONFIG REQUIRED)
find_package(CURL REQUIRED)
find_package(SQLite3 REQUIRED)
find_package(prometheus-cpp CONFIG REQUIRED)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
pkg_check_modules(MARIADB REQUIRED IMPORTED_TARGET libmariadb)
pkg_check_modules(LIBCRYPT REQUIRED IMPORTED_TARGET libcrypt)

# cpp-jwt ships a CMake config in Debian 12; fall back to its header if the config is absent.
find_package(cpp-jwt CONFIG QUIET)
if(NOT TARGET cpp-jwt::cpp-jwt)
  find_path(CPPJWT_INCLUDE_DIR jwt/jwt.hpp REQUIRED)
  add_library(cpp-jwt::cpp-jwt INTERFACE IMPORTED)
  target_include_directories(cpp-jwt::cpp-jwt INTERFACE ${CPPJWT_INCLUDE_DIR})
endif()

# SOCI has no CMake config or .pc file in Debian: find it by hand (backends linked explicitly).
find_path(SOCI_INCLUDE_DIR soci/soci.h REQUIRED)
foreach(c core sqlite3 mysql)
  find_library(SOCI_${c}_LIB soci_${c} REQUIRED)
endforeach()
add_library(soci INTERFACE)
target_include_directories(soci INTERFACE ${SOCI_INCLUDE_DIR})
target_link_libraries(soci INTERFACE ${SOCI_core_LIB} ${SOCI_sqlite3_LIB} ${SOCI_mysql_LIB}
  PkgConfig::MARIADB SQLite::SQLite3)

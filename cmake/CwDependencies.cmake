# SPDX-License-Identifier: Apache-2.0
# Every third-party dependency comes from a Debian 12 package (scripts/setup-deps).
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(fmt REQUIRED)
find_package(RapidJSON QUIET) # header-only; found in the default include path
find_package(Boost 1.74 REQUIRED COMPONENTS program_options filesystem)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)
pkg_check_modules(MAXMINDDB REQUIRED IMPORTED_TARGET libmaxminddb)
pkg_check_modules(LIBPQ REQUIRED IMPORTED_TARGET libpq)          # PostgreSQL store
pkg_check_modules(LIBXCRYPT REQUIRED IMPORTED_TARGET libxcrypt)  # bcrypt machine passwords
pkg_check_modules(HTTPLIB REQUIRED IMPORTED_TARGET cpp-httplib)  # the LAPI server (OpenSSL, zlib)
find_package(SQLite3 REQUIRED)
find_package(OpenSSL REQUIRED)   # libcrypto: sha256 of hub items (scenario_hash)
find_package(CURL REQUIRED)      # libcurl: the LAPI client (apiclient)

// SPDX-License-Identifier: Apache-2.0
#include "cw/core/common/ip.h"

#include <arpa/inet.h>

#include <array>
#include <catch2/catch.hpp>
#include <string>

using namespace std::string_literals;

TEST_CASE("inetPton takes the whole text as the address", "[common][ip]") {
  std::array<unsigned char, 16> b{};
  CHECK(cw::core::inetPton(AF_INET, "192.0.2.7", b.data()));
  CHECK(b[0] == 192);
  CHECK(b[3] == 7);
  CHECK(cw::core::inetPton(AF_INET6, "2001:db8::1", b.data()));
  CHECK(b[1] == 0x01);
  CHECK(b[15] == 0x01);
  // A NUL inside: inet_pton on c_str() would read 192.0.2.7 and accept it.
  CHECK_FALSE(cw::core::inetPton(AF_INET, "192.0.2.7\0x"s, b.data()));
  CHECK_FALSE(cw::core::inetPton(AF_INET6, "2001:db8::1\0"s, b.data()));
  CHECK_FALSE(cw::core::inetPton(AF_INET, "", b.data()));
  CHECK_FALSE(cw::core::inetPton(AF_INET, std::string(64, '1'), b.data()));
  CHECK_FALSE(cw::core::inetPton(AF_INET, "192.0.2.7 ", b.data()));
  CHECK_FALSE(cw::core::inetPton(AF_INET6, "192.0.2.7", b.data()));
}

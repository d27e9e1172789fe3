// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include "cw/core/common/dns.h"

namespace dns = cw::core::dns;

TEST_CASE("forward lookups answer from the system resolver and /etc/hosts", "[dns]") {
  const std::vector<std::string> addrs = dns::forward("localhost");
  REQUIRE_FALSE(addrs.empty());
  CHECK(std::find(addrs.begin(), addrs.end(), "127.0.0.1") != addrs.end());
  // Cached: the same answer again, in the same order.
  CHECK(dns::forward("localhost") == addrs);
}

TEST_CASE("reverse lookups of loopback and of garbage", "[dns]") {
  CHECK(dns::reverse("127.0.0.1") == "localhost");
  CHECK(dns::reverse("not an ip") == "");
  CHECK(dns::reverse("") == "");
}

TEST_CASE("names that do not resolve give nothing", "[dns]") {
  CHECK(dns::forward("no-such-host.invalid").empty());
}

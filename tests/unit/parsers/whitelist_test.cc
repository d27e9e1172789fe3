// SPDX-License-Identifier: Apache-2.0
// Whitelists by ip, cidr and expression on LOG and OVFLW events (parsers.md section 7).
#include <catch2/catch.hpp>

#include "../../../core/src/parsers/ip_match.h"
#include "parsers_test_util.h"

namespace cw::core::parsers::testing {

namespace {

const char* kWhitelist = R"(
name: test/whitelist
whitelist:
  reason: trusted hosts
  ip:
    - 192.0.2.7
    - 2001:db8::7
  cidr:
    - 10.0.0.0/8
    - 198.51.100.128/25
    - 203.0.113.9/32
    - 2001:db8:100::/40
    - fe80::1/128
  expression:
    - evt.Meta.user == 'backup'
statics:
  - meta: wl_static
    value: applied
)";

event::Event withIp(const std::string& ip) {
  auto e = logEvent("x");
  e.meta.set("source_ip", ip);
  return e;
}

} // namespace

TEST_CASE("whitelist by ip and cidr, IPv4 and IPv6 boundaries", "[parsers][whitelist]") {
  Fixture f;
  auto p = f.loadOne("s02-enrich", kWhitelist);

  struct Case {
    const char* ip;
    bool listed;
  };
  const Case cases[] = {
      {"192.0.2.7", true},
      {"192.0.2.8", false},
      {"::ffff:192.0.2.7", true},  // IPv4-mapped spelling of a listed IPv4
      {"10.0.0.0", true},
      {"10.255.255.255", true},
      {"9.255.255.255", false},
      {"11.0.0.0", false},
      {"198.51.100.127", false},
      {"198.51.100.128", true},
      {"198.51.100.255", true},
      {"203.0.113.9", true},
      {"203.0.113.8", false},
      {"203.0.113.10", false},
      {"2001:db8::7", true},
      {"2001:db8::8", false},
      {"2001:db8:100::", true},
      {"2001:db8:1ff:ffff:ffff:ffff:ffff:ffff", true},
      {"2001:db8:200::", false},
      {"2001:db8:ff:ffff:ffff:ffff:ffff:ffff", false},
      {"fe80::1", true},
      {"fe80::2", false},
      {"not-an-ip", false},
      {"", false},
  };
  for (const auto& c : cases) {
    INFO("source_ip=" << c.ip);
    auto e = withIp(c.ip);
    // Whitelisting never changes node success.
    REQUIRE(p.process(e));
    CHECK(e.whitelisted == c.listed);
    CHECK(e.whitelist_reason == (c.listed ? "trusted hosts" : ""));
    CHECK(e.meta.contains("wl_static") == c.listed);
  }
  CHECK(p.stats().whitelisted == 11);
}

TEST_CASE("whitelist by expression, with its reason", "[parsers][whitelist]") {
  Fixture f;
  auto p = f.loadOne("s02-enrich", kWhitelist);
  auto e = withIp("8.8.8.8");
  e.meta.set("user", "backup");
  REQUIRE(p.process(e));
  CHECK(e.whitelisted);
  CHECK(e.whitelist_reason == "trusted hosts");
  CHECK(e.meta.get("wl_static") == "applied");

  auto other = withIp("8.8.8.8");
  other.meta.set("user", "root");
  REQUIRE(p.process(other));
  CHECK_FALSE(other.whitelisted);
  CHECK_FALSE(other.meta.contains("wl_static"));
}

TEST_CASE("the first matching whitelist gives the reason", "[parsers][whitelist]") {
  Fixture f;
  auto p = f.loadOne("s02-enrich", R"(
name: test/first
whitelist:
  reason: first reason
  ip: ["192.0.2.1"]
---
name: test/second
whitelist:
  reason: second reason
  cidr: ["192.0.2.0/24"]
statics:
  - meta: second_static
    value: "yes"
)");
  auto e = withIp("192.0.2.1");
  REQUIRE(p.process(e));
  CHECK(e.whitelist_reason == "first reason");
  // The second node whitelisted the event too, so its statics run.
  CHECK(e.meta.get("second_static") == "yes");
}

TEST_CASE("a whitelist expression runtime error does not whitelist", "[parsers][whitelist]") {
  Fixture f;
  auto p = f.loadOne("s02-enrich", R"(
name: test/wl-error
whitelist:
  reason: r
  expression:
    - evt.Unmarshaled.nope.deeper == 'x'
    - evt.Meta.user == 'ok'
)");
  auto e = withIp("1.1.1.1");
  REQUIRE(p.process(e));
  CHECK_FALSE(e.whitelisted);
  CHECK(p.stats().expression_errors == 1);

  auto ok = withIp("1.1.1.1");
  ok.meta.set("user", "ok");
  REQUIRE(p.process(ok));
  CHECK(ok.whitelisted);
}

TEST_CASE("overflow events are whitelisted by any of their source keys",
          "[parsers][whitelist]") {
  Fixture f;
  auto p = f.loadOne("s01-whitelist", R"(
name: test/po-wl
whitelist:
  reason: our range
  cidr: ["10.1.0.0/16"]
)");
  event::Event e;
  e.type = event::EventType::Overflow;
  e.overflow.sources["192.0.2.1"] = event::Source{};
  e.overflow.sources["10.1.2.3"] = event::Source{};
  p.process(e);
  CHECK(e.whitelisted);
  CHECK(e.overflow.whitelisted);
  CHECK(e.whitelist_reason == "our range");

  event::Event other;
  other.type = event::EventType::Overflow;
  other.overflow.sources["192.0.2.1"] = event::Source{};
  // Meta.source_ip is not a source for overflows.
  other.meta.set("source_ip", "10.1.2.3");
  p.process(other);
  CHECK_FALSE(other.whitelisted);
  CHECK_FALSE(other.overflow.whitelisted);
}

TEST_CASE("ip parsing and prefix matching", "[parsers][whitelist]") {
  using namespace detail;
  IpAddr a;
  REQUIRE(parseIp("1.2.3.4", a));
  CHECK_FALSE(a.v6);
  CHECK(a.bytes[0] == 1);
  CHECK(a.bytes[3] == 4);
  CHECK_FALSE(parseIp("1.2.3", a));
  CHECK_FALSE(parseIp("01.2.3.4", a));
  CHECK_FALSE(parseIp("[::1]", a));
  REQUIRE(parseIp("::1", a));
  CHECK(a.v6);
  CHECK(a.bytes[15] == 1);

  Cidr c;
  REQUIRE(parseCidr("10.20.30.40/12", c));
  CHECK(c.bits == 12);
  CHECK(c.network.bytes[0] == 10);
  CHECK(c.network.bytes[1] == 16);  // 20 & 0xf0
  CHECK(c.network.bytes[2] == 0);
  REQUIRE(parseCidr("0.0.0.0/0", c));
  REQUIRE(parseIp("255.1.2.3", a));
  CHECK(cidrContains(c, a));
  REQUIRE(parseIp("::2", a));
  CHECK_FALSE(cidrContains(c, a));  // families never mix
  REQUIRE(parseCidr("::ffff:10.0.0.0/104", c));
  CHECK_FALSE(c.network.v6);
  CHECK(c.bits == 8);
  CHECK_FALSE(parseCidr("::ffff:10.0.0.0/64", c));
  CHECK_FALSE(parseCidr("10.0.0.0/-1", c));
  CHECK_FALSE(parseCidr("10.0.0.0/8x", c));
}

} // namespace cw::core::parsers::testing

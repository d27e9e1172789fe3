// SPDX-License-Identifier: Apache-2.0
// Query parsing, address ranges and secrets: the parts of the store that need no database.
#include <catch2/catch.hpp>

#include "cw/core/store/passwords.h"
#include "cw/core/store/store.h"

using namespace cw::core;
using namespace cw::core::store;

namespace {

const TimePoint kNow = TimePoint::fromUnixNanos(1'800'000'000LL * kSecond);

std::string hex(const std::array<std::uint8_t, 16>& a) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (auto b : a) {
    s += kHex[b >> 4];
    s += kHex[b & 0xf];
  }
  return s;
}

}  // namespace

TEST_CASE("IpRange parses addresses and CIDR ranges into 16-byte intervals", "[store]") {
  auto a = IpRange::parse("192.0.2.1");
  REQUIRE(a.ok());
  CHECK(a->size == 4);
  CHECK(hex(a->start) == "000000000000000000000000c0000201");
  CHECK(a->end == a->start);

  auto r = IpRange::parse("198.51.100.77/24");
  REQUIRE(r.ok());
  CHECK(r->size == 4);
  CHECK(hex(r->start) == "000000000000000000000000c6336400");
  CHECK(hex(r->end) == "000000000000000000000000c63364ff");

  auto all4 = IpRange::parse("0.0.0.0/0");
  REQUIRE(all4.ok());
  CHECK(hex(all4->end) == "000000000000000000000000ffffffff");

  auto v6 = IpRange::parse("2001:db8::/32");
  REQUIRE(v6.ok());
  CHECK(v6->size == 16);
  CHECK(hex(v6->start) == "20010db8000000000000000000000000");
  CHECK(hex(v6->end) == "20010db8ffffffffffffffffffffffff");

  auto mapped = IpRange::parse("::ffff:192.0.2.1");
  REQUIRE(mapped.ok());
  CHECK(mapped->size == 4);
  CHECK(*mapped == *a);

  CHECK(r->contains(*a) == false);
  CHECK(r->contains(*IpRange::parse("198.51.100.3")) == true);
  CHECK(v6->contains(*IpRange::parse("2001:db8:1::/48")) == true);
  CHECK(all4->contains(*IpRange::parse("::1")) == false);  // other family

  CHECK(IpRange::parse("999.1.1.1").error().message == "invalid address");
  CHECK(IpRange::parse("01.2.3.4").error().message == "invalid address");
  CHECK(IpRange::parse("").error().message == "invalid address");
  using namespace std::string_literals;
  CHECK(IpRange::parse("192.0.2.1\0junk"s).error().message == "invalid address");  // whole text
  CHECK(IpRange::parse("192.0.2.0\0/24"s).error().message ==
        "while parsing range 192.0.2.0\0/24: invalid CIDR address: 192.0.2.0\0/24"s);
  CHECK(IpRange::parse("1.2.3.0/33").error().message ==
        "while parsing range 1.2.3.0/33: invalid CIDR address: 1.2.3.0/33");
  CHECK(IpRange::parse("1.2.3.0/").error().message ==
        "while parsing range 1.2.3.0/: invalid CIDR address: 1.2.3.0/");
  CHECK(IpRange::parse("2001:db8::/129").error().message ==
        "while parsing range 2001:db8::/129: invalid CIDR address: 2001:db8::/129");
}

TEST_CASE("AlertFilter::fromQuery reads every key and answers the contract's errors", "[store]") {
  auto f = AlertFilter::fromQuery({{"scope", "ip"},
                                   {"value", "192.0.2.1"},
                                   {"scenario", "crowdsecurity/ssh-bf"},
                                   {"range", "192.0.2.0/24"},
                                   {"contains", "false"},
                                   {"since", "1h"},
                                   {"until", "30m"},
                                   {"created_before", "2d"},
                                   {"decision_type", "ban"},
                                   {"origin", "cscli"},
                                   {"include_capi", "false"},
                                   {"has_active_decision", "true"},
                                   {"kind", "cscli"},
                                   {"simulated", "false"},
                                   {"limit", "0"},
                                   {"sort", "ASC"},
                                   {"with_decisions", "false"}},
                                  kNow);
  REQUIRE(f.ok());
  CHECK(*f->scope == "Ip");
  CHECK(*f->value == "192.0.2.1");
  CHECK(*f->scenario == "crowdsecurity/ssh-bf");
  CHECK(f->ip_range->size == 4);
  CHECK(f->contains == false);
  CHECK(f->started_after->unix_nanos == kNow.unix_nanos - kHour);
  CHECK(f->started_before->unix_nanos == kNow.unix_nanos - 30 * kMinute);
  CHECK(f->created_before->unix_nanos == kNow.unix_nanos - 48 * kHour);
  CHECK(*f->decision_type == "ban");
  CHECK(*f->origin == "cscli");
  CHECK(f->include_capi == false);
  CHECK(*f->has_active_decision == true);
  CHECK(*f->kind == "cscli");
  CHECK(f->exclude_simulated == true);
  CHECK(f->limit == 0);
  CHECK(f->ascending == true);
  CHECK(f->with_decisions == false);

  auto d = AlertFilter::fromQuery({}, kNow);
  REQUIRE(d.ok());
  CHECK(d->limit == 100);
  CHECK(d->ascending == false);
  CHECK(d->include_capi == true);
  CHECK(d->contains == true);
  CHECK(!d->has_active_decision);

  auto error = [](QueryParams q) { return AlertFilter::fromQuery(q, kNow).error().message; };
  CHECK(error({{"foo", "bar"}}) == "filter parameter 'foo' is unknown (=bar): invalid filter");
  CHECK(error({{"ip", "999.1.1.1"}}) ==
        "unable to convert '999.1.1.1' to int: invalid address: invalid ip address / range");
  CHECK(error({{"range", "1.2.3.0/33"}}) ==
        "unable to convert '1.2.3.0/33' to int: while parsing range 1.2.3.0/33: invalid CIDR "
        "address: 1.2.3.0/33: invalid ip address / range");
  CHECK(error({{"since", "abc"}}) == "while parsing duration: time: invalid duration \"abc\"");
  // Go's three duration errors, as CrowdSec 1.4.6 answers them.
  CHECK(error({{"created_before", "4x"}}) ==
        "while parsing duration: time: unknown unit \"x\" in duration \"4x\"");
  CHECK(error({{"until", "1q"}}) ==
        "while parsing duration: time: unknown unit \"q\" in duration \"1q\"");
  CHECK(error({{"since", "10"}}) ==
        "while parsing duration: time: missing unit in duration \"10\"");
  CHECK(error({{"since", ""}}) == "while parsing duration: time: invalid duration \"\"");
  CHECK(error({{"since", "h"}}) == "while parsing duration: time: invalid duration \"h\"");
  CHECK(error({{"has_active_decision", "maybe"}}) ==
        "'maybe' is not a boolean: strconv.ParseBool: parsing \"maybe\": invalid syntax: "
        "unable to parse type");
  CHECK(error({{"contains", "yes"}}) ==
        "invalid contains value : strconv.ParseBool: parsing \"yes\": invalid syntax: invalid "
        "filter");
  CHECK(error({{"limit", "ten"}}) == "bad limit in parameters: [ten]: unable to query");
  // A repeated key keeps its first value.
  auto rep = AlertFilter::fromQuery({{"value", "a"}, {"value", "b"}}, kNow);
  CHECK(*rep->value == "a");
}

TEST_CASE("DecisionFilter and StreamQuery parse the decision routes' queries", "[store]") {
  auto g = DecisionFilter::fromQuery({{"scopes", "ip,RANGE,as,country,Custom"},
                                      {"origins", "crowdsec,cscli"},
                                      {"scenarios_containing", "ssh,http"},
                                      {"scenarios_not_containing", "probe"},
                                      {"ip", "2001:db8::1"},
                                      {"type", "ban"},
                                      {"value", "x"},
                                      {"simulated", "true"},
                                      {"limit", "5"},
                                      {"offset", "2"},
                                      {"whatever", "ignored"}});
  REQUIRE(g.ok());
  CHECK(g->scopes == std::vector<std::string>{"Ip", "Range", "AS", "Country", "Custom"});
  CHECK(g->origins == std::vector<std::string>{"crowdsec", "cscli"});
  CHECK(g->scenarios_containing == std::vector<std::string>{"ssh", "http"});
  CHECK(g->scenarios_not_containing == std::vector<std::string>{"probe"});
  CHECK(g->ip_range->size == 16);
  CHECK(*g->type == "ban");
  CHECK(*g->value == "x");
  CHECK(g->include_simulated == true);
  CHECK(g->limit == 5);
  CHECK(g->offset == 2);
  CHECK(DecisionFilter::fromQuery({{"scope", "ip"}})->scopes == std::vector<std::string>{"Ip"});
  auto ignored = DecisionFilter::fromQuery({{"limit", "x"}, {"offset", "-1"}});
  REQUIRE(ignored.ok());
  CHECK(ignored->limit == 0);
  CHECK(ignored->offset == 0);
  CHECK(DecisionFilter::fromQuery({{"range", "10.0.0.0/8x"}}).error().message ==
        "unable to convert '10.0.0.0/8x' to int: while parsing range 10.0.0.0/8x: invalid CIDR "
        "address: 10.0.0.0/8x: invalid ip address / range");

  auto del = DecisionFilter::fromDeleteQuery({{"scopes", "ip"},
                                              {"origin", "cscli"},
                                              {"scenario", "s"},
                                              {"uuid", "u"},
                                              {"value", "v"},
                                              {"type", "t"},
                                              {"range", "10.0.0.0/8"},
                                              {"contains", "false"}});
  REQUIRE(del.ok());
  CHECK(del->scopes == std::vector<std::string>{"ip"});  // exact, not normalised
  CHECK(del->origins == std::vector<std::string>{"cscli"});
  CHECK(*del->scenario == "s");
  CHECK(*del->uuid == "u");
  CHECK(del->contains == false);
  CHECK(DecisionFilter::fromDeleteQuery({{"scope", "ip"}}).error().message ==
        "'scope' doesn't exist: invalid filter");
  CHECK(DecisionFilter::fromDeleteQuery({{"ip", "nope"}}).error().message ==
        "unable to convert 'nope' to int: invalid address: invalid ip address / range");

  auto s = StreamQuery::fromQuery({});
  REQUIRE(s.ok());
  CHECK(s->filter.scopes == std::vector<std::string>{"Ip", "Range"});
  CHECK(s->startup == false);
  CHECK(s->dedup == true);
  CHECK(s->since.isZero());
  auto s2 = StreamQuery::fromQuery({{"startup", "true"},
                                    {"dedup", "false"},
                                    {"scopes", "country"},
                                    {"origins", "CAPI"},
                                    {"scenarios_containing", "ssh"}});
  REQUIRE(s2.ok());
  CHECK(s2->startup == true);
  CHECK(s2->dedup == false);
  CHECK(s2->filter.scopes == std::vector<std::string>{"Country"});
  CHECK(s2->filter.origins == std::vector<std::string>{"CAPI"});
  CHECK(s2->filter.scenarios_containing == std::vector<std::string>{"ssh"});
}

TEST_CASE("normalizeScope maps the four known scopes case-insensitively", "[store]") {
  CHECK(normalizeScope("IP") == "Ip");
  CHECK(normalizeScope("range") == "Range");
  CHECK(normalizeScope("As") == "AS");
  CHECK(normalizeScope("COUNTRY") == "Country");
  CHECK(normalizeScope("username") == "username");
}

TEST_CASE("secrets: bcrypt passwords, SHA-512 API keys, random secrets", "[store]") {
  CHECK(hashApiKey("abc") ==
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c"
        "23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
  // A published bcrypt test vector (crypt_blowfish).
  CHECK(verifyPassword("U*U", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));
  CHECK(!verifyPassword("U*V", "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW"));

  auto h = hashPassword("s3cret-P@ss");
  REQUIRE(h.ok());
  CHECK(h->substr(0, 7) == "$2a$10$");
  CHECK(h->size() == 60);
  CHECK(verifyPassword("s3cret-P@ss", *h));
  CHECK(!verifyPassword("s3cret-P@sS", *h));
  CHECK(!verifyPassword("s3cret-P@ss", "not a hash"));
  CHECK(*hashPassword("s3cret-P@ss") != *h);  // salted
  CHECK(hashPassword(std::string(73, 'a')).error().message == "password longer than 72 bytes");

  const std::string k = generateSecret(32);
  CHECK(k.size() == 32);
  CHECK(std::all_of(k.begin(), k.end(), [](char c) { return std::isalnum(c) != 0; }));
  CHECK(generateSecret(32) != k);
  CHECK(generateSecret(7).size() == 7);
}

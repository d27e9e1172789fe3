// SPDX-License-Identifier: Apache-2.0
// Post-overflow parsers (parsers.md section 11) and the stash (section 8).
#include <catch2/catch.hpp>

#include "parsers_test_util.h"

namespace cw::core::parsers::testing {

namespace {

event::Event overflowFor(const std::string& ip) {
  event::Event e;
  e.type = event::EventType::Overflow;
  event::Source src;
  src.scope = "Ip";
  src.value = ip;
  src.ip = ip;
  e.overflow.sources[ip] = src;
  event::Alert alert;
  alert.scenario = "test/scenario";
  alert.remediation = true;
  alert.source = src;
  e.overflow.api_alerts.push_back(alert);
  return e;
}

} // namespace

TEST_CASE("post-overflow writes to Alert.Source show through Overflow.Sources",
          "[parsers][postoverflow]") {
  Fixture f;
  auto enrich = f.write("s00-enrich", "range.yaml", R"(
name: test/v6-range
onsuccess: next_stage
filter: IsIPV6(evt.Overflow.Alert.Source.IP)
statics:
  - target: evt.Overflow.Alert.Source.Value
    expression: IpToRange(evt.Overflow.Alert.Source.IP, "/64")
  - target: evt.Overflow.Alert.Source.Scope
    value: Range
)");
  auto wl = f.write("s01-whitelist", "seen.yaml", R"(
name: test/check-sources
whitelist:
  reason: range rewritten
  expression:
    - evt.Overflow.Sources["2001:db8:1:2::99"].GetValue() == "2001:db8:1:2::/64"
)");
  auto r = f.load({enrich, wl});
  REQUIRE(r.ok());
  auto& p = r.value();

  auto v6 = overflowFor("2001:db8:1:2::99");
  p.process(v6);
  const auto& alert_src = v6.overflow.alert()->source;
  CHECK(alert_src.value == "2001:db8:1:2::/64");
  CHECK(alert_src.scope == "Range");
  CHECK(alert_src.ip == "2001:db8:1:2::99");  // .IP keeps the original address
  const auto& map_src = v6.overflow.sources.at("2001:db8:1:2::99");
  CHECK(map_src.value == "2001:db8:1:2::/64");
  CHECK(map_src.scope == "Range");
  CHECK(map_src.ip == "2001:db8:1:2::99");
  CHECK(v6.whitelisted);
  CHECK(v6.overflow.whitelisted);
  CHECK(v6.whitelist_reason == "range rewritten");

  auto v4 = overflowFor("192.0.2.1");
  p.process(v4);
  CHECK(v4.overflow.alert()->source.value == "192.0.2.1");
  CHECK(v4.overflow.alert()->source.scope == "Ip");
  CHECK_FALSE(v4.overflow.whitelisted);
}

TEST_CASE("alert targets on an event without an alert are counted, not fatal",
          "[parsers][postoverflow]") {
  Fixture f;
  auto p = f.loadOne("s00-enrich", R"(
name: test/no-alert
statics:
  - target: evt.Overflow.Alert.Source.Value
    value: x
  - meta: after
    value: "yes"
)");
  auto e = logEvent("x");
  CHECK(p.process(e));
  CHECK(e.meta.get("after") == "yes");
  CHECK(p.stats().bad_targets == 1);
}

TEST_CASE("stash entries are written when the grok matches and read with GetFromStash",
          "[parsers][stash]") {
  Fixture f;
  auto p = f.loadOne("s01-parse", R"(
name: test/stash-set
grok:
  pattern: '^set %{WORD:k}=%{WORD:v}$'
  apply_on: Line.Raw
stash:
  - name: test_cache
    key: evt.Parsed.k
    value: evt.Parsed.v
    ttl: 10s
    size: 2
---
name: test/stash-get
grok:
  pattern: '^get %{WORD:k}$'
  apply_on: Line.Raw
statics:
  - meta: from_stash
    expression: GetFromStash("test_cache", evt.Parsed.k)
)");
  auto set = logEvent("set alpha=one");
  CHECK(p.process(set));
  auto get = logEvent("get alpha");
  CHECK(p.process(get));
  CHECK(get.meta.get("from_stash") == "one");

  // No write when the node's grok does not match.
  auto miss = logEvent("get beta");
  CHECK(p.process(miss));
  CHECK_FALSE(miss.meta.contains("from_stash"));

  // size: 2 evicts the oldest key.
  auto b = logEvent("set beta=two");
  auto c = logEvent("set gamma=three");
  CHECK(p.process(b));
  CHECK(p.process(c));
  auto old = logEvent("get alpha");
  CHECK(p.process(old));
  CHECK_FALSE(old.meta.contains("from_stash"));
  auto kept = logEvent("get gamma");
  CHECK(p.process(kept));
  CHECK(kept.meta.get("from_stash") == "three");

  // ttl: 10s, measured on the Services clock.
  f.services().setFixedNow(TimePoint::fromUnixNanos(kFixedNowNanos + 11 * kSecond));
  auto expired = logEvent("get gamma");
  CHECK(p.process(expired));
  CHECK_FALSE(expired.meta.contains("from_stash"));
}

TEST_CASE("stash validation", "[parsers][stash][load]") {
  Fixture f;
  auto r = f.load({f.write("s01-parse", "p.yaml", R"(name: test/bad-stash
grok:
  pattern: '%{WORD:w}'
  apply_on: Line.Raw
stash:
  - name: c
    key: evt.Parsed.w
    value: evt.Parsed.w
  - name: c
    key: evt.Parsed.w
    value: evt.Parsed.w
    ttl: soon
    strategy: MRU
)")});
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("stash[0].ttl: 'ttl' is required"));
  CHECK_THAT(r.error().message, Catch::Contains("stash[1].ttl: invalid duration 'soon'"));
  CHECK_THAT(r.error().message, Catch::Contains("stash[1].strategy: must be LRU, LFU or ARC, "
                                                "not 'MRU'"));
}

TEST_CASE("SYSLOGLINE exports the nested SYSLOGBASE2 fields", "[parsers][grok][corpus]") {
  const std::string patterns = sharedDir() + "/corpus/crowdsec-hub/patterns";
  if (!fs::exists(patterns + "/linux-syslog")) {
    WARN("skipped: no hub patterns in " << patterns << " (/work/shared not mounted)");
    return;
  }
  Fixture f;
  auto p = f.loadOne("s00-raw", R"(
name: test/syslogline
grok:
  pattern: '^%{SYSLOGLINE}'
  apply_on: Line.Raw
)", patterns);
  auto e = logEvent("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 1.2.3.4");
  REQUIRE(p.process(e));
  CHECK(e.parsed.get("timestamp") == "Dec 10 06:55:46");
  CHECK(e.parsed.get("logsource") == "LabSZ");
  CHECK(e.parsed.get("program") == "sshd");
  CHECK(e.parsed.get("pid") == "24200");
  CHECK(e.parsed.get("message") == "Invalid user webmaster from 1.2.3.4");
  REQUIRE(e.parsed.contains("timestamp8601"));
  CHECK(e.parsed.get("timestamp8601") == "");
  REQUIRE(e.parsed.contains("facility"));
  CHECK(e.parsed.get("facility") == "");
  REQUIRE(e.parsed.contains("priority"));
  CHECK(e.parsed.get("priority") == "");
}

} // namespace cw::core::parsers::testing

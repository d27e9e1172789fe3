// SPDX-License-Identifier: Apache-2.0
// Enrichers called by `method:` statics (parsers.md sections 9-10).
#include <catch2/catch.hpp>

#include "parsers_test_util.h"

namespace cw::core::parsers::testing {

namespace {

// The dateparse parser of the hub, reduced to what matters here.
const char* kDateParse = R"(
name: test/dateparse
filter: "evt.StrTime != ''"
statics:
  - method: ParseDate
    expression: evt.StrTime
  - target: MarshaledTime
    expression: evt.Enriched.MarshaledTime
  - meta: timestamp
    expression: evt.Enriched.MarshaledTime
)";

event::Event withStrTime(const std::string& t, const std::string& format = "") {
  auto e = logEvent("x");
  e.str_time = t;
  e.str_time_format = format;
  return e;
}

} // namespace

TEST_CASE("ParseDate recognises every default layout", "[parsers][enrich][date]") {
  Fixture f;
  auto p = f.loadOne("s02-enrich", kDateParse);
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"2021-09-29T14:11:34+02:00", "2021-09-29T14:11:34+02:00"},
      {"2021-09-29T14:11:34.5Z", "2021-09-29T14:11:34.5Z"},
      {"29/Sep/2021:14:11:34 +0200", "2021-09-29T14:11:34+02:00"},
      {"Wed Sep 29 14:11:34 2021", "2021-09-29T14:11:34Z"},
      {"09/29/2021 14:11:34", "2021-09-29T14:11:34Z"},
      {"2021-09-29 14:11:34.123456789 -0700 MST", "2021-09-29T14:11:34.123456789-07:00"},
      {"Sep 29 14:11:34", "2024-09-29T14:11:34Z"},  // year-less: the fixed current year
      {"Sep  9 14:11:34", "2024-09-09T14:11:34Z"},
      {"Wed Sep 29 14:11:34.000123 2021", "2021-09-29T14:11:34.000123Z"},
      {"2021/09/29", "2021-09-29T00:00:00Z"},
      {"2021/09/29 14:11", "2021-09-29T14:11:00Z"},
      {"2021-09-29", "2021-09-29T00:00:00Z"},
      {"2021-09-29 14:11", "2021-09-29T14:11:00Z"},
      {"2021/09/29 14:11:34", "2021-09-29T14:11:34Z"},
      {"2021-09-29 14:11:34", "2021-09-29T14:11:34Z"},
      {"2021-09-29T14:11:34", "2021-09-29T14:11:34Z"},
      {"1632924694", "2021-09-29T14:11:34Z"},  // unix seconds
      {"1632924694.750", "2021-09-29T14:11:34Z"},
  };
  for (const auto& c : cases) {
    INFO("StrTime=" << c.in);
    auto e = withStrTime(c.in);
    REQUIRE(p.process(e));
    CHECK(e.enriched.get("MarshaledTime") == c.out);
    CHECK(e.marshaled_time == c.out);
    CHECK(e.meta.get("timestamp") == c.out);
  }
}

TEST_CASE("ParseDate tries StrTimeFormat first", "[parsers][enrich][date]") {
  Fixture f;
  auto p = f.loadOne("s02-enrich", kDateParse);
  auto swapped = withStrTime("2021-09-10", "2006-02-01");
  REQUIRE(p.process(swapped));
  CHECK(swapped.enriched.get("MarshaledTime") == "2021-10-09T00:00:00Z");

  // A format that does not match falls back to the default layouts.
  auto fallback = withStrTime("2021-09-10", "Jan _2 15:04:05");
  REQUIRE(p.process(fallback));
  CHECK(fallback.enriched.get("MarshaledTime") == "2021-09-10T00:00:00Z");
}

TEST_CASE("ParseDate gives now for unparsable or empty input", "[parsers][enrich][date]") {
  Fixture f;
  auto p = f.loadOne("s02-enrich", R"(
name: test/always-parse
statics:
  - method: ParseDate
    expression: evt.StrTime
)");
  auto garbage = withStrTime("not a date");
  REQUIRE(p.process(garbage));
  CHECK(garbage.enriched.get("MarshaledTime") == "2024-03-10T08:00:00Z");

  // ParseDate is the one method that runs on an empty input.
  auto empty = withStrTime("");
  REQUIRE(p.process(empty));
  CHECK(empty.enriched.get("MarshaledTime") == "2024-03-10T08:00:00Z");
}

TEST_CASE("ParseDate sets evt.Time only in TIMEMACHINE mode", "[parsers][enrich][date]") {
  Fixture f;
  auto p = f.loadOne("s02-enrich", kDateParse);

  auto live = withStrTime("2021-09-29T14:11:34Z");
  live.expect_mode = event::ExpectMode::Live;
  REQUIRE(p.process(live));
  CHECK(live.time.unix_nanos == kFixedNowNanos);
  CHECK(live.enriched.get("MarshaledTime") == "2021-09-29T14:11:34Z");

  auto replay = withStrTime("2021-09-29T14:11:34+02:00");
  replay.expect_mode = event::ExpectMode::TimeMachine;
  REQUIRE(p.process(replay));
  CHECK(replay.time.unix_nanos == 1632917494LL * 1000000000LL);
  CHECK(replay.time.utc_offset_s == 7200);
  CHECK(replay.marshaled_time == "2021-09-29T14:11:34+02:00");

  // An unparsable time leaves evt.Time alone even in replay.
  auto bad = withStrTime("garbage");
  bad.expect_mode = event::ExpectMode::TimeMachine;
  REQUIRE(p.process(bad));
  CHECK(bad.time.unix_nanos == kFixedNowNanos);
}

TEST_CASE("UnmarshalJSON decodes Line.Raw whatever its input", "[parsers][enrich][json]") {
  Fixture f;
  auto p = f.loadOne("s01-parse", R"(
name: test/json
statics:
  - method: UnmarshalJSON
    expression: "'ignored input'"
  - meta: nested
    expression: evt.Unmarshaled.a.b
  - meta: number
    expression: evt.Unmarshaled.n
)");
  auto e = logEvent(R"({"a": {"b": "c"}, "n": 2, "list": [true, null], "s": "x"})");
  e.unmarshaled["kept"] = Value::string("old");
  REQUIRE(p.process(e));
  CHECK(e.meta.get("nested") == "c");
  CHECK(e.meta.get("number") == "2.000000");  // JSON numbers are float64
  REQUIRE(e.unmarshaled.count("list") == 1);
  REQUIRE(e.unmarshaled["list"].kind() == Value::Kind::Array);
  CHECK(e.unmarshaled["list"].asArray().size() == 2);
  CHECK(e.unmarshaled["list"].asArray()[0].asBool());
  CHECK(e.unmarshaled["list"].asArray()[1].isNil());
  CHECK(e.unmarshaled["s"].asString() == "x");
  CHECK(e.unmarshaled["kept"].asString() == "old");

  auto not_json = logEvent("plain text");
  REQUIRE(p.process(not_json));
  CHECK(not_json.unmarshaled.empty());
  CHECK_FALSE(not_json.meta.contains("nested"));
  CHECK(p.stats().enricher_errors == 1);
}

TEST_CASE("methods other than ParseDate skip an empty input; unknown methods only warn",
          "[parsers][enrich]") {
  Fixture f;
  auto p = f.loadOne("s01-parse", R"(
name: test/skip
statics:
  - method: UnmarshalJSON
    expression: evt.Parsed.nothing
  - method: NoSuchMethod
    value: x
  - meta: done
    value: "yes"
)");
  auto e = logEvent(R"({"a": 1})");
  REQUIRE(p.process(e));
  CHECK(e.unmarshaled.empty());
  CHECK(e.meta.get("done") == "yes");
}

TEST_CASE("GeoIP enrichers read the City and ASN databases", "[parsers][enrich][geoip]") {
  const std::string data = sharedDir() + "/corpus/crowdsec-hub/data";
  if (!fs::exists(data + "/GeoLite2-City.mmdb") || !fs::exists(data + "/GeoLite2-ASN.mmdb")) {
    WARN("skipped: the GeoLite2 test databases are not in " << data
                                                          << " (/work/shared not mounted)");
    return;
  }
  Fixture f;
  auto r = f.load({f.write("s02-enrich", "geo.yaml", R"(
name: test/geoip
statics:
  - method: GeoIpCity
    expression: evt.Meta.source_ip
  - method: GeoIpASN
    expression: evt.Meta.source_ip
  - method: IpToRange
    expression: evt.Meta.source_ip
)")},
                  "", data);
  REQUIRE(r.ok());
  auto& p = r.value();

  auto city = logEvent("x");
  city.meta.set("source_ip", "81.2.69.142");
  REQUIRE(p.process(city));
  CHECK(city.enriched.get("IsoCode") == "GB");
  CHECK(city.enriched.get("IsInEU") == "true");
  CHECK(city.enriched.get("Latitude") == "51.514200");
  CHECK(city.enriched.get("Longitude") == "-0.093100");
  CHECK_FALSE(city.enriched.contains("ASNNumber"));

  auto asn = logEvent("x");
  asn.meta.set("source_ip", "1.128.0.1");
  REQUIRE(p.process(asn));
  CHECK(asn.enriched.get("ASNNumber") == "1221");
  CHECK(asn.enriched.get("ASNumber") == "1221");
  CHECK(asn.enriched.get("ASNOrg") == "Telstra Pty Ltd");
  CHECK(asn.enriched.get("SourceRange") == "1.128.0.0/11");

  auto none = logEvent("x");
  none.meta.set("source_ip", "127.0.0.1");
  REQUIRE(p.process(none));
  CHECK(none.enriched.empty());

  auto bad = logEvent("x");
  bad.meta.set("source_ip", "not-an-ip");
  REQUIRE(p.process(bad));
  CHECK(bad.enriched.empty());
}

} // namespace cw::core::parsers::testing

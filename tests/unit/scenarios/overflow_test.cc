// SPDX-License-Identifier: Apache-2.0
// Sources and scopes, overflow_filter, conditional and bayesian buckets, isolation, runtime
// errors, labels, Live mode timers.
#include <catch2/catch.hpp>

#include "scenario_test_util.h"

using namespace cw::core;
using namespace cw::core::scenarios;
using namespace cw::core::scenarios::testing;

TEST_CASE("scope Range with an expression gives the range as value", "[scenario]") {
  Harness h;
  auto m = h.load(R"(
type: trigger
name: test/range
description: d
filter: "true"
scope:
  type: Range
  expression: IpToRange(evt.Meta.source_ip, "/16")
)");
  INFO((m.ok() ? std::string() : m.error().message));
  REQUIRE(m.ok());
  auto out = pourAll(*m, {logEvent("192.168.1.2", "2020-01-01T10:00:00Z")});
  REQUIRE(out.size() == 1);
  const auto& a = *out[0].overflow.alert();
  CHECK(a.source.scope == "Range");
  CHECK(a.source.value == "192.168.0.0/16");
  CHECK(a.source.ip == "192.168.1.2");
  CHECK(out[0].overflow.sources.count("192.168.0.0/16") == 1);
  CHECK(a.message ==
        "Range 192.168.0.0/16 performed 'test/range' (1 events over 0s) at 2020-01-01 10:00:00 "
        "+0000 UTC");
}

TEST_CASE("scope Range without expression uses Meta.SourceRange", "[scenario]") {
  Harness h;
  auto m = h.load(R"(
type: trigger
name: test/range2
description: d
filter: "true"
scope:
  type: Range
)");
  REQUIRE(m.ok());
  auto out = pourAll(*m, {logEvent("10.1.2.3", "2020-01-01T10:00:00Z",
                                   {{"SourceRange", "10.1.2.3/16"}})});
  REQUIRE(out.size() == 1);
  CHECK(out[0].overflow.alert()->source.range == "10.1.0.0/16");
  CHECK(out[0].overflow.alert()->source.value == "10.1.0.0/16");

  // An invalid declared range drops the alert.
  out = pourAll(*m, {logEvent("10.1.2.3", "2020-01-01T10:00:00Z", {{"SourceRange", "bogus"}})});
  CHECK(out.empty());
  CHECK(m->stats().errors == 1);
}

TEST_CASE("custom scope takes its value from the expression", "[scenario]") {
  Harness h;
  auto m = h.load(R"(
type: trigger
name: test/user
description: d
filter: "true"
scope:
  type: username
  expression: evt.Meta.user
)");
  REQUIRE(m.ok());
  auto out = pourAll(*m, {logEvent("", "2020-01-01T10:00:00Z", {{"user", "bob"}})});
  REQUIRE(out.size() == 1);
  const auto& a = *out[0].overflow.alert();
  CHECK(a.source.scope == "username");
  CHECK(a.source.value == "bob");
  CHECK(a.source.ip.empty());
  CHECK(a.message.rfind("username bob performed 'test/user'", 0) == 0);
}

TEST_CASE("Ip scope needs a valid source_ip", "[scenario]") {
  Harness h;
  auto m = h.load(R"(
type: trigger
name: test/ip
description: d
filter: "true"
)");
  REQUIRE(m.ok());
  using namespace std::string_literals;
  auto out = pourAll(*m, {logEvent("not-an-ip", "2020-01-01T10:00:00Z"),
                          logEvent("", "2020-01-01T10:00:00Z"),
                          logEvent("203.0.113.45\0x"s, "2020-01-01T10:00:00Z")});
  CHECK(out.empty());
  CHECK(m->stats().errors == 3);
  out = pourAll(*m, {logEvent("2001:db8::1", "2020-01-01T10:00:00Z")});
  REQUIRE(out.size() == 1);
  CHECK(out[0].overflow.alert()->source.value == "2001:db8::1");
}

TEST_CASE("overflow carries AS and country from Enriched", "[scenario]") {
  Harness h;
  auto m = h.load(R"(
type: trigger
name: test/meta
description: d
filter: "true"
)");
  REQUIRE(m.ok());
  auto e = logEvent("1.2.3.4", "2020-01-01T10:00:00Z");
  e.enriched.set("ASNumber", "1234");
  e.enriched.set("ASNOrg", "Example Org");
  e.enriched.set("IsoCode", "FR");
  e.enriched.set("Latitude", "48.5");
  e.enriched.set("Longitude", "2.25");
  auto out = pourAll(*m, {e});
  REQUIRE(out.size() == 1);
  const auto& src = out[0].overflow.alert()->source;
  CHECK(src.as_number == "1234");
  CHECK(src.as_name == "Example Org");
  CHECK(src.cn == "FR");
  CHECK(src.latitude == 48.5f);
  CHECK(src.longitude == 2.25f);

  SECTION("ASNNumber is the fallback") {
    auto e2 = logEvent("1.2.3.5", "2020-01-01T10:00:00Z");
    e2.enriched.set("ASNNumber", "99");
    out = pourAll(*m, {e2});
    REQUIRE(out.size() == 1);
    CHECK(out[0].overflow.alert()->source.as_number == "99");
  }
}

TEST_CASE("several sources in one bucket give one API alert each", "[scenario]") {
  Harness h;
  auto m = h.load(R"(
type: leaky
name: test/multi
description: d
filter: "true"
capacity: 1
leakspeed: 10s
)");
  REQUIRE(m.ok());
  auto out = pourAll(*m, {logEvent("10.0.0.2", "2020-01-01T10:00:00Z"),
                          logEvent("10.0.0.1", "2020-01-01T10:00:02Z")});
  REQUIRE(out.size() == 1);
  const auto& o = out[0].overflow;
  REQUIRE(o.api_alerts.size() == 2);
  CHECK(o.api_alerts[0].source.value == "10.0.0.1");
  CHECK(o.api_alerts[1].source.value == "10.0.0.2");
  CHECK(o.alert()->message ==
        "Ip 2 sources performed 'test/multi' (2 events over 2s) at 2020-01-01 10:00:02 +0000 UTC");
}

TEST_CASE("overflow_filter discards overflows it rejects", "[scenario]") {
  Harness h;
  auto m = h.load(R"(
type: leaky
name: test/ovflwfilter
description: d
filter: "true"
groupby: evt.Meta.source_ip
capacity: 1
leakspeed: 10s
overflow_filter: >-
  signal.Alert.Source.IP != '10.0.0.1' && len(queue.Queue) == 2 && leaky.Total_count == 2
)");
  REQUIRE(m.ok());
  auto out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:00Z"),
                          logEvent("10.0.0.1", "2020-01-01T10:00:01Z"),
                          logEvent("10.0.0.2", "2020-01-01T10:00:00Z"),
                          logEvent("10.0.0.2", "2020-01-01T10:00:01Z")});
  REQUIRE(out.size() == 1);
  CHECK(out[0].overflow.alert()->source.ip == "10.0.0.2");
  CHECK(m->stats().overflows == 1);
  CHECK(m->liveBuckets() == 0);
}

TEST_CASE("conditional bucket overflows when its condition holds", "[scenario]") {
  Harness h;
  auto m = h.load(R"(
type: conditional
name: test/conditional
description: d
filter: "true"
groupby: evt.Meta.source_ip
capacity: -1
leakspeed: 1h
condition: "len(queue.Queue) >= 3 && queue.Queue[0].Meta.step == 'one' && leaky.Total_count == 3"
)");
  REQUIRE(m.ok());
  auto ev = [](const char* step, const char* ts) {
    return logEvent("10.0.0.1", ts, {{"step", step}});
  };
  auto out = pourAll(*m, {ev("one", "2020-01-01T10:00:00Z"), ev("two", "2020-01-01T10:10:00Z")});
  CHECK(out.empty());
  out = pourAll(*m, {ev("three", "2020-01-01T10:20:00Z")});
  REQUIRE(out.size() == 1);
  const auto& a = *out[0].overflow.alert();
  CHECK(a.events_count == 3);
  CHECK(a.capacity == -1);
  CHECK(a.leakspeed == "1h0m0s");
  CHECK(a.stop_at == "2020-01-01T10:20:00Z");
  CHECK(a.message ==
        "Ip 10.0.0.1 performed 'test/conditional' (3 events over 20m0s) at 2020-01-01 10:20:00 "
        "+0000 UTC");

  SECTION("conditional buckets expire after leakspeed in replay") {
    out = pourAll(*m, {ev("one", "2020-01-01T11:00:00Z"), ev("two", "2020-01-01T12:00:01Z"),
                       ev("three", "2020-01-01T12:00:02Z")});
    CHECK(out.empty());
    CHECK(m->stats().underflows == 1);
  }
}

namespace {

const char* kBayes = R"(
type: bayesian
name: test/bayes
description: d
filter: "true"
groupby: evt.Meta.source_ip
capacity: -1
leakspeed: 1h
bayesian_prior: 0.5
bayesian_threshold: 0.8
bayesian_conditions:
- condition: evt.Meta.a == 'yes'
  prob_given_evil: 0.7
  prob_given_benign: 0.3
  guillotine: GUILLOTINE
- condition: evt.Meta.b == 'yes'
  prob_given_evil: 0.7
  prob_given_benign: 0.3
)";

std::string bayesYaml(bool guillotine) {
  std::string y = kBayes;
  y.replace(y.find("GUILLOTINE"), 10, guillotine ? "true" : "false");
  return y;
}

} // namespace

TEST_CASE("bayesian bucket overflows when the posterior passes the threshold", "[scenario]") {
  Harness h;
  SECTION("single strong condition") {
    auto m = h.load(R"(
type: bayesian
name: test/bayes1
description: d
filter: "true"
capacity: -1
leakspeed: 1h
bayesian_prior: 0.5
bayesian_threshold: 0.8
bayesian_conditions:
- condition: evt.Meta.a == 'yes'
  prob_given_evil: 0.9
  prob_given_benign: 0.1
)");
    REQUIRE(m.ok());
    // p = 0.1 when false (below), 0.9 when true (above 0.8).
    auto out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:00Z", {{"a", "no"}})});
    CHECK(out.empty());
    out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:01Z", {{"a", "yes"}})});
    REQUIRE(out.size() == 1);
    CHECK(out[0].overflow.alert()->events_count == 2);
  }
  SECTION("guillotine keeps a fired condition counted") {
    // Event 1: a fires (p=0.7), b false (p=0.5). Event 2: a counted (0.7), b true (0.845).
    auto m = h.load(bayesYaml(true));
    REQUIRE(m.ok());
    auto out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:00Z", {{"a", "yes"}}),
                            logEvent("10.0.0.1", "2020-01-01T10:00:01Z", {{"b", "yes"}})});
    REQUIRE(out.size() == 1);
    CHECK(out[0].overflow.alert()->events_count == 2);
  }
  SECTION("without guillotine the same events stay below") {
    // Event 2: a false (p=0.3), b true (p=0.5).
    auto m = h.load(bayesYaml(false));
    REQUIRE(m.ok());
    auto out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:00Z", {{"a", "yes"}}),
                            logEvent("10.0.0.1", "2020-01-01T10:00:01Z", {{"b", "yes"}})});
    CHECK(out.empty());
    out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:02Z", {{"a", "yes"}, {"b", "yes"}})});
    REQUIRE(out.size() == 1);
    CHECK(out[0].overflow.alert()->events_count == 3);
  }
}

TEST_CASE("buckets are isolated per groupby value and per scenario", "[scenario]") {
  Harness h;
  auto m = h.load(R"(
type: leaky
name: test/iso1
description: d
filter: "true"
groupby: evt.Meta.source_ip
capacity: 1
leakspeed: 10s
---
type: leaky
name: test/iso2
description: d
filter: "true"
groupby: evt.Meta.source_ip
capacity: 2
leakspeed: 10s
)");
  REQUIRE(m.ok());
  CHECK(m->scenarioNames() == std::vector<std::string>{"test/iso1", "test/iso2"});
  auto out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:00Z"),
                          logEvent("10.0.0.2", "2020-01-01T10:00:00Z")});
  CHECK(out.empty());
  CHECK(m->liveBuckets() == 4);
  out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:01Z")});
  REQUIRE(out.size() == 1);
  CHECK(out[0].overflow.scenario == "test/iso1");
  CHECK(out[0].overflow.alert()->source.ip == "10.0.0.1");
  out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:02Z")});
  REQUIRE(out.size() == 1);
  CHECK(out[0].overflow.scenario == "test/iso2");
  CHECK(out[0].overflow.alert()->events_count == 3);
}

TEST_CASE("a filter runtime error stops the event for later scenarios", "[scenario]") {
  Harness h;
  auto m = h.load(R"(
type: trigger
name: test/broken
description: d
filter: "evt.Unmarshaled.missing.field == 'x'"
---
type: trigger
name: test/after
description: d
filter: "true"
)");
  REQUIRE(m.ok());
  std::vector<std::string> recorded;
  m->setPourRecorder([&](const std::string& name, const event::Event&) {
    recorded.push_back(name);
  });
  auto out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:00Z")});
  CHECK(out.empty());
  CHECK(m->stats().errors == 1);
  CHECK(m->stats().poured == 0);
  CHECK(recorded.empty());
}

TEST_CASE("remediation is set only by a boolean true label", "[scenario]") {
  Harness h;
  auto remediation = [&](const std::string& label) {
    auto m = h.load("type: trigger\nname: test/r\ndescription: d\nfilter: \"true\"\n" + label);
    REQUIRE(m.ok());
    auto out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:00Z")});
    REQUIRE(out.size() == 1);
    const auto* alert = out[0].overflow.alert();
    REQUIRE(alert != nullptr);
    return alert->remediation;
  };
  CHECK(remediation("labels:\n  remediation: true\n"));
  CHECK_FALSE(remediation("labels:\n  remediation: \"true\"\n"));
  CHECK_FALSE(remediation("labels:\n  remediation: false\n"));
  CHECK_FALSE(remediation("labels:\n  service: ssh\n"));
  CHECK_FALSE(remediation(""));
}

TEST_CASE("simulation marks alerts of simulated scenarios", "[scenario]") {
  Harness h;
  const char* yaml = "type: trigger\nname: test/sim\ndescription: d\nfilter: \"true\"\n";
  auto simulated = [&]() {
    auto m = h.load(yaml);
    REQUIRE(m.ok());
    auto out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:00Z")});
    REQUIRE(out.size() == 1);
    const auto* alert = out[0].overflow.alert();
    REQUIRE(alert != nullptr);
    return alert->simulated;
  };
  CHECK_FALSE(simulated());
  h.simulation.enabled = true;
  CHECK(simulated());
  h.simulation.exclusions = {"test/sim"};
  CHECK_FALSE(simulated());
  h.simulation.enabled = false;
  CHECK(simulated());
}

TEST_CASE("live mode uses the clock and tick() for lifetimes", "[scenario]") {
  Harness h;
  TimePoint now = at("2024-05-01T12:00:00Z");
  auto live = [](const char* ip) {
    auto e = logEvent(ip, "2020-01-01T10:00:00Z");
    e.expect_mode = event::ExpectMode::Live;
    return e;
  };
  SECTION("leaky: start and stop come from the clock, idle buckets underflow") {
    auto m = h.load(
        "type: leaky\nname: test/live\ndescription: d\nfilter: \"true\"\n"
        "groupby: evt.Meta.source_ip\ncapacity: 1\nleakspeed: 10s\n");
    REQUIRE(m.ok());
    m->setClock([&] { return now; });
    std::vector<event::Event> out;
    m->pour(live("10.0.0.1"), out);
    m->pour(live("10.0.0.2"), out);
    now = at("2024-05-01T12:00:03Z");
    m->pour(live("10.0.0.1"), out);
    REQUIRE(out.size() == 1);
    CHECK(out[0].expect_mode == event::ExpectMode::Live);
    CHECK(out[0].overflow.alert()->start_at == "2024-05-01T12:00:00Z");
    CHECK(out[0].overflow.alert()->stop_at == "2024-05-01T12:00:03Z");
    out.clear();
    m->tick(at("2024-05-01T12:00:19Z"), out);
    CHECK(m->liveBuckets() == 1);
    m->tick(at("2024-05-01T12:00:20Z"), out);
    CHECK(out.empty());
    CHECK(m->liveBuckets() == 0);
    CHECK(m->stats().underflows == 1);
  }
  SECTION("counter overflows when its duration ends") {
    auto m = h.load(
        "type: counter\nname: test/counter\ndescription: d\nfilter: \"true\"\n"
        "groupby: evt.Meta.source_ip\ncapacity: -1\nduration: 30s\n");
    REQUIRE(m.ok());
    m->setClock([&] { return now; });
    std::vector<event::Event> out;
    for (int i = 0; i < 3; ++i) {
      now = TimePoint::fromUnixNanos(at("2024-05-01T12:00:00Z").unix_nanos + i * kSecond);
      m->pour(live("10.0.0.1"), out);
    }
    m->tick(at("2024-05-01T12:00:29Z"), out);
    CHECK(out.empty());
    m->tick(at("2024-05-01T12:00:30Z"), out);
    REQUIRE(out.size() == 1);
    const auto& a = *out[0].overflow.alert();
    CHECK(a.events_count == 3);
    CHECK(a.capacity == -1);
    CHECK(a.start_at == "2024-05-01T12:00:00Z");
    CHECK(a.stop_at == "2024-05-01T12:00:30Z");
    CHECK(m->liveBuckets() == 0);
  }
  SECTION("shutdown discards buckets without alert") {
    auto m = h.load(
        "type: counter\nname: test/counter\ndescription: d\nfilter: \"true\"\n"
        "capacity: -1\nduration: 30s\n");
    REQUIRE(m.ok());
    m->setClock([&] { return now; });
    std::vector<event::Event> out;
    m->pour(live("10.0.0.1"), out);
    m->shutdown();
    m->tick(at("2024-05-01T13:00:00Z"), out);
    CHECK(out.empty());
    CHECK(m->liveBuckets() == 0);
  }
}

// SPDX-License-Identifier: Apache-2.0
// profiles.yaml: loading errors and the evaluation of alerts into decisions
// (scenarios.md section 12).
#include "cw/core/decisions/profiles.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "cw/core/expr/services.h"
#include "cw/core/store/store.h"

using namespace cw::core;
using namespace cw::core::decisions;

namespace {

const TimePoint kNow = TimePoint::fromUnixNanos(1'800'000'000LL * kSecond);
const TimePoint kStop = TimePoint::fromUnixNanos(kNow.unix_nanos - 10 * kSecond);

// CrowdSec's default profiles.yaml.
const char* kDefault = R"(
name: default_ip_remediation
#debug: true
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Ip"
decisions:
 - type: ban
   duration: 4h
on_success: break
---
name: default_range_remediation
filters:
 - Alert.Remediation == true && Alert.GetScope() == "Range"
decisions:
 - type: ban
   duration: 4h
on_success: break
)";

store::Alert alert(const std::string& scope = "Ip", const std::string& value = "192.0.2.1") {
  store::Alert a;
  a.scenario = "crowdsecurity/ssh-bf";
  a.source.scope = scope;
  a.source.value = value;
  a.remediation = true;
  a.start_at = kStop;
  a.stop_at = kStop;
  a.events_count = 6;
  a.meta = {{"target_user", "root"}};
  return a;
}

Profiles parse(const expr::Services& s, const std::string& yaml, store::Store* st = nullptr) {
  auto p = Profiles::parse(yaml, "profiles.yaml", s, st);
  INFO((p.ok() ? std::string() : p.error().message));
  REQUIRE(p.ok());
  return std::move(*p);
}

std::string loadError(const std::string& yaml) {
  expr::Services s;
  auto p = Profiles::parse(yaml, "profiles.yaml", s);
  REQUIRE(!p.ok());
  return p.error().message;
}

TimePoint after(Duration d) { return TimePoint::fromUnixNanos(kStop.unix_nanos + d); }

}  // namespace

TEST_CASE("profiles: the default file bans Ip and Range sources for 4h", "[decisions]") {
  expr::Services s;
  const Profiles p = parse(s, kDefault);
  REQUIRE(p.profiles().size() == 2);
  CHECK(p.profiles()[0].name == "default_ip_remediation");
  CHECK(p.profiles()[0].on_success_break == true);

  auto e = p.evaluate(alert(), kNow);
  REQUIRE(e.ok());
  REQUIRE(e->decisions.size() == 1);
  const auto& d = e->decisions[0];
  CHECK(d.type == "ban");
  CHECK(d.scope == "Ip");
  CHECK(d.value == "192.0.2.1");
  CHECK(d.origin == "crowdsec");
  CHECK(d.scenario == "crowdsecurity/ssh-bf");
  CHECK(d.simulated == false);
  CHECK(d.until == after(4 * kHour));  // stop_at + duration
  CHECK(e->matched == std::vector<std::string>{"default_ip_remediation"});

  auto r = p.evaluate(alert("range", "198.51.100.0/24"), kNow);
  REQUIRE(r->decisions.size() == 1);
  CHECK(r->decisions[0].scope == "Range");
  CHECK(r->decisions[0].value == "198.51.100.0/24");
  CHECK(r->matched == std::vector<std::string>{"default_range_remediation"});

  auto no = alert();
  no.remediation = false;
  CHECK(p.evaluate(no, kNow)->decisions.empty());
  CHECK(p.evaluate(no, kNow)->matched.empty());
  CHECK(p.evaluate(alert("username", "root"), kNow)->decisions.empty());

  auto sim = alert();
  sim.simulated = true;
  auto se = p.evaluate(sim, kNow);
  REQUIRE(se->decisions.size() == 1);
  CHECK(se->decisions[0].simulated == true);

  auto nostop = alert();
  nostop.stop_at = TimePoint{};
  CHECK(p.evaluate(nostop, kNow)->decisions[0].until.unix_nanos == kNow.unix_nanos + 4 * kHour);
}

TEST_CASE("profiles: OR-ed filters add one decision set each; template fields", "[decisions]") {
  expr::Services s;
  const Profiles p = parse(s, R"(
name: many
filters:
 - true
 - Alert.GetScenario() == "crowdsecurity/ssh-bf" && Alert.GetMeta("target_user") == "root"
 - Alert.GetEventsCount() > 100
decisions:
 - type: ban
   duration: 1h
 - type: captcha
   scope: range
   duration: 2d
   origin: lists
 - type: throttle
   simulated: true
)");
  auto e = p.evaluate(alert(), kNow);
  REQUIRE(e.ok());
  REQUIRE(e->decisions.size() == 6);
  for (int set = 0; set < 2; ++set) {
    const auto* d = &e->decisions[static_cast<std::size_t>(set * 3)];
    CHECK(d[0].type == "ban");
    CHECK(d[0].scope == "Ip");
    CHECK(d[0].until == after(kHour));
    CHECK(d[0].origin == "crowdsec");
    CHECK(d[1].type == "captcha");
    CHECK(d[1].scope == "Range");
    CHECK(d[1].value == "192.0.2.1");
    CHECK(d[1].until == after(48 * kHour));
    CHECK(d[1].origin == "crowdsec/lists");
    CHECK(d[1].simulated == false);
    CHECK(d[2].type == "throttle");
    CHECK(d[2].until == after(kDefaultDecisionDuration));
    CHECK(d[2].simulated == true);
  }
}

TEST_CASE("profiles: first match decides, later matches notify, break stops", "[decisions]") {
  expr::Services s;
  const Profiles p = parse(s, R"(
name: notify_only
filters:
 - Alert.GetValue() == "192.0.2.1"
notifications:
 - slack
---
name: ip_ban
filters:
 - Alert.Source.Value startsWith "192.0.2."
decisions:
 - type: ban
   duration: 1h
notifications:
 - email
---
name: captcha
filters:
 - true
decisions:
 - type: captcha
   duration: 2h
notifications:
 - http
on_success: break
on_failure: break
---
name: unreachable
filters:
 - true
notifications:
 - never
)");
  auto e = p.evaluate(alert(), kNow);
  REQUIRE(e.ok());
  REQUIRE(e->decisions.size() == 1);
  CHECK(e->decisions[0].type == "ban");  // the first profile with decisions
  CHECK(e->matched == std::vector<std::string>{"notify_only", "ip_ban", "captcha"});
  CHECK(e->notifications == std::vector<std::string>{"slack", "email", "http"});

  auto other = p.evaluate(alert("Ip", "203.0.113.9"), kNow);
  REQUIRE(other->decisions.size() == 1);
  CHECK(other->decisions[0].type == "captcha");
  CHECK(other->matched == std::vector<std::string>{"captcha"});
}

TEST_CASE("profiles: duration_expr, with decision counters from the store", "[decisions]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("cw-profiles-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto st = store::Store::openSqlite((dir / "db").string());
  REQUIRE(st.ok());
  store::Alert past = alert();
  past.decisions = {
      {0, "", "crowdsec", "ban", "Ip", "192.0.2.1", "s", after(-kSecond), false, {}, 0},
      {0, "", "crowdsec", "ban", "Ip", "192.0.2.1", "s", after(100 * kHour), false, {}, 0}};
  std::vector<store::Alert> batch{past};
  REQUIRE((*st)->insertAlerts(batch, kNow).ok());

  expr::Services s;
  s.setFixedNow(kNow);
  const char* yaml = R"(
name: escalate
filters:
 - true
decisions:
 - type: ban
   duration: 4h
duration_expr: Sprintf('%dh', (GetDecisionsCount(Alert.GetValue()) + 1) * 4)
)";
  auto with_store = parse(s, yaml, st->get());
  CHECK(with_store.evaluate(alert(), kNow)->decisions[0].until == after(12 * kHour));
  CHECK(with_store.evaluate(alert("Ip", "192.0.2.99"), kNow)->decisions[0].until ==
        after(4 * kHour));
  auto without = parse(s, yaml);
  CHECK(without.evaluate(alert(), kNow)->decisions[0].until == after(4 * kHour));

  auto since = parse(s, R"(
name: since
filters: [true]
decisions: [{type: ban, duration: 1h}]
duration_expr: 'Sprintf("%dm", GetDecisionsSinceCount(Alert.GetValue(), "1d") + GetActiveDecisionsCount(Alert.GetValue()) * 10)'
)",
                     st->get());
  // 2 decisions created now (inside the last day), 1 still active: 2 + 10 minutes.
  CHECK(since.evaluate(alert(), kNow)->decisions[0].until == after(12 * kMinute));

  auto days =
      parse(s, "name: d\nfilters: [true]\ndecisions: [{type: ban}]\nduration_expr: '\"3d\"'\n");
  CHECK(days.evaluate(alert(), kNow)->decisions[0].until == after(72 * kHour));
  // A result that is no duration, or an expression that fails, falls back to the template.
  auto junk = parse(s,
                    "name: j\nfilters: [true]\ndecisions: [{type: ban, duration: 5m}]\n"
                    "duration_expr: Alert.GetScenario()\n");
  CHECK(junk.evaluate(alert(), kNow)->decisions[0].until == after(5 * kMinute));
  auto fails = parse(s,
                     "name: f\nfilters: [true]\ndecisions: [{type: ban, duration: 5m}]\n"
                     "duration_expr: Alert.GetMeta(1)\n");
  CHECK(fails.evaluate(alert(), kNow)->decisions[0].until == after(5 * kMinute));
  st->reset();
  std::filesystem::remove_all(dir);
}

TEST_CASE("profiles: on_error decides what a failing filter does", "[decisions]") {
  expr::Services s;
  auto make = [&](const std::string& on_error) {
    return parse(s,
                 "name: failing\nfilters:\n - Alert.GetScenario()\ndecisions:\n"
                 " - type: ban\n   duration: 1h\n" +
                     (on_error.empty() ? std::string() : "on_error: " + on_error + "\n") +
                     "---\nname: fallback\nfilters: [true]\ndecisions:\n"
                     " - type: captcha\n   duration: 2h\n");
  };
  auto unset = make("").evaluate(alert(), kNow);
  REQUIRE(!unset.ok());
  CHECK_THAT(unset.error().message,
             Catch::StartsWith("while running expression 'Alert.GetScenario()' of profile "
                               "failing: "));

  auto apply = make("apply").evaluate(alert(), kNow);
  REQUIRE(apply.ok());
  REQUIRE(apply->decisions.size() == 1);
  CHECK(apply->decisions[0].type == "ban");
  CHECK(apply->matched == std::vector<std::string>{"failing", "fallback"});

  for (const char* skip : {"continue", "ignore"}) {
    auto c = make(skip).evaluate(alert(), kNow);
    REQUIRE(c.ok());
    REQUIRE(c->decisions.size() == 1);
    CHECK(c->decisions[0].type == "captcha");
    CHECK(c->matched == std::vector<std::string>{"fallback"});
  }

  auto brk = make("break").evaluate(alert(), kNow);
  REQUIRE(brk.ok());
  CHECK(brk->decisions.empty());
  CHECK(brk->matched.empty());
}

TEST_CASE("profiles: loading errors name the profile and the problem", "[decisions]") {
  CHECK(loadError("name: a\nfilters: [true]\ncolour: red\n") ==
        "profiles.yaml: profile 1 (a): unknown key 'colour'");
  CHECK(loadError("filters: [true]\n") == "profiles.yaml: profile 1: missing name");
  CHECK(loadError("name: a\n---\nname: b\ndecisions: [{duration: 1h}]\n") ==
        "profiles.yaml: profile 2 (b): decision 1: missing type");
  CHECK(loadError("name: a\ndecisions: [{type: ban, duration: 4x}]\n") ==
        "profiles.yaml: profile 1 (a): decision 1: invalid duration '4x'");
  CHECK(loadError("name: a\ndecisions: [{type: ban, until: 4h}]\n") ==
        "profiles.yaml: profile 1 (a): decision 1: unknown key 'until'");
  CHECK(loadError("name: a\non_success: maybe\n") ==
        "profiles.yaml: profile 1 (a): on_success must be continue or break, not 'maybe'");
  CHECK(loadError("name: a\non_failure: stop\n") ==
        "profiles.yaml: profile 1 (a): on_failure must be continue, break or apply, not 'stop'");
  CHECK(loadError("name: a\non_error: sometimes\n") ==
        "profiles.yaml: profile 1 (a): on_error must be apply, continue, ignore or break, not "
        "'sometimes'");
  CHECK_THAT(loadError("name: a\nfilters:\n - Alert.GetScope( ==\n"),
             Catch::StartsWith("profiles.yaml: profile 1 (a): filter 'Alert.GetScope( ==' does "
                               "not compile: "));
  CHECK_THAT(loadError("name: a\nduration_expr: 1 +\n"),
             Catch::StartsWith("profiles.yaml: profile 1 (a): duration_expr '1 +' does not "
                               "compile: "));
  CHECK_THAT(loadError("name: [a\n"), Catch::StartsWith("profiles.yaml:"));
  // on_failure values are accepted (no effect, as upstream).
  expr::Services s;
  CHECK(Profiles::parse("name: a\non_failure: apply\n", "p", s).ok());
}

TEST_CASE("profiles: <file>.local profiles come first", "[decisions]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("cw-profiles-local-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto path = (dir / "profiles.yaml").string();
  std::ofstream(path) << kDefault;
  expr::Services s;
  auto plain = Profiles::load(path, s);
  REQUIRE(plain.ok());
  CHECK(plain->profiles().size() == 2);
  std::ofstream(path + ".local") << "name: local_captcha\nfilters: [true]\n"
                                    "decisions: [{type: captcha, duration: 1m}]\n"
                                    "on_success: break\n";
  auto both = Profiles::load(path, s);
  REQUIRE(both.ok());
  REQUIRE(both->profiles().size() == 3);
  CHECK(both->profiles()[0].name == "local_captcha");
  CHECK(both->evaluate(alert(), kNow)->decisions[0].type == "captcha");
  CHECK(Profiles::load((dir / "missing.yaml").string(), s).error().message ==
        "cannot read profiles file " + (dir / "missing.yaml").string());
  std::filesystem::remove_all(dir);
}

TEST_CASE("decisionUntil adds a Go duration (days allowed) to stop_at", "[decisions]") {
  CHECK(*decisionUntil(kStop, "1d") == after(24 * kHour));
  CHECK(*decisionUntil(kStop, "1h30m") == after(90 * kMinute));
  CHECK(*decisionUntil(kStop, "-5s") == after(-5 * kSecond));
  CHECK(decisionUntil(kStop, "abc").error().message == "invalid duration 'abc'");
}

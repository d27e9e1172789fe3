// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "cw/core/hubtest/hubtest.h"

namespace fs = std::filesystem;
using cw::core::hubtest::CaseResult;
using cw::core::hubtest::Options;
using cw::core::hubtest::Outcome;
using cw::core::hubtest::Runner;

namespace {

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

/// A one-parser, one-scenario hub in CrowdSec's layout, and a tests folder beside it.
struct MiniHub {
  fs::path root;

  MiniHub() {
    static int n = 0;
    root = fs::temp_directory_path() /
           ("cw-hubtest-test-" + std::to_string(::getpid()) + "-" + std::to_string(++n));
    fs::remove_all(root);
    write(root / "hub/parsers/s01-parse/me/kv.yaml",
          "name: me/kv\n"
          "description: key=value lines\n"
          "author: me\n"
          "filter: \"evt.Line.Labels.type == 'kv'\"\n"
          "grok:\n"
          "  pattern: 'user=%{NOTSPACE:user} ip=%{IP:ip}'\n"
          "  apply_on: Line.Raw\n"
          "statics:\n"
          "  - meta: source_ip\n"
          "    expression: evt.Parsed.ip\n"
          "  - meta: user\n"
          "    expression: evt.Parsed.user\n"
          "  - meta: datasource_path\n"
          "    expression: evt.Line.Src\n"
          "  - target: evt.StrTime\n"
          "    value: '2026-01-02T03:04:05Z'\n"
          // No date parser here: replayed events need MarshaledTime to be poured.
          "  - target: evt.MarshaledTime\n"
          "    value: '2026-01-02T03:04:05Z'\n");
    write(root / "hub/scenarios/me/two.yaml",
          "type: leaky\n"
          "name: me/two\n"
          "description: two lines from one ip\n"
          "filter: \"evt.Meta.user != ''\"\n"
          "groupby: evt.Meta.source_ip\n"
          "capacity: 1\n"
          "leakspeed: 10s\n"
          "labels:\n"
          "  remediation: true\n");
    write(root / "tests/ok/config.yaml",
          "parsers:\n- me/kv\nscenarios:\n- me/two\npostoverflows:\n- ''\n"
          "log_file: in.log\nlog_type: kv\nignore_parsers: false\n");
    write(root / "tests/ok/in.log",
          "user=a ip=192.0.2.1\nuser=b ip=192.0.2.1\nnoise\nuser=c ip=192.0.2.9\n");
    write(root / "tests/ok/parser.assert",
          "len(results) == 2\n"
          "len(results[\"s01-parse\"][\"me/kv\"]) == 4\n"
          "results[\"s01-parse\"][\"me/kv\"][0].Success == true\n"
          "results[\"s01-parse\"][\"me/kv\"][2].Success == false\n"
          "results[\"s01-parse\"][\"me/kv\"][1].Evt.Meta[\"user\"] == \"b\"\n"
          "results[\"s01-parse\"][\"me/kv\"][1].Evt.Meta[\"datasource_path\"] == \"in.log\"\n");
    write(root / "tests/ok/scenario.assert",
          "len(results) == 1\n"
          "\"192.0.2.1\" in results[0].Overflow.GetSources()\n"
          "results[0].Overflow.Alert.GetScenario() == \"me/two\"\n"
          "results[0].Overflow.Alert.GetEventsCount() == 2\n"
          "results[0].Overflow.Alert.Events[1].GetMeta(\"user\") == \"b\"\n");
  }
  ~MiniHub() { fs::remove_all(root); }

  Options options() const {
    Options o;
    o.hub_dir = (root / "hub").string();
    o.tests_dir = (root / "tests").string();
    o.current_year = 2026;
    return o;
  }
};

CaseResult runOne(const MiniHub& hub, const std::string& name, bool isolate = true) {
  Options o = hub.options();
  o.isolate = isolate;
  auto runner = Runner::create(o);
  REQUIRE(runner.ok());
  return runner->run(name);
}

}  // namespace

TEST_CASE("a hub test case passes when every assert line holds", "[hubtest]") {
  MiniHub hub;
  for (bool isolate : {true, false}) {
    const CaseResult r = runOne(hub, "ok", isolate);
    INFO(r.message);
    CHECK(r.outcome == Outcome::Passed);
    CHECK(r.asserts == 11);
  }
}

TEST_CASE("a failing assert names the line and the actual value", "[hubtest]") {
  MiniHub hub;
  write(hub.root / "tests/ok/scenario.assert",
        "len(results) == 1\nresults[0].Overflow.Alert.GetEventsCount() == 3\n");
  const CaseResult r = runOne(hub, "ok");
  CHECK(r.outcome == Outcome::Failed);
  CHECK(r.message ==
        "scenario.assert:2: results[0].Overflow.Alert.GetEventsCount() == 3 (actual: 2)");
}

TEST_CASE("hub test errors: unknown item, empty asserts, runtime error", "[hubtest]") {
  MiniHub hub;
  SECTION("unknown item") {
    write(hub.root / "tests/ok/config.yaml",
          "parsers:\n- me/nope\nlog_file: in.log\nlog_type: kv\n");
    const CaseResult r = runOne(hub, "ok");
    CHECK(r.outcome == Outcome::Error);
    CHECK(r.message == "parsers item 'me/nope' not found");
  }
  SECTION("empty parser.assert needs writing") {
    write(hub.root / "tests/ok/parser.assert", "\n");
    const CaseResult r = runOne(hub, "ok");
    CHECK(r.outcome == Outcome::Error);
    CHECK(r.message == "parser.assert is empty: assertions need writing and review");
  }
  SECTION("index out of range") {
    write(hub.root / "tests/ok/scenario.assert",
          "results[5].Overflow.Alert.GetEventsCount() == 2\n");
    const CaseResult r = runOne(hub, "ok");
    CHECK(r.outcome == Outcome::Error);
    CHECK_THAT(r.message, Catch::StartsWith("scenario.assert:1: "));
  }
}

TEST_CASE("scenario results sort descending by scenario and sources", "[hubtest]") {
  MiniHub hub;
  write(hub.root / "tests/ok/in.log",
        "user=a ip=192.0.2.1\nuser=b ip=192.0.2.1\n"
        "user=a ip=192.0.2.9\nuser=b ip=192.0.2.9\n"
        "user=a ip=192.0.2.5\nuser=b ip=192.0.2.5\n");
  write(hub.root / "tests/ok/parser.assert", "len(results) == 2\n");
  write(hub.root / "tests/ok/scenario.assert",
        "len(results) == 3\n"
        "\"192.0.2.9\" in results[0].Overflow.GetSources()\n"
        "\"192.0.2.5\" in results[1].Overflow.GetSources()\n"
        "\"192.0.2.1\" in results[2].Overflow.GetSources()\n");
  const CaseResult r = runOne(hub, "ok");
  INFO(r.message);
  CHECK(r.outcome == Outcome::Passed);
}

TEST_CASE("listCases finds case folders in name order", "[hubtest]") {
  MiniHub hub;
  write(hub.root / "tests/b/config.yaml", "log_file: x\n");
  write(hub.root / "tests/a/config.yaml", "log_file: x\n");
  fs::create_directories(hub.root / "tests/not-a-case");
  CHECK(cw::core::hubtest::listCases((hub.root / "tests").string()) ==
        std::vector<std::string>{"a", "b", "ok"});
}

TEST_CASE("runAll runs cases side by side and reports them in the given order", "[hubtest]") {
  MiniHub hub;
  write(hub.root / "tests/bad/config.yaml",
        "parsers:\n- me/none\nlog_file: in.log\nlog_type: kv\n");
  auto runner = Runner::create(hub.options());
  REQUIRE(runner.ok());
  std::vector<std::string> seen;
  std::vector<Outcome> outcomes;
  runner->runAll({"ok", "bad", "ok"}, 2, [&](const CaseResult& r) {
    seen.push_back(r.name);
    outcomes.push_back(r.outcome);
  });
  CHECK(seen == std::vector<std::string>{"ok", "bad", "ok"});
  CHECK(outcomes == std::vector<Outcome>{Outcome::Passed, Outcome::Error, Outcome::Passed});
}

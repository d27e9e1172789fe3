// SPDX-License-Identifier: Apache-2.0
// Scenario loading: strict decoding, required fields, type table, format gate, and the whole
// CrowdSec hub scenario tree as a yardstick.
#include <algorithm>
#include <filesystem>
#include <iostream>

#include <catch2/catch.hpp>

#include "scenario_test_util.h"

using namespace cw::core;
using namespace cw::core::scenarios;
using namespace cw::core::scenarios::testing;

namespace {

std::string loadError(Harness& h, const std::string& yaml) {
  auto m = h.load(yaml);
  REQUIRE_FALSE(m.ok());
  return m.error().message;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("multi-document files load every scenario in order", "[scenario][load]") {
  Harness h;
  auto m = h.load(R"(
type: leaky
name: test/one
description: d
filter: "true"
capacity: 1
leakspeed: 10s
---
type: trigger
name: test/two
description: d
filter: "true"
---
)");
  REQUIRE(m.ok());
  CHECK(m->scenarioCount() == 2);
  CHECK(m->scenarioNames() == std::vector<std::string>{"test/one", "test/two"});
}

TEST_CASE("unknown keys are rejected with file and line", "[scenario][load]") {
  Harness h;
  std::string err = loadError(h, "type: leaky\nname: test/x\ndescription: d\nfilter: \"true\"\n"
                                 "capcity: 1\nleakspeed: 10s\n");
  CHECK(contains(err, "scenario.yaml:5: scenario 'test/x': unknown field 'capcity'"));
}

TEST_CASE("nested unknown keys and repeated keys are rejected", "[scenario][load]") {
  Harness h;
  std::string err = loadError(h, "type: trigger\nname: test/x\ndescription: d\nfilter: \"true\"\n"
                                 "scope:\n  type: Range\n  expr: foo\n");
  CHECK(contains(err, "scenario.yaml:7:"));
  CHECK(contains(err, "unknown field 'expr'"));
  err = loadError(h,
                  "type: trigger\nname: test/x\nname: test/y\ndescription: d\nfilter: \"true\"\n");
  CHECK(contains(err, "scenario.yaml:3:"));
  CHECK(contains(err, "field 'name' already set"));
}

TEST_CASE("required fields and the type table are enforced", "[scenario][load]") {
  Harness h;
  const std::string base = "name: test/x\ndescription: d\nfilter: \"true\"\n";
  CHECK(contains(loadError(h, "type: trigger\ndescription: d\nfilter: \"true\"\n"),
                 "scenario has no name"));
  CHECK(contains(loadError(h, "type: trigger\nname: test/x\nfilter: \"true\"\n"),
                 "description is mandatory"));
  CHECK(contains(loadError(h, "type: trigger\nname: test/x\ndescription: d\n"),
                 "filter: bucket without filter directive"));
  CHECK(contains(loadError(h, base + "type: uniq\n"), "type: unknown bucket type 'uniq'"));
  CHECK(contains(loadError(h, base + "type: leaky\ncapacity: 0\nleakspeed: 10s\n"),
                 "bad capacity for leaky '0'"));
  CHECK(contains(loadError(h, base + "type: leaky\ncapacity: 3\n"),
                 "leakspeed can't be empty for leaky"));
  CHECK(contains(loadError(h, base + "type: trigger\ncapacity: 3\n"),
                 "trigger bucket must have 0 capacity"));
  CHECK(contains(loadError(h, base + "type: counter\ncapacity: 5\nduration: 10s\n"),
                 "counter bucket must have -1 capacity"));
  CHECK(contains(loadError(h, base + "type: counter\ncapacity: -1\n"),
                 "duration can't be empty for counter"));
  CHECK(contains(loadError(h, base + "type: conditional\ncapacity: -1\nleakspeed: 1m\n"),
                 "conditional bucket must have a condition"));
  CHECK(contains(loadError(h, base + "type: bayesian\ncapacity: -1\nleakspeed: 1m\n"
                                     "bayesian_prior: 1.5\nbayesian_threshold: 0.5\n"
                                     "bayesian_conditions:\n- condition: \"true\"\n"
                                     "  prob_given_evil: 0.5\n  prob_given_benign: 0.5\n"),
                 "bayesian bucket must have a prior in (0, 1]"));
}

TEST_CASE("a key is reported once: the cause, not its consequences", "[scenario][load]") {
  Harness h;
  const std::string msg = loadError(h, "name: test/x\ndescription: d\nfilter: \"true\"\n"
                                       "type: leaky\ncapacity: abc\nleakspeed: 10s\n");
  CHECK(contains(msg, "capacity: expected an integer, got 'abc'"));
  CHECK_FALSE(contains(msg, "bad capacity"));
  CHECK(msg.find('\n') == std::string::npos);  // one line: the only problem
}

TEST_CASE("values of the wrong type are load errors", "[scenario][load]") {
  Harness h;
  const std::string base = "name: test/x\ndescription: d\nfilter: \"true\"\n";
  CHECK(contains(loadError(h, base + "type: leaky\ncapacity: \"5\"\nleakspeed: 10s\n"),
                 "capacity: expected an integer, got '5'"));
  CHECK(contains(loadError(h, base + "type: leaky\ncapacity: 5\nleakspeed: 10\n"),
                 "leakspeed: invalid duration '10'"));
  CHECK(contains(loadError(h, base + "type: leaky\ncapacity: 5\nleakspeed: 10s\nblackhole: 1d\n"),
                 "blackhole: invalid duration '1d'"));
  CHECK(contains(loadError(h, base + "type: trigger\nreprocess: maybe\n"),
                 "reprocess: expected a boolean, got 'maybe'"));
  CHECK(contains(loadError(h, base + "type: trigger\nlabels: [a, b]\n"),
                 "labels: expected a mapping"));
  CHECK(contains(loadError(h, base + "type: trigger\nfilter2: x\n"), "unknown field 'filter2'"));
}

TEST_CASE("bad expressions fail the load with the field name", "[scenario][load]") {
  Harness h;
  std::string err = loadError(h, "type: trigger\nname: test/x\ndescription: d\n"
                                 "filter: \"evt.Meta.x ==\"\n");
  CHECK(contains(err, "scenario.yaml:4: scenario 'test/x': filter: invalid expression"));
  err = loadError(h, "type: trigger\nname: test/x\ndescription: d\nfilter: \"true\"\n"
                     "groupby: \"NoSuchHelper(evt.Meta.x)\"\n");
  CHECK(contains(err, "scenario.yaml:5: scenario 'test/x': groupby: invalid expression"));
}

TEST_CASE("scope rules: expression forbidden with Ip, mandatory for custom scopes",
          "[scenario][load]") {
  Harness h;
  const std::string base = "type: trigger\nname: test/x\ndescription: d\nfilter: \"true\"\n";
  CHECK(contains(loadError(h, base + "scope:\n  type: Ip\n  expression: evt.Meta.source_ip\n"),
                 "expression is not allowed with scope Ip"));
  CHECK(contains(loadError(h, base + "scope:\n  type: username\n"),
                 "scope 'username' needs an expression"));
}

TEST_CASE("format outside [1.0, 3.0] skips the scenario", "[scenario][load]") {
  Harness h;
  auto m = h.load(R"(
type: trigger
name: test/future
description: d
filter: "true"
format: 4.0
---
type: trigger
name: test/ok
description: d
filter: "true"
format: 2.0
)");
  REQUIRE(m.ok());
  CHECK(m->scenarioNames() == std::vector<std::string>{"test/ok"});
}

TEST_CASE("data entries are loaded from the data dir", "[scenario][load]") {
  Harness h;
  h.dir.write("bad_uas.txt", "# comment\nsqlmap\nnikto\n");
  auto m = h.load(R"Y(
type: trigger
name: test/data
description: d
filter: "evt.Meta.ua in File('bad_uas.txt')"
data:
  - source_url: https://example.invalid/bad_uas.txt
    dest_file: bad_uas.txt
    type: string
)Y");
  REQUIRE(m.ok());
  auto out = pourAll(*m, {logEvent("10.0.0.1", "2020-01-01T10:00:00Z", {{"ua", "nikto"}}),
                          logEvent("10.0.0.1", "2020-01-01T10:00:00Z", {{"ua", "curl"}})});
  CHECK(out.size() == 1);
}

// Every scenario of the CrowdSec hub must load. Files that are not scenarios (misplaced
// acquisition or profile examples) or use keys upstream also rejects are listed here, so a
// regression changes the count and fails.
TEST_CASE("every hub scenario file loads", "[scenario][corpus]") {
  namespace fs = std::filesystem;
  const fs::path hub = fs::path(CW_SHARED_DIR) / "corpus" / "crowdsec-hub";
  if (!fs::exists(hub / "scenarios")) {
    WARN("CrowdSec hub corpus not found at " << hub.string() << ": corpus test skipped");
    return;
  }
  std::vector<fs::path> files;
  for (const auto& entry : fs::recursive_directory_iterator(hub / "scenarios")) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  expr::Services services;
  LoadOptions opts;
  opts.services = &services;
  opts.data_dir = (hub / "data").string();

  std::size_t loaded_files = 0;
  std::size_t scenarios = 0;
  std::vector<std::string> failures;
  for (const auto& f : files) {
    auto m = BucketManager::load({ScenarioFile{f.string(), "", ""}}, opts);
    if (m.ok()) {
      ++loaded_files;
      scenarios += m->scenarioCount();
    } else {
      failures.push_back(fs::relative(f, hub).string() + ": " + m.error().message);
    }
  }
  for (const auto& f : failures) {
    UNSCOPED_INFO(f);
  }
  std::cerr << "hub scenarios: files=" << files.size() << " loaded=" << loaded_files
            << " scenarios=" << scenarios << " failed=" << failures.size() << "\n";
  for (const auto& f : failures) {
    std::cerr << "  " << f << "\n";
  }
  CHECK(files.size() == loaded_files + failures.size());
  CHECK(failures.size() == 0);
}

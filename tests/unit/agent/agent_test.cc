// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <string>

#include <unistd.h>

#include "cw/core/agent/agent.h"

namespace fs = std::filesystem;
using cw::core::agent::Agent;
using cw::core::agent::AgentConfig;

namespace {

struct TempHub {
  fs::path dir = fs::temp_directory_path() / ("cw_agent_" + std::to_string(::getpid()));
  TempHub() { fs::create_directories(dir / "patterns"); }
  ~TempHub() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  std::string write(const std::string& rel, const std::string& text) const {
    fs::create_directories((dir / rel).parent_path());
    std::ofstream(dir / rel) << text;
    return (dir / rel).string();
  }
};

}  // namespace

TEST_CASE("replay counts lines and keeps one alert per trigger overflow", "[agent]") {
  TempHub hub;
  // Lines "ban <ip>" get Meta.source_ip and a log time; other lines are unparsed.
  hub.write("parsers/s01-parse/t/ban.yaml",
            "name: t/ban\ndescription: d\nauthor: t\nonsuccess: next_stage\n"
            "filter: \"evt.Line.Labels.type == 'test'\"\n"
            "grok:\n  pattern: '^ban %{IP:ip}$'\n  apply_on: Line.Raw\n"
            "statics:\n  - meta: source_ip\n    expression: evt.Parsed.ip\n"
            "  - target: evt.StrTime\n    value: '2024-01-02T03:04:05Z'\n");
  hub.write("parsers/s02-enrich/t/date.yaml",
            "name: t/date\ndescription: d\nauthor: t\nfilter: \"1 == 1\"\n"
            "statics:\n  - method: ParseDate\n    expression: evt.StrTime\n"
            "  - target: MarshaledTime\n    expression: evt.Enriched.MarshaledTime\n");
  hub.write("scenarios/t/trig.yaml",
            "type: trigger\nname: t/trig\ndescription: d\nfilter: \"evt.Meta.source_ip != ''\"\n"
            "groupby: evt.Meta.source_ip\nblackhole: 1m\nlabels:\n  remediation: true\n");
  hub.write("x.log", "ban 1.2.3.4\nnoise\n\nban 1.2.3.4\nban 5.6.7.8\n");

  AgentConfig config;
  config.hub_dir = hub.dir.string();
  auto agent = Agent::create(config);
  INFO((agent.ok() ? std::string() : agent.error().message));
  REQUIRE(agent.ok());
  CHECK((*agent)->loaded().parsers == 2);
  CHECK((*agent)->loaded().scenarios == 1);

  cw::core::agent::ReplayInput input;
  input.files = {(hub.dir / "x.log").string()};
  input.type = "test";
  auto result = (*agent)->replay(input);
  REQUIRE(result.ok());
  const auto& c = result->counters;
  CHECK(c.lines_read == 5);
  CHECK(c.parsed == 3);
  CHECK(c.unparsed == 1);
  CHECK(c.empty == 1);
  // The second "ban 1.2.3.4" falls in the blackhole of the first alert (same log time).
  REQUIRE(result->alerts.size() == 2);
  CHECK(c.alerts == 2);
  CHECK(result->alerts[0].scenario == "t/trig");
  CHECK(result->alerts[0].source.value == "1.2.3.4");
  CHECK(result->alerts[0].start_at == "2024-01-02T03:04:05Z");
  CHECK(result->alerts[1].source.value == "5.6.7.8");
}

TEST_CASE("create lists hub problems", "[agent]") {
  AgentConfig config;
  config.hub_dir = "/nonexistent/hub";
  auto agent = Agent::create(config);
  REQUIRE_FALSE(agent.ok());
  CHECK(agent.error().message == "hub directory /nonexistent/hub not found");
}

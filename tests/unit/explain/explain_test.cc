// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>
#include <sstream>

#include "cw/core/explain/explain.h"

using cw::core::explain::Options;

namespace {

Options ownHub() {
  Options o;
  o.agent.hub_dir = CW_HUB_DIR;
  o.agent.collections = {"crowdwall/linux"};
  o.agent.year = 2026;
  o.type = "syslog";
  return o;
}

}  // namespace

TEST_CASE("explain shows each stage, node, change and scenario for a line", "[explain]") {
  std::ostringstream out;
  auto r = cw::core::explain::explainLines(
      ownHub(), {"Dec 10 06:55:46 host sshd[42]: Invalid user admin from 192.0.2.7 port 22"},
      out);
  REQUIRE(r.ok());
  const std::string text = out.str();
  CHECK_THAT(text, Catch::StartsWith("line 1: Dec 10 06:55:46 host sshd[42]: Invalid user admin "
                                     "from 192.0.2.7 port 22\n  s00-raw\n"));
  CHECK_THAT(text, Catch::Contains("    ok  crowdwall/syslog-logs\n"));
  CHECK_THAT(text, Catch::Contains("        + Parsed.program = sshd\n"));
  CHECK_THAT(text, Catch::Contains("  s01-parse\n    ok  crowdwall/sshd-logs\n"));
  CHECK_THAT(text, Catch::Contains("        + Meta.source_ip = 192.0.2.7\n"));
  CHECK_THAT(text, Catch::Contains("        + Meta.target_user = admin\n"));
  CHECK_THAT(text, Catch::Contains("        + Meta.timestamp = 2026-12-10T06:55:46Z\n"));
  CHECK_THAT(text, Catch::EndsWith("    => parsed\n  scenarios\n"
                                   "    poured into crowdwall/ssh-bf\n"
                                   "    poured into crowdwall/ssh-slow-bf\n\n"));
}

TEST_CASE("explain says where an unparsed line was dropped and names the alert", "[explain]") {
  std::ostringstream out;
  std::vector<std::string> lines = {"not a syslog line"};
  for (int i = 0; i < 6; ++i) {
    lines.push_back("Dec 10 06:55:4" + std::to_string(i) +
                    " host sshd[42]: Failed password for root from 192.0.2.8 port 22 ssh2");
  }
  auto r = cw::core::explain::explainLines(ownHub(), lines, out);
  REQUIRE(r.ok());
  const std::string text = out.str();
  CHECK_THAT(text, Catch::StartsWith("line 1: not a syslog line\n  s00-raw\n"
                                     "    --  crowdwall/non-syslog\n"
                                     "    --  crowdwall/syslog-logs\n"
                                     "    => not parsed (dropped in s00-raw)\n\n"));
  CHECK_THAT(text, Catch::Contains("line 7: "));
  CHECK_THAT(text, Catch::EndsWith("    => alert crowdwall/ssh-bf Ip:192.0.2.8 (6 events)\n\n"));
}

TEST_CASE("explain reports a hub that cannot be loaded", "[explain]") {
  Options o = ownHub();
  o.agent.collections = {"crowdwall/nope"};
  std::ostringstream out;
  auto r = cw::core::explain::explainLines(o, {"x"}, out);
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.error().message, Catch::Contains("crowdwall/nope"));
  CHECK(out.str().empty());
}

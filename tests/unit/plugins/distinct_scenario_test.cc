// SPDX-License-Identifier: Apache-2.0
// The built crowdwall/distinct scenario plugin, loaded through the loader, driven with the
// SDK's ScenarioDriver and TestEvent (no engine): configuration errors, the exact event that
// overflows, the window, events without the Meta key.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cw/core/plugins/loader.h"
#include "cw/sdk/testing.h"

namespace pl = cw::core::plugins;
using cw::sdk::testing::ScenarioDriver;
using cw::sdk::testing::TestEvent;

namespace {
constexpr std::int64_t kSecond = 1000000000;
}

TEST_CASE("the distinct scenario plugin", "[plugins][scenario]") {
  auto set = pl::load(pl::installedPluginOptions(CW_PLUGIN_BUILD_DIR, "", {}, {}, "scenario"));
  REQUIRE(set);
  REQUIRE((*set)->plugins().size() == 1);
  const pl::Plugin& plugin = *(*set)->plugins().front();
  CHECK(plugin.entry().id == "crowdwall/distinct");
  CHECK(plugin.entry().kind == "scenario");
  REQUIRE(plugin.scenario() != nullptr);

  ScenarioDriver driver(plugin.descriptor());
  bool overflow = true;
  SECTION("configuration errors") {
    CHECK(driver.create("count: 1\nwindow: 5x\nextra: 1\n") == CW_INVALID);
    CHECK(plugin.takeReports() ==
          std::vector<std::string>{
              "config.count: expected an integer from 2 to 100000, got '1'",
              "config.window: expected a duration such as 90s, 10m or 1h, got '5x'",
              "config: unknown key 'extra' (expected meta, count, window)",
              "config.meta is required"});
    CHECK(driver.create("") == CW_INVALID);
    CHECK(plugin.takeReports() ==
          std::vector<std::string>{"config: a mapping with meta, count and window is required"});
    CHECK(driver.create("meta: u\ncount: 2\nwindow: 1m30s\n") == CW_OK);  // a Go duration
    CHECK(plugin.takeReports().empty());
  }
  SECTION("overflows at the third distinct value within the window") {
    REQUIRE(driver.create("meta: target_user\ncount: 3\nwindow: 10s\n") == CW_OK);
    TestEvent e1(100 * kSecond, "192.0.2.1");
    e1.meta("target_user", "root");
    TestEvent e2(101 * kSecond, "192.0.2.1");
    e2.meta("target_user", "root").parsed("program", "sshd");
    TestEvent e3(102 * kSecond, "192.0.2.1");  // no target_user: ignored
    e3.meta("source_ip", "192.0.2.1");
    TestEvent e4(103 * kSecond, "192.0.2.1");
    e4.meta("target_user", "admin");
    TestEvent e5(111 * kSecond, "192.0.2.1");  // root, last seen at 101, is now out
    e5.meta("target_user", "test");
    TestEvent e6(112 * kSecond, "192.0.2.1");  // admin (103), test, oracle
    e6.meta("target_user", "oracle");
    for (TestEvent* e : {&e1, &e2, &e3, &e4, &e5}) {
      CHECK(driver.pour(*e, overflow) == CW_OK);
      CHECK_FALSE(overflow);
    }
    CHECK(driver.pour(e6, overflow) == CW_OK);
    CHECK(overflow);
    CHECK(plugin.takeReports().empty());
  }
}

// SPDX-License-Identifier: Apache-2.0
// The built crowdwall/http notification plugin, loaded through the loader as the daemon does,
// driven with the SDK's NotifierDriver: configuration errors and a failed delivery reported
// with exact messages.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cw/core/plugins/loader.h"
#include "cw/sdk/testing.h"

namespace pl = cw::core::plugins;

TEST_CASE("the http notification plugin checks its configuration", "[plugins][notification]") {
  auto set = pl::load(pl::installedPluginOptions(CW_PLUGIN_BUILD_DIR, "", {}, {}, "notification"));
  REQUIRE(set);
  REQUIRE((*set)->plugins().size() == 1);
  const pl::Plugin& plugin = *(*set)->plugins().front();
  CHECK(plugin.entry().id == "crowdwall/http");
  CHECK(plugin.entry().kind == "notification");
  REQUIRE(plugin.notification() != nullptr);
  CHECK(plugin.acquisition() == nullptr);

  cw::sdk::testing::NotifierDriver driver(plugin.descriptor());
  SECTION("missing url, bad timeout, unknown key, wrong type") {
    CHECK(driver.create("timeout: soon\nformat: x\nheaders: [a]\n") == CW_INVALID);
    CHECK(plugin.takeReports() ==
          std::vector<std::string>{"timeout 'soon' is not a positive duration (10s, 500ms)",
                                   "unknown key 'format'",
                                   "headers must be a map of names to values", "url is required"});
  }
  SECTION("not an http url") {
    CHECK(driver.create("url: ftp://example.org/\nskip_tls_verify: maybe\n") == CW_INVALID);
    CHECK(plugin.takeReports() ==
          std::vector<std::string>{"skip_tls_verify: wrong type",
                                   "url 'ftp://example.org/' is not an http:// or https:// URL"});
  }
  SECTION("CrowdSec's keys: skip_tls_verification, keys written without a value") {
    CHECK(driver.create("url: https://127.0.0.1:1/\nskip_tls_verification: true\nheaders:\n"
                        "timeout:\nmethod: POST\n") == CW_OK);
    CHECK(plugin.takeReports().empty());
    CHECK(driver.create("url: https://127.0.0.1:1/\nskip_tls_verification: sometimes\n") ==
          CW_INVALID);
    CHECK(plugin.takeReports() == std::vector<std::string>{"skip_tls_verification: wrong type"});
  }
  SECTION("a refused connection is a reported failure") {
    REQUIRE(driver.create("url: http://127.0.0.1:1/x\nmethod: PUT\ntimeout: 2s\n") == CW_OK);
    CHECK(plugin.takeReports().empty());
    CHECK(driver.notify("{\"scenario\":\"x\"}") == CW_ERROR);
    const std::vector<std::string> reports = plugin.takeReports();
    REQUIRE(reports.size() == 1);
    CHECK(reports[0].rfind("PUT http://127.0.0.1:1/x: ", 0) == 0);
  }
}

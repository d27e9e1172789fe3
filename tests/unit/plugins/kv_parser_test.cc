// SPDX-License-Identifier: Apache-2.0
// The built crowdwall/kv parser plugin, loaded through the loader as the agent does, driven
// with the SDK's ParserDriver: exact writes, refusals, configuration errors.
#include <catch2/catch.hpp>
#include <string>
#include <utility>
#include <vector>

#include "cw/core/plugins/loader.h"
#include "cw/sdk/testing.h"

namespace pl = cw::core::plugins;
using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("the kv parser plugin decodes key=value pairs", "[plugins][parser][kv]") {
  auto set = pl::load(pl::installedPluginOptions(CW_PLUGIN_BUILD_DIR, "", {}, {}, "parser"));
  REQUIRE(set);
  REQUIRE((*set)->plugins().size() == 1);
  const pl::Plugin& plugin = *(*set)->plugins().front();
  CHECK(plugin.entry().id == "crowdwall/kv");
  CHECK(plugin.entry().kind == "parser");
  REQUIRE(plugin.parser() != nullptr);

  cw::sdk::testing::ParserDriver driver(plugin.descriptor());
  SECTION("defaults: every pair of Line.Raw, quoted values, tokens without '=' skipped") {
    REQUIRE(driver.create("") == CW_OK);
    CHECK(driver.process(R"(fw01 action=deny src=192.0.2.7  dport=22 msg="bad login" =x k=)") ==
          CW_OK);
    CHECK(driver.written() == Pairs{{"action", "deny"},
                                    {"src", "192.0.2.7"},
                                    {"dport", "22"},
                                    {"msg", "bad login"},
                                    {"k", ""}});
    CHECK(driver.process("no pairs here") == CW_INVALID);
    CHECK(driver.written().empty());
    CHECK(plugin.takeReports().empty());
  }
  SECTION("apply_on a Parsed key, prefix, keys, required, another separator") {
    REQUIRE(driver.create("apply_on: message\nseparator: ':'\nprefix: kv_\nkeys: [src, user]\n"
                          "required: [src]\n") == CW_OK);
    using cw::sdk::testing::TestEvent;
    TestEvent e(0, "", "src:ignored");
    e.parsed("program", "app").parsed("message", "user:bob act:login src:198.51.100.4");
    CHECK(driver.process(e) == CW_OK);
    CHECK(driver.written() == Pairs{{"kv_user", "bob"}, {"kv_src", "198.51.100.4"}});
    TestEvent no_src;
    no_src.parsed("message", "user:bob act:login");
    CHECK(driver.process(no_src) == CW_INVALID);  // src is required
    TestEvent no_message;
    no_message.parsed("program", "app");
    CHECK(driver.process(no_message) == CW_INVALID);  // no `message` to decode
    CHECK(driver.written().empty());
  }
  SECTION("configuration errors are all reported") {
    CHECK(driver.create("separator: ' '\nkeys: src\nrequired: [user]\nverbose: true\n") ==
          CW_INVALID);
    CHECK(plugin.takeReports() == std::vector<std::string>{"unknown key 'verbose'",
                                                           "keys must be a list of keys",
                                                           "separator must not contain spaces "
                                                           "or tabs"});
    CHECK(driver.create("keys: []\n") == CW_INVALID);
    CHECK(plugin.takeReports() ==
          std::vector<std::string>{"keys is empty: leave it out, or list keys"});
    CHECK(driver.create("required: [user]\nkeys: [src]\n") == CW_INVALID);
    CHECK(plugin.takeReports() == std::vector<std::string>{"required key 'user' is not in keys"});
    CHECK(driver.create("[1, 2]") == CW_INVALID);
    CHECK(plugin.takeReports() == std::vector<std::string>{"the configuration must be a mapping"});
  }
}

// SPDX-License-Identifier: Apache-2.0
// Notifications::load: notification files + the notification plugins of the index, through the
// fixture plugin fixture/recorder (tests/plugins/fixtures/notify_recorder.cc). Only the names
// profiles use are created; every problem is listed.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "../plugins/plugin_dir.h"
#include "cw/core/config/config.h"
#include "cw/core/decisions/profiles.h"
#include "cw/core/expr/services.h"
#include "cw/core/notifications/dispatcher.h"
#include "cw/core/plugins/loader.h"

namespace fs = std::filesystem;
namespace n = cw::core::notifications;
using namespace cw::core;

namespace {

/// A config dir with notifications/, and a plugin dir with the recorder and its index.
struct Setup {
  /// `other`: other/recorder (the same recorder under another id) is installed too.
  explicit Setup(bool other = false) : plugins(fixtures(other)) {
    char tmpl[] = "/tmp/cw-notifications-XXXXXX";  // mkdtemp's template, not a marker
    root = ::mkdtemp(tmpl);
    fs::create_directories(root + "/etc/notifications");
    cfg.config_paths.config_dir = root + "/etc";
    cfg.config_paths.notification_dir = root + "/etc/notifications";
    cfg.config_paths.plugin_dir = plugins.dir();
    cfg.server.profiles_path = root + "/etc/profiles.yaml";
  }
  ~Setup() { fs::remove_all(root); }

  static std::vector<cwtest::Fixture> fixtures(bool other) {
    std::vector<cwtest::Fixture> f{{"fixture/recorder", "notify_recorder", "notification"}};
    if (other) {
      f.push_back({"other/recorder", "notify_recorder_other", "notification"});
    }
    return f;
  }

  decisions::Profiles profiles(const std::string& names) {
    auto p =
        decisions::Profiles::parse("name: p1\nfilters:\n - true\nnotifications: [" + names + "]\n",
                                   cfg.server.profiles_path, services);
    REQUIRE(p);
    return std::move(*p);
  }

  cwtest::PluginDir plugins;
  std::string root;
  config::Config cfg;
  expr::Services services;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("only the notifications profiles name are created, and they send through the plugin",
          "[notifications]") {
  Setup s;
  const std::string out = s.root + "/rec.out";
  const std::string unused = s.root + "/unused.out";
  std::ofstream(s.root + "/etc/notifications/rec.yaml")
      << "type: fixture/recorder\nname: rec\nfile: " << out << "\nfail: boom\n---\n"
      << "type: fixture/recorder\nname: unused\nfile: " << unused << "\n";
  auto notifications = n::Notifications::load(s.cfg, s.profiles("rec"));
  REQUIRE(notifications);
  n::Dispatcher& d = (*notifications)->dispatcher();
  CHECK(d.names() == std::vector<std::string>{"rec"});
  CHECK(slurp(out) == "created\n");
  CHECK_FALSE(fs::exists(unused));

  d.start();
  CHECK(d.submit({"rec"}, "{\"a\":1}"));
  CHECK(d.submit({"rec"}, "{\"boom\":2}"));
  CHECK(d.submit({"rec"}, "{\"a\":3}"));
  d.stop();
  CHECK(slurp(out) == "created\n[{\"a\":1}]\n[{\"a\":3}]\n");
  const n::DispatcherStats st = d.stats();
  CHECK(st.queued == 3);
  CHECK(st.sent == 2);
  CHECK(st.failed == 1);
  CHECK(st.dropped == 0);
}

TEST_CASE("no profile names a notification: nothing is read or loaded", "[notifications]") {
  Setup s;
  std::ofstream(s.root + "/etc/notifications/broken.yaml") << "name: [unclosed\n";
  fs::remove(s.plugins.index());
  auto p = decisions::Profiles::parse("name: p1\nfilters:\n - true\n", "profiles.yaml", s.services);
  REQUIRE(p);
  auto notifications = n::Notifications::load(s.cfg, *p);
  REQUIRE(notifications);
  CHECK((*notifications)->dispatcher().names().empty());
}

TEST_CASE("unknown names, unknown types and refused configurations are all listed",
          "[notifications]") {
  Setup s;
  const std::string f = s.root + "/etc/notifications/all.yaml";
  std::ofstream(f) << "type: fixture/recorder\nname: nofile\n---\n"
                   << "type: me/mail\nname: mail\nhost: x\n";
  auto notifications = n::Notifications::load(s.cfg, s.profiles("nofile, nope, mail"));
  REQUIRE_FALSE(notifications);
  CHECK(notifications.error().message ==
        s.root + "/etc/profiles.yaml: profile 'p1' names notification 'nope', which no file of " +
            s.root + "/etc/notifications defines\n" + f +
            ":1: notification 'nofile' (fixture/recorder): recorder: file is required\n" + f +
            ":4: notification 'mail': no enabled notification plugin 'me/mail' (available: "
            "fixture/recorder)");
}

TEST_CASE("a CrowdSec type without a slash names the plugin whose id ends with it",
          "[notifications]") {
  SECTION("one plugin: `type: recorder` is fixture/recorder, and its file works unchanged") {
    Setup s;
    const std::string out = s.root + "/rec.out";
    std::ofstream(s.root + "/etc/notifications/rec.yaml")
        << "type: recorder\nname: rec\nlog_level: info\ngroup_threshold: 2\nmax_retry: 1\n"
        << "format: |\n  {{range .}}{{.Scenario}} {{.Source.Value}},{{end}}\nfile: " << out
        << "\n---\ntype: fixture/recorder\nname: full\nfile: " << out << "\n";
    auto notifications = n::Notifications::load(s.cfg, s.profiles("rec, full"));
    REQUIRE(notifications);
    n::Dispatcher& d = (*notifications)->dispatcher();
    CHECK(d.names() == std::vector<std::string>{"rec", "full"});
    d.start();
    for (const char* ip : {"192.0.2.1", "192.0.2.2", "192.0.2.3"}) {
      CHECK(d.submit({"rec"},
                     std::string(R"({"scenario":"me/bf","source":{"value":")") + ip + R"("}})"));
    }
    d.stop();
    CHECK(slurp(out) ==
          "created\ncreated\nme/bf 192.0.2.1,me/bf 192.0.2.2,\n\n"
          "me/bf 192.0.2.3,\n\n");
    CHECK(d.stats().sent == 2);
  }
  SECTION("two plugins end with it: ambiguous; none does: the candidates are listed") {
    Setup s(true);
    const std::string f = s.root + "/etc/notifications/all.yaml";
    std::ofstream(f) << "type: recorder\nname: rec\nfile: x\n---\n"
                     << "type: mail\nname: mail\n---\n"
                     << "type: other/recorder\nname: full\nfile: " << s.root << "/full.out\n";
    auto notifications = n::Notifications::load(s.cfg, s.profiles("rec, mail, full"));
    REQUIRE_FALSE(notifications);
    CHECK(notifications.error().message ==
          f +
              ":1: notification 'rec': notification plugin 'recorder' is ambiguous "
              "(fixture/recorder, other/recorder): name it by its id\n" +
              f +
              ":5: notification 'mail': no enabled notification plugin 'mail' (available: "
              "fixture/recorder, other/recorder)");
  }
}

// SPDX-License-Identifier: Apache-2.0
// The notification dispatcher: a bounded queue, one thread calling the notifiers in order, drops
// and failures counted. Waits use condition variables, never a clock.
#include "cw/core/notifications/dispatcher.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace n = cw::core::notifications;
using cw::core::ErrorCode;
using cw::core::makeError;
using cw::core::Result;

namespace {

/// Records what it is given; fails the alerts listed in `fail`; when `hold` is set, the first
/// call waits for release() after saying it started.
class FakeNotifier : public n::Notifier {
 public:
  struct Log {
    std::mutex mu;
    std::condition_variable cv;
    std::vector<std::string> calls;  // "<name> <json>"
    bool entered = false;
    bool released = true;
  };

  FakeNotifier(std::string name, Log& log, std::vector<std::string> fail = {})
      : name_(std::move(name)), log_(log), fail_(std::move(fail)) {}

  Result<bool> notify(std::string_view json) override {
    std::unique_lock lock(log_.mu);
    log_.calls.push_back(name_ + " " + std::string(json));
    log_.entered = true;
    log_.cv.notify_all();
    log_.cv.wait(lock, [&] { return log_.released; });
    for (const std::string& f : fail_) {
      if (f == json) {
        return makeError(ErrorCode::Runtime, "refused " + f);
      }
    }
    return true;
  }

 private:
  std::string name_;
  FakeNotifier::Log& log_;
  std::vector<std::string> fail_;
};

std::vector<std::string> calls(FakeNotifier::Log& log) {
  std::lock_guard lock(log.mu);
  return log.calls;
}

}  // namespace

TEST_CASE("alerts reach the named notifiers in the order they were queued", "[notifications]") {
  FakeNotifier::Log log;
  n::Dispatcher d(8);
  d.add("mail", std::make_unique<FakeNotifier>("mail", log));
  d.add("hook", std::make_unique<FakeNotifier>("hook", log));
  d.start();
  REQUIRE(d.submit({"hook"}, "{\"a\":1}"));
  REQUIRE(d.submit({"mail", "hook", "mail"}, "{\"a\":2}"));
  REQUIRE(d.submit({"unknown"}, "{\"a\":3}"));  // no known name: nothing to send
  REQUIRE(d.submit({"unknown", "mail"}, "{\"a\":4}"));
  d.waitIdle();
  CHECK(calls(log) == std::vector<std::string>{"hook {\"a\":1}", "mail {\"a\":2}", "hook {\"a\":2}",
                                               "mail {\"a\":4}"});
  const n::DispatcherStats s = d.stats();
  CHECK(s.queued == 3);
  CHECK(s.sent == 4);
  CHECK(s.failed == 0);
  CHECK(s.dropped == 0);
  CHECK(d.names() == std::vector<std::string>{"mail", "hook"});
  CHECK(d.has("hook"));
  CHECK_FALSE(d.has("unknown"));
}

TEST_CASE("a full queue drops the alert and counts it, without blocking", "[notifications]") {
  FakeNotifier::Log log;
  log.released = false;  // the first call holds the thread
  n::Dispatcher d(3);
  d.add("hook", std::make_unique<FakeNotifier>("hook", log));
  d.start();
  REQUIRE(d.submit({"hook"}, "0"));
  {
    std::unique_lock lock(log.mu);
    log.cv.wait(lock, [&] { return log.entered; });  // "0" is in the plugin, off the queue
  }
  CHECK(d.submit({"hook"}, "1"));
  CHECK(d.submit({"hook"}, "2"));
  CHECK(d.submit({"hook"}, "3"));
  CHECK_FALSE(d.submit({"hook"}, "4"));  // 3 queued: full
  CHECK_FALSE(d.submit({"hook"}, "5"));
  n::DispatcherStats s = d.stats();
  CHECK(s.queued == 4);
  CHECK(s.dropped == 2);
  CHECK(s.sent == 0);
  {
    std::lock_guard lock(log.mu);
    log.released = true;
  }
  log.cv.notify_all();
  d.waitIdle();
  CHECK(calls(log) == std::vector<std::string>{"hook 0", "hook 1", "hook 2", "hook 3"});
  s = d.stats();
  CHECK(s.queued == 4);
  CHECK(s.dropped == 2);
  CHECK(s.sent == 4);
  CHECK(s.failed == 0);
  // Room again once delivered.
  CHECK(d.submit({"hook"}, "6"));
  d.waitIdle();
  CHECK(d.stats().sent == 5);
}

TEST_CASE("a failing notifier is counted and the others go on", "[notifications]") {
  FakeNotifier::Log log;
  n::Dispatcher d(8);
  d.add("bad", std::make_unique<FakeNotifier>("bad", log, std::vector<std::string>{"b", "c"}));
  d.add("good", std::make_unique<FakeNotifier>("good", log));
  d.start();
  for (const char* a : {"a", "b", "c", "d"}) {
    REQUIRE(d.submit({"bad", "good"}, a));
  }
  d.waitIdle();
  CHECK(calls(log) == std::vector<std::string>{"bad a", "good a", "bad b", "good b", "bad c",
                                               "good c", "bad d", "good d"});
  const n::DispatcherStats s = d.stats();
  CHECK(s.queued == 4);
  CHECK(s.sent == 6);
  CHECK(s.failed == 2);
  CHECK(s.dropped == 0);
}

TEST_CASE("alerts queued before start wait, and stop delivers what is queued", "[notifications]") {
  FakeNotifier::Log log;
  n::Dispatcher d(2);
  d.add("hook", std::make_unique<FakeNotifier>("hook", log));
  CHECK(d.submit({"hook"}, "1"));
  CHECK(d.submit({"hook"}, "2"));
  CHECK_FALSE(d.submit({"hook"}, "3"));
  CHECK(calls(log).empty());
  d.start();
  d.stop();
  CHECK(calls(log) == std::vector<std::string>{"hook 1", "hook 2"});
  const n::DispatcherStats s = d.stats();
  CHECK(s.queued == 2);
  CHECK(s.dropped == 1);
  CHECK(s.sent == 2);
}

TEST_CASE("notification files: type, name and the plugin's own keys", "[notifications]") {
  const fs::path dir = fs::temp_directory_path() / ("cw-notif-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  std::ofstream(dir / "b.yaml") << "type: crowdwall/http\nname: hook\nurl: http://x/\n"
                                   "headers:\n  X-A: b\n---\ntype: me/mail\nname: mail\n";
  std::ofstream(dir / "a.yml") << "name: first\ntype: me/x\n";
  std::ofstream(dir / "ignored.txt") << "not: read\n";
  auto configs = n::readConfigs(dir.string());
  REQUIRE(configs);
  REQUIRE(configs->size() == 3);
  CHECK((*configs)[0].name == "first");
  CHECK((*configs)[0].type == "me/x");
  CHECK((*configs)[0].yaml.empty());
  CHECK((*configs)[1].name == "hook");
  CHECK((*configs)[1].type == "crowdwall/http");
  CHECK((*configs)[1].line == 1);
  CHECK((*configs)[1].yaml == "url: http://x/\nheaders:\n  X-A: b");
  CHECK((*configs)[2].name == "mail");
  CHECK((*configs)[2].line == 7);
  CHECK((*configs)[2].yaml.empty());

  std::ofstream(dir / "c.yaml") << "name: hook\ntype: me/y\n---\ntype: me/z\n---\n- a list\n";
  auto bad = n::readConfigs(dir.string());
  REQUIRE_FALSE(bad);
  const std::string c = (dir / "c.yaml").string();
  CHECK(bad.error().message ==
        c + ":1: notification 'hook' is already defined at " + (dir / "b.yaml").string() + ":1\n" +
            c + ":4: notification without 'name'\n" + c + ":6: a notification must be a mapping");
  fs::remove_all(dir);
}

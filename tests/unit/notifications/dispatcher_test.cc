// SPDX-License-Identifier: Apache-2.0
// The notification dispatcher: a bounded queue, one thread calling the notifiers in order, drops
// and failures counted. Waits use condition variables, never a clock.
#include "cw/core/notifications/dispatcher.h"

#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
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
  // Each alert alone (no group_wait or group_threshold), in the default format: a JSON array.
  CHECK(calls(log) == std::vector<std::string>{"hook [{\"a\":1}]", "mail [{\"a\":2}]",
                                               "hook [{\"a\":2}]", "mail [{\"a\":4}]"});
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
  CHECK(calls(log) == std::vector<std::string>{"hook [0]", "hook [1]", "hook [2]", "hook [3]"});
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
  d.add("bad", std::make_unique<FakeNotifier>("bad", log, std::vector<std::string>{"[b]", "[c]"}));
  d.add("good", std::make_unique<FakeNotifier>("good", log));
  d.start();
  for (const char* a : {"a", "b", "c", "d"}) {
    REQUIRE(d.submit({"bad", "good"}, a));
  }
  d.waitIdle();
  CHECK(calls(log) == std::vector<std::string>{"bad [a]", "good [a]", "bad [b]", "good [b]",
                                               "bad [c]", "good [c]", "bad [d]", "good [d]"});
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
  CHECK(calls(log) == std::vector<std::string>{"hook [1]", "hook [2]"});
  const n::DispatcherStats s = d.stats();
  CHECK(s.queued == 2);
  CHECK(s.dropped == 1);
  CHECK(s.sent == 2);
}

/// Fails its first `failures` calls, then succeeds; counts the calls.
class FlakyNotifier : public n::Notifier {
 public:
  FlakyNotifier(int failures, int& calls) : failures_(failures), calls_(calls) {}
  Result<bool> notify(std::string_view) override {
    ++calls_;  // only the dispatcher's thread calls; read after stop()
    if (failures_ > 0) {
      --failures_;
      return makeError(ErrorCode::Runtime, "receiver down");
    }
    return true;
  }

 private:
  int failures_;
  int& calls_;
};

n::NotifierOptions grouped(std::size_t threshold, std::chrono::milliseconds wait,
                           const char* format = nullptr) {
  n::NotifierOptions o;
  o.group_threshold = threshold;
  o.group_wait = wait;
  if (format != nullptr) {
    auto t = n::Template::parse(format);
    REQUIRE(t);
    o.format = std::move(*t);
  }
  return o;
}

TEST_CASE("group_threshold: alerts go out as one message per threshold reached",
          "[notifications]") {
  FakeNotifier::Log log;
  n::Dispatcher d(16);
  d.add("hook", std::make_unique<FakeNotifier>("hook", log),
        grouped(2, std::chrono::milliseconds(0)));
  d.add("each", std::make_unique<FakeNotifier>("each", log));
  for (const char* a : {"1", "2", "3", "4", "5"}) {
    REQUIRE(d.submit({"hook"}, a));
  }
  REQUIRE(d.submit({"each", "hook"}, "6"));
  d.start();
  d.waitIdle();
  // An alert's notifications go in the order it named them.
  CHECK(calls(log) ==
        std::vector<std::string>{"hook [1,2]", "hook [3,4]", "each [6]", "hook [5,6]"});
  CHECK(d.stats().sent == 4);
  REQUIRE(d.submit({"hook"}, "7"));
  d.waitIdle();
  CHECK(calls(log).size() == 4);  // 7 waits for a second alert
  d.stop();                       // ... or for the stop
  CHECK(calls(log).back() == "hook [7]");
  const n::DispatcherStats s = d.stats();
  CHECK(s.queued == 7);
  CHECK(s.sent == 5);
  CHECK(s.failed == 0);
}

TEST_CASE("group_wait: a batch goes out once the wait since its first alert is over",
          "[notifications]") {
  using namespace std::chrono;
  std::atomic<std::int64_t> now_s{1000};
  auto clock = [&] { return steady_clock::time_point(seconds(now_s.load())); };
  FakeNotifier::Log log;
  n::Dispatcher d(16, milliseconds(0), clock);
  d.add("hook", std::make_unique<FakeNotifier>("hook", log),
        grouped(0, seconds(30), "{{range .}}{{.Scenario}};{{end}}"));
  d.add("both", std::make_unique<FakeNotifier>("both", log), grouped(3, seconds(30), "{{len .}}"));
  d.start();
  REQUIRE(d.submit({"hook", "both"}, R"({"scenario":"a"})"));
  d.waitIdle();  // taken at 1000: the batches are timed from then
  now_s = 1010;
  REQUIRE(d.submit({"hook", "both"}, R"({"scenario":"b"})"));
  d.waitIdle();
  CHECK(calls(log).empty());
  now_s = 1029;  // 29 s after the first alert
  d.wake();
  d.waitIdle();
  CHECK(calls(log).empty());
  REQUIRE(d.submit({"both"}, R"({"scenario":"c"})"));  // the threshold, before the wait is over
  d.waitIdle();
  CHECK(calls(log) == std::vector<std::string>{"both 3"});
  now_s = 1030;
  d.wake();
  d.waitIdle();
  CHECK(calls(log) == std::vector<std::string>{"both 3", "hook a;b;"});
  REQUIRE(d.submit({"hook"}, R"({"scenario":"d"})"));  // a new batch, timed from 1030
  d.waitIdle();
  now_s = 1059;
  d.wake();
  d.waitIdle();
  CHECK(calls(log).size() == 2);
  now_s = 1060;
  d.wake();
  d.waitIdle();
  CHECK(calls(log) == std::vector<std::string>{"both 3", "hook a;b;", "hook d;"});
  d.stop();
  CHECK(d.stats().sent == 3);
}

TEST_CASE("max_retry: a failed message is tried again, and counted once", "[notifications]") {
  int recovering_calls = 0;
  int dead_calls = 0;
  int plain_calls = 0;
  n::NotifierOptions retry2;
  retry2.max_retry = 2;
  n::NotifierOptions retry3;
  retry3.max_retry = 3;
  n::Dispatcher d(8, std::chrono::milliseconds(0));
  d.add("recovering", std::make_unique<FlakyNotifier>(2, recovering_calls), std::move(retry2));
  d.add("dead", std::make_unique<FlakyNotifier>(1000, dead_calls), std::move(retry3));
  d.add("plain", std::make_unique<FlakyNotifier>(1, plain_calls));
  d.start();
  REQUIRE(d.submit({"recovering", "dead", "plain"}, "{}"));
  REQUIRE(d.submit({"plain"}, "{}"));
  d.waitIdle();  // retries included (a stop would cut them short)
  d.stop();
  CHECK(recovering_calls == 3);  // failed, failed, delivered
  CHECK(dead_calls == 4);        // 1 + 3 retries, all failed
  CHECK(plain_calls == 2);       // no retry: the first alert failed, the second went
  const n::DispatcherStats s = d.stats();
  CHECK(s.sent == 2);
  CHECK(s.failed == 2);
  CHECK(s.retried == 5);
  CHECK(s.queued == 2);
}

TEST_CASE("stop cuts a retry backoff short: the batch is counted failed", "[notifications]") {
  int dead_calls = 0;
  n::NotifierOptions retry3;
  retry3.max_retry = 3;
  n::Dispatcher d(8, std::chrono::hours(1));  // without the cut, stop would wait an hour
  d.add("dead", std::make_unique<FlakyNotifier>(1000, dead_calls), std::move(retry3));
  d.start();
  REQUIRE(d.submit({"dead"}, "{}"));
  while (d.stats().retried == 0) {  // the first attempt failed; the backoff has begun
    std::this_thread::yield();
  }
  d.stop();
  CHECK(dead_calls == 2);  // the attempt, one retry as the stop woke the backoff, no more
  const n::DispatcherStats s = d.stats();
  CHECK(s.retried == 1);
  CHECK(s.failed == 1);
  CHECK(s.sent == 0);
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

TEST_CASE("notification files: the keys the host handles are read, not given to the plugin",
          "[notifications]") {
  const fs::path dir = fs::temp_directory_path() / ("cw-notif-keys-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  // CrowdSec's http.yaml keys, with its optional ones written without a value.
  std::ofstream(dir / "http.yaml") << "type: http\nname: http_default\nlog_level: warn\n"
                                      "group_wait: 1m30s\ngroup_threshold: 10\nmax_retry: 3\n"
                                      "timeout:\nformat: |\n  {{.|toJson}}\nurl: http://x/\n"
                                      "method: POST\nheaders:\nskip_tls_verification: true\n"
                                      "---\ntype: http\nname: defaults\nurl: http://y/\n"
                                      "group_wait:\nmax_retry:\n";
  auto configs = n::readConfigs(dir.string());
  REQUIRE(configs);
  REQUIRE(configs->size() == 2);
  const n::NotificationConfig& c = (*configs)[0];
  CHECK(c.type == "http");
  CHECK(c.yaml ==
        "timeout: ~\nurl: http://x/\nmethod: POST\nheaders: ~\n"
        "skip_tls_verification: true");
  CHECK(c.options->group_wait == std::chrono::milliseconds(90000));
  CHECK(c.options->group_threshold == 10);
  CHECK(c.options->max_retry == 3);
  CHECK(c.options->log_level == spdlog::level::warn);
  std::string out;
  REQUIRE(c.options->format.render({"{\"a\":1}"}, out));
  CHECK(out == "[{\"a\":1}]\n");
  const n::NotificationConfig& d = (*configs)[1];
  CHECK(d.yaml == "url: http://y/");
  CHECK(d.options->group_wait == std::chrono::milliseconds(0));
  CHECK(d.options->group_threshold == 0);
  CHECK(d.options->max_retry == 0);
  CHECK(d.options->log_level == spdlog::level::trace);
  REQUIRE(d.options->format.render({"{\"a\":1}", "{\"b\":2}"}, out));
  CHECK(out == "[{\"a\":1},{\"b\":2}]");

  std::ofstream(dir / "bad.yaml") << "type: http\nname: bad\ngroup_wait: soon\n"
                                     "group_threshold: -1\nmax_retry: 11\nlog_level: loud\n"
                                     "format: \"{{if .}}x{{end}}\"\nurl: http://z/\n"
                                     "group_wait: [1]\n";
  auto bad = n::readConfigs(dir.string());
  REQUIRE_FALSE(bad);
  const std::string f = (dir / "bad.yaml").string() + ":";
  const std::string pre = ": notification 'bad': ";
  CHECK(bad.error().message ==
        f + "3" + pre + "group_wait: 'soon' is not a duration (30s, 1m, 500ms)\n" + f + "4" + pre +
            "group_threshold: '-1' is not a whole number (0 or more)\n" + f + "5" + pre +
            "max_retry: '11' is not a whole number from 0 to 10\n" + f + "6" + pre +
            "log_level: 'loud' is not a level (trace, debug, info, warn, error, off)\n" + f + "7" +
            pre +
            "format: unsupported template construct '{{if .}}': 'if' is not supported "
            "(supported: text, {{.}}, {{.Field}}, {{X | toJson}}, {{toJson X}}, {{len X}}, "
            "{{range X}}...{{end}}, {{- and -}})\n" +
            f + "9" + pre + "group_wait: must be a single value");
  fs::remove_all(dir);
}

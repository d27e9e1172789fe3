// SPDX-License-Identifier: Apache-2.0
// The `file` plugin through Sources: tailing, rotation under a continuous writer, positions
// across restarts, discovery, exclusions, long lines, one-shot DSN.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <thread>

#include "acq_helpers.h"

using namespace cwtest;

namespace {

std::unique_ptr<acq::Sources> loadOk(const TempDir& d) {
  auto r = acq::Sources::load(options(d));
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  return std::move(r.value());
}

/// Appends with write(2) on an O_APPEND descriptor, one line per call, like a logger.
class Writer {
 public:
  explicit Writer(std::string path) : path_(std::move(path)) { reopen(); }
  ~Writer() { ::close(fd_); }
  void reopen() {
    if (fd_ >= 0) {
      ::close(fd_);
    }
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  void line(const std::string& text) {
    std::string l = text + "\n";
    REQUIRE(::write(fd_, l.data(), l.size()) == static_cast<ssize_t>(l.size()));
  }

 private:
  std::string path_;
  int fd_ = -1;
};

/// Writes about 20,000 lines/s, so rotations (every 3000 lines) are ~150 ms apart: more than
/// the 20 ms poll interval, as rotations are in real life (hours apart).
void pace(int i) {
  if (i % 20 == 19) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

std::string pollingKey(bool polling) {
  return polling ? "poll_without_inotify: true\npoll_interval: 20ms\n" : "";
}

}  // namespace

TEST_CASE("file source follows from the end and delivers new lines with labels",
          "[acquisition][file]") {
  for (bool polling : {false, true}) {
    TempDir d;
    d.write("app.log", "old 1\nold 2\n");
    d.write("acquis.yaml",
            "filename: " + d.path("app.log") + "\nlabels:\n  type: app\n" + pollingKey(polling));
    auto sources = loadOk(d);
    CHECK_FALSE(sources->oneShot());
    Collector c;
    REQUIRE(sources->start(c.callback()).ok());
    d.append("app.log", "new 1\n\nnew 2\r\npartial");
    auto got = c.waitFor(2, 10);
    sources->stop();
    REQUIRE(got.size() == 2);
    CHECK(got[0].raw == "new 1");
    CHECK(got[1].raw == "new 2");
    CHECK(got[0].src == d.path("app.log"));
    CHECK(got[0].module == "file");
    CHECK(got[0].type == "app");
  }
}

TEST_CASE("rename+create rotation under a continuous writer loses and repeats nothing",
          "[acquisition][file][rotation]") {
  for (bool polling : {false, true}) {
    INFO("polling " << polling);
    TempDir d;
    d.write("app.log", "");
    d.write("acquis.yaml",
            "filename: " + d.path("app.log") + "\nlabels: {type: app}\n" + pollingKey(polling));
    auto sources = loadOk(d);
    Collector c;
    REQUIRE(sources->start(c.callback()).ok());
    constexpr int kLines = 30000;
    constexpr int kRotateEvery = 3000;
    std::thread writer([&] {
      Writer w(d.path("app.log"));
      for (int i = 0; i < kLines; ++i) {
        if (i > 0 && i % kRotateEvery == 0) {
          // logrotate's default: rename, then the program reopens a new file.
          std::rename(d.path("app.log").c_str(),
                      d.path("app.log." + std::to_string(i / kRotateEvery)).c_str());
          w.reopen();
        }
        w.line("line " + std::to_string(i));
        pace(i);
      }
    });
    writer.join();
    auto got = c.waitFor(kLines);
    sources->stop();
    CHECK(raws(got) == numbered("line ", 0, kLines));
  }
}

TEST_CASE("copytruncate rotation under a continuous writer loses and repeats nothing",
          "[acquisition][file][rotation]") {
  for (bool polling : {false, true}) {
    INFO("polling " << polling);
    TempDir d;
    d.write("app.log", "");
    d.write("acquis.yaml",
            "filename: " + d.path("app.log") + "\nlabels: {type: app}\n" + pollingKey(polling));
    auto sources = loadOk(d);
    Collector c;
    REQUIRE(sources->start(c.callback()).ok());
    constexpr int kLines = 30000;
    constexpr int kRotateEvery = 3000;
    std::thread writer([&] {
      Writer w(d.path("app.log"));
      for (int i = 0; i < kLines; ++i) {
        if (i > 0 && i % kRotateEvery == 0) {
          // logrotate copytruncate: copy the file, then truncate it in place; the program
          // keeps writing to its O_APPEND descriptor.
          fs::copy_file(d.path("app.log"), d.path("app.log." + std::to_string(i / kRotateEvery)));
          REQUIRE(::truncate(d.path("app.log").c_str(), 0) == 0);
        }
        w.line("line " + std::to_string(i));
        pace(i);
      }
    });
    writer.join();
    auto got = c.waitFor(kLines);
    sources->stop();
    CHECK(raws(got) == numbered("line ", 0, kLines));
  }
}

TEST_CASE("position is kept across a restart, also when the file rotated meanwhile",
          "[acquisition][file][state]") {
  TempDir d;
  d.write("app.log", "before start\n");
  d.write("acquis.yaml", "filename: " + d.path("app.log") + "\nlabels: {type: app}\n");
  Collector c;
  {
    auto sources = loadOk(d);
    REQUIRE(sources->start(c.callback()).ok());
    d.append("app.log", "a1\na2\n");
    c.waitFor(2, 10);
    // Written just before stop: delivered by stop()'s last pass or after the restart.
    d.append("app.log", "a3\n");
    sources->stop();
  }
  d.append("app.log", "while stopped 1\n");
  SECTION("same file") {
    d.append("app.log", "while stopped 2\n");
    auto sources = loadOk(d);
    REQUIRE(sources->start(c.callback()).ok());
    auto got = c.waitFor(5, 10);
    sources->stop();
    CHECK(raws(got) ==
          std::vector<std::string>{"a1", "a2", "a3", "while stopped 1", "while stopped 2"});
  }
  SECTION("rotated while stopped") {
    std::rename(d.path("app.log").c_str(), d.path("app.log.1").c_str());
    d.write("app.log", "new file 1\n");
    auto sources = loadOk(d);
    REQUIRE(sources->start(c.callback()).ok());
    auto got = c.waitFor(5, 10);
    sources->stop();
    CHECK(raws(got) == std::vector<std::string>{"a1", "a2", "a3", "while stopped 1", "new file 1"});
  }
}

TEST_CASE("files appearing later are followed from their start; exclusions apply",
          "[acquisition][file]") {
  for (bool polling : {false, true}) {
    INFO("polling " << polling);
    TempDir d;
    fs::create_directories(d.path("logs"));
    d.write("acquis.yaml", "filenames:\n  - " + d.path("logs/*.log") +
                               "\nexclude_regexps: ['skip']\nlabels: {type: app}\n" +
                               pollingKey(polling));
    auto sources = loadOk(d);
    Collector c;
    REQUIRE(sources->start(c.callback()).ok());
    d.write("logs/skip-me.log", "excluded\n");
    d.write("logs/other.txt", "not matched\n");
    d.write("logs/late.log", "late 1\nlate 2\n");
    auto got = c.waitFor(2, 10);
    sources->stop();
    REQUIRE(raws(got) == std::vector<std::string>{"late 1", "late 2"});
    CHECK(got[0].src == d.path("logs/late.log"));
  }
}

TEST_CASE("lines over the limit are dropped or split, and counted", "[acquisition][file]") {
  TempDir d;
  const std::string big(25, 'x');
  d.write("app.log", "short\n" + big + "\nend\n" + big);
  SECTION("drop (default)") {
    d.write("acquis.yaml", "filename: " + d.path("app.log") +
                               "\nmode: cat\nmax_buffer_size: 10\nlabels: {type: app}\n");
    auto sources = loadOk(d);
    Collector c;
    REQUIRE(sources->start(c.callback()).ok());
    sources->waitFinished();
    sources->stop();
    CHECK(c.raws() == std::vector<std::string>{"short", "end"});
    CHECK(sources->stats()[0].dropped == 2);
    CHECK(sources->stats()[0].lines == 2);
  }
  SECTION("split") {
    d.write("acquis.yaml", "filename: " + d.path("app.log") +
                               "\nmode: cat\nmax_buffer_size: 10\nlong_lines: split\n"
                               "labels: {type: app}\n");
    auto sources = loadOk(d);
    Collector c;
    REQUIRE(sources->start(c.callback()).ok());
    sources->waitFinished();
    sources->stop();
    CHECK(c.raws() == std::vector<std::string>{"short", "xxxxxxxxxx", "xxxxxxxxxx", "xxxxx", "end",
                                               "xxxxxxxxxx", "xxxxxxxxxx", "xxxxx"});
    CHECK(sources->stats()[0].split == 2);
    CHECK(sources->stats()[0].dropped == 0);
  }
}

TEST_CASE("file:// DSN reads matching files once, gzip included", "[acquisition][file][dsn]") {
  TempDir d;
  d.write("a.log", "a1\na2\n");
  d.write("b.log", "b1\n");
  REQUIRE(std::system(("gzip -k " + d.path("b.log") + " && mv " + d.path("b.log.gz") + " " +
                       d.path("c.log.gz"))
                          .c_str()) == 0);
  acq::DsnOptions o;
  o.plugin_dir = CW_PLUGIN_BUILD_DIR;
  o.index_path = std::string(CW_PLUGIN_BUILD_DIR) + "/index.json";
  o.labels.set("type", "syslog");
  SECTION("glob") {
    o.dsn = "file://" + d.path("*.log*") + "?log_level=info";
    auto r = acq::Sources::loadDsn(o);
    REQUIRE(r.ok());
    CHECK(r.value()->oneShot());
    Collector c;
    std::vector<bool> tm;
    REQUIRE(r.value()->start(c.callback()).ok());
    r.value()->waitFinished();
    r.value()->stop();
    auto got = c.waitFor(4, 1);
    CHECK(raws(got) == std::vector<std::string>{"a1", "a2", "b1", "b1"});
    CHECK(got[3].src == d.path("c.log.gz"));
    CHECK(got[0].type == "syslog");
  }
  SECTION("errors") {
    o.dsn = "file://" + d.path("nothing*.log");
    auto r = acq::Sources::loadDsn(o);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message ==
          "dsn " + o.dsn + ": file: no file matches " + d.path("nothing*.log"));
    o.dsn = "file://" + d.path("a.log") + "?max_buffer_size=x&color=red";
    auto r2 = acq::Sources::loadDsn(o);
    REQUIRE_FALSE(r2.ok());
    CHECK(r2.error().message == "dsn " + o.dsn +
                                    ": file: DSN max_buffer_size 'x' is not a "
                                    "positive number\ndsn " +
                                    o.dsn + ": file: DSN: unknown query key 'color'");
    o.dsn = "nosuch://x";
    auto r3 = acq::Sources::loadDsn(o);
    REQUIRE_FALSE(r3.ok());
    CHECK(r3.error().message ==
          "dsn nosuch://x: unknown DSN scheme 'nosuch': no enabled "
          "acquisition plugin serves it (available: file, journalctl)");
  }
}

TEST_CASE("stop then start on the same Sources delivers each line once",
          "[acquisition][file][state]") {
  TempDir d;
  d.write("app.log", "");
  d.write("acquis.yaml", "filename: " + d.path("app.log") + "\nlabels: {type: app}\n");
  auto sources = loadOk(d);
  Collector c;
  for (int round = 0; round < 3; ++round) {
    REQUIRE(sources->start(c.callback()).ok());
    d.append("app.log", "round " + std::to_string(round) + " a\n");
    c.waitFor(static_cast<std::size_t>(2 * round + 1), 10);
    d.append("app.log", "round " + std::to_string(round) + " b\n");
    sources->stop();
  }
  REQUIRE(sources->start(c.callback()).ok());
  auto got = c.waitFor(6, 10);
  sources->stop();
  CHECK(raws(got) == std::vector<std::string>{"round 0 a", "round 0 b", "round 1 a", "round 1 b",
                                              "round 2 a", "round 2 b"});
}

TEST_CASE("a file truncated and rewritten past our position between two polls is re-read",
          "[acquisition][file][rotation]") {
  TempDir d;
  d.write("app.log", "");
  d.write("acquis.yaml", "filename: " + d.path("app.log") +
                             "\nlabels: {type: app}\npoll_without_inotify: true\n"
                             "poll_interval: 700ms\n");
  auto sources = loadOk(d);
  Collector c;
  REQUIRE(sources->start(c.callback()).ok());
  d.append("app.log", "a1\na2\na3\n");
  c.waitFor(3, 10);
  // Within one poll interval: a line we have not read, copytruncate, then more bytes than
  // the file had, so its size alone does not reveal the truncation.
  d.append("app.log", "a4\n");
  fs::copy_file(d.path("app.log"), d.path("app.log.1"));
  REQUIRE(::truncate(d.path("app.log").c_str(), 0) == 0);
  d.append("app.log", "b1 is longer\nb2 is longer\n");
  auto got = c.waitFor(6, 10);
  sources->stop();
  CHECK(raws(got) ==
        std::vector<std::string>{"a1", "a2", "a3", "a4", "b1 is longer", "b2 is longer"});
}

TEST_CASE("after a crash, only the lines of the pass being delivered come again",
          "[acquisition][file][state]") {
  TempDir d;
  d.write("app.log", "");
  d.write("acquis.yaml", "filename: " + d.path("app.log") + "\nlabels: {type: app}\n");
  // The positions file, read as a SIGKILL would leave it: "<dev> <ino> <offset> ...".
  auto savedOffset = [&]() -> long long {
    for (const auto& e : fs::recursive_directory_iterator(d.path("state"))) {
      if (e.path().filename() == "positions") {
        std::ifstream in(e.path());
        unsigned long long dev = 0;
        unsigned long long ino = 0;
        long long off = -1;
        in >> dev >> ino >> off;
        return off;
      }
    }
    return -1;
  };
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::string> got;
  bool in_b1 = false;
  bool release = false;
  auto sources = loadOk(d);
  REQUIRE(sources
              ->start([&](const acq::SourceLine& l) {
                std::unique_lock<std::mutex> lock(mu);
                got.emplace_back(l.raw);
                if (l.raw == "b1") {  // hold the source inside the pass delivering b1, b2
                  in_b1 = true;
                  cv.notify_all();
                  cv.wait(lock, [&] { return release; });
                }
                cv.notify_all();
              })
              .ok());
  d.append("app.log", "a1\na2\na3\n");
  {
    std::unique_lock<std::mutex> lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return got.size() == 3; }));
  }
  // Saved once that pass ended, without a stop.
  for (int i = 0; i < 200 && savedOffset() != 9; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  REQUIRE(savedOffset() == 9);
  d.append("app.log", "b1\nb2\n");
  {
    std::unique_lock<std::mutex> lock(mu);
    REQUIRE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return in_b1; }));
  }
  // Killed now: the state on disk is the end of a3.
  CHECK(savedOffset() == 9);
  fs::copy(d.path("state"), d.path("state-at-crash"), fs::copy_options::recursive);
  {
    std::lock_guard<std::mutex> lock(mu);
    release = true;
  }
  cv.notify_all();
  sources->stop();
  CHECK(got == std::vector<std::string>{"a1", "a2", "a3", "b1", "b2"});
  CHECK(savedOffset() == 15);  // a clean stop saves past every delivered line

  // Restarted from the crash's state: b1 and b2 again, nothing before them.
  fs::remove_all(d.path("state"));
  fs::rename(d.path("state-at-crash"), d.path("state"));
  d.append("app.log", "c1\n");
  Collector c;
  auto again = loadOk(d);
  REQUIRE(again->start(c.callback()).ok());
  auto after = c.waitFor(3, 10);
  again->stop();
  CHECK(raws(after) == std::vector<std::string>{"b1", "b2", "c1"});
}

// SPDX-License-Identifier: Apache-2.0
// The `journalctl` plugin through Sources, on real journal files written by
// systemd-journal-remote from journal export format.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <ctime>
#include <string>

#include "acq_helpers.h"

using namespace cwtest;

namespace {

const char* kJournalRemote = "/lib/systemd/systemd-journal-remote";

/// Writes `entries` (ident, message; monotonic from `first`) as journal file `name` in `dir`.
void writeJournal(const TempDir& d, const std::string& name,
                  const std::vector<std::pair<std::string, std::string>>& entries, int first) {
  std::string text;
  int n = first;
  for (const auto& [ident, message] : entries) {
    text += "__REALTIME_TIMESTAMP=" + std::to_string(1700000000000000LL + n * 1000000LL) + "\n";
    text += "__MONOTONIC_TIMESTAMP=" + std::to_string(1000 + n) + "\n";
    text += "_BOOT_ID=0123456789abcdef0123456789abcdef\n_HOSTNAME=web1\n";
    text += "SYSLOG_IDENTIFIER=" + ident + "\n_PID=" + std::to_string(100 + n) + "\n";
    text += "_SYSTEMD_UNIT=" + ident + ".service\nMESSAGE=" + message + "\n\n";
    ++n;
  }
  d.write(name + ".export", text);
  fs::create_directories(d.path("journal"));
  const std::string cmd = std::string(kJournalRemote) +
                          " --output=" + d.path("journal/" + name + ".journal") + " " +
                          d.path(name + ".export") + " 2>/dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
}

bool haveJournalRemote() {
  if (::access(kJournalRemote, X_OK) != 0) {
    WARN("skipped: " << kJournalRemote << " missing (package systemd-journal-remote, "
                     << "installed by scripts/setup-deps)");
    return false;
  }
  ::setenv("TZ", "UTC", 1);
  ::tzset();
  return true;
}

}  // namespace

TEST_CASE("journalctl:// DSN reads a real journal from the start with its matches",
          "[acquisition][journald]") {
  if (!haveJournalRemote()) {
    return;
  }
  TempDir d;
  writeJournal(
      d, "a",
      {{"sshd", "Failed password for root"}, {"cron", "tick"}, {"sshd", "Accepted publickey"}}, 0);
  acq::DsnOptions o;
  o.plugin_dir = CW_PLUGIN_BUILD_DIR;
  o.index_path = std::string(CW_PLUGIN_BUILD_DIR) + "/index.json";
  o.labels.set("type", "syslog");
  o.dsn = "journalctl://filters=--directory=" + d.path("journal") +
          "&filters=_SYSTEMD_UNIT%3Dsshd.service";
  auto r = acq::Sources::loadDsn(o);
  INFO((r.ok() ? "" : r.error().message));
  REQUIRE(r.ok());
  Collector c;
  REQUIRE(r.value()->start(c.callback()).ok());
  r.value()->waitFinished();
  r.value()->stop();
  auto got = c.waitFor(2, 1);
  CHECK(raws(got) ==
        std::vector<std::string>{"Nov 14 22:13:20 web1 sshd[100]: Failed password for root",
                                 "Nov 14 22:13:22 web1 sshd[102]: Accepted publickey"});
  REQUIRE(got.size() == 2);
  CHECK(got[0].src ==
        "journalctl---directory=" + d.path("journal") + "._SYSTEMD_UNIT=sshd.service");
  CHECK(got[0].module == "journalctl");
  CHECK(got[0].type == "syslog");

  SECTION("since") {
    o.dsn = "journalctl://filters=--file=" + d.path("journal/a.journal") +
            "&since=2023-11-14%2022:13:21";
    auto r2 = acq::Sources::loadDsn(o);
    REQUIRE(r2.ok());
    Collector c2;
    REQUIRE(r2.value()->start(c2.callback()).ok());
    r2.value()->waitFinished();
    r2.value()->stop();
    CHECK(raws(c2.waitFor(2, 1)) ==
          std::vector<std::string>{"Nov 14 22:13:21 web1 cron[101]: tick",
                                   "Nov 14 22:13:22 web1 sshd[102]: Accepted publickey"});
  }
}

TEST_CASE("journal tail resumes after the saved cursor", "[acquisition][journald]") {
  if (!haveJournalRemote()) {
    return;
  }
  TempDir d;
  writeJournal(d, "a", {{"sshd", "old 1"}, {"sshd", "old 2"}}, 0);
  d.write("acquis.yaml",
          "source: journalctl\njournalctl_filter:\n  - --directory=" + d.path("journal") +
              "\n  - SYSLOG_IDENTIFIER=sshd\n"
              "labels: {type: syslog}\n");
  Collector c;
  {
    auto r = acq::Sources::load(options(d));
    INFO((r.ok() ? "" : r.error().message));
    REQUIRE(r.ok());
    REQUIRE(r.value()->start(c.callback()).ok());
    // First run: from the end, then entries of a journal file that appears meanwhile.
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    writeJournal(d, "b", {{"sshd", "live 1"}, {"cron", "skip"}, {"sshd", "live 2"}}, 2);
    CHECK(raws(c.waitFor(2, 10)) ==
          std::vector<std::string>{"Nov 14 22:13:22 web1 sshd[102]: live 1",
                                   "Nov 14 22:13:24 web1 sshd[104]: live 2"});
    r.value()->stop();
  }
  c.clear();
  writeJournal(d, "c", {{"sshd", "while stopped"}}, 5);
  auto r = acq::Sources::load(options(d));
  REQUIRE(r.ok());
  REQUIRE(r.value()->start(c.callback()).ok());
  auto got = c.waitFor(1, 10);
  r.value()->stop();
  CHECK(raws(got) == std::vector<std::string>{"Nov 14 22:13:25 web1 sshd[105]: while stopped"});
}

TEST_CASE("journalctl filter errors are listed", "[acquisition][journald]") {
  TempDir d;
  d.write("acquis.yaml",
          "source: journalctl\njournalctl_filter: [--since=yesterday, '-u']\n"
          "other: 1\nlabels: {type: syslog}\n");
  auto r = acq::Sources::load(options(d));
  REQUIRE_FALSE(r.ok());
  const std::string f = d.path("acquis.yaml") + ":1: journalctl: ";
  CHECK(r.error().message ==
        f + "unknown key 'other'\n" + f +
            "journalctl_filter: '--since=yesterday' is not a FIELD=value match or a supported "
            "option (-u, -t, -D, --file, +)\n" +
            f + "journalctl_filter: --unit needs a value");
}

// SPDX-License-Identifier: Apache-2.0
// The CrowdSec hub as yardstick: every parser and post-overflow of the corpus must load, and
// real sshd logs must parse to counts verified independently of this code.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "parsers_test_util.h"

namespace cw::core::parsers::testing {

namespace {

std::string hubDir() {
  return sharedDir() + "/corpus/crowdsec-hub";
}

/// Every .yaml/.yml under <root>/<stage>/..., stage = first directory level.
std::vector<ParserFile> collect(const fs::path& root) {
  std::vector<ParserFile> files;
  for (const auto& stage : fs::directory_iterator(root)) {
    if (!stage.is_directory()) {
      continue;
    }
    for (const auto& f : fs::recursive_directory_iterator(stage.path())) {
      const auto ext = f.path().extension();
      if (f.is_regular_file() && (ext == ".yaml" || ext == ".yml")) {
        files.push_back(ParserFile{f.path().string(), stage.path().filename().string()});
      }
    }
  }
  std::sort(files.begin(), files.end(),
            [](const ParserFile& a, const ParserFile& b) { return a.path < b.path; });
  return files;
}

bool haveCorpus() {
  if (fs::exists(hubDir() + "/parsers")) {
    return true;
  }
  WARN("skipped: the CrowdSec hub corpus is not in " << hubDir() << " (/work/shared not mounted)");
  return false;
}

} // namespace

TEST_CASE("every parser of the hub corpus loads", "[parsers][corpus]") {
  if (!haveCorpus()) {
    return;
  }
  Fixture f;
  const auto files = collect(hubDir() + "/parsers");
  REQUIRE(files.size() == 164);
  auto p = f.load(files, hubDir() + "/patterns", hubDir() + "/data");
  INFO((p.ok() ? std::string() : p.error().message));
  REQUIRE(p.ok());
  CHECK(p->stages() == std::vector<std::string>{"s00-raw", "s01-parse", "s02-enrich"});
  // Counted independently (PyYAML): documents having a name, description or author.
  CHECK(p->nodeCount() == 170);
  CHECK(p->nodeNames("s00-raw").size() == 9);
  CHECK(p->nodeNames("s01-parse").size() == 147);
  CHECK(p->nodeNames("s02-enrich").size() == 14);
  CHECK(p->skippedDocuments() == 0);
}

TEST_CASE("every post-overflow of the hub corpus loads", "[parsers][corpus]") {
  if (!haveCorpus()) {
    return;
  }
  // seo-bots-whitelist names its regexp file rdns_seo_bots.regex while the download (and the
  // corpus) calls it rnds_seo_bots.regex: it loads through the source_url fallback.
  const auto all = collect(hubDir() + "/postoverflows");
  REQUIRE(all.size() == 12);
  Fixture f;
  auto p = f.load(all, hubDir() + "/patterns", hubDir() + "/data");
  INFO((p.ok() ? std::string() : p.error().message));
  REQUIRE(p.ok());
  CHECK(p->stages() == std::vector<std::string>{"s00-enrich", "s01-whitelist"});
  CHECK(p->nodeCount() == 12);
}

TEST_CASE("real sshd logs through syslog-logs, sshd-logs and dateparse-enrich",
          "[parsers][corpus]") {
  const std::string log = sharedDir() + "/corpus/real-logs/openssh-labsz-2k.log";
  if (!haveCorpus() || !fs::exists(log)) {
    return;
  }
  Fixture f;
  const std::string hub = hubDir();
  auto p = f.load({{hub + "/parsers/s00-raw/crowdsecurity/syslog-logs.yaml", "s00-raw"},
                   {hub + "/parsers/s01-parse/crowdsecurity/sshd-logs.yaml", "s01-parse"},
                   {hub + "/parsers/s02-enrich/crowdsecurity/dateparse-enrich.yaml",
                    "s02-enrich"}},
                  hub + "/patterns", hub + "/data");
  REQUIRE(p.ok());

  // Expected counts, established with grep on the log (all 2000 lines are `LabSZ sshd[pid]:`
  // syslog lines, so s00-raw passes every one), per sshd-logs node that matches:
  //   SSHD_AUTH_FAIL   489  grep -cE 'pam_unix\(sshd:auth\): authentication failure;.*
  //                         rhost=[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+' (rhost starting with an IPv4,
  //                         including one "rhost=5.36.59.76.dynamic-dsl-ip..." host name)
  //   SSHD_FAIL        385  grep -cE ': (message repeated [0-9]+ times: \[ )?Failed [a-z]+ for
  //                         [^ ]+ from [0-9.]+ port [0-9]+ ssh2'
  //   SSHD_USER_FAIL   134  grep -cE ': Failed password for invalid user [^ ]+ from'
  //   SSHD_INVALID_USER 113 grep -cE ': Invalid user +[^ ]* ?from [0-9.]+'
  // 1121 in all; the other 879 lines (disconnects, check pass, input_userauth_request...)
  // match no node and are dropped in s01-parse.
  std::ifstream in(log);
  REQUIRE(in);
  std::string line;
  event::Event e;
  std::size_t lines = 0, parsed = 0, auth_fail = 0, fail = 0, user_fail = 0, invalid_user = 0;
  std::size_t dropped_in_parse = 0, bad_time = 0, no_source_ip = 0;
  std::string first_time, first_ip;
  while (std::getline(in, line)) {
    ++lines;
    e.reset();
    e.line.raw = line;
    e.line.src = log;
    e.line.module = "file";
    e.line.labels.set("type", "syslog");
    e.expect_mode = event::ExpectMode::TimeMachine;
    if (!p->process(e)) {
      dropped_in_parse += e.stage == "s01-parse" ? 1 : 0;
      continue;
    }
    ++parsed;
    if (e.parsed.contains("pam_type")) {
      ++auth_fail;
    } else if (e.parsed.contains("sshd_auth_type")) {
      ++fail;
    } else if (e.parsed.contains("sshd_port")) {
      ++user_fail;
    } else {
      ++invalid_user;
    }
    if (e.meta.get("source_ip").empty()) {
      ++no_source_ip;
    }
    // Year-less syslog gets the fixed current year; replay moves evt.Time to the log time.
    if (e.meta.get("timestamp") != e.marshaled_time ||
        formatRfc3339Nano(e.time) != e.marshaled_time ||
        e.marshaled_time.substr(0, 8) != "2024-12-") {
      ++bad_time;
    }
    if (first_time.empty()) {
      first_time = e.marshaled_time;
      first_ip = std::string(e.meta.get("source_ip"));
    }
  }
  CHECK(lines == 2000);
  CHECK(parsed == 1121);
  CHECK(dropped_in_parse == 879);
  CHECK(auth_fail == 489);
  CHECK(fail == 385);
  CHECK(user_fail == 134);
  CHECK(invalid_user == 113);
  CHECK(no_source_ip == 0);
  CHECK(bad_time == 0);
  // Line 2: "Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"
  CHECK(first_time == "2024-12-10T06:55:46Z");
  CHECK(first_ip == "173.234.31.186");
  CHECK(p->stats().events == 2000);
  CHECK(p->stats().parsed == 1121);
  CHECK(p->stats().unparsed == 879);
  CHECK(p->stats().aborted == 0);
}

} // namespace cw::core::parsers::testing

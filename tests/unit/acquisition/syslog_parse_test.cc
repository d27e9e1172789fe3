// SPDX-License-Identifier: Apache-2.0
// The syslog plugin's message parser (compiled into this test from plugins/acquisition/syslog).
#include "syslog_parse.h"

#include <catch2/catch.hpp>
#include <string>

namespace sl = cw::plugins::acquisition::syslog;

namespace {
std::string rebuilt(const std::string& in) {
  std::string out;
  return sl::rebuild(in, out) ? out : "<refused>";
}
}  // namespace

TEST_CASE("RFC 3164 messages are rebuilt in the standard syslog line shape", "[syslog]") {
  CHECK(rebuilt("<13>Jan 02 15:04:05 host sshd[42]: Failed password") ==
        "Jan 2 15:04:05 host sshd[42]: Failed password");
  CHECK(rebuilt("<13>Jan  2 15:04:05 host sshd[42]: x") == "Jan 2 15:04:05 host sshd[42]: x");
  CHECK(rebuilt("<13>Dec 31 23:59:59 2025 host sshd: no pid") ==
        "Dec 31 23:59:59 host sshd: no pid");
  CHECK(rebuilt("<13>Feb  9 01:02:03 2025 host cron msg") == "Feb 9 01:02:03 host cron: msg");
  CHECK(rebuilt("<189>2025-03-04T05:06:07.123+02:00 fw kernel: drop\n") ==
        "Mar 4 05:06:07 fw kernel: drop");
  CHECK(rebuilt("<0>2025-03-04T05:06:07Z h t[1]:") == "Mar 4 05:06:07 h t[1]: ");
}

TEST_CASE("RFC 5424 messages are rebuilt in the standard syslog line shape", "[syslog]") {
  CHECK(rebuilt("<34>1 2025-10-11T22:14:15.003Z mymachine su - ID47 - BOM'su root' failed") ==
        "Oct 11 22:14:15 mymachine su: BOM'su root' failed");
  CHECK(rebuilt("<165>1 2025-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - "
                "[exampleSDID@32473 iut=\"3\" eventSource=\"Appl\\\"]\"][b x=\"y\"] \xEF\xBB\xBF"
                "An application event") ==
        "Aug 24 05:14:15 192.0.2.1 myproc[8710]: An application event");
  CHECK(rebuilt("<165>1 2025-08-24T05:14:15Z - app - - -") == "Aug 24 05:14:15 unknownhost app: ");
}

TEST_CASE("unparsable syslog messages are refused", "[syslog]") {
  CHECK(rebuilt("") == "<refused>");
  CHECK(rebuilt("no pri at all") == "<refused>");
  CHECK(rebuilt("<1234>Jan 02 15:04:05 host a: x") == "<refused>");
  CHECK(rebuilt("<13>Foo 02 15:04:05 host a: x") == "<refused>");
  CHECK(rebuilt("<13>Jan 02 25:04:05 host a: x") == "<refused>");
  CHECK(rebuilt("<13>1 2025-08-24T05:14:15Z host app - - [unterminated") == "<refused>");
  CHECK(rebuilt("<13>1 - host app - - - msg") == "<refused>");
}

TEST_CASE("disable_rfc_parser strips only the PRI and the newline", "[syslog]") {
  CHECK(sl::stripPri("<13>anything goes\n") == "anything goes");
  CHECK(sl::stripPri("<1>x") == "x");
  CHECK(sl::stripPri("<1234>x") == "<1234>x");
  CHECK(sl::stripPri("plain\r\n") == "plain");
}

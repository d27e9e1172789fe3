// SPDX-License-Identifier: Apache-2.0
// cw::sdk::parseDuration, the Go-style durations plugin configurations use.
#include <catch2/catch.hpp>
#include <chrono>

#include "cw/sdk/plugin.h"

using cw::sdk::parseDuration;
using std::chrono::nanoseconds;

TEST_CASE("parseDuration reads Go durations", "[plugins][sdk]") {
  CHECK(parseDuration("90s") == nanoseconds(90'000'000'000));
  CHECK(parseDuration("1m30s") == nanoseconds(90'000'000'000));
  CHECK(parseDuration("1h2m3s4ms") == nanoseconds(3'723'004'000'000));
  CHECK(parseDuration("250ms") == nanoseconds(250'000'000));
  CHECK(parseDuration("1.5h") == nanoseconds(5'400'000'000'000));
  CHECK(parseDuration(".5s") == nanoseconds(500'000'000));
  CHECK(parseDuration("3us") == nanoseconds(3'000));
  CHECK(parseDuration("3\xC2\xB5s") == nanoseconds(3'000));
  CHECK(parseDuration("7ns") == nanoseconds(7));
  CHECK(parseDuration("0") == nanoseconds(0));
  CHECK(parseDuration("0s") == nanoseconds(0));
  for (const char* bad :
       {"", "10", "s", "5x", "1d", "-1s", "+1s", "1m 30s", ".s", "1.s5", "3000000h"}) {
    INFO(bad);
    CHECK_FALSE(parseDuration(bad).has_value());
  }
}

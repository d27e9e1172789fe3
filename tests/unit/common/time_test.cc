// SPDX-License-Identifier: Apache-2.0
#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include "cw/core/common/time.h"

using cw::core::CivilTime;
using cw::core::formatGoDefault;
using cw::core::formatGoDuration;
using cw::core::formatGoLayout;
using cw::core::formatRfc3339Nano;
using cw::core::parseDate;
using cw::core::parseGoDuration;
using cw::core::parseGoLayout;
using cw::core::TimePoint;

namespace {

// parseDate result as RFC3339Nano, or "<none>".
std::string pd(std::string_view text, std::string_view format = "", int year = 2025) {
  auto t = parseDate(text, format, year);
  return t ? formatRfc3339Nano(*t) : std::string("<none>");
}

std::string pl(std::string_view layout, std::string_view text, int year = 2025) {
  auto t = parseGoLayout(layout, text, year);
  return t ? formatRfc3339Nano(*t) : std::string("<none>");
}

} // namespace

TEST_CASE("parseDate tries every layout of the ParseDate list", "[time]") {
  CHECK(pd("2021-09-29T14:11:34+02:00") == "2021-09-29T14:11:34+02:00");
  CHECK(pd("2021-09-29T14:11:34.123456Z") == "2021-09-29T14:11:34.123456Z");
  CHECK(pd("10/Oct/2023:13:55:36 +0200") == "2023-10-10T13:55:36+02:00");
  CHECK(pd("Tue Mar 14 09:26:53 2023") == "2023-03-14T09:26:53Z");
  CHECK(pd("14-Mar-2023 09:26:53 europe/paris") == "2023-03-14T09:26:53Z");
  CHECK(pd("03/14/2023 09:26:53") == "2023-03-14T09:26:53Z");
  CHECK(pd("2023-03-14 09:26:53.5 +0100 CET") == "2023-03-14T09:26:53.5+01:00");
  // Go: an explicit "UTC" zone name wins over the numeric offset.
  CHECK(pd("2023-03-14 09:26:53 +0100 UTC") == "2023-03-14T09:26:53Z");
  CHECK(pd("Dec 10 06:55:46") == "2025-12-10T06:55:46Z");
  CHECK(pd("Jan  2 06:55:46") == "2025-01-02T06:55:46Z");
  CHECK(pd("Tue Mar 14 09:26:53.123456 2023") == "2023-03-14T09:26:53.123456Z");
  CHECK(pd("2023/03/14") == "2023-03-14T00:00:00Z");
  CHECK(pd("2023/03/14 09:26") == "2023-03-14T09:26:00Z");
  CHECK(pd("2023-03-14") == "2023-03-14T00:00:00Z");
  CHECK(pd("2023-03-14 09:26") == "2023-03-14T09:26:00Z");
  CHECK(pd("2023/03/14 09:26:53") == "2023-03-14T09:26:53Z");
  CHECK(pd("2023-03-14 09:26:53") == "2023-03-14T09:26:53Z");
  CHECK(pd("2023-03-14 09:26:53,250") == "2023-03-14T09:26:53.25Z");
  CHECK(pd("2023-03-14T09:26:53") == "2023-03-14T09:26:53Z");
}

TEST_CASE("parseDate: StrTimeFormat first, year-less logs, epoch fallback", "[time]") {
  // The default list reads 03/04 as March 4th; the given format says April 3rd.
  CHECK(pd("03/04/2023 10:00:00") == "2023-03-04T10:00:00Z");
  CHECK(pd("03/04/2023 10:00:00", "02/01/2006 15:04:05") == "2023-04-03T10:00:00Z");
  // A format that does not match falls back to the list.
  CHECK(pd("2023-03-14 09:26:53", "Jan _2 15:04:05") == "2023-03-14T09:26:53Z");
  // Year-less: the year passed in; Feb 29 of a non-leap year rolls over like Go's AddDate.
  CHECK(pd("Dec 10 06:55:46", "", 2024) == "2024-12-10T06:55:46Z");
  CHECK(pd("Feb 29 10:00:00", "", 2024) == "2024-02-29T10:00:00Z");
  CHECK(pd("Feb 29 10:00:00", "", 2025) == "2025-03-01T10:00:00Z");
  // current_year 0 = this year.
  const int this_year = cw::core::toCivil(cw::core::nowUtc()).year;
  auto t = parseDate("Dec 10 06:55:46", "", 0);
  REQUIRE(t.has_value());
  CHECK(cw::core::toCivil(*t).year == this_year);
  // Unix seconds: the fraction is dropped, the result is UTC.
  CHECK(pd("1700000000.123") == "2023-11-14T22:13:20Z");
  CHECK(pd("1700000000") == "2023-11-14T22:13:20Z");
  CHECK(pd("0") == "<none>");
  CHECK(pd("-5") == "<none>");
  CHECK(pd("12ab") == "<none>");
}

TEST_CASE("parseDate rejects garbage without crashing", "[time]") {
  CHECK(pd("") == "<none>");
  CHECK(pd("hello world") == "<none>");
  CHECK(pd("2023-13-01") == "<none>");           // month out of range
  CHECK(pd("2023-02-30") == "<none>");           // day out of range
  CHECK(pd("2023-03-14 25:00") == "<none>");     // hour out of range
  CHECK(pd("2023-03-14 09:26:53 trailing") == "<none>");
  CHECK(pd("\xff\xfe\xfd 10 06:55:46") == "<none>");
  CHECK(pd("D\xc3\xa9" "c 10 06:55:46") == "<none>");
  const std::string huge(1 << 20, 'A');
  CHECK(pd(huge) == "<none>");
  CHECK(pd(huge, "Jan _2 15:04:05") == "<none>");
  const std::string digits(1 << 20, '7');
  CHECK(pd(digits) == "<none>");
  // A layout that is itself huge is compiled and simply does not match.
  CHECK(pl(huge, "Dec 10") == "<none>");
}

TEST_CASE("parseGoLayout follows Go reference-layout semantics", "[time]") {
  CHECK(pl("Mon Jan _2 15:04:05 2006", "Tue Mar  7 09:26:53 2023") == "2023-03-07T09:26:53Z");
  CHECK(pl("2006-01-02 15:04:05,999999999", "2023-03-14 09:26:53,123") ==
        "2023-03-14T09:26:53.123Z");
  CHECK(pl("01/02/2006, 3:04:05 PM", "03/14/2023, 9:26:53 PM") == "2023-03-14T21:26:53Z");
  CHECK(pl("01/02/2006, 3:04:05 PM", "03/14/2023, 12:26:53 AM") == "2023-03-14T00:26:53Z");
  CHECK(pl("060102 15:04:05", "230314 09:26:53") == "2023-03-14T09:26:53Z");
  CHECK(pl("060102 15:04:05", "690314 09:26:53") == "1969-03-14T09:26:53Z");
  CHECK(pl("2006-01-02T15:04:05.999Z", "2023-03-14T09:26:53.123Z") == "2023-03-14T09:26:53.123Z");
  CHECK(pl("2006 2 15.04.05 Jan", "2023 14 09.26.53 Mar") == "2023-03-14T09:26:53Z");
  // Names are case-insensitive; AM/PM are not.
  CHECK(pl("Monday, 02 January 2006", "TUESDAY, 14 march 2023") == "2023-03-14T00:00:00Z");
  CHECK(pl("3PM", "9pm") == "<none>");
  // Fixed-width fraction needs exactly its digits; .999 accepts none.
  CHECK(pl("15:04:05.000", "09:26:53.12") == "<none>");
  CHECK(pl("2006 15:04:05.000", "2023 09:26:53.120") == "2023-01-01T09:26:53.12Z");
  CHECK(pl("2006 15:04:05.999", "2023 09:26:53") == "2023-01-01T09:26:53Z");
  // Zones: numeric forms, Z, abbreviations (offset 0 except GMT+N).
  CHECK(pl("2006-01-02 15:04 -07:00", "2023-03-14 09:26 +05:30") == "2023-03-14T09:26:00+05:30");
  CHECK(pl("2006-01-02 15:04 -07", "2023-03-14 09:26 -03") == "2023-03-14T09:26:00-03:00");
  CHECK(pl("2006-01-02 15:04 Z0700", "2023-03-14 09:26 Z") == "2023-03-14T09:26:00Z");
  CHECK(pl("2006-01-02 15:04 MST", "2023-03-14 09:26 CET") == "2023-03-14T09:26:00Z");
  CHECK(pl("2006-01-02 15:04 MST", "2023-03-14 09:26 GMT+2") == "2023-03-14T09:26:00+02:00");
  CHECK(pl("2006-01-02 15:04 MST", "2023-03-14 09:26 cet") == "<none>");
  // Spaces: a run in the layout matches one or more spaces.
  CHECK(pl("Jan  2 15:04:05", "Mar 14 09:26:53") == "2025-03-14T09:26:53Z");
  CHECK(pl("Jan 2 15:04:05", "Mar    4 09:26:53") == "2025-03-04T09:26:53Z");
  // Day of year.
  CHECK(pl("2006 002", "2024 060") == "2024-02-29T00:00:00Z");
  // Without a year, the two-argument form cannot represent Go's year 0.
  CHECK_FALSE(parseGoLayout("Jan _2 15:04:05", "Dec 10 06:55:46").has_value());
  auto t = parseGoLayout("2006-01-02T15:04:05Z07:00", "2021-09-29T14:11:34+02:00");
  REQUIRE(t.has_value());
  CHECK(t->unix_nanos == 1632917494LL * cw::core::kSecond);
  CHECK(t->utc_offset_s == 7200);
  CHECK(formatRfc3339Nano(*t) == "2021-09-29T14:11:34+02:00");
  auto n = parseGoLayout("02/Jan/2006:15:04:05 -0700", "10/Oct/2023:13:55:36 +0200");
  REQUIRE(n.has_value());
  CHECK(n->unix_nanos == 1696938936LL * cw::core::kSecond);
}

TEST_CASE("formatting with Go layouts", "[time]") {
  const auto t = TimePoint::fromUnixNanos(1678181213LL * cw::core::kSecond); // 2023-03-07 09:26:53Z
  CHECK(formatGoLayout("Mon Jan _2 15:04:05 2006", t) == "Tue Mar  7 09:26:53 2023");
  CHECK(formatGoLayout("Monday January 2 3:04PM 06 002", t) == "Tuesday March 7 9:26AM 23 066");
  CHECK(formatGoLayout("2006-01-02T15:04:05.000Z07:00", t) == "2023-03-07T09:26:53.000Z");
  CHECK(formatRfc3339Nano(t) == "2023-03-07T09:26:53Z");
  const auto f = TimePoint::fromUnixNanos(1678181213LL * cw::core::kSecond + 120000000, 19800);
  CHECK(formatRfc3339Nano(f) == "2023-03-07T14:56:53.12+05:30");
  CHECK(formatGoLayout("15:04:05,999 -0700 -07 Z07:00:00", f) == "14:56:53,12 +0530 +05 +05:30:00");
  CHECK(formatGoDefault(TimePoint::fromUnixNanos(1770905421LL * cw::core::kSecond)) ==
        "2026-02-12 14:10:21 +0000 UTC");
  CHECK(formatGoDefault(TimePoint::fromUnixNanos(1770905421LL * cw::core::kSecond + 500000000)) ==
        "2026-02-12 14:10:21.5 +0000 UTC");
  CHECK(formatGoDefault(TimePoint::fromUnixNanos(1770905421LL * cw::core::kSecond, 7200)) ==
        "2026-02-12 16:10:21 +0200 +0200");
  CHECK(formatGoDefault(TimePoint::fromUnixNanos(1770905421LL * cw::core::kSecond, -16200)) ==
        "2026-02-12 09:40:21 -0430 -0430");
}

TEST_CASE("civil time conversions", "[time]") {
  // 2024-02-29T23:59:59.999+02:00
  auto t = cw::core::fromCivil(CivilTime{2024, 2, 29, 23, 59, 59, 999000000, 0, 0}, 7200);
  REQUIRE(t.has_value());
  CHECK(formatRfc3339Nano(*t) == "2024-02-29T23:59:59.999+02:00");
  const CivilTime c = cw::core::toCivil(*t);
  CHECK(c.year == 2024);
  CHECK(c.month == 2);
  CHECK(c.day == 29);
  CHECK(c.hour == 23);
  CHECK(c.minute == 59);
  CHECK(c.second == 59);
  CHECK(c.nanos == 999000000);
  CHECK(c.weekday == 4); // Thursday
  CHECK(c.yday == 60);
  // The same instant seen in UTC is still Feb 29, 21:59.
  const CivilTime u = cw::core::toCivil(TimePoint::fromUnixNanos(t->unix_nanos));
  CHECK(u.hour == 21);
  // Before 1970.
  const CivilTime b = cw::core::toCivil(TimePoint::fromUnixNanos(-1));
  CHECK(b.year == 1969);
  CHECK(b.month == 12);
  CHECK(b.day == 31);
  CHECK(b.second == 59);
  CHECK(b.nanos == 999999999);
  CHECK(b.weekday == 3);
  CHECK(b.yday == 365);
  // Normalisation like Go's Date.
  auto n = cw::core::fromCivil(CivilTime{2023, 13, 1, 0, 0, 0, 0, 0, 0});
  REQUIRE(n.has_value());
  CHECK(formatRfc3339Nano(*n) == "2024-01-01T00:00:00Z");
  auto z = cw::core::fromCivil(CivilTime{2023, 3, 0, 24, 0, 0, 0, 0, 0});
  REQUIRE(z.has_value());
  CHECK(formatRfc3339Nano(*z) == "2023-03-01T00:00:00Z");
  CHECK_FALSE(cw::core::fromCivil(CivilTime{0, 1, 1, 0, 0, 0, 0, 0, 0}).has_value());
  CHECK_FALSE(cw::core::fromCivil(CivilTime{2263, 1, 1, 0, 0, 0, 0, 0, 0}).has_value());
  CHECK(cw::core::daysFromCivil(1970, 1, 1) == 0);
  CHECK(cw::core::daysFromCivil(2000, 3, 1) == 11017);
  CHECK(cw::core::daysInMonth(1900, 2) == 28);
  CHECK(cw::core::daysInMonth(2000, 2) == 29);
}

TEST_CASE("Go durations parse", "[time][duration]") {
  using cw::core::kHour;
  using cw::core::kMillisecond;
  using cw::core::kMinute;
  using cw::core::kSecond;
  CHECK(parseGoDuration("10s") == 10 * kSecond);
  CHECK(parseGoDuration("1h30m") == kHour + 30 * kMinute);
  CHECK(parseGoDuration("0.5s") == 500 * kMillisecond);
  CHECK(parseGoDuration(".5s") == 500 * kMillisecond);
  CHECK(parseGoDuration("1.s") == kSecond);
  CHECK(parseGoDuration("-1m") == -kMinute);
  CHECK(parseGoDuration("+2h") == 2 * kHour);
  CHECK(parseGoDuration("1.5h") == 90 * kMinute);
  CHECK(parseGoDuration("1h2m3s4ms5us6ns") ==
        kHour + 2 * kMinute + 3 * kSecond + 4 * kMillisecond + 5000 + 6);
  CHECK(parseGoDuration("3\xC2\xB5s") == 3000);
  CHECK(parseGoDuration("3\xCE\xBCs") == 3000);
  CHECK(parseGoDuration("0") == 0);
  CHECK(parseGoDuration("-0") == 0);
  CHECK(parseGoDuration("2d", true) == 48 * kHour);
  CHECK(parseGoDuration("2d") == std::nullopt);
  CHECK(parseGoDuration("") == std::nullopt);
  CHECK(parseGoDuration("10") == std::nullopt);
  CHECK(parseGoDuration("1x") == std::nullopt);
  CHECK(parseGoDuration(".s") == std::nullopt);
  CHECK(parseGoDuration("s") == std::nullopt);
  CHECK(parseGoDuration("9999999999999999999s") == std::nullopt);
  CHECK(parseGoDuration("3000000h") == std::nullopt);
  CHECK(parseGoDuration("-9223372036854775808ns") == std::numeric_limits<std::int64_t>::min());
  CHECK(parseGoDuration("9223372036854775808ns") == std::nullopt);
}

TEST_CASE("Go durations format like Duration.String", "[time][duration]") {
  using cw::core::kHour;
  using cw::core::kMillisecond;
  using cw::core::kMinute;
  using cw::core::kSecond;
  CHECK(formatGoDuration(0) == "0s");
  CHECK(formatGoDuration(1) == "1ns");
  CHECK(formatGoDuration(1000) == "1\xC2\xB5s");
  CHECK(formatGoDuration(1500) == "1.5\xC2\xB5s");
  CHECK(formatGoDuration(500 * kMillisecond) == "500ms");
  CHECK(formatGoDuration(1500 * kMillisecond) == "1.5s");
  CHECK(formatGoDuration(10 * kSecond) == "10s");
  CHECK(formatGoDuration(90 * kSecond) == "1m30s");
  CHECK(formatGoDuration(kMinute) == "1m0s");
  CHECK(formatGoDuration(kHour) == "1h0m0s");
  CHECK(formatGoDuration(kHour + 30 * kMinute) == "1h30m0s");
  CHECK(formatGoDuration(-12 * kSecond) == "-12s");
  CHECK(formatGoDuration(-1) == "-1ns");
  CHECK(formatGoDuration(std::numeric_limits<std::int64_t>::min()) ==
        "-2562047h47m16.854775808s");
  CHECK(formatGoDuration(std::numeric_limits<std::int64_t>::max()) ==
        "2562047h47m16.854775807s");
  // Round trip.
  for (const char* s : {"1h0m0s", "2m3.5s", "750ms", "12\xC2\xB5s", "-3h4m0s"}) {
    auto d = parseGoDuration(s);
    REQUIRE(d.has_value());
    CHECK(formatGoDuration(*d) == s);
  }
}

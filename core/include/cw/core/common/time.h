// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace cw::core {

/// A length of time in nanoseconds, like Go's time.Duration.
using Duration = std::int64_t;

inline constexpr Duration kNanosecond = 1;
inline constexpr Duration kMicrosecond = 1000;
inline constexpr Duration kMillisecond = 1000 * kMicrosecond;
inline constexpr Duration kSecond = 1000 * kMillisecond;
inline constexpr Duration kMinute = 60 * kSecond;
inline constexpr Duration kHour = 60 * kMinute;

/// An instant with the UTC offset it was written in (Go's time.Time with a fixed zone).
/// Two TimePoints are the same instant when unix_nanos are equal, whatever the offset.
struct TimePoint {
  std::int64_t unix_nanos = 0;   ///< nanoseconds since 1970-01-01T00:00:00Z
  std::int32_t utc_offset_s = 0; ///< offset of the zone the time was expressed in
  bool zero = true;              ///< Go's zero time.Time (never set)

  static TimePoint fromUnixNanos(std::int64_t ns, std::int32_t offset_s = 0) {
    return TimePoint{ns, offset_s, false};
  }
  bool isZero() const { return zero; }
  friend bool operator==(const TimePoint& a, const TimePoint& b) {
    return a.zero == b.zero && a.unix_nanos == b.unix_nanos;
  }
  friend auto operator<=>(const TimePoint& a, const TimePoint& b) {
    return a.unix_nanos <=> b.unix_nanos;
  }
};

/// Current wall-clock time, UTC.
TimePoint nowUtc();

/// Parses a Go duration ("10s", "1h30m", "0.5s", "-1m"); with allow_days also "2d".
std::optional<Duration> parseGoDuration(std::string_view text, bool allow_days = false);

/// Formats like Go's Duration.String(): "10s", "1m0s", "1h30m0s", "0s", "1.5s", "250ms".
std::string formatGoDuration(Duration d);

/// RFC3339 with nanoseconds, trailing zeros trimmed, offset kept ("Z" for UTC):
/// Go's time.RFC3339Nano layout.
std::string formatRfc3339Nano(const TimePoint& t);

/// Go's default time.Time.String() without the monotonic part:
/// "2026-02-12 14:10:21 +0000 UTC" (fraction printed only when non-zero).
std::string formatGoDefault(const TimePoint& t);

/// Broken-down time of a TimePoint in its own UTC offset (Go's Year(), Month(), ...).
struct CivilTime {
  int year = 1970;
  int month = 1;  ///< 1..12
  int day = 1;    ///< 1..31
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::int64_t nanos = 0; ///< 0..999999999
  int weekday = 4; ///< 0 = Sunday .. 6 = Saturday, as Go's time.Weekday
  int yday = 1;    ///< 1..366, as Go's YearDay()
};

/// Civil fields of `t` in the offset it carries (weekday and yday filled in).
CivilTime toCivil(const TimePoint& t);

/// The instant of the civil time `c` at UTC offset `offset_s`. Like Go's time.Date, fields out
/// of range are normalised (month 13 = January of the next year, day 0 = last of the previous
/// month, ...); weekday and yday are ignored. Nullopt when the instant does not fit the int64
/// nanosecond range (years ~1678..2262).
std::optional<TimePoint> fromCivil(const CivilTime& c, std::int32_t offset_s = 0);

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, any day count).
std::int64_t daysFromCivil(std::int64_t year, int month, int day);

/// Number of days of `month` (1..12) in `year`.
int daysInMonth(std::int64_t year, int month);

/// Parses `text` with a Go reference layout ("Jan _2 15:04:05", "2006-01-02T15:04:05Z07:00").
/// Semantics of parsers.md section 9: month/day names case-insensitive, spaces in the layout
/// match one or more spaces, optional fractional seconds after seconds, no zone => UTC.
/// A layout without a year gives Go's year 0, which the int64 nanosecond range cannot hold:
/// this overload then returns nullopt; use the overload below to say which year to use.
std::optional<TimePoint> parseGoLayout(std::string_view layout, std::string_view text);

/// As above, but a parsed year of 0 is replaced by `missing_year` the way Go's
/// t.AddDate(missing_year, 0, 0) does (Feb 29 of a non-leap year becomes Mar 1).
std::optional<TimePoint> parseGoLayout(std::string_view layout, std::string_view text,
                                       int missing_year);

/// Formats `t` with a Go reference layout.
std::string formatGoLayout(std::string_view layout, const TimePoint& t);

/// The dateparse enricher: parsers.md section 9 "ParseDate algorithm". `str_time_format`
/// may be empty. `current_year` replaces a missing year (0 = the year of nowUtc()).
/// Returns nullopt when nothing matched (caller then uses "now").
std::optional<TimePoint> parseDate(std::string_view str_time, std::string_view str_time_format,
                                   int current_year = 0);

} // namespace cw::core

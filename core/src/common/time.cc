// SPDX-License-Identifier: Apache-2.0
// Civil-date arithmetic, Go durations and nowUtc(). Layout parsing/formatting is in
// time_layout.cc.
#include "cw/core/common/time.h"

#include <chrono>
#include <cstdint>
#include <limits>

namespace cw::core {

namespace {

// Floor division, also right for negative numerators (dates before 1970).
constexpr std::int64_t floorDiv(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) {
    --q;
  }
  return q;
}

constexpr std::int64_t floorMod(std::int64_t a, std::int64_t b) { return a - floorDiv(a, b) * b; }

bool isLeap(std::int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Inverse of daysFromCivil. Works on 400-year eras (146097 days), where the Gregorian
// calendar repeats; the year is counted from March so that Feb 29 is the last day.
void civilFromDays(std::int64_t days, std::int64_t& year, int& month, int& day) {
  const std::int64_t z = days + 719468; // shift epoch to 0000-03-01
  const std::int64_t era = floorDiv(z, 146097);
  const std::int64_t doe = z - era * 146097;                                 // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                // March = 0
  day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  year = yoe + era * 400 + (month <= 2 ? 1 : 0);
}

} // namespace

std::int64_t daysFromCivil(std::int64_t year, int month, int day) {
  // Normalise the month first so callers may pass 0 or 13 (Go's Date does the same).
  std::int64_t m0 = static_cast<std::int64_t>(month) - 1;
  year += floorDiv(m0, 12);
  m0 = floorMod(m0, 12);
  const std::int64_t y = m0 < 2 ? year - 1 : year; // years start in March
  const std::int64_t era = floorDiv(y, 400);
  const std::int64_t yoe = y - era * 400;
  const std::int64_t mp = m0 < 2 ? m0 + 10 : m0 - 2;
  const std::int64_t doy = (153 * mp + 2) / 5; // days before the 1st of that month
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468 + (static_cast<std::int64_t>(day) - 1);
}

int daysInMonth(std::int64_t year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month < 1 || month > 12) {
    return 0;
  }
  if (month == 2 && isLeap(year)) {
    return 29;
  }
  return kDays[month - 1];
}

CivilTime toCivil(const TimePoint& t) {
  const std::int64_t local_ns = t.unix_nanos; // offset applied in seconds below
  std::int64_t secs = floorDiv(local_ns, kSecond);
  CivilTime c;
  c.nanos = local_ns - secs * kSecond;
  secs += t.utc_offset_s;
  const std::int64_t days = floorDiv(secs, 86400);
  const std::int64_t sod = secs - days * 86400;
  c.hour = static_cast<int>(sod / 3600);
  c.minute = static_cast<int>((sod / 60) % 60);
  c.second = static_cast<int>(sod % 60);
  std::int64_t year = 0;
  civilFromDays(days, year, c.month, c.day);
  c.year = static_cast<int>(year);
  c.weekday = static_cast<int>(floorMod(days + 4, 7)); // 1970-01-01 was a Thursday
  c.yday = static_cast<int>(days - daysFromCivil(year, 1, 1) + 1);
  return c;
}

std::optional<TimePoint> fromCivil(const CivilTime& c, std::int32_t offset_s) {
  // Carry nanos into seconds like Go's Date, then let daysFromCivil absorb day overflow.
  std::int64_t nanos = c.nanos;
  std::int64_t extra_s = floorDiv(nanos, kSecond);
  nanos -= extra_s * kSecond;
  const std::int64_t days = daysFromCivil(c.year, c.month, 1) + (c.day - 1);
  // |days| stays far below 2^40 for any int year, so the seconds fit int64; the nanosecond
  // product is checked.
  const std::int64_t secs = days * 86400 + static_cast<std::int64_t>(c.hour) * 3600 +
                            static_cast<std::int64_t>(c.minute) * 60 + c.second + extra_s -
                            offset_s;
  std::int64_t ns = 0;
  if (__builtin_mul_overflow(secs, kSecond, &ns) || __builtin_add_overflow(ns, nanos, &ns)) {
    return std::nullopt;
  }
  return TimePoint::fromUnixNanos(ns, offset_s);
}

TimePoint nowUtc() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return TimePoint::fromUnixNanos(
      std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
}

// ---------------------------------------------------------------------------------------------
// Durations (Go's time.ParseDuration / Duration.String)

namespace {

constexpr std::uint64_t kMaxDurationMagnitude = std::uint64_t{1} << 63;

// Duration unit lookup; returns 0 for an unknown unit.
std::uint64_t durationUnit(std::string_view u, bool allow_days) {
  if (u == "ns") {
    return 1;
  }
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") { // micro sign and Greek mu
    return kMicrosecond;
  }
  if (u == "ms") {
    return kMillisecond;
  }
  if (u == "s") {
    return kSecond;
  }
  if (u == "m") {
    return kMinute;
  }
  if (u == "h") {
    return kHour;
  }
  if (allow_days && u == "d") {
    return 24 * kHour;
  }
  return 0;
}

} // namespace

std::optional<Duration> parseGoDuration(std::string_view s, bool allow_days) {
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") {
    return 0;
  }
  if (s.empty()) {
    return std::nullopt;
  }
  std::uint64_t total = 0;
  while (!s.empty()) {
    if (!(s[0] == '.' || (s[0] >= '0' && s[0] <= '9'))) {
      return std::nullopt;
    }
    // Integer part; overflow is an error as in Go.
    std::uint64_t whole = 0;
    std::size_t i = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (whole > (kMaxDurationMagnitude - 1) / 10) {
        return std::nullopt;
      }
      whole = whole * 10 + static_cast<std::uint64_t>(s[i] - '0');
      if (whole > kMaxDurationMagnitude) {
        return std::nullopt;
      }
      ++i;
    }
    const bool has_whole = i > 0;
    s.remove_prefix(i);
    // Fraction: keep the digits that fit, ignore the rest (they only add precision).
    std::uint64_t frac = 0;
    double scale = 1.0;
    bool has_frac = false;
    if (!s.empty() && s[0] == '.') {
      s.remove_prefix(1);
      std::size_t j = 0;
      bool overflow = false;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
        if (!overflow) {
          if (frac > (std::numeric_limits<std::int64_t>::max() - 9) / 10) {
            overflow = true;
          } else {
            frac = frac * 10 + static_cast<std::uint64_t>(s[j] - '0');
            scale *= 10;
          }
        }
        ++j;
      }
      has_frac = j > 0;
      s.remove_prefix(j);
    }
    if (!has_whole && !has_frac) {
      return std::nullopt;
    }
    std::size_t u = 0;
    while (u < s.size() && s[u] != '.' && !(s[u] >= '0' && s[u] <= '9')) {
      ++u;
    }
    if (u == 0) {
      return std::nullopt; // missing unit
    }
    const std::uint64_t unit = durationUnit(s.substr(0, u), allow_days);
    s.remove_prefix(u);
    if (unit == 0) {
      return std::nullopt;
    }
    if (whole > kMaxDurationMagnitude / unit) {
      return std::nullopt;
    }
    std::uint64_t v = whole * unit;
    if (frac > 0) {
      v += static_cast<std::uint64_t>(static_cast<double>(frac) *
                                      (static_cast<double>(unit) / scale));
      if (v > kMaxDurationMagnitude) {
        return std::nullopt;
      }
    }
    total += v;
    if (total > kMaxDurationMagnitude) {
      return std::nullopt;
    }
  }
  if (neg) {
    return static_cast<Duration>(0 - total); // 2^63 maps to INT64_MIN
  }
  if (total > kMaxDurationMagnitude - 1) {
    return std::nullopt;
  }
  return static_cast<Duration>(total);
}

namespace {

// Writes the `prec` fractional digits of v backwards into buf ending at w, trimming trailing
// zeros and omitting the dot when all are zero; returns the new w and v / 10^prec.
std::size_t formatFraction(char* buf, std::size_t w, std::uint64_t& v, int prec) {
  bool printed = false;
  for (int i = 0; i < prec; ++i) {
    const auto digit = static_cast<char>(v % 10);
    printed = printed || digit != 0;
    if (printed) {
      buf[--w] = static_cast<char>('0' + digit);
    }
    v /= 10;
  }
  if (printed) {
    buf[--w] = '.';
  }
  return w;
}

std::size_t formatUint(char* buf, std::size_t w, std::uint64_t v) {
  if (v == 0) {
    buf[--w] = '0';
    return w;
  }
  while (v > 0) {
    buf[--w] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return w;
}

} // namespace

std::string formatGoDuration(Duration d) {
  // Filled from the end, as the largest unit is known last.
  char buf[40];
  std::size_t w = sizeof(buf);
  const bool neg = d < 0;
  std::uint64_t u = neg ? 0 - static_cast<std::uint64_t>(d) : static_cast<std::uint64_t>(d);
  if (u < static_cast<std::uint64_t>(kSecond)) {
    // Sub-second: one unit with a decimal fraction, "0s" for zero.
    int prec = 0;
    buf[--w] = 's';
    if (u == 0) {
      return "0s";
    }
    if (u < static_cast<std::uint64_t>(kMicrosecond)) {
      buf[--w] = 'n';
    } else if (u < static_cast<std::uint64_t>(kMillisecond)) {
      prec = 3;
      buf[--w] = '\xB5'; // U+00B5 MICRO SIGN, UTF-8 C2 B5
      buf[--w] = '\xC2';
    } else {
      prec = 6;
      buf[--w] = 'm';
    }
    w = formatFraction(buf, w, u, prec);
    w = formatUint(buf, w, u);
  } else {
    buf[--w] = 's';
    w = formatFraction(buf, w, u, 9);
    w = formatUint(buf, w, u % 60);
    u /= 60;
    if (u > 0) {
      buf[--w] = 'm';
      w = formatUint(buf, w, u % 60);
      u /= 60;
      if (u > 0) {
        buf[--w] = 'h';
        w = formatUint(buf, w, u);
      }
    }
  }
  if (neg) {
    buf[--w] = '-';
  }
  return std::string(buf + w, sizeof(buf) - w);
}

} // namespace cw::core

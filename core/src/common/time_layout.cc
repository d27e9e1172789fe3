// SPDX-License-Identifier: Apache-2.0
// Go reference-layout parsing and formatting ("2006-01-02T15:04:05Z07:00"), and the ParseDate
// enricher algorithm of parsers.md section 9.
//
// Layouts are compiled once into token vectors and cached (parseDate runs per log line), and
// parsing works on string_views only: no allocation on the per-line path.
#include <array>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "cw/core/common/time.h"

namespace cw::core {

namespace {

enum class Tok : std::uint8_t {
  Literal,
  LongMonth,   // January
  Month,       // Jan
  NumMonth,    // 1
  ZeroMonth,   // 01
  LongWeekDay, // Monday
  WeekDay,     // Mon
  Day,         // 2
  UnderDay,    // _2
  ZeroDay,     // 02
  UnderYearDay, // __2
  ZeroYearDay, // 002
  Hour,        // 15
  Hour12,      // 3
  ZeroHour12,  // 03
  Minute,      // 4
  ZeroMinute,  // 04
  Second,      // 5
  ZeroSecond,  // 05
  LongYear,    // 2006
  Year,        // 06
  PM,          // PM
  pm,          // pm
  TZ,          // MST
  ISO8601TZ,   // Z0700
  ISO8601SecondsTZ,      // Z070000
  ISO8601ShortTZ,        // Z07
  ISO8601ColonTZ,        // Z07:00
  ISO8601ColonSecondsTZ, // Z07:00:00
  NumTZ,                 // -0700
  NumSecondsTZ,          // -070000
  NumShortTZ,            // -07
  NumColonTZ,            // -07:00
  NumColonSecondsTZ,     // -07:00:00
  FracSecond0,           // .000 (fixed digits)
  FracSecond9,           // .999 (trailing zeros trimmed / optional when parsing)
};

struct Token {
  Tok kind = Tok::Literal;
  std::uint16_t begin = 0; // literal: offset into the layout text
  std::uint16_t len = 0;   // literal: length; fractions: digit count
  char sep = '.';          // fractions: separator used when formatting
};

struct CompiledLayout {
  std::string text;
  std::vector<Token> tokens;
  bool has_frac_after(std::size_t i) const {
    // Go peeks at the next non-literal chunk after seconds to decide whether a fraction in
    // the input is handled by the layout.
    for (std::size_t j = i + 1; j < tokens.size(); ++j) {
      if (tokens[j].kind != Tok::Literal) {
        return tokens[j].kind == Tok::FracSecond0 || tokens[j].kind == Tok::FracSecond9;
      }
    }
    return false;
  }
};

bool startsWith(std::string_view s, std::size_t i, std::string_view p) {
  return s.size() - i >= p.size() && s.compare(i, p.size(), p) == 0;
}

bool isDigitAt(std::string_view s, std::size_t i) {
  return i < s.size() && s[i] >= '0' && s[i] <= '9';
}

// Recognises a layout element at position i; returns its length (0 = plain character).
std::size_t layoutElement(std::string_view l, std::size_t i, Token& t) {
  const char c = l[i];
  auto set = [&t](Tok k, std::size_t n) {
    t.kind = k;
    return n;
  };
  switch (c) {
    case 'J':
      if (startsWith(l, i, "Jan")) {
        return startsWith(l, i, "January") ? set(Tok::LongMonth, 7) : set(Tok::Month, 3);
      }
      break;
    case 'M':
      if (startsWith(l, i, "Mon")) {
        return startsWith(l, i, "Monday") ? set(Tok::LongWeekDay, 6) : set(Tok::WeekDay, 3);
      }
      if (startsWith(l, i, "MST")) {
        return set(Tok::TZ, 3);
      }
      break;
    case '0':
      if (startsWith(l, i, "002")) {
        return set(Tok::ZeroYearDay, 3);
      }
      if (i + 1 < l.size() && l[i + 1] >= '1' && l[i + 1] <= '6') {
        static constexpr Tok kZero[] = {Tok::ZeroMonth, Tok::ZeroDay, Tok::ZeroHour12,
                                        Tok::ZeroMinute, Tok::ZeroSecond, Tok::Year};
        return set(kZero[l[i + 1] - '1'], 2);
      }
      break;
    case '1':
      return startsWith(l, i, "15") ? set(Tok::Hour, 2) : set(Tok::NumMonth, 1);
    case '2':
      return startsWith(l, i, "2006") ? set(Tok::LongYear, 4) : set(Tok::Day, 1);
    case '_':
      if (startsWith(l, i, "_2")) {
        // "_2006" is a literal underscore followed by the long year.
        if (startsWith(l, i + 1, "2006")) {
          return 0;
        }
        return set(Tok::UnderDay, 2);
      }
      if (startsWith(l, i, "__2")) {
        return set(Tok::UnderYearDay, 3);
      }
      break;
    case '3':
      return set(Tok::Hour12, 1);
    case '4':
      return set(Tok::Minute, 1);
    case '5':
      return set(Tok::Second, 1);
    case 'P':
      if (startsWith(l, i, "PM")) {
        return set(Tok::PM, 2);
      }
      break;
    case 'p':
      if (startsWith(l, i, "pm")) {
        return set(Tok::pm, 2);
      }
      break;
    case '-':
      if (startsWith(l, i, "-070000")) {
        return set(Tok::NumSecondsTZ, 7);
      }
      if (startsWith(l, i, "-07:00:00")) {
        return set(Tok::NumColonSecondsTZ, 9);
      }
      if (startsWith(l, i, "-0700")) {
        return set(Tok::NumTZ, 5);
      }
      if (startsWith(l, i, "-07:00")) {
        return set(Tok::NumColonTZ, 6);
      }
      if (startsWith(l, i, "-07")) {
        return set(Tok::NumShortTZ, 3);
      }
      break;
    case 'Z':
      if (startsWith(l, i, "Z070000")) {
        return set(Tok::ISO8601SecondsTZ, 7);
      }
      if (startsWith(l, i, "Z07:00:00")) {
        return set(Tok::ISO8601ColonSecondsTZ, 9);
      }
      if (startsWith(l, i, "Z0700")) {
        return set(Tok::ISO8601TZ, 5);
      }
      if (startsWith(l, i, "Z07:00")) {
        return set(Tok::ISO8601ColonTZ, 6);
      }
      if (startsWith(l, i, "Z07")) {
        return set(Tok::ISO8601ShortTZ, 3);
      }
      break;
    case '.':
    case ',':
      // A run of 0s or 9s after the separator, not followed by another digit.
      if (i + 1 < l.size() && (l[i + 1] == '0' || l[i + 1] == '9')) {
        const char d = l[i + 1];
        std::size_t j = i + 1;
        while (j < l.size() && l[j] == d) {
          ++j;
        }
        if (!isDigitAt(l, j)) {
          t.kind = d == '0' ? Tok::FracSecond0 : Tok::FracSecond9;
          t.sep = c;
          std::size_t n = j - (i + 1);
          t.len = static_cast<std::uint16_t>(n > 9 ? 9 : n);
          return j - i;
        }
      }
      break;
    default:
      break;
  }
  return 0;
}

std::shared_ptr<const CompiledLayout> compileLayout(std::string_view layout) {
  auto out = std::make_shared<CompiledLayout>();
  out->text.assign(layout);
  const std::string_view l = out->text;
  // Token offsets are 16-bit; longer layouts are nonsense and are cut (they cannot match).
  const std::size_t n = l.size() > 60000 ? 60000 : l.size();
  std::size_t lit_begin = 0;
  std::size_t i = 0;
  auto flushLiteral = [&](std::size_t end) {
    if (end > lit_begin) {
      Token t;
      t.begin = static_cast<std::uint16_t>(lit_begin);
      t.len = static_cast<std::uint16_t>(end - lit_begin);
      out->tokens.push_back(t);
    }
  };
  while (i < n) {
    Token t;
    const std::size_t len = layoutElement(l.substr(0, n), i, t);
    if (len == 0) {
      ++i;
      continue;
    }
    flushLiteral(i);
    if (t.kind != Tok::FracSecond0 && t.kind != Tok::FracSecond9) {
      t.len = static_cast<std::uint16_t>(len);
    }
    out->tokens.push_back(t);
    i += len;
    lit_begin = i;
  }
  flushLiteral(n);
  return out;
}

// Thread-safe cache of compiled layouts; the last one used by each thread is kept aside so
// that the usual case (the same StrTimeFormat line after line) takes no lock.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

std::shared_ptr<const CompiledLayout> cachedLayout(std::string_view layout) {
  thread_local std::shared_ptr<const CompiledLayout> last;
  if (last && last->text == layout) {
    return last;
  }
  static std::shared_mutex mu;
  static std::unordered_map<std::string, std::shared_ptr<const CompiledLayout>, StringHash,
                            std::equal_to<>>
      cache;
  {
    std::shared_lock lock(mu);
    auto it = cache.find(layout);
    if (it != cache.end()) {
      last = it->second;
      return last;
    }
  }
  auto compiled = compileLayout(layout);
  std::unique_lock lock(mu);
  if (cache.size() < 4096) { // bound: layouts come from configuration, not from log lines
    cache.emplace(compiled->text, compiled);
  }
  last = compiled;
  return last;
}

constexpr std::array<std::string_view, 12> kLongMonths = {
    "January", "February", "March",     "April",   "May",      "June",
    "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<std::string_view, 7> kLongDays = {
    "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"};

char lowerAscii(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool equalFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) {
      return false;
    }
  }
  return true;
}

// Index of the name (full or its first 3 letters when `abbrev`) that `value` starts with.
template <std::size_t N>
int lookupName(const std::array<std::string_view, N>& names, bool abbrev, std::string_view& value) {
  for (std::size_t i = 0; i < N; ++i) {
    const std::string_view name = abbrev ? names[i].substr(0, 3) : names[i];
    if (value.size() >= name.size() && equalFold(value.substr(0, name.size()), name)) {
      value.remove_prefix(name.size());
      return static_cast<int>(i);
    }
  }
  return -1;
}

// One or two digits (exactly two when `fixed`), Go's getnum.
bool getNum(std::string_view& v, bool fixed, int& out) {
  if (!isDigitAt(v, 0)) {
    return false;
  }
  if (!isDigitAt(v, 1)) {
    if (fixed) {
      return false;
    }
    out = v[0] - '0';
    v.remove_prefix(1);
    return true;
  }
  out = (v[0] - '0') * 10 + (v[1] - '0');
  v.remove_prefix(2);
  return true;
}

// Up to three digits (exactly three when `fixed`), for year days.
bool getNum3(std::string_view& v, bool fixed, int& out) {
  int n = 0;
  std::size_t i = 0;
  while (i < 3 && isDigitAt(v, i)) {
    n = n * 10 + (v[i] - '0');
    ++i;
  }
  if (i == 0 || (fixed && i != 3)) {
    return false;
  }
  out = n;
  v.remove_prefix(i);
  return true;
}

// A separator ('.' or ',') followed by nbytes-1 digits; at most 9 digits are used.
bool parseNanos(std::string_view v, std::size_t nbytes, std::int64_t& ns) {
  if (v.empty() || (v[0] != '.' && v[0] != ',')) {
    return false;
  }
  if (nbytes > 10) {
    nbytes = 10;
  }
  if (nbytes < 2) {
    return false;
  }
  std::int64_t n = 0;
  for (std::size_t i = 1; i < nbytes; ++i) {
    if (!isDigitAt(v, i)) {
      return false;
    }
    n = n * 10 + (v[i] - '0');
  }
  for (std::size_t i = nbytes; i < 10; ++i) {
    n *= 10;
  }
  ns = n;
  return true;
}

// Go's skip(): literal text where a space matches any run of spaces (one or more, or none at
// the very end of the input).
bool skipLiteral(std::string_view& value, std::string_view prefix) {
  while (!prefix.empty()) {
    if (prefix[0] == ' ') {
      if (!value.empty() && value[0] != ' ') {
        return false;
      }
      while (!prefix.empty() && prefix[0] == ' ') {
        prefix.remove_prefix(1);
      }
      while (!value.empty() && value[0] == ' ') {
        value.remove_prefix(1);
      }
      continue;
    }
    if (value.empty() || value[0] != prefix[0]) {
      return false;
    }
    prefix.remove_prefix(1);
    value.remove_prefix(1);
  }
  return true;
}

// Signed "+hh" style offset after GMT or alone: returns the length consumed (0 = none).
std::size_t signedOffsetLength(std::string_view v) {
  if (v.empty() || (v[0] != '+' && v[0] != '-')) {
    return 0;
  }
  std::size_t i = 1;
  std::int64_t x = 0;
  while (i < v.size() && isDigitAt(v, i)) {
    x = x * 10 + (v[i] - '0');
    if (x > 1000000) {
      return 0;
    }
    ++i;
  }
  if (i == 1 || x > 24) {
    return 0;
  }
  return i;
}

// Length of a zone abbreviation at the start of v (Go's parseTimeZone), 0 if none.
std::size_t timeZoneLength(std::string_view v) {
  if (v.size() < 3) {
    return 0;
  }
  if (startsWith(v, 0, "ChST") || startsWith(v, 0, "MeST")) {
    return 4;
  }
  if (startsWith(v, 0, "GMT")) {
    return 3 + signedOffsetLength(v.substr(3));
  }
  if (v[0] == '+' || v[0] == '-') {
    return signedOffsetLength(v);
  }
  std::size_t upper = 0;
  while (upper < 6 && upper < v.size() && v[upper] >= 'A' && v[upper] <= 'Z') {
    ++upper;
  }
  switch (upper) {
    case 3:
      return 3;
    case 4:
      return (v[3] == 'T' || startsWith(v, 0, "WITA")) ? 4 : 0;
    case 5:
      return v[4] == 'T' ? 5 : 0;
    default:
      return 0;
  }
}

struct Parsed {
  int year = 0;
  int month = -1;
  int day = -1;
  int yday = -1;
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::int64_t nanos = 0;
  bool pm_set = false;
  bool am_set = false;
  bool utc = false;             // explicit Z / UTC
  std::int32_t offset = 0;
  bool has_offset = false;      // numeric offset seen
  bool has_zone_name = false;   // abbreviation such as CET (offset 0 unless GMT+N)
  std::int32_t zone_name_offset = 0;
};

bool parseTokens(const CompiledLayout& layout, std::string_view value, Parsed& p) {
  const std::string_view text = layout.text;
  const auto& toks = layout.tokens;
  for (std::size_t ti = 0; ti < toks.size(); ++ti) {
    const Token& t = toks[ti];
    switch (t.kind) {
      case Tok::Literal:
        if (!skipLiteral(value, text.substr(t.begin, t.len))) {
          return false;
        }
        break;
      case Tok::LongYear: {
        if (value.size() < 4) {
          return false;
        }
        int y = 0;
        for (int i = 0; i < 4; ++i) {
          if (!isDigitAt(value, static_cast<std::size_t>(i))) {
            return false;
          }
          y = y * 10 + (value[static_cast<std::size_t>(i)] - '0');
        }
        p.year = y;
        value.remove_prefix(4);
        break;
      }
      case Tok::Year: {
        if (!isDigitAt(value, 0) || !isDigitAt(value, 1)) {
          return false;
        }
        const int y = (value[0] - '0') * 10 + (value[1] - '0');
        p.year = y >= 69 ? 1900 + y : 2000 + y;
        value.remove_prefix(2);
        break;
      }
      case Tok::LongMonth:
      case Tok::Month: {
        const int m = lookupName(kLongMonths, t.kind == Tok::Month, value);
        if (m < 0) {
          return false;
        }
        p.month = m + 1;
        break;
      }
      case Tok::NumMonth:
      case Tok::ZeroMonth:
        if (!getNum(value, t.kind == Tok::ZeroMonth, p.month) || p.month < 1 || p.month > 12) {
          return false;
        }
        break;
      case Tok::LongWeekDay:
      case Tok::WeekDay:
        // Checked for validity, then ignored (the date decides the weekday), as Go does.
        if (lookupName(kLongDays, t.kind == Tok::WeekDay, value) < 0) {
          return false;
        }
        break;
      case Tok::Day:
      case Tok::UnderDay:
      case Tok::ZeroDay:
        if (t.kind == Tok::UnderDay && !value.empty() && value[0] == ' ') {
          value.remove_prefix(1);
        }
        if (!getNum(value, t.kind == Tok::ZeroDay, p.day) || p.day > 31) {
          return false;
        }
        break;
      case Tok::UnderYearDay:
      case Tok::ZeroYearDay:
        for (int i = 0; i < 2; ++i) {
          if (t.kind == Tok::UnderYearDay && !value.empty() && value[0] == ' ') {
            value.remove_prefix(1);
          }
        }
        if (!getNum3(value, t.kind == Tok::ZeroYearDay, p.yday) || p.yday < 1 || p.yday > 366) {
          return false;
        }
        break;
      case Tok::Hour:
        if (!getNum(value, false, p.hour) || p.hour >= 24) {
          return false;
        }
        break;
      case Tok::Hour12:
      case Tok::ZeroHour12:
        if (!getNum(value, t.kind == Tok::ZeroHour12, p.hour) || p.hour > 12) {
          return false;
        }
        break;
      case Tok::Minute:
      case Tok::ZeroMinute:
        if (!getNum(value, t.kind == Tok::ZeroMinute, p.minute) || p.minute >= 60) {
          return false;
        }
        break;
      case Tok::Second:
      case Tok::ZeroSecond: {
        if (!getNum(value, t.kind == Tok::ZeroSecond, p.second) || p.second >= 60) {
          return false;
        }
        // A fraction in the input that the layout does not mention is accepted here.
        if (value.size() >= 2 && (value[0] == '.' || value[0] == ',') && isDigitAt(value, 1) &&
            !layout.has_frac_after(ti)) {
          std::size_t n = 2;
          while (isDigitAt(value, n)) {
            ++n;
          }
          if (!parseNanos(value, n, p.nanos)) {
            return false;
          }
          value.remove_prefix(n);
        }
        break;
      }
      case Tok::PM:
      case Tok::pm: {
        if (value.size() < 2) {
          return false;
        }
        const std::string_view ap = value.substr(0, 2);
        const bool upper = t.kind == Tok::PM;
        if (ap == (upper ? "PM" : "pm")) {
          p.pm_set = true;
        } else if (ap == (upper ? "AM" : "am")) {
          p.am_set = true;
        } else {
          return false;
        }
        value.remove_prefix(2);
        break;
      }
      case Tok::ISO8601TZ:
      case Tok::ISO8601SecondsTZ:
      case Tok::ISO8601ShortTZ:
      case Tok::ISO8601ColonTZ:
      case Tok::ISO8601ColonSecondsTZ:
        if (!value.empty() && value[0] == 'Z') {
          value.remove_prefix(1);
          p.utc = true;
          break;
        }
        [[fallthrough]];
      case Tok::NumTZ:
      case Tok::NumSecondsTZ:
      case Tok::NumShortTZ:
      case Tok::NumColonTZ:
      case Tok::NumColonSecondsTZ: {
        std::string_view hh;
        std::string_view mm = "00";
        std::string_view ss = "00";
        std::size_t used = 0;
        if (t.kind == Tok::ISO8601ColonTZ || t.kind == Tok::NumColonTZ) {
          if (value.size() < 6 || value[3] != ':') {
            return false;
          }
          hh = value.substr(1, 2);
          mm = value.substr(4, 2);
          used = 6;
        } else if (t.kind == Tok::ISO8601ShortTZ || t.kind == Tok::NumShortTZ) {
          if (value.size() < 3) {
            return false;
          }
          hh = value.substr(1, 2);
          used = 3;
        } else if (t.kind == Tok::ISO8601ColonSecondsTZ || t.kind == Tok::NumColonSecondsTZ) {
          if (value.size() < 9 || value[3] != ':' || value[6] != ':') {
            return false;
          }
          hh = value.substr(1, 2);
          mm = value.substr(4, 2);
          ss = value.substr(7, 2);
          used = 9;
        } else if (t.kind == Tok::ISO8601SecondsTZ || t.kind == Tok::NumSecondsTZ) {
          if (value.size() < 7) {
            return false;
          }
          hh = value.substr(1, 2);
          mm = value.substr(3, 2);
          ss = value.substr(5, 2);
          used = 7;
        } else {
          if (value.size() < 5) {
            return false;
          }
          hh = value.substr(1, 2);
          mm = value.substr(3, 2);
          used = 5;
        }
        int h = 0;
        int m = 0;
        int s = 0;
        if (!getNum(hh, true, h) || !getNum(mm, true, m) || !getNum(ss, true, s) || h > 24 ||
            m > 60 || s > 60) {
          return false;
        }
        std::int32_t off = (h * 60 + m) * 60 + s;
        if (value[0] == '-') {
          off = -off;
        } else if (value[0] != '+') {
          return false;
        }
        p.offset = off;
        p.has_offset = true;
        value.remove_prefix(used);
        break;
      }
      case Tok::TZ: {
        if (startsWith(value, 0, "UTC")) {
          value.remove_prefix(3);
          p.utc = true;
          break;
        }
        const std::size_t n = timeZoneLength(value);
        if (n == 0) {
          return false;
        }
        // Only GMT+N carries an offset; other abbreviations are unknown to a UTC process
        // and are taken as offset 0 (the hub runs with TZ=UTC).
        p.has_zone_name = true;
        p.zone_name_offset = 0;
        if (n > 3 && startsWith(value, 0, "GMT")) {
          const std::string_view num = value.substr(3, n - 3);
          int x = 0;
          for (std::size_t i = 1; i < num.size(); ++i) {
            x = x * 10 + (num[i] - '0');
          }
          p.zone_name_offset = (num[0] == '-' ? -x : x) * 3600;
        }
        value.remove_prefix(n);
        break;
      }
      case Tok::FracSecond0: {
        const std::size_t ndigit = 1 + t.len;
        if (value.size() < ndigit || !parseNanos(value, ndigit, p.nanos)) {
          return false;
        }
        value.remove_prefix(ndigit);
        break;
      }
      case Tok::FracSecond9: {
        if (value.size() < 2 || (value[0] != '.' && value[0] != ',') || !isDigitAt(value, 1)) {
          break; // the fraction is optional
        }
        std::size_t i = 0;
        while (isDigitAt(value, i + 1)) {
          ++i;
        }
        if (!parseNanos(value, 1 + i, p.nanos)) {
          return false;
        }
        value.remove_prefix(1 + i);
        break;
      }
    }
  }
  return value.empty(); // the layout must consume the whole input
}

// Go's Parse: fields -> instant. `missing_year` replaces year 0 (as t.AddDate(y, 0, 0)),
// 0 keeps Go's year 0 (which int64 nanoseconds cannot represent -> nullopt).
std::optional<TimePoint> parseWith(const CompiledLayout& layout, std::string_view value,
                                   int missing_year) {
  Parsed p;
  if (!parseTokens(layout, value, p)) {
    return std::nullopt;
  }
  if (p.pm_set && p.hour < 12) {
    p.hour += 12;
  } else if (p.am_set && p.hour == 12) {
    p.hour = 0;
  }
  if (p.yday >= 0) {
    // Day of year: month and day follow from it; they must agree when also given.
    int m = 1;
    int d = p.yday;
    while (m <= 12 && d > daysInMonth(p.year, m)) {
      d -= daysInMonth(p.year, m);
      ++m;
    }
    if (m > 12 || (p.month >= 0 && p.month != m) || (p.day >= 0 && p.day != d)) {
      return std::nullopt;
    }
    p.month = m;
    p.day = d;
  } else {
    if (p.month < 0) {
      p.month = 1;
    }
    if (p.day < 0) {
      p.day = 1;
    }
  }
  if (p.day < 1 || p.day > daysInMonth(p.year, p.month)) {
    return std::nullopt;
  }
  std::int32_t offset = 0;
  if (!p.utc) {
    if (p.has_offset) {
      offset = p.offset;
    } else if (p.has_zone_name) {
      offset = p.zone_name_offset;
    }
  }
  CivilTime c;
  c.year = p.year;
  c.month = p.month;
  c.day = p.day;
  c.hour = p.hour;
  c.minute = p.minute;
  c.second = p.second;
  c.nanos = p.nanos;
  if (c.year == 0 && missing_year != 0) {
    // AddDate(missing_year, 0, 0) on the civil date: Feb 29 may roll over to Mar 1.
    c.year = missing_year;
  }
  return fromCivil(c, offset);
}

// ---------------------------------------------------------------------------------------------
// Formatting

void appendInt(std::string& out, std::int64_t v, int width, char pad = '0') {
  char buf[24];
  int n = 0;
  const bool neg = v < 0;
  std::uint64_t u = neg ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  do {
    buf[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u > 0);
  if (neg) {
    out.push_back('-');
  }
  for (int i = n; i < width; ++i) {
    out.push_back(pad);
  }
  while (n > 0) {
    out.push_back(buf[--n]);
  }
}

void formatTokens(const CompiledLayout& layout, const TimePoint& t, std::string& out) {
  const CivilTime c = toCivil(t);
  const std::string_view text = layout.text;
  for (const Token& tok : layout.tokens) {
    switch (tok.kind) {
      case Tok::Literal:
        out.append(text.substr(tok.begin, tok.len));
        break;
      case Tok::LongYear:
        appendInt(out, c.year, 4);
        break;
      case Tok::Year:
        appendInt(out, ((c.year % 100) + 100) % 100, 2);
        break;
      case Tok::LongMonth:
        out.append(kLongMonths[static_cast<std::size_t>(c.month - 1)]);
        break;
      case Tok::Month:
        out.append(kLongMonths[static_cast<std::size_t>(c.month - 1)].substr(0, 3));
        break;
      case Tok::NumMonth:
        appendInt(out, c.month, 0);
        break;
      case Tok::ZeroMonth:
        appendInt(out, c.month, 2);
        break;
      case Tok::LongWeekDay:
        out.append(kLongDays[static_cast<std::size_t>(c.weekday)]);
        break;
      case Tok::WeekDay:
        out.append(kLongDays[static_cast<std::size_t>(c.weekday)].substr(0, 3));
        break;
      case Tok::Day:
        appendInt(out, c.day, 0);
        break;
      case Tok::UnderDay:
        appendInt(out, c.day, 2, ' ');
        break;
      case Tok::ZeroDay:
        appendInt(out, c.day, 2);
        break;
      case Tok::UnderYearDay:
        appendInt(out, c.yday, 3, ' ');
        break;
      case Tok::ZeroYearDay:
        appendInt(out, c.yday, 3);
        break;
      case Tok::Hour:
        appendInt(out, c.hour, 2);
        break;
      case Tok::Hour12:
      case Tok::ZeroHour12: {
        int h = c.hour % 12;
        if (h == 0) {
          h = 12;
        }
        appendInt(out, h, tok.kind == Tok::ZeroHour12 ? 2 : 0);
        break;
      }
      case Tok::Minute:
        appendInt(out, c.minute, 0);
        break;
      case Tok::ZeroMinute:
        appendInt(out, c.minute, 2);
        break;
      case Tok::Second:
        appendInt(out, c.second, 0);
        break;
      case Tok::ZeroSecond:
        appendInt(out, c.second, 2);
        break;
      case Tok::PM:
        out.append(c.hour >= 12 ? "PM" : "AM");
        break;
      case Tok::pm:
        out.append(c.hour >= 12 ? "pm" : "am");
        break;
      case Tok::ISO8601TZ:
      case Tok::ISO8601SecondsTZ:
      case Tok::ISO8601ShortTZ:
      case Tok::ISO8601ColonTZ:
      case Tok::ISO8601ColonSecondsTZ:
        if (t.utc_offset_s == 0) {
          out.push_back('Z');
          break;
        }
        [[fallthrough]];
      case Tok::NumTZ:
      case Tok::NumSecondsTZ:
      case Tok::NumShortTZ:
      case Tok::NumColonTZ:
      case Tok::NumColonSecondsTZ: {
        std::int32_t abs = t.utc_offset_s;
        if (abs < 0) {
          out.push_back('-');
          abs = -abs;
        } else {
          out.push_back('+');
        }
        appendInt(out, abs / 3600, 2);
        const bool colon = tok.kind == Tok::ISO8601ColonTZ || tok.kind == Tok::NumColonTZ ||
                           tok.kind == Tok::ISO8601ColonSecondsTZ ||
                           tok.kind == Tok::NumColonSecondsTZ;
        const bool secs = tok.kind == Tok::ISO8601SecondsTZ || tok.kind == Tok::NumSecondsTZ ||
                          tok.kind == Tok::ISO8601ColonSecondsTZ ||
                          tok.kind == Tok::NumColonSecondsTZ;
        if (tok.kind != Tok::ISO8601ShortTZ && tok.kind != Tok::NumShortTZ) {
          if (colon) {
            out.push_back(':');
          }
          appendInt(out, (abs / 60) % 60, 2);
        }
        if (secs) {
          if (colon) {
            out.push_back(':');
          }
          appendInt(out, abs % 60, 2);
        }
        break;
      }
      case Tok::TZ:
        // A fixed offset has no name in our model: UTC is "UTC", others print "+hhmm" (Go
        // prints the same for a FixedZone without a name).
        if (t.utc_offset_s == 0) {
          out.append("UTC");
        } else {
          std::int32_t zone = t.utc_offset_s / 60;
          if (zone < 0) {
            out.push_back('-');
            zone = -zone;
          } else {
            out.push_back('+');
          }
          appendInt(out, zone / 60, 2);
          appendInt(out, zone % 60, 2);
        }
        break;
      case Tok::FracSecond0:
      case Tok::FracSecond9: {
        char digits[9];
        std::int64_t ns = c.nanos;
        for (int i = 8; i >= 0; --i) {
          digits[i] = static_cast<char>('0' + ns % 10);
          ns /= 10;
        }
        std::size_t n = tok.len;
        if (tok.kind == Tok::FracSecond9) {
          while (n > 0 && digits[n - 1] == '0') {
            --n;
          }
          if (n == 0) {
            break;
          }
        }
        out.push_back(tok.sep);
        out.append(digits, n);
        break;
      }
    }
  }
}

// The ParseDate layout list of parsers.md section 9, compiled once.
const std::vector<std::shared_ptr<const CompiledLayout>>& dateLayouts() {
  static const std::vector<std::shared_ptr<const CompiledLayout>> kLayouts = [] {
    static constexpr std::string_view kList[] = {
        "2006-01-02T15:04:05Z07:00",
        "02/Jan/2006:15:04:05 -0700",
        "Mon Jan 2 15:04:05 2006",
        "02-Jan-2006 15:04:05 europe/paris",
        "01/02/2006 15:04:05",
        "2006-01-02 15:04:05.999999999 -0700 MST",
        "Jan  2 15:04:05",
        "Mon Jan 02 15:04:05.000000 2006",
        "2006-01-02T15:04:05Z07:00",
        "2006/01/02",
        "2006/01/02 15:04",
        "2006-01-02",
        "2006-01-02 15:04",
        "2006/01/02 15:04:05",
        "2006-01-02 15:04:05",
        "2006-01-02T15:04:05",
    };
    std::vector<std::shared_ptr<const CompiledLayout>> v;
    for (std::string_view l : kList) {
      v.push_back(compileLayout(l));
    }
    return v;
  }();
  return kLayouts;
}

// Go's Time.IsZero (0001-01-01 00:00:00 UTC) cannot be produced here: year 1 is outside the
// int64 nanosecond range and fromCivil rejects it. CrowdSec rejects that value too.
std::optional<TimePoint> parseDateLayout(const CompiledLayout& layout, std::string_view text,
                                         int year) {
  return parseWith(layout, text, year);
}

} // namespace

std::optional<TimePoint> parseGoLayout(std::string_view layout, std::string_view text) {
  return parseWith(*cachedLayout(layout), text, 0);
}

std::optional<TimePoint> parseGoLayout(std::string_view layout, std::string_view text,
                                       int missing_year) {
  return parseWith(*cachedLayout(layout), text, missing_year);
}

std::string formatGoLayout(std::string_view layout, const TimePoint& t) {
  std::string out;
  out.reserve(layout.size() + 16);
  formatTokens(*cachedLayout(layout), t, out);
  return out;
}

std::string formatRfc3339Nano(const TimePoint& t) {
  static const auto kLayout = compileLayout("2006-01-02T15:04:05.999999999Z07:00");
  std::string out;
  out.reserve(36);
  formatTokens(*kLayout, t, out);
  return out;
}

std::string formatGoDefault(const TimePoint& t) {
  static const auto kLayout = compileLayout("2006-01-02 15:04:05.999999999 -0700 MST");
  std::string out;
  out.reserve(48);
  formatTokens(*kLayout, t, out);
  return out;
}

std::optional<TimePoint> parseDate(std::string_view str_time, std::string_view str_time_format,
                                   int current_year) {
  if (str_time.empty()) {
    return std::nullopt;
  }
  if (current_year == 0) {
    current_year = toCivil(nowUtc()).year;
  }
  if (!str_time_format.empty()) {
    if (auto t = parseDateLayout(*cachedLayout(str_time_format), str_time, current_year)) {
      return t;
    }
  }
  for (const auto& layout : dateLayouts()) {
    if (auto t = parseDateLayout(*layout, str_time, current_year)) {
      return t;
    }
  }
  // Unix seconds: the integer part before the first '.', which must be a positive integer
  // (optional sign, as Go's strconv.ParseInt).
  std::string_view whole = str_time.substr(0, str_time.find('.'));
  bool neg = false;
  if (!whole.empty() && (whole[0] == '+' || whole[0] == '-')) {
    neg = whole[0] == '-';
    whole.remove_prefix(1);
  }
  if (whole.empty() || whole.size() > 18 || neg) {
    return std::nullopt;
  }
  std::int64_t secs = 0;
  for (char c : whole) {
    if (c < '0' || c > '9') {
      return std::nullopt;
    }
    secs = secs * 10 + (c - '0');
  }
  if (secs <= 0 || secs > std::numeric_limits<std::int64_t>::max() / kSecond) {
    return std::nullopt;
  }
  return TimePoint::fromUnixNanos(secs * kSecond, 0);
}

} // namespace cw::core

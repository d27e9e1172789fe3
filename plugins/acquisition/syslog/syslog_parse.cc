// SPDX-License-Identifier: Apache-2.0
#include "syslog_parse.h"

#include <array>
#include <cstring>

namespace cw::plugins::acquisition::syslog {
namespace {

constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

bool digit(char c) { return c >= '0' && c <= '9'; }

/// Reads exactly n digits at s[pos].
bool num(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) {
    return false;
  }
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (!digit(s[pos + i])) {
      return false;
    }
    v = v * 10 + (s[pos + i] - '0');
  }
  out = v;
  return true;
}

struct Stamp {
  int month = 0;  // 1-12
  int day = 0;
  int h = 0, m = 0, sec = 0;
};

/// "<PRI>" with 1-3 digits; returns the position after '>' or npos.
std::size_t pri(std::string_view s) {
  if (s.empty() || s[0] != '<') {
    return std::string_view::npos;
  }
  std::size_t i = 1;
  while (i < s.size() && i <= 3 && digit(s[i])) {
    ++i;
  }
  if (i == 1 || i >= s.size() || s[i] != '>') {
    return std::string_view::npos;
  }
  return i + 1;
}

bool hms(std::string_view s, std::size_t pos, Stamp& t) {
  return num(s, pos, 2, t.h) && s[pos + 2] == ':' && num(s, pos + 3, 2, t.m) && s[pos + 5] == ':' &&
         num(s, pos + 6, 2, t.sec) && t.h < 24 && t.m < 60 && t.sec < 61;
}

/// RFC 3339 "2006-01-02T15:04:05[.frac](Z|+07:00)"; returns the length or 0.
std::size_t rfc3339(std::string_view s, std::size_t pos, Stamp& t) {
  int year = 0;
  if (!num(s, pos, 4, year) || pos + 19 > s.size() || s[pos + 4] != '-' ||
      !num(s, pos + 5, 2, t.month) || s[pos + 7] != '-' || !num(s, pos + 8, 2, t.day) ||
      (s[pos + 10] != 'T' && s[pos + 10] != 't') || !hms(s, pos + 11, t)) {
    return 0;
  }
  std::size_t i = pos + 19;
  if (i < s.size() && s[i] == '.') {
    ++i;
    std::size_t start = i;
    while (i < s.size() && digit(s[i])) {
      ++i;
    }
    if (i == start) {
      return 0;
    }
  }
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i + 6 <= s.size() && (s[i] == '+' || s[i] == '-') && digit(s[i + 1]) &&
             digit(s[i + 2]) && s[i + 3] == ':' && digit(s[i + 4]) && digit(s[i + 5])) {
    i += 6;
  } else {
    return 0;
  }
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > 31) {
    return 0;
  }
  return i - pos;
}

/// "Jan 02 15:04:05[ 2006]" or "Jan _2 15:04:05[ 2006]"; returns the length or 0.
std::size_t bsdStamp(std::string_view s, std::size_t pos, Stamp& t) {
  if (pos + 15 > s.size()) {
    return 0;
  }
  t.month = 0;
  for (std::size_t m = 0; m < kMonths.size(); ++m) {
    if (s.compare(pos, 3, kMonths[m]) == 0) {
      t.month = static_cast<int>(m) + 1;
    }
  }
  if (t.month == 0 || s[pos + 3] != ' ') {
    return 0;
  }
  std::size_t d = pos + 4;
  if (s[d] == ' ' && digit(s[d + 1])) {
    t.day = s[d + 1] - '0';
  } else if (!num(s, d, 2, t.day)) {
    return 0;
  }
  if (t.day < 1 || t.day > 31 || s[pos + 6] != ' ' || !hms(s, pos + 7, t)) {
    return 0;
  }
  std::size_t len = 15;
  int year = 0;
  if (pos + 20 <= s.size() && s[pos + 15] == ' ' && num(s, pos + 16, 4, year) &&
      (pos + 20 == s.size() || s[pos + 20] == ' ')) {
    len = 20;
  }
  return len;
}

void appendStamp(const Stamp& t, std::string& out) {
  char buf[32];
  int n = std::snprintf(buf, sizeof buf, "%s %d %02d:%02d:%02d", kMonths[t.month - 1], t.day, t.h,
                        t.m, t.sec);
  out.append(buf, static_cast<std::size_t>(n));
}

void appendLine(const Stamp& t, std::string_view host, std::string_view tag, std::string_view pid,
                std::string_view msg, std::string& out) {
  appendStamp(t, out);
  out.push_back(' ');
  out.append(host.empty() ? std::string_view("unknownhost") : host);
  out.push_back(' ');
  out.append(tag);
  if (!pid.empty()) {
    out.push_back('[');
    out.append(pid);
    out.push_back(']');
  }
  out.append(": ");
  out.append(msg);
}

bool rfc3164(std::string_view s, std::string& out) {
  std::size_t i = pri(s);
  if (i == std::string_view::npos) {
    return false;
  }
  Stamp t;
  std::size_t len = rfc3339(s, i, t);
  if (len == 0) {
    len = bsdStamp(s, i, t);
  }
  if (len == 0) {
    return false;
  }
  i += len;
  if (i >= s.size() || s[i] != ' ') {
    return false;
  }
  ++i;
  std::size_t host_end = s.find(' ', i);
  if (host_end == std::string_view::npos || host_end == i) {
    return false;
  }
  std::string_view host = s.substr(i, host_end - i);
  i = host_end + 1;
  std::size_t tag_start = i;
  while (i < s.size() &&
         (digit(s[i]) || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z'))) {
    ++i;
  }
  std::string_view tag = s.substr(tag_start, i - tag_start);
  std::string_view pid;
  if (tag.empty()) {
    return false;
  }
  if (i < s.size() && s[i] == '[') {
    std::size_t close = s.find(']', i);
    if (close == std::string_view::npos) {
      return false;
    }
    pid = s.substr(i + 1, close - i - 1);
    i = close + 1;
  }
  if (i < s.size() && s[i] == ':') {
    ++i;
  } else if (i < s.size() && s[i] != ' ') {
    return false;  // the tag runs into other characters: not a tag
  }
  while (i < s.size() && s[i] == ' ') {
    ++i;
  }
  appendLine(t, host, tag, pid, s.substr(i), out);
  return true;
}

/// Next space-separated field of an RFC 5424 header; "-" is nil (empty).
bool field(std::string_view s, std::size_t& i, std::string_view& out) {
  std::size_t end = s.find(' ', i);
  if (end == std::string_view::npos || end == i) {
    return false;
  }
  out = s.substr(i, end - i);
  if (out == "-") {
    out = {};
  }
  i = end + 1;
  return true;
}

bool rfc5424(std::string_view s, std::string& out) {
  std::size_t i = pri(s);
  if (i == std::string_view::npos || i + 2 > s.size() || s[i] != '1' || s[i + 1] != ' ') {
    return false;
  }
  i += 2;
  Stamp t;
  if (s.compare(i, 2, "- ") == 0) {
    return false;  // no timestamp: nothing to rebuild the line with
  }
  std::size_t len = rfc3339(s, i, t);
  if (len == 0 || i + len >= s.size() || s[i + len] != ' ') {
    return false;
  }
  i += len + 1;
  std::string_view host;
  std::string_view app;
  std::string_view procid;
  std::string_view msgid;
  if (!field(s, i, host) || !field(s, i, app) || !field(s, i, procid) || !field(s, i, msgid)) {
    return false;
  }
  // STRUCTURED-DATA: "-" or one or more [id param="value"...] (\" \] \\ escaped).
  if (i < s.size() && s[i] == '-') {
    ++i;
  } else {
    if (i >= s.size() || s[i] != '[') {
      return false;
    }
    while (i < s.size() && s[i] == '[') {
      bool quoted = false;
      ++i;
      for (; i < s.size(); ++i) {
        if (quoted && s[i] == '\\') {
          ++i;
        } else if (s[i] == '"') {
          quoted = !quoted;
        } else if (!quoted && s[i] == ']') {
          break;
        }
      }
      if (i >= s.size()) {
        return false;
      }
      ++i;
    }
  }
  std::string_view msg;
  if (i < s.size()) {
    if (s[i] != ' ') {
      return false;
    }
    msg = s.substr(i + 1);
    if (msg.size() >= 3 && msg.compare(0, 3, "\xEF\xBB\xBF") == 0) {
      msg.remove_prefix(3);
    }
  }
  appendLine(t, host, app, procid, msg, out);
  return true;
}

}  // namespace

bool rebuild(std::string_view msg, std::string& out) {
  out.clear();
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r' || msg.back() == '\0')) {
    msg.remove_suffix(1);
  }
  if (rfc3164(msg, out)) {
    return true;
  }
  out.clear();
  return rfc5424(msg, out);
}

std::string_view stripPri(std::string_view msg) {
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == '\r')) {
    msg.remove_suffix(1);
  }
  std::size_t i = pri(msg);
  return i == std::string_view::npos ? msg : msg.substr(i);
}

}  // namespace cw::plugins::acquisition::syslog

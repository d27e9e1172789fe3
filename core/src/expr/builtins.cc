// SPDX-License-Identifier: Apache-2.0
// Builtins of the expression language itself (expr.md section 2, "Builtins"). Closure-taking
// builtins (any, filter, map...) are compiled to dedicated nodes in compiler.cc.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "cw/core/common/time.h"
#include "internal.h"

namespace cw::core::expr::detail {

namespace {

using K = Value::Kind;

}  // namespace

bool wantString(Ctx& c, std::string_view fn, const Value& v, std::string_view& out) {
  if (!v.isString()) {
    return fail(c, std::string(fn) + "() expects a string, got " + kindOf(v));
  }
  out = v.asString();
  return true;
}

namespace {

bool wantNumber(Ctx& c, std::string_view fn, const Value& v) {
  if (!v.isNumber()) {
    return fail(c, std::string(fn) + "() expects a number, got " + kindOf(v));
  }
  return true;
}

bool fnLen(Ctx& c, std::span<Value> a, Value& out) {
  std::int64_t n = 0;
  if (!lengthOf(c, a[0], n)) {
    return false;
  }
  out = Value::integer(n);
  return true;
}

bool fnAbs(Ctx& c, std::span<Value> a, Value& out) {
  if (!wantNumber(c, "abs", a[0])) {
    return false;
  }
  out = a[0].isInt() ? Value::integer(std::llabs(a[0].asInt()))
                     : Value::real(std::fabs(a[0].asFloat()));
  return true;
}

template <double (*F)(double)>
bool fnRounding(Ctx& c, std::span<Value> a, Value& out) {
  if (!wantNumber(c, "round", a[0])) {
    return false;
  }
  out = Value::real(F(a[0].asNumber()));
  return true;
}

bool collectNumbers(Ctx& c, std::span<Value> a, std::vector<Value>& nums) {
  for (const Value& v : a) {
    if (v.kind() == K::Array) {
      for (const Value& e : v.asArray()) {
        if (!e.isNumber()) {
          return fail(c, "expected numbers, got " + kindOf(e));
        }
        nums.push_back(e);
      }
    } else if (v.isNumber()) {
      nums.push_back(v);
    } else {
      return fail(c, "expected numbers, got " + kindOf(v));
    }
  }
  return true;
}

template <bool kMax>
bool fnMinMax(Ctx& c, std::span<Value> a, Value& out) {
  std::vector<Value> nums;
  if (!collectNumbers(c, a, nums)) {
    return false;
  }
  if (nums.empty()) {
    return fail(c, "not enough arguments");
  }
  Value best = nums[0];
  for (const Value& v : nums) {
    if (kMax ? v.asNumber() > best.asNumber() : v.asNumber() < best.asNumber()) {
      best = v;
    }
  }
  out = best;
  return true;
}

bool fnMean(Ctx& c, std::span<Value> a, Value& out) {
  std::vector<Value> nums;
  if (!collectNumbers(c, a, nums)) {
    return false;
  }
  if (nums.empty()) {
    out = Value::real(0);
    return true;
  }
  double s = 0;
  for (const Value& v : nums) {
    s += v.asNumber();
  }
  out = Value::real(s / static_cast<double>(nums.size()));
  return true;
}

bool fnMedian(Ctx& c, std::span<Value> a, Value& out) {
  std::vector<Value> nums;
  if (!collectNumbers(c, a, nums)) {
    return false;
  }
  if (nums.empty()) {
    out = Value::real(0);
    return true;
  }
  std::vector<double> d;
  for (const Value& v : nums) {
    d.push_back(v.asNumber());
  }
  std::sort(d.begin(), d.end());
  const std::size_t n = d.size();
  out = Value::real(n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2);
  return true;
}

bool fnInt(Ctx& c, std::span<Value> a, Value& out) {
  const Value& v = a[0];
  if (v.isInt()) {
    out = v;
  } else if (v.isFloat()) {
    out = Value::integer(static_cast<std::int64_t>(v.asFloat()));
  } else if (v.kind() == K::Duration) {
    out = Value::integer(v.asInt());
  } else if (v.isString()) {
    const std::string s(v.asString());
    char* end = nullptr;
    errno = 0;
    const long long r = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0' || errno != 0) {
      return fail(c, "int(): invalid syntax: \"" + s + "\"");
    }
    out = Value::integer(r);
  } else if (v.isBool()) {
    out = Value::integer(v.asBool() ? 1 : 0);
  } else {
    return fail(c, "int(): invalid argument of type " + kindOf(v));
  }
  return true;
}

bool fnFloat(Ctx& c, std::span<Value> a, Value& out) {
  const Value& v = a[0];
  if (v.isNumber()) {
    out = Value::real(v.asNumber());
  } else if (v.isString()) {
    const std::string s(v.asString());
    char* end = nullptr;
    const double r = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0') {
      return fail(c, "float(): invalid syntax: \"" + s + "\"");
    }
    out = Value::real(r);
  } else {
    return fail(c, "float(): invalid argument of type " + kindOf(v));
  }
  return true;
}

bool fnString(Ctx&, std::span<Value> a, Value& out) {
  if (a[0].isString()) {
    out = a[0];
  } else if (a[0].isFloat()) {
    // Go's %v of a float64: shortest representation.
    std::string s = toJson(a[0], false);
    out = Value::string(std::move(s));
  } else if (a[0].isNil()) {
    out = Value::string("<nil>");
  } else {
    out = Value::string(a[0].toString());
  }
  return true;
}

bool isSpace(char ch) {
  return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

bool fnTrim(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  if (!wantString(c, "trim", a[0], s)) {
    return false;
  }
  std::size_t b = 0;
  std::size_t e = s.size();
  if (a.size() > 1) {
    std::string_view cut;
    if (!wantString(c, "trim", a[1], cut)) {
      return false;
    }
    while (b < e && cut.find(s[b]) != std::string_view::npos) {
      ++b;
    }
    while (e > b && cut.find(s[e - 1]) != std::string_view::npos) {
      --e;
    }
  } else {
    while (b < e && isSpace(s[b])) {
      ++b;
    }
    while (e > b && isSpace(s[e - 1])) {
      --e;
    }
  }
  out = a[0].substr(b, e - b);
  return true;
}

template <bool kPrefix>
bool fnTrimAffix(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  std::string_view p;
  if (!wantString(c, kPrefix ? "trimPrefix" : "trimSuffix", a[0], s)) {
    return false;
  }
  if (a.size() < 2) {
    // expr's default cutset is whitespace.
    std::size_t b = 0;
    std::size_t e = s.size();
    if (kPrefix) {
      while (b < e && isSpace(s[b])) {
        ++b;
      }
    } else {
      while (e > b && isSpace(s[e - 1])) {
        --e;
      }
    }
    out = a[0].substr(b, e - b);
    return true;
  }
  if (!wantString(c, kPrefix ? "trimPrefix" : "trimSuffix", a[1], p)) {
    return false;
  }
  if (kPrefix && s.substr(0, p.size()) == p) {
    out = a[0].substr(p.size(), s.size() - p.size());
  } else if (!kPrefix && s.size() >= p.size() && s.substr(s.size() - p.size()) == p) {
    out = a[0].substr(0, s.size() - p.size());
  } else {
    out = a[0];
  }
  return true;
}

}  // namespace

// Shared with helpers.cc (Upper/Lower have the same semantics).
std::string asciiAndUtf8Case(std::string_view s, bool upper) {
  // ASCII fast path (no locale call per byte); non-ASCII bytes (UTF-8 sequences) are mapped
  // for the Latin-1 supplement, which covers the log content seen in practice.
  std::string out(s.size(), '\0');
  char* o = out.data();
  const unsigned char from = upper ? 'a' : 'A';
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto ch = static_cast<unsigned char>(s[i]);
    if (ch < 0x80) {
      o[i] = static_cast<char>(static_cast<unsigned char>(ch - from) < 26 ? ch ^ 0x20 : ch);
      continue;
    }
    o[i] = static_cast<char>(ch);
    if (ch == 0xC3 && i + 1 < s.size()) {
      auto n = static_cast<unsigned char>(s[i + 1]);
      if (upper && n >= 0xA0 && n <= 0xBE && n != 0xB7) {
        n = static_cast<unsigned char>(n - 0x20);
      } else if (!upper && n >= 0x80 && n <= 0x9E && n != 0x97) {
        n = static_cast<unsigned char>(n + 0x20);
      }
      o[++i] = static_cast<char>(n);
    }
  }
  return out;
}

namespace {

template <bool kUpper>
bool fnCase(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  if (!wantString(c, kUpper ? "upper" : "lower", a[0], s)) {
    return false;
  }
  out = Value::string(asciiAndUtf8Case(s, kUpper));
  return true;
}

}  // namespace

ValueArray goSplit(const Value& sv, std::string_view sep, bool after, std::int64_t n) {
  ValueArray r;
  const std::string_view s = sv.asString();
  if (n == 0) {
    return r;
  }
  if (sep.empty()) {
    // Split into UTF-8 characters.
    std::size_t i = 0;
    while (i < s.size()) {
      if (n > 0 && static_cast<std::int64_t>(r.size()) == n - 1) {
        r.push_back(sv.substr(i, s.size() - i));
        return r;
      }
      std::size_t len = 1;
      const auto ch = static_cast<unsigned char>(s[i]);
      if (ch >= 0xF0) {
        len = 4;
      } else if (ch >= 0xE0) {
        len = 3;
      } else if (ch >= 0xC0) {
        len = 2;
      }
      len = std::min(len, s.size() - i);
      r.push_back(sv.substr(i, len));
      i += len;
    }
    return r;
  }
  std::size_t start = 0;
  while (true) {
    if (n > 0 && static_cast<std::int64_t>(r.size()) == n - 1) {
      break;
    }
    const std::size_t p = s.find(sep, start);
    if (p == std::string_view::npos) {
      break;
    }
    const std::size_t end = after ? p + sep.size() : p;
    r.push_back(sv.substr(start, end - start));
    start = p + sep.size();
  }
  r.push_back(sv.substr(start, s.size() - start));
  return r;
}

namespace {

template <bool kAfter>
bool fnSplit(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  std::string_view sep;
  if (!wantString(c, "split", a[0], s) || !wantString(c, "split", a[1], sep)) {
    return false;
  }
  std::int64_t n = -1;
  if (a.size() > 2) {
    if (!a[2].isInt()) {
      return fail(c, "split(): n must be an int");
    }
    n = a[2].asInt();
  }
  out = Value::array(goSplit(a[0], sep, kAfter, n));
  return true;
}

bool fnReplace(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  std::string_view o;
  std::string_view n;
  if (!wantString(c, "replace", a[0], s) || !wantString(c, "replace", a[1], o) ||
      !wantString(c, "replace", a[2], n)) {
    return false;
  }
  out = Value::string(replaceN(s, o, n, -1));
  return true;
}

bool fnRepeat(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  if (!wantString(c, "repeat", a[0], s)) {
    return false;
  }
  if (!a[1].isInt() || a[1].asInt() < 0) {
    return fail(c, "repeat(): negative or non-int count");
  }
  if (static_cast<std::uint64_t>(a[1].asInt()) * s.size() > (64u << 20)) {
    return fail(c, "repeat(): result too large");
  }
  std::string r;
  for (std::int64_t i = 0; i < a[1].asInt(); ++i) {
    r.append(s);
  }
  out = Value::string(std::move(r));
  return true;
}

template <bool kLast>
bool fnIndexOf(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  std::string_view sub;
  if (!wantString(c, "indexOf", a[0], s) || !wantString(c, "indexOf", a[1], sub)) {
    return false;
  }
  const std::size_t p = kLast ? s.rfind(sub) : s.find(sub);
  out = Value::integer(p == std::string_view::npos ? -1 : static_cast<std::int64_t>(p));
  return true;
}

template <int kMode>  // 0 prefix, 1 suffix
bool fnHasAffix(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  std::string_view p;
  if (!wantString(c, "hasPrefix", a[0], s) || !wantString(c, "hasPrefix", a[1], p)) {
    return false;
  }
  out = Value::boolean(kMode == 0 ? s.substr(0, p.size()) == p
                                  : (s.size() >= p.size() && s.substr(s.size() - p.size()) == p));
  return true;
}

bool fnToJson(Ctx&, std::span<Value> a, Value& out) {
  out = Value::string(toJson(a[0], true));
  return true;
}

bool fnFromJson(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  if (!wantString(c, "fromJSON", a[0], s)) {
    return false;
  }
  std::string err;
  if (!fromJson(s, out, err)) {
    return fail(c, "fromJSON(): " + err);
  }
  return true;
}

}  // namespace

std::string base64Encode(std::string_view in);
std::string base64Encode(std::string_view in) {
  static const char* kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  while (i + 2 < in.size()) {
    const std::uint32_t v = (static_cast<unsigned char>(in[i]) << 16) |
                            (static_cast<unsigned char>(in[i + 1]) << 8) |
                            static_cast<unsigned char>(in[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
    i += 3;
  }
  if (i + 1 == in.size()) {
    const std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out += "==";
  } else if (i + 2 == in.size()) {
    const std::uint32_t v =
        (static_cast<unsigned char>(in[i]) << 16) | (static_cast<unsigned char>(in[i + 1]) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back('=');
  }
  return out;
}

bool base64Decode(std::string_view in, std::string& out) {
  // Strict standard encoding with padding (Go's base64.StdEncoding).
  if (in.size() % 4 != 0) {
    return false;
  }
  auto val = [](char ch) -> int {
    if (ch >= 'A' && ch <= 'Z') {
      return ch - 'A';
    }
    if (ch >= 'a' && ch <= 'z') {
      return ch - 'a' + 26;
    }
    if (ch >= '0' && ch <= '9') {
      return ch - '0' + 52;
    }
    if (ch == '+') {
      return 62;
    }
    if (ch == '/') {
      return 63;
    }
    return -1;
  };
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int k = 0; k < 4; ++k) {
      const char ch = in[i + static_cast<std::size_t>(k)];
      if (ch == '=' && i + 4 == in.size() && k >= 2) {
        v[k] = 0;
        ++pad;
      } else {
        if (pad > 0) {
          return false;
        }
        v[k] = val(ch);
        if (v[k] < 0) {
          return false;
        }
      }
    }
    const std::uint32_t n =
        (static_cast<std::uint32_t>(v[0]) << 18) | (static_cast<std::uint32_t>(v[1]) << 12) |
        (static_cast<std::uint32_t>(v[2]) << 6) | static_cast<std::uint32_t>(v[3]);
    out.push_back(static_cast<char>((n >> 16) & 0xFF));
    if (pad < 2) {
      out.push_back(static_cast<char>((n >> 8) & 0xFF));
    }
    if (pad < 1) {
      out.push_back(static_cast<char>(n & 0xFF));
    }
  }
  return true;
}

namespace {

bool fnToBase64(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  if (!wantString(c, "toBase64", a[0], s)) {
    return false;
  }
  out = Value::string(base64Encode(s));
  return true;
}

bool fnFromBase64(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  if (!wantString(c, "fromBase64", a[0], s)) {
    return false;
  }
  std::string r;
  if (!base64Decode(s, r)) {
    return fail(c, "fromBase64(): illegal base64 data");
  }
  out = Value::string(std::move(r));
  return true;
}

bool fnNow(Ctx& c, std::span<Value>, Value& out) {
  out = Value::time(c.services != nullptr ? c.services->now() : nowUtc());
  return true;
}

bool fnDuration(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  if (!wantString(c, "duration", a[0], s)) {
    return false;
  }
  const auto d = parseGoDuration(s);
  if (!d) {
    return fail(c, "duration(): invalid duration \"" + std::string(s) + "\"");
  }
  out = Value::duration(*d);
  return true;
}

bool fnDate(Ctx& c, std::span<Value> a, Value& out) {
  std::string_view s;
  if (!wantString(c, "date", a[0], s)) {
    return false;
  }
  if (a.size() > 1) {
    std::string_view layout;
    if (!wantString(c, "date", a[1], layout)) {
      return false;
    }
    const auto t = parseGoLayout(layout, s);
    if (!t) {
      return fail(c, "date(): cannot parse \"" + std::string(s) + "\"");
    }
    out = Value::time(*t);
    return true;
  }
  static const char* kLayouts[] = {"2006-01-02T15:04:05Z07:00",
                                   "2006-01-02T15:04:05.999999999Z07:00",
                                   "2006-01-02 15:04:05 -0700",
                                   "2006-01-02 15:04:05",
                                   "2006-01-02",
                                   "2006-01-02T15:04:05"};
  for (const char* l : kLayouts) {
    if (const auto t = parseGoLayout(l, s)) {
      out = Value::time(*t);
      return true;
    }
  }
  return fail(c, "date(): cannot parse \"" + std::string(s) + "\"");
}

bool wantArray(Ctx& c, std::string_view fn, const Value& v) {
  if (v.kind() != K::Array) {
    return fail(c, std::string(fn) + "() expects an array, got " + kindOf(v));
  }
  return true;
}

template <bool kLast>
bool fnFirstLast(Ctx& c, std::span<Value> a, Value& out) {
  if (a[0].isNil()) {
    out = Value();
    return true;
  }
  if (!wantArray(c, kLast ? "last" : "first", a[0])) {
    return false;
  }
  const ValueArray& arr = a[0].asArray();
  out = arr.empty() ? Value() : (kLast ? arr.back() : arr.front());
  return true;
}

template <bool kKeys>
bool fnKeysValues(Ctx& c, std::span<Value> a, Value& out) {
  if (a[0].kind() != K::Map) {
    return fail(c, std::string(kKeys ? "keys" : "values") + "() expects a map");
  }
  ValueArray r;
  for (const auto& [k, v] : a[0].asMap()) {
    r.push_back(kKeys ? Value::string(k) : v);
  }
  out = Value::array(std::move(r));
  return true;
}

bool fnConcat(Ctx& c, std::span<Value> a, Value& out) {
  ValueArray r;
  for (const Value& v : a) {
    if (!wantArray(c, "concat", v)) {
      return false;
    }
    r.insert(r.end(), v.asArray().begin(), v.asArray().end());
  }
  out = Value::array(std::move(r));
  return true;
}

void flattenInto(const Value& v, ValueArray& r) {
  if (v.kind() == K::Array) {
    for (const Value& e : v.asArray()) {
      flattenInto(e, r);
    }
  } else {
    r.push_back(v);
  }
}

bool fnFlatten(Ctx& c, std::span<Value> a, Value& out) {
  if (!wantArray(c, "flatten", a[0])) {
    return false;
  }
  ValueArray r;
  flattenInto(a[0], r);
  out = Value::array(std::move(r));
  return true;
}

bool fnUniq(Ctx& c, std::span<Value> a, Value& out) {
  if (!wantArray(c, "uniq", a[0])) {
    return false;
  }
  ValueArray r;
  for (const Value& v : a[0].asArray()) {
    if (std::none_of(r.begin(), r.end(), [&](const Value& x) { return x == v; })) {
      r.push_back(v);
    }
  }
  out = Value::array(std::move(r));
  return true;
}

bool fnSort(Ctx& c, std::span<Value> a, Value& out) {
  if (!wantArray(c, "sort", a[0])) {
    return false;
  }
  bool desc = a.size() > 1 && a[1].isString() && a[1].asString() == "desc";
  ValueArray r = a[0].asArray();
  bool ok = true;
  std::stable_sort(r.begin(), r.end(), [&](const Value& x, const Value& y) {
    bool lt = false;
    if (!compareValues(c, desc ? y : x, desc ? x : y, '<', lt)) {
      ok = false;
    }
    return lt;
  });
  if (!ok) {
    return false;
  }
  out = Value::array(std::move(r));
  return true;
}

bool fnType(Ctx&, std::span<Value> a, Value& out) {
  out = Value::string(kindOf(a[0]));
  return true;
}

bool fnGet(Ctx& c, std::span<Value> a, Value& out) {
  // get(x, key): like x[key] but nil instead of an error when missing or out of range.
  const Value& obj = a[0];
  const Value& key = a[1];
  if (obj.isNil()) {
    out = Value();
    return true;
  }
  if (obj.kind() == K::Array && key.isInt()) {
    std::int64_t i = key.asInt();
    const auto n = static_cast<std::int64_t>(obj.asArray().size());
    if (i < 0) {
      i += n;
    }
    out = (i < 0 || i >= n) ? Value() : obj.asArray()[static_cast<std::size_t>(i)];
    return true;
  }
  if (!memberGet(c, obj, key, out)) {
    c.error.clear();
    out = Value();
  }
  return true;
}

bool fnJoin(Ctx& c, std::span<Value> a, Value& out) {
  if (!wantArray(c, "join", a[0])) {
    return false;
  }
  std::string_view sep;
  if (a.size() > 1 && !wantString(c, "join", a[1], sep)) {
    return false;
  }
  std::string r;
  bool first = true;
  for (const Value& v : a[0].asArray()) {
    if (!v.isString()) {
      return fail(c, "join() expects an array of strings");
    }
    if (!first) {
      r.append(sep);
    }
    first = false;
    r.append(v.asString());
  }
  out = Value::string(std::move(r));
  return true;
}

const FunctionDef kBuiltins[] = {
    {"len", 1, 1, fnLen, true},
    {"abs", 1, 1, fnAbs, true},
    {"ceil", 1, 1, fnRounding<std::ceil>, true},
    {"floor", 1, 1, fnRounding<std::floor>, true},
    {"round", 1, 1, fnRounding<std::round>, true},
    {"max", 1, -1, fnMinMax<true>, true},
    {"min", 1, -1, fnMinMax<false>, true},
    {"mean", 1, -1, fnMean, true},
    {"median", 1, -1, fnMedian, true},
    {"int", 1, 1, fnInt, true},
    {"float", 1, 1, fnFloat, true},
    {"string", 1, 1, fnString, true},
    {"trim", 1, 2, fnTrim, true},
    {"trimPrefix", 1, 2, fnTrimAffix<true>, true},
    {"trimSuffix", 1, 2, fnTrimAffix<false>, true},
    {"upper", 1, 1, fnCase<true>, true},
    {"lower", 1, 1, fnCase<false>, true},
    {"split", 2, 3, fnSplit<false>, true},
    {"splitAfter", 2, 3, fnSplit<true>, true},
    {"replace", 3, 3, fnReplace, true},
    {"repeat", 2, 2, fnRepeat, true},
    {"indexOf", 2, 2, fnIndexOf<false>, true},
    {"lastIndexOf", 2, 2, fnIndexOf<true>, true},
    {"hasPrefix", 2, 2, fnHasAffix<0>, true},
    {"hasSuffix", 2, 2, fnHasAffix<1>, true},
    {"startsWith", 2, 2, fnHasAffix<0>, true},
    {"endsWith", 2, 2, fnHasAffix<1>, true},
    {"toJSON", 1, 1, fnToJson, true},
    {"fromJSON", 1, 1, fnFromJson, true},
    {"toBase64", 1, 1, fnToBase64, true},
    {"fromBase64", 1, 1, fnFromBase64, true},
    {"now", 0, 0, fnNow, false},
    {"duration", 1, 1, fnDuration, true},
    {"date", 1, 3, fnDate, true},
    {"first", 1, 1, fnFirstLast<false>, true},
    {"last", 1, 1, fnFirstLast<true>, true},
    {"keys", 1, 1, fnKeysValues<true>, true},
    {"values", 1, 1, fnKeysValues<false>, true},
    {"concat", 1, -1, fnConcat, true},
    {"flatten", 1, 1, fnFlatten, true},
    {"uniq", 1, 1, fnUniq, true},
    {"sort", 1, 2, fnSort, true},
    {"type", 1, 1, fnType, true},
    {"get", 2, 2, fnGet, true},
    {"join", 1, 2, fnJoin, true},
};

}  // namespace

std::span<const FunctionDef> builtinFunctions() { return kBuiltins; }

const FunctionDef* findFunction(std::string_view name) {
  static const auto* table = [] {
    auto* m = new std::unordered_map<std::string_view, const FunctionDef*>();
    for (const FunctionDef& f : builtinFunctions()) {
      m->emplace(f.name, &f);
    }
    for (const FunctionDef& f : helperFunctions()) {
      m->emplace(f.name, &f);
    }
    return m;
  }();
  auto it = table->find(name);
  return it == table->end() ? nullptr : it->second;
}

} // namespace cw::core::expr::detail

// SPDX-License-Identifier: Apache-2.0
// Grok patterns in grokky's dialect (parsers.md section 5), compiled to one RE2 each.
#include "cw/core/grok/grok.h"

#include <re2/re2.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <unordered_set>

namespace cw::core::grok {

namespace {

// Expansion depth limit: references always point to earlier definitions, but a redefinition
// could close a loop (A -> B -> A).
constexpr int kMaxDepth = 100;

// RE2 program memory: hub patterns expand to large alternations (IPV6 inside IPORHOST inside
// several fields), beyond RE2's 8 MiB default.
constexpr int64_t kMaxMem = 64 << 20;

bool isWordChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

std::size_t wordRun(std::string_view s, std::size_t i) {
  std::size_t j = i;
  while (j < s.size() && isWordChar(s[j])) {
    ++j;
  }
  return j - i;
}

struct Ref {
  std::size_t begin = 0;
  std::size_t end = 0; // one past '}'
  std::string_view name;
  std::string_view field;
};

// Finds the next `%{NAME}` or `%{NAME:field}` (both \w+) at or after `from`. Anything else,
// such as `%{INT:n:int}`, is not a reference and stays regex text.
std::optional<Ref> nextRef(std::string_view s, std::size_t from) {
  for (std::size_t i = s.find("%{", from); i != std::string_view::npos; i = s.find("%{", i + 1)) {
    std::size_t j = i + 2;
    const std::size_t n = wordRun(s, j);
    if (n == 0) {
      continue;
    }
    Ref r;
    r.begin = i;
    r.name = s.substr(j, n);
    j += n;
    if (j < s.size() && s[j] == '}') {
      r.end = j + 1;
      return r;
    }
    if (j < s.size() && s[j] == ':') {
      const std::size_t m = wordRun(s, j + 1);
      if (m > 0 && j + 1 + m < s.size() && s[j + 1 + m] == '}') {
        r.field = s.substr(j + 1, m);
        r.end = j + 2 + m;
        return r;
      }
    }
  }
  return std::nullopt;
}

// Walks a regex, counting capturing groups; when `out` is given, also writes a copy where
// named groups `(?P<x>` / `(?<x>` become plain `(` (same numbering): grokky never exports
// them, RE2 2022 rejects `(?<x>`, and a pattern used twice would repeat the name. With
// `keep`, capturing group n (1-based) stays capturing only when keep[n] is true; the others
// become `(?:` (the copy then has fewer groups).
int scanRegex(std::string_view s, std::string* out, const std::vector<bool>* keep = nullptr) {
  int count = 0;
  std::size_t i = 0;
  auto copy = [&](std::size_t from, std::size_t to) {
    if (out != nullptr) {
      out->append(s.substr(from, to - from));
    }
  };
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\\') {
      if (i + 1 < s.size() && s[i + 1] == 'Q') {
        const std::size_t e = s.find("\\E", i + 2);
        const std::size_t end = e == std::string_view::npos ? s.size() : e + 2;
        copy(i, end);
        i = end;
        continue;
      }
      const std::size_t end = std::min(s.size(), i + 2);
      copy(i, end);
      i = end;
      continue;
    }
    if (c == '[') {
      std::size_t j = i + 1;
      if (j < s.size() && s[j] == '^') {
        ++j;
      }
      if (j < s.size() && s[j] == ']') {
        ++j; // a leading ']' is a literal
      }
      while (j < s.size() && s[j] != ']') {
        if (s[j] == '\\') {
          j += 2;
        } else if (s[j] == '[' && j + 1 < s.size() && s[j + 1] == ':') {
          const std::size_t e = s.find(":]", j + 2);
          j = e == std::string_view::npos ? j + 1 : e + 2;
        } else {
          ++j;
        }
      }
      const std::size_t end = std::min(s.size(), j + 1);
      copy(i, end);
      i = end;
      continue;
    }
    if (c == '(') {
      const std::string_view rest = s.substr(i);
      const bool pnamed = rest.substr(0, 4) == "(?P<";
      const bool named = rest.substr(0, 3) == "(?<" && rest.size() > 3 && rest[3] != '=' &&
                         rest[3] != '!';
      auto kept = [&]() {
        return keep == nullptr ||
               (static_cast<std::size_t>(count) < keep->size() && (*keep)[count]);
      };
      if (pnamed || named) {
        ++count;
        const std::size_t gt = s.find('>', i);
        if (gt != std::string_view::npos) {
          if (out != nullptr) {
            out->append(kept() ? "(" : "(?:");
          }
          i = gt + 1;
          continue;
        }
      } else if (rest.size() < 2 || rest[1] != '?') {
        ++count;
        if (!kept()) {
          if (out != nullptr) {
            out->append("(?:");
          }
          ++i;
          continue;
        }
      }
    }
    copy(i, i + 1);
    ++i;
  }
  return count;
}

// Go's utf8 rules (no overlongs, surrogates or code points past U+10FFFF): length of the
// valid sequence at s[i], 0 when the byte starts no valid sequence.
std::size_t utf8SequenceLength(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    return 1;
  }
  auto cont = [&](std::size_t k, unsigned char lo = 0x80, unsigned char hi = 0xBF) {
    if (i + k >= s.size()) {
      return false;
    }
    const auto b = static_cast<unsigned char>(s[i + k]);
    return b >= lo && b <= hi;
  };
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    return cont(1) ? 2 : 0;
  }
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    const unsigned char lo = b0 == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = b0 == 0xED ? 0x9F : 0xBF;
    return (cont(1, lo, hi) && cont(2)) ? 3 : 0;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    const unsigned char lo = b0 == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = b0 == 0xF4 ? 0x8F : 0xBF;
    return (cont(1, lo, hi) && cont(2) && cont(3)) ? 4 : 0;
  }
  return 0;
}

bool allAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      return false;
    }
  }
  return true;
}

// Offset of the first byte that starts no valid UTF-8 sequence, npos if none.
std::size_t firstInvalidUtf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::size_t n = utf8SequenceLength(s, i);
    if (n == 0) {
      return i;
    }
    i += n;
  }
  return std::string_view::npos;
}

// Byte standing in for an invalid UTF-8 byte during matching. Go's regexp reads such a byte
// as U+FFFD: any character but not a word character, a digit or a space. DEL has the same
// class memberships for the classes patterns use (., \S, \W, [^...]); only explicit control
// character classes could tell them apart.
constexpr char kInvalidByteStandIn = '\x7f';

RE2::Options re2Options() {
  RE2::Options o;
  o.set_log_errors(false);
  o.set_longest_match(false);
  o.set_max_mem(kMaxMem);
  o.set_encoding(RE2::Options::EncodingUTF8);
  return o;
}

Error compileError(std::string_view what, const RE2& re) {
  std::string msg = "grok pattern ";
  msg.append(what);
  msg.append(": RE2 rejects the expanded regex: ");
  msg.append(re.error());
  if (!re.error_arg().empty()) {
    msg.append(" (at '");
    msg.append(re.error_arg().substr(0, 80));
    msg.append("')");
  }
  return makeError(ErrorCode::Parse, std::move(msg));
}

} // namespace

int countCapturingGroups(std::string_view regex) { return scanRegex(regex, nullptr); }

int grokkyCapCount(std::string_view in) {
  // Every '(' minus "(?flags:" openers, minus "flags)" runs (an optional '(' before them),
  // minus "\(" escapes: the approximation CrowdSec's grok library makes.
  int left = 0;
  int escaped = 0;
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] == '(') {
      ++left;
      if (i > 0 && in[i - 1] == '\\') {
        ++escaped;
      }
    }
  }
  auto isFlag = [](char c) { return c == 'i' || c == 'm' || c == 's' || c == 'U' || c == '-'; };
  int noncap_left = 0;
  for (std::size_t i = 0; i + 1 < in.size(); ++i) {
    if (in[i] == '(' && in[i + 1] == '?') {
      std::size_t j = i + 2;
      while (j < in.size() && isFlag(in[j])) {
        ++j;
      }
      if (j < in.size() && in[j] == ':') {
        ++noncap_left;
      }
    }
  }
  int noncap_both = 0;
  std::size_t i = 0;
  while (i < in.size()) {
    std::size_t start = i;
    if (in[start] == '(') {
      ++start;
    }
    std::size_t j = start;
    while (j < in.size() && isFlag(in[j])) {
      ++j;
    }
    if (j > start && j < in.size() && in[j] == ')') {
      ++noncap_both;
      i = j + 1;
      continue;
    }
    ++i;
  }
  return left - noncap_left - noncap_both - escaped;
}

// ---------------------------------------------------------------------------------------------
// PatternLibrary

PatternLibrary::PatternLibrary(const PatternLibrary& other) : entries_(other.entries_) {
  std::lock_guard lock(*other.cache_mu_);
  cache_ = other.cache_;
}

PatternLibrary& PatternLibrary::operator=(const PatternLibrary& other) {
  if (this != &other) {
    entries_ = other.entries_;
    std::scoped_lock lock(*cache_mu_, *other.cache_mu_);
    cache_ = other.cache_;
  }
  return *this;
}

PatternLibrary::PatternLibrary(PatternLibrary&&) noexcept = default;
PatternLibrary& PatternLibrary::operator=(PatternLibrary&&) noexcept = default;
PatternLibrary::~PatternLibrary() = default;

PatternLibrary PatternLibrary::withBase() {
  PatternLibrary lib;
  for (const auto& [name, regex] : basePatterns()) {
    // The base set is ours and tested; a failure here is a programming error, reported the
    // same way as any other so that it is visible.
    auto st = lib.addEntry(name, regex, false, true, false);
    (void)st;
  }
  return lib;
}

bool PatternLibrary::contains(std::string_view name) const {
  return entries_.find(std::string(name)) != entries_.end();
}

std::optional<std::string_view> PatternLibrary::raw(std::string_view name) const {
  auto it = entries_.find(std::string(name));
  if (it == entries_.end()) {
    return std::nullopt;
  }
  return std::string_view(it->second.raw);
}

std::vector<std::string> PatternLibrary::names() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& [name, entry] : entries_) {
    out.push_back(name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::shared_ptr<const Expansion>> PatternLibrary::expandName(std::string_view name,
                                                                    int depth) const {
  const std::string key(name);
  {
    std::lock_guard lock(*cache_mu_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
      return it->second;
    }
  }
  auto entry = entries_.find(key);
  if (entry == entries_.end()) {
    return makeError(ErrorCode::NotFound, "grok pattern '" + key + "' is not defined");
  }
  auto expanded = expandText(entry->second.raw, depth + 1);
  if (!expanded.ok()) {
    return expanded.error();
  }
  auto shared = std::make_shared<const Expansion>(std::move(expanded.value()));
  std::lock_guard lock(*cache_mu_);
  cache_.emplace(key, shared);
  return shared;
}

Result<Expansion> PatternLibrary::expandText(std::string_view pattern, int depth) const {
  if (depth > kMaxDepth) {
    return makeError(ErrorCode::Invalid, "grok pattern references nest too deep (a loop?)");
  }
  // Outer field names hide nested fields of the same name, wherever they appear.
  std::vector<Ref> refs;
  for (auto r = nextRef(pattern, 0); r; r = nextRef(pattern, r->end)) {
    if (!contains(r->name)) {
      return makeError(ErrorCode::NotFound,
                       "grok pattern '" + std::string(r->name) + "' is not defined");
    }
    refs.push_back(*r);
  }
  Expansion out;
  if (refs.empty()) {
    out.regex.assign(pattern);
    out.groups = countCapturingGroups(out.regex);
    return out;
  }
  std::unordered_set<std::string_view> outer;
  for (const Ref& r : refs) {
    outer.insert(r.field);
  }
  auto setField = [&out](std::string_view name, int group) {
    for (auto& f : out.fields) {
      if (f.first == name) {
        f.second = group; // a later definition wins
        return;
      }
    }
    out.fields.emplace_back(std::string(name), group);
  };
  int order = 1;
  std::size_t pos = 0;
  for (const Ref& r : refs) {
    const std::string_view literal = pattern.substr(pos, r.begin - pos);
    order += grokkyCapCount(literal);
    auto sub = expandName(r.name, depth);
    if (!sub.ok()) {
      return sub.error();
    }
    const Expansion& s = *sub.value();
    out.regex.append(literal);
    out.regex.push_back('(');
    out.regex.append(s.regex);
    out.regex.push_back(')');
    if (!r.field.empty()) {
      setField(r.field, order);
    }
    for (const auto& [name, group] : s.fields) {
      if (outer.find(name) == outer.end()) {
        setField(name, order + group);
      }
    }
    order += s.groups + 1;
    pos = r.end;
  }
  out.regex.append(pattern.substr(pos));
  out.groups = countCapturingGroups(out.regex);
  return out;
}

Result<Expansion> PatternLibrary::expand(std::string_view pattern) const {
  return expandText(pattern, 0);
}

Status PatternLibrary::addEntry(std::string_view name, std::string_view pattern,
                                bool allow_redefine, bool builtin, bool from_file) {
  if (name.empty() || wordRun(name, 0) != name.size()) {
    return makeError(ErrorCode::Invalid, "grok pattern name '" + std::string(name) +
                                             "' is not a word (letters, digits, '_')");
  }
  if (pattern.empty()) {
    return makeError(ErrorCode::Invalid, "grok pattern '" + std::string(name) + "' is empty");
  }
  const std::string key(name);
  auto existing = entries_.find(key);
  if (existing != entries_.end() && !allow_redefine) {
    return makeError(ErrorCode::Config, "grok pattern '" + key + "' is already defined");
  }
  // Validate before storing: references resolve and RE2 accepts the expansion.
  auto expanded = expandText(pattern, 0);
  if (!expanded.ok()) {
    Error e = expanded.error();
    e.message = "grok pattern '" + key + "': " + e.message;
    return e;
  }
  std::string normalized;
  scanRegex(expanded.value().regex, &normalized);
  RE2 re(normalized, re2Options());
  if (!re.ok()) {
    return compileError("'" + key + "'", re);
  }
  if (existing != entries_.end()) {
    existing->second = Entry{std::string(pattern), builtin, from_file};
    std::lock_guard lock(*cache_mu_);
    cache_.clear(); // every expansion using the old text is stale
  } else {
    entries_.emplace(key, Entry{std::string(pattern), builtin, from_file});
  }
  return true;
}

Status PatternLibrary::add(std::string_view name, std::string_view pattern, bool allow_redefine) {
  return addEntry(name, pattern, allow_redefine, false, false);
}

Status PatternLibrary::addFromFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return makeError(ErrorCode::Io, "cannot read grok pattern file " + path);
  }
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (!line.empty() && line.back() == '\r') {
      line.pop_back();
    }
    // NAME, whitespace, then the rest of the line (at least one character) as the regex.
    const std::string_view l = line;
    const std::size_t n = wordRun(l, 0);
    std::size_t ws = n;
    auto isSpace = [](char c) {
      return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
    };
    while (ws < l.size() && isSpace(l[ws])) {
      ++ws;
    }
    if (n == 0 || ws == n) {
      continue;
    }
    std::string_view regex = l.substr(ws);
    if (regex.empty()) {
      if (ws - n < 2) {
        continue;
      }
      regex = l.substr(ws - 1); // the regex needs one character: the last blank
    }
    const std::string_view name = l.substr(0, n);
    auto existing = entries_.find(std::string(name));
    const bool redefine = existing != entries_.end() && existing->second.builtin;
    if (existing != entries_.end() && !redefine) {
      return makeError(ErrorCode::Config, path + ":" + std::to_string(lineno) +
                                              ": grok pattern '" + std::string(name) +
                                              "' is already defined");
    }
    auto st = addEntry(name, regex, redefine, false, true);
    if (!st.ok()) {
      Error e = st.error();
      e.message = path + ":" + std::to_string(lineno) + ": " + e.message;
      return e;
    }
  }
  return true;
}

Status PatternLibrary::addFromDirectory(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> files;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.find('.') != std::string::npos || it->is_directory(ec)) {
      continue;
    }
    files.push_back(name);
  }
  if (ec) {
    return makeError(ErrorCode::Io, "cannot list grok pattern directory " + dir + ": " +
                                        ec.message());
  }
  std::sort(files.begin(), files.end());
  for (const std::string& f : files) {
    auto st = addFromFile((fs::path(dir) / f).string());
    if (!st.ok()) {
      return st;
    }
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Pattern

Result<Pattern> Pattern::compile(const PatternLibrary& library, std::string_view pattern) {
  auto expanded = library.expand(pattern);
  if (!expanded.ok()) {
    return expanded.error();
  }
  Pattern p;
  auto exp = std::make_shared<Expansion>(std::move(expanded.value()));
  std::string normalized;
  scanRegex(exp->regex, &normalized);
  auto re = std::make_shared<RE2>(normalized, re2Options());
  if (!re->ok()) {
    std::string what(pattern.substr(0, 120));
    return compileError("'" + what + "'", *re);
  }
  const int groups = re->NumberOfCapturingGroups();
  std::vector<bool> keep(static_cast<std::size_t>(groups) + 1, false);
  for (const auto& [name, group] : exp->fields) {
    p.names_.push_back(name);
    // grokky's approximate counting can point past the last group; such a field stays "".
    p.groups_.push_back(group <= groups ? group : -1);
    if (group >= 1 && group <= groups) {
      keep[static_cast<std::size_t>(group)] = true;
    }
  }
  // Every %{...} is a capturing group, most of them not exported: left capturing, they push
  // RE2's submatch search onto its slowest engine and every thread copies them. Recompile with
  // only the exported groups capturing (same field results: each field reads the group it read
  // before, renumbered), unless RE2 counts the groups differently than we do.
  std::vector<int> renumber(static_cast<std::size_t>(groups) + 1, 0);
  int kept_groups = 0;
  for (std::size_t g = 1; g < keep.size(); ++g) {
    if (keep[g]) {
      renumber[g] = ++kept_groups;
    }
  }
  if (kept_groups < groups) {
    std::string reduced;
    scanRegex(normalized, &reduced, &keep);
    auto slim = std::make_shared<RE2>(reduced, re2Options());
    if (slim->ok() && slim->NumberOfCapturingGroups() == kept_groups) {
      re = std::move(slim);
      for (int& g : p.groups_) {
        if (g > 0) {
          g = renumber[static_cast<std::size_t>(g)];
        }
      }
    }
  }
  for (int g : p.groups_) {
    p.max_group_ = std::max(p.max_group_, g);
  }
  p.re_ = std::move(re);
  p.expansion_ = std::move(exp);
  return p;
}

const std::string& Pattern::regex() const {
  static const std::string kEmpty;
  return expansion_ ? expansion_->regex : kEmpty;
}

bool Pattern::match(std::string_view text, std::vector<std::string_view>& out) const {
  if (names_.empty() || !re_) {
    return false; // grokky: no field, no success
  }
  thread_local std::vector<re2::StringPiece> groups;
  thread_local std::string sanitized;
  groups.assign(static_cast<std::size_t>(max_group_) + 1, re2::StringPiece());
  // RE2 in UTF-8 mode cannot step over invalid bytes, Go's regexp can: match on a copy where
  // each such byte is replaced by one stand-in byte, so offsets map back one to one.
  std::string_view subject = text;
  if (!allAscii(text)) {
    std::size_t bad = firstInvalidUtf8(text);
    if (bad != std::string_view::npos) {
      sanitized.assign(text);
      while (bad < sanitized.size()) {
        const std::size_t n = utf8SequenceLength(sanitized, bad);
        if (n == 0) {
          sanitized[bad] = kInvalidByteStandIn;
          ++bad;
        } else {
          bad += n;
        }
      }
      subject = sanitized;
    }
  }
  if (!re_->Match(re2::StringPiece(subject.data(), subject.size()), 0, subject.size(),
                  RE2::UNANCHORED, groups.data(), max_group_ + 1)) {
    return false;
  }
  out.resize(names_.size());
  for (std::size_t i = 0; i < names_.size(); ++i) {
    const int g = groups_[i];
    const re2::StringPiece& sp = g >= 0 ? groups[static_cast<std::size_t>(g)] : re2::StringPiece();
    if (sp.data() == nullptr) {
      out[i] = std::string_view();
      continue;
    }
    const auto offset = static_cast<std::size_t>(sp.data() - subject.data());
    out[i] = text.substr(offset, sp.size());
  }
  return true;
}

} // namespace cw::core::grok

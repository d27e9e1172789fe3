// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cw/core/common/result.h"

namespace re2 {
class RE2;
} // namespace re2

namespace cw::core::grok {

/// Outcome of a call that returns nothing: ok() with value true, or an Error.
using Status = cw::core::Result<bool>;

/// A grok pattern reduced to one regular expression: the expanded RE2 text, its number of
/// capturing groups and the exported field names with the group each one reads.
struct Expansion {
  std::string regex;
  int groups = 0;
  std::vector<std::pair<std::string, int>> fields; ///< in first-definition order
};

/// The named grok patterns of one pipeline (NAME -> raw pattern text), grokky's dialect
/// (parsers.md section 5). Loading is not thread-safe; once loaded, compile() may be called
/// from several threads.
class PatternLibrary {
 public:
  PatternLibrary() = default;
  PatternLibrary(const PatternLibrary& other);
  PatternLibrary& operator=(const PatternLibrary& other);
  PatternLibrary(PatternLibrary&&) noexcept;
  PatternLibrary& operator=(PatternLibrary&&) noexcept;
  ~PatternLibrary();

  /// A library holding Crowdwall's built-in base set (USERNAME, INT, IP, SYSLOGBASE, ...;
  /// compiled into the binary, see base_patterns.cc).
  static PatternLibrary withBase();

  /// Adds one pattern. References (`%{NAME}`, `%{NAME:field}`) must name patterns already in
  /// the library and the expansion must compile with RE2; otherwise an Error names the
  /// culprit. An existing name is an error unless `allow_redefine`.
  Status add(std::string_view name, std::string_view pattern, bool allow_redefine = false);

  /// Reads a pattern file: lines `NAME<whitespace>REGEX`; other lines (comments, blanks) are
  /// ignored. A name already defined by a file is an error ("file:line: ..."); a file may
  /// replace a built-in base pattern (so a CrowdSec hub's own `base` file loads and wins).
  Status addFromFile(const std::string& path);

  /// addFromFile() for every regular file of `dir` whose name has no '.', in name order.
  Status addFromDirectory(const std::string& dir);

  bool contains(std::string_view name) const;
  /// Raw text of a pattern, nullopt when undefined.
  std::optional<std::string_view> raw(std::string_view name) const;
  std::size_t size() const { return entries_.size(); }
  /// All names, sorted.
  std::vector<std::string> names() const;

  /// Expands a pattern text against this library (no RE2 compilation).
  Result<Expansion> expand(std::string_view pattern) const;

 private:
  struct Entry {
    std::string raw;
    bool builtin = false;
    bool from_file = false;
  };

  Result<std::shared_ptr<const Expansion>> expandName(std::string_view name, int depth) const;
  Result<Expansion> expandText(std::string_view pattern, int depth) const;
  Status addEntry(std::string_view name, std::string_view pattern, bool allow_redefine,
                  bool builtin, bool from_file);

  std::unordered_map<std::string, Entry> entries_;
  // Expansions of named patterns, memoised; cleared when a name is redefined.
  mutable std::unordered_map<std::string, std::shared_ptr<const Expansion>> cache_;
  mutable std::unique_ptr<std::mutex> cache_mu_ = std::make_unique<std::mutex>();
};

/// A compiled grok pattern: one RE2 plus the group index of each exported field.
class Pattern {
 public:
  /// Expands and compiles `pattern` (an unknown `%{NAME}` or an RE2 error gives an Error
  /// naming it). RE2 options: leftmost-first, 64 MiB program memory.
  static Result<Pattern> compile(const PatternLibrary& library, std::string_view pattern);

  /// Exported field names, in the order the pattern first defines them.
  const std::vector<std::string>& fieldNames() const { return names_; }

  /// The expanded RE2 text (for diagnostics).
  const std::string& regex() const;

  /// Unanchored search. On a match, `out` is resized to fieldNames().size() and filled with
  /// views into `text` ("" for groups that did not participate). A pattern with no field
  /// never matches. Invalid UTF-8 bytes are matched like Go does (each as one character that
  /// is neither a word character nor a space) instead of stopping the match. No allocation
  /// per call once `out` and the per-thread buffers have grown.
  bool match(std::string_view text, std::vector<std::string_view>& out) const;

 private:
  std::shared_ptr<const re2::RE2> re_;
  std::shared_ptr<const Expansion> expansion_;
  std::vector<std::string> names_;
  std::vector<int> groups_; ///< RE2 group number of each field
  int max_group_ = 0;
};

/// Number of capturing groups of an RE2/Go regular expression (exact: escapes, character
/// classes and `(?...)` forms are understood).
int countCapturingGroups(std::string_view regex);

/// grokky's approximate count of capturing groups in the literal text between references.
/// Field indices are computed with it, as CrowdSec does, so that fields land on the same
/// groups even where the approximation is wrong.
int grokkyCapCount(std::string_view text);

/// The built-in base set as (name, regex) pairs, in definition order.
const std::vector<std::pair<std::string, std::string>>& basePatterns();

} // namespace cw::core::grok

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <maxminddb.h>
#include <re2/re2.h>
#include <re2/set.h>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cw/core/expr/services.h"
#include "internal.h"

// Services internals shared by services.cc and the helpers (private to the expr area).
namespace cw::core::expr {

namespace detail {

struct MapRow {
  std::string pattern;
  std::string tag;
  std::string type;  ///< equals | contains | regex
  std::unique_ptr<RE2> re;
};

struct DataFile {
  DataFileType type = DataFileType::String;
  std::string path;
  std::deque<std::string> lines;                 ///< stable storage the views point into
  ValueArray values;                             ///< string views of `lines`, for File()
  std::unordered_set<std::string_view> set;      ///< `x in File(...)`
  std::vector<std::unique_ptr<RE2>> regexps;     ///< type regexp
  /// All regexps of the file in one automaton: RegexpInFile is one DFA pass instead of one
  /// search per line. Null when RE2 could not build it (then the list above is walked).
  std::unique_ptr<RE2::Set> regexp_set;
  std::vector<MapRow> rows;                      ///< type map
  std::vector<Value> bots;                       ///< type bots: decoded JSON lines
  /// F(line) for every line, per pure one-argument function F: built on first use for
  /// closures such as {... contains Upper(#)} over File(...) (see dataFileMapped()).
  mutable std::mutex mapped_mu;
  mutable std::vector<std::pair<NativeFn, std::unique_ptr<const ValueArray>>> mapped;
};

struct StashEntry {
  std::string value;
  std::int64_t expires_ns = 0;  ///< 0 = never
};

struct Stash {
  std::unordered_map<std::string, StashEntry> entries;
  std::deque<std::string> order;  ///< insertion order, for the size bound
  std::size_t max_size = 0;       ///< 0 = default bound
};

}  // namespace detail

struct Services::Impl {
  std::map<std::string, std::unique_ptr<detail::DataFile>, std::less<>> files;
  mutable std::mutex stash_mu;
  mutable std::unordered_map<std::string, detail::Stash> stashes;
  MMDB_s city{};
  MMDB_s asn{};
  bool city_open = false;
  bool asn_open = false;
  std::optional<TimePoint> fixed_now;
  int current_year = 0;

  ~Impl();
};

} // namespace cw::core::expr

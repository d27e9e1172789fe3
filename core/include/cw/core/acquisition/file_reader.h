// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "cw/core/common/result.h"

// One-shot ("cat" mode) reading of a log file (shared/docs/contract/acquisition.md sections 2
// and 6): the whole file, split into lines, empty lines skipped. Lines are handed out as views
// into a reused buffer, so reading allocates nothing per line.
namespace cw::core::acquisition {

/// Longest line kept, in bytes (after the '\n' and a trailing '\r' are removed). Upstream's
/// scanner stops at 64 KiB by default; we keep lines up to 1 MiB, because long lines are
/// real (JSON logs, URLs with payloads) and a limit only exists to bound memory against
/// hostile input. Longer lines are dropped whole and counted as `too_long`.
inline constexpr std::size_t kDefaultMaxLineBytes = 1024 * 1024;

struct ReadOptions {
  std::size_t max_line_bytes = kDefaultMaxLineBytes;
  std::size_t chunk_bytes = 256 * 1024;  ///< read() size
};

struct ReadStats {
  std::uint64_t lines = 0;     ///< lines delivered to the callback
  std::uint64_t empty = 0;     ///< empty lines skipped (also "\r" alone)
  std::uint64_t too_long = 0;  ///< lines longer than max_line_bytes, dropped
  std::uint64_t bytes = 0;     ///< bytes read

  /// Every line of the input, delivered or not.
  std::uint64_t total() const { return lines + empty + too_long; }
};

using LineCallback = std::function<void(std::string_view line)>;

/// Incremental splitter: feed() any chunks, then finish() for a last line without '\n'.
/// Bytes are not interpreted: invalid UTF-8 and NULs pass through as they are.
class LineSplitter {
 public:
  explicit LineSplitter(const ReadOptions& options = {}) : options_(options) {}

  void feed(std::string_view chunk, const LineCallback& on_line);
  void finish(const LineCallback& on_line);
  const ReadStats& stats() const { return stats_; }

 private:
  void emit(std::string_view line, const LineCallback& on_line);

  ReadOptions options_;
  ReadStats stats_;
  std::string pending_;      ///< start of a line split across chunks
  bool discarding_ = false;  ///< inside a too-long line, skipping to its '\n'
};

/// Reads `path` from start to end. The error message is "cannot open <path>: <strerror>"
/// (or "cannot read ...") so the CLI can print it after "crowdwall: ".
Result<ReadStats> readFileLines(const std::string& path, const ReadOptions& options,
                                const LineCallback& on_line);

} // namespace cw::core::acquisition

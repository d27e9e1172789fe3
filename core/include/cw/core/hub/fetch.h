// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>

#include "cw/core/common/result.h"

// Where hub files come from: a local directory or an http(s):// (or file://) URL. HTTP goes
// through libcurl with connect and total timeouts, ETag revalidation and an optional progress
// bar on stderr.
namespace cw::core::hub {

struct FetchOptions {
  long connect_timeout_s = 10;  ///< connection set-up limit
  long timeout_s = 300;         ///< whole transfer limit
  bool progress = false;        ///< draw a progress bar on stderr (callers pass isatty(2))
  std::uint64_t progress_min_bytes = 1u << 20;  ///< no bar for smaller files
  std::string if_none_match;                    ///< ETag of the copy we hold ("" = none)
  std::int64_t if_modified_since = 0;           ///< unix time of the copy we hold (0 = none)
  std::string ca_file;                   ///< PEM bundle trusted for https ("" = the system's)
  std::uint64_t max_bytes = 1ull << 30;  ///< a larger body is refused (a mirror gone wrong)
};

struct FetchResult {
  bool not_modified = false;  ///< 304: `dest` was not written
  std::string etag;           ///< the server's ETag, "" when none (or a local source)
  std::uint64_t bytes = 0;    ///< bytes written to `dest`
};

/// True for http://, https:// and file:// locations.
bool isUrl(const std::string& location);

/// `base` + "/" + `rel` for a directory or a URL (one slash between them).
std::string joinLocation(const std::string& base, const std::string& rel);

/// Copies `location` (a URL or a local file) into `dest`, which is created or overwritten.
/// A transfer that fails, times out, is cut short (fewer bytes than announced) or answers an
/// HTTP error status leaves no `dest` behind and returns an error naming the location.
Result<FetchResult> fetchTo(const std::string& location, const std::string& dest,
                            const FetchOptions& options);

}  // namespace cw::core::hub

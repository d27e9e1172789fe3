// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/time.h"

// Name lookups for enrichers and expression helpers (reverse_dns, LookupHost), with a cache and
// a time limit: a slow or dead resolver must not stall the per-line pipeline. A lookup that
// takes longer than the limit answers "nothing" now; its result still lands in the cache when
// the resolver replies, so the next event about the same address gets it.
namespace cw::core::dns {

struct Limits {
  Duration timeout = 500 * kMillisecond;  ///< how long a caller waits for the resolver
  Duration positive_ttl = kHour;          ///< how long an answer is kept
  Duration negative_ttl = 5 * kMinute;    ///< how long "no name" is kept
  std::size_t max_entries = 100000;       ///< cache bound (cleared when full)
  std::size_t max_in_flight = 64;         ///< lookups waiting on the resolver at once
};

/// Sets the limits (at start-up, before lookups run).
void configure(const Limits& limits);

/// First PTR name of an IP address, "" when none (or not known within the time limit).
std::string reverse(std::string_view ip);

/// A and AAAA addresses of a host name, deduplicated, in resolver order; empty when none.
std::vector<std::string> forward(std::string_view host);

} // namespace cw::core::dns

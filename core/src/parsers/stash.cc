// SPDX-License-Identifier: Apache-2.0
#include "stash.h"

#include <mutex>

// The caches live in Services (expr area), which GetFromStash() reads. Services has no public
// write call yet, so this writes through its Impl under the same mutex the readers take.
#include "../expr/services_impl.h"

namespace cw::core::parsers::detail {

void stashWrite(expr::Services& services, const StashEntry& entry, std::string_view key,
                std::string_view value) {
  auto& impl = services.impl();
  // Wall-clock TTL (parsers.md section 8), not the injectable "now" of replays.
  const std::int64_t expires = nowUtc().unix_nanos + entry.ttl;

  std::lock_guard<std::mutex> lock(impl.stash_mu);
  auto& cache = impl.stashes[entry.name];
  if (cache.max_size == 0) {
    cache.max_size = static_cast<std::size_t>(entry.size);
  }
  std::string k(key);
  auto it = cache.entries.find(k);
  if (it != cache.entries.end()) {
    it->second.value.assign(value);
    it->second.expires_ns = expires;
    return;
  }
  // TODO(parsers): LFU and ARC strategies evict like LRU-by-insertion; no hub parser relies on
  // the difference and the cache sizes are small. Unblocked by a shared cache type in expr.
  while (cache.max_size > 0 && cache.entries.size() >= cache.max_size && !cache.order.empty()) {
    cache.entries.erase(cache.order.front());
    cache.order.pop_front();
  }
  cache.order.push_back(k);
  cache.entries.emplace(std::move(k), expr::detail::StashEntry{std::string(value), expires});
}

} // namespace cw::core::parsers::detail

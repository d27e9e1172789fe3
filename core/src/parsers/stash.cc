// SPDX-License-Identifier: Apache-2.0
#include "stash.h"

#include <string>

#include "cw/core/expr/services.h"

namespace cw::core::parsers::detail {

void stashWrite(expr::Services& services, const StashEntry& entry, std::string_view key,
                std::string_view value) {
  // TODO(parsers): LFU and ARC strategies evict like LRU-by-insertion (Services has one cache
  // kind); no hub parser relies on the difference. Unblocked by strategies in expr::Services.
  services.setStash(entry.name, std::string(key), std::string(value), entry.ttl);
}

} // namespace cw::core::parsers::detail

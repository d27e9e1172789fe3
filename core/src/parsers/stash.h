// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string_view>

#include "node.h"

namespace cw::core::expr {
class Services;
}

namespace cw::core::parsers::detail {

/// Writes one `stash:` entry (parsers.md section 8) into the named cache of `services`, where
/// GetFromStash() reads it.
void stashWrite(expr::Services& services, const StashEntry& entry, std::string_view key,
                std::string_view value);

} // namespace cw::core::parsers::detail

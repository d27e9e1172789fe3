// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

namespace cw::core::scenarios::detail {

/// Lower-case hex SHA-1 of `data` (FIPS 180-4). Bucket ids are sha1 digests, computed once per
/// bucket creation, so a small portable implementation is enough.
std::string sha1Hex(std::string_view data);

} // namespace cw::core::scenarios::detail

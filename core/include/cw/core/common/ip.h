// SPDX-License-Identifier: Apache-2.0
// Text to address bytes, for every place that checks or parses an IP.
#pragma once

#include <string_view>

namespace cw::core {

/// inet_pton over a string_view: `af` is AF_INET or AF_INET6, `out` gets 4 or 16 bytes. The
/// whole text must be the address: an embedded NUL (which inet_pton on c_str() would stop at,
/// taking "192.0.2.1\0junk" for 192.0.2.1), an empty or an oversized text is refused.
bool inetPton(int af, std::string_view text, void* out);

}  // namespace cw::core

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "cw/core/common/value.h"

// JSON <-> Value, with Go's encoding/json conventions for `any` targets: numbers decode as
// float64, objects as maps (later duplicate keys win), null as nil.
namespace cw::core::expr {

/// Decodes `text`; on failure returns false and sets `error` (message and byte offset).
bool parseJson(std::string_view text, Value& out, std::string& error);

/// Encodes a value as compact JSON.
std::string toJsonText(const Value& v);

} // namespace cw::core::expr

// SPDX-License-Identifier: Apache-2.0
#include "cw/core/event/str_map.h"

#include <algorithm>

namespace cw::core::event {

std::vector<std::string_view> StrMap::sortedKeys() const {
  std::vector<std::string_view> keys;
  keys.reserve(size_);
  for (const Entry& e : *this) {
    keys.emplace_back(e.key);
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

bool operator==(const StrMap& a, const StrMap& b) {
  if (a.size() != b.size()) {
    return false;
  }
  for (const StrMap::Entry& e : a) {
    const StrMap::Entry* o = b.find(e.key);
    if (o == nullptr || o->value != e.value) {
      return false;
    }
  }
  return true;
}

} // namespace cw::core::event

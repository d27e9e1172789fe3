// SPDX-License-Identifier: Apache-2.0
#include "cw/core/plugins/config_text.h"

#include <set>

namespace cw::core::plugins {
namespace {

Result<bool> checkKeys(const YAML::Node& node) {
  if (node.IsMap()) {
    std::set<std::string> seen;
    for (const auto& kv : node) {
      const std::string key = kv.first.IsScalar() ? kv.first.Scalar() : "";
      if (kv.first.IsScalar() && !seen.insert(key).second) {
        return makeError(ErrorCode::Config, "duplicate key '" + key + "' (line " +
                                                std::to_string(kv.first.Mark().line + 1) + ")");
      }
      if (auto r = checkKeys(kv.second); !r) {
        return r;
      }
    }
  } else if (node.IsSequence()) {
    for (const auto& item : node) {
      if (auto r = checkKeys(item); !r) {
        return r;
      }
    }
  }
  return true;
}

}  // namespace

Result<std::string> configText(const YAML::Node& config) {
  if (auto r = checkKeys(config); !r) {
    return r.error();
  }
  YAML::Emitter emitter;
  emitter << config;
  return std::string(emitter.c_str());
}

}  // namespace cw::core::plugins

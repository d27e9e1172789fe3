// SPDX-License-Identifier: Apache-2.0
// The `config:` mapping of a parser node or a scenario, as the YAML text a plugin's create() gets.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "cw/core/common/result.h"

namespace cw::core::plugins {

/// `config` (a mapping) as YAML text. A key written twice in any mapping of it is an error
/// ("duplicate key 'count' (line 9)", lines from 1): YAML leaves the choice to the reader, and
/// plugins would each choose differently.
Result<std::string> configText(const YAML::Node& config);

}  // namespace cw::core::plugins

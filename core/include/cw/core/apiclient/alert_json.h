// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <vector>

// The body of POST /v1/alerts: alerts::alertToJson() objects joined into an array.
namespace cw::core::apiclient {

/// Joins JSON objects into a JSON array.
std::string jsonArray(const std::vector<std::string>& objects);

}  // namespace cw::core::apiclient

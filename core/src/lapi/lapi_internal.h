// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <string>

// Helpers shared by the LAPI's source files (not installed, not part of the API).
namespace cw::core::lapi {

/// Every request body is parsed iteratively (nesting depth cannot exhaust the stack) with UTF-8
/// validation; numbers beyond double range are errors.
inline constexpr unsigned kBodyParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

/// "EOF" for an empty body (as Go's decoder says), else "invalid JSON at offset N: <reason>".
inline std::string jsonParseErrorMessage(const rapidjson::Document& doc) {
  if (doc.GetParseError() == rapidjson::kParseErrorDocumentEmpty) {
    return "EOF";
  }
  return "invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
         rapidjson::GetParseError_En(doc.GetParseError());
}

}  // namespace cw::core::lapi

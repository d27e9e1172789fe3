// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <string>
#include <string_view>

// Helpers shared by the LAPI's source files (not installed, not part of the API).
namespace cw::core::lapi {

/// Every request body is parsed iteratively (nesting depth cannot exhaust the stack) with UTF-8
/// validation; numbers beyond double range are errors.
inline constexpr unsigned kBodyParseFlags =
    rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag;

/// Go's name of a JSON value's kind in "cannot unmarshal <kind> into ..." messages.
inline const char* goKind(const rapidjson::Value& v) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return "null";
    case rapidjson::kFalseType:
    case rapidjson::kTrueType:
      return "bool";
    case rapidjson::kObjectType:
      return "object";
    case rapidjson::kArrayType:
      return "array";
    case rapidjson::kStringType:
      return "string";
    case rapidjson::kNumberType:
      return "number";
  }
  return "value";
}

/// The message Go's encoding/json Decoder gives for a syntax error in `body` ("invalid character
/// 'e' in literal true (expecting 'r')", "unexpected EOF", "EOF" for an empty body); "" when Go
/// would have read it (RapidJSON refuses more: invalid UTF-8, huge numbers, trailing data).
std::string goJsonSyntaxError(std::string_view body);

/// Go's words for a syntax error when it has some, else "invalid JSON at offset N: <reason>".
inline std::string jsonParseErrorMessage(const rapidjson::Document& doc, std::string_view body) {
  if (std::string go = goJsonSyntaxError(body); !go.empty()) {
    return go;
  }
  return "invalid JSON at offset " + std::to_string(doc.GetErrorOffset()) + ": " +
         rapidjson::GetParseError_En(doc.GetParseError());
}

/// Go's words for a value of the wrong kind: "json: cannot unmarshal <kind> into Go value of
/// type <go_type>".
inline std::string cannotUnmarshal(const rapidjson::Value& v, std::string_view go_type) {
  std::string m = "json: cannot unmarshal ";
  m += goKind(v);
  m += " into Go value of type ";
  m += go_type;
  return m;
}

/// Parses a request body that must be a JSON object (the Go struct `go_type`) into `doc`.
/// Returns "" when it is one, else the message Go's decoder gives for it.
inline std::string parseObjectBody(rapidjson::Document& doc, std::string_view body,
                                   std::string_view go_type) {
  doc.Parse<kBodyParseFlags>(body.data(), body.size());
  if (doc.HasParseError()) {
    return jsonParseErrorMessage(doc, body);
  }
  if (!doc.IsObject()) {
    return cannotUnmarshal(doc, go_type);
  }
  return {};
}

}  // namespace cw::core::lapi

// SPDX-License-Identifier: Apache-2.0
// The words Go's encoding/json scanner uses for a syntax error, so that malformed bodies get the
// messages CrowdSec's clients and tests know ("invalid character 'e' in literal true (expecting
// 'r')"). Only run on bodies RapidJSON already refused; a small state machine over the bytes.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "lapi_internal.h"

namespace cw::core::lapi {
namespace {

// Go's quoteChar: 'x', '\'', '"', '\n', '\x01', and bytes >= 0x80 read as the rune U+00XX.
std::string quoteChar(unsigned char c) {
  if (c == '\'') {
    return R"('\'')";
  }
  if (c == '"') {
    return "'\"'";
  }
  switch (c) {
    case '\a':
      return R"('\a')";
    case '\b':
      return R"('\b')";
    case '\f':
      return R"('\f')";
    case '\n':
      return R"('\n')";
    case '\r':
      return R"('\r')";
    case '\t':
      return R"('\t')";
    case '\v':
      return R"('\v')";
    case '\\':
      return R"('\\')";
    default:
      break;
  }
  char buf[16];
  if (c < 0x20 || c == 0x7f) {
    std::snprintf(buf, sizeof buf, "'\\x%02x'", c);
    return buf;
  }
  if (c < 0x80) {
    return std::string("'") + static_cast<char>(c) + "'";
  }
  if (c < 0xa0 || c == 0xad) {
    std::snprintf(buf, sizeof buf, "'\\u%04x'", c);
    return buf;
  }
  return std::string("'") + static_cast<char>(0xc0 | (c >> 6)) +
         static_cast<char>(0x80 | (c & 0x3f)) + "'";
}

bool isSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
bool isDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool isHex(unsigned char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

enum class Ctx { ObjectKey, ObjectValue, Array };

}  // namespace

std::string goJsonSyntaxError(std::string_view body) {
  enum class S {
    BeginValue,
    BeginValueOrEmpty,
    BeginStringOrEmpty,
    BeginString,
    EndValue,
    EndTop,
    InString,
    InStringEsc,
    InStringEscU,
    Neg,
    Zero,
    One,
    Dot,
    Dot0,
    E,
    ESign,
    E0,
    Literal,
  };
  std::vector<Ctx> stack;
  S s = S::BeginValue;
  int hex_left = 0;
  std::string_view literal;  // the literal being matched ("true", "false", "null")
  std::size_t lit_pos = 0;
  bool top_done = false;
  const auto err = [](unsigned char c, const char* context) {
    return "invalid character " + quoteChar(c) + " " + context;
  };

  for (std::size_t i = 0; i < body.size(); ++i) {
    const auto c = static_cast<unsigned char>(body[i]);
    bool again = true;
    while (again) {
      again = false;
      switch (s) {
        case S::BeginValueOrEmpty:
          if (isSpace(c)) {
            break;
          }
          if (c == ']') {
            stack.pop_back();
            s = S::EndValue;
            break;
          }
          s = S::BeginValue;
          again = true;
          break;
        case S::BeginValue:
          if (isSpace(c)) {
            break;
          }
          if (c == '{') {
            stack.push_back(Ctx::ObjectKey);
            s = S::BeginStringOrEmpty;
          } else if (c == '[') {
            stack.push_back(Ctx::Array);
            s = S::BeginValueOrEmpty;
          } else if (c == '"') {
            s = S::InString;
          } else if (c == '-') {
            s = S::Neg;
          } else if (c == '0') {
            s = S::Zero;
          } else if (c >= '1' && c <= '9') {
            s = S::One;
          } else if (c == 't' || c == 'f' || c == 'n') {
            literal = c == 't' ? "true" : c == 'f' ? "false" : "null";
            lit_pos = 1;
            s = S::Literal;
          } else {
            return err(c, "looking for beginning of value");
          }
          break;
        case S::BeginStringOrEmpty:
          if (isSpace(c)) {
            break;
          }
          if (c == '}') {
            stack.back() = Ctx::ObjectValue;
            stack.pop_back();
            s = S::EndValue;
            break;
          }
          s = S::BeginString;
          again = true;
          break;
        case S::BeginString:
          if (isSpace(c)) {
            break;
          }
          if (c != '"') {
            return err(c, "looking for beginning of object key string");
          }
          s = S::InString;
          break;
        case S::EndValue:
          if (stack.empty()) {
            top_done = true;
            s = S::EndTop;
            again = true;
            break;
          }
          if (isSpace(c)) {
            break;
          }
          if (stack.back() == Ctx::ObjectKey) {
            if (c != ':') {
              return err(c, "after object key");
            }
            stack.back() = Ctx::ObjectValue;
            s = S::BeginValue;
          } else if (stack.back() == Ctx::ObjectValue) {
            if (c == ',') {
              stack.back() = Ctx::ObjectKey;
              s = S::BeginString;
            } else if (c == '}') {
              stack.pop_back();
              s = S::EndValue;
            } else {
              return err(c, "after object key:value pair");
            }
          } else {
            if (c == ',') {
              s = S::BeginValue;
            } else if (c == ']') {
              stack.pop_back();
              s = S::EndValue;
            } else {
              return err(c, "after array element");
            }
          }
          break;
        case S::EndTop:
          // Go's Decoder stops after the first value: what follows is not its error.
          return "";
        case S::InString:
          if (c == '"') {
            s = S::EndValue;
          } else if (c == '\\') {
            s = S::InStringEsc;
          } else if (c < 0x20) {
            return err(c, "in string literal");
          }
          break;
        case S::InStringEsc:
          if (c == 'b' || c == 'f' || c == 'n' || c == 'r' || c == 't' || c == '\\' || c == '/' ||
              c == '"') {
            s = S::InString;
          } else if (c == 'u') {
            hex_left = 4;
            s = S::InStringEscU;
          } else {
            return err(c, "in string escape code");
          }
          break;
        case S::InStringEscU:
          if (!isHex(c)) {
            return err(c, "in \\u hexadecimal character escape");
          }
          if (--hex_left == 0) {
            s = S::InString;
          }
          break;
        case S::Neg:
          if (c == '0') {
            s = S::Zero;
          } else if (c >= '1' && c <= '9') {
            s = S::One;
          } else {
            return err(c, "in numeric literal");
          }
          break;
        case S::One:
          if (isDigit(c)) {
            break;
          }
          s = S::Zero;
          again = true;
          break;
        case S::Zero:
          if (c == '.') {
            s = S::Dot;
          } else if (c == 'e' || c == 'E') {
            s = S::E;
          } else {
            s = S::EndValue;
            again = true;
          }
          break;
        case S::Dot:
          if (!isDigit(c)) {
            return err(c, "after decimal point in numeric literal");
          }
          s = S::Dot0;
          break;
        case S::Dot0:
          if (isDigit(c)) {
            break;
          }
          if (c == 'e' || c == 'E') {
            s = S::E;
            break;
          }
          s = S::EndValue;
          again = true;
          break;
        case S::E:
          if (c == '+' || c == '-') {
            s = S::ESign;
            break;
          }
          s = S::ESign;
          again = true;
          break;
        case S::ESign:
          if (!isDigit(c)) {
            return err(c, "in exponent of numeric literal");
          }
          s = S::E0;
          break;
        case S::E0:
          if (isDigit(c)) {
            break;
          }
          s = S::EndValue;
          again = true;
          break;
        case S::Literal:
          if (c != static_cast<unsigned char>(literal[lit_pos])) {
            return err(c, ("in literal " + std::string(literal) + " (expecting " +
                           quoteChar(static_cast<unsigned char>(literal[lit_pos])) + ")")
                              .c_str());
          }
          if (++lit_pos == literal.size()) {
            s = S::EndValue;
          }
          break;
      }
    }
  }
  if (top_done) {
    return "";
  }
  // A number ends the document cleanly; anything else unfinished is a truncated body.
  const bool complete = stack.empty() && (s == S::EndValue || s == S::Zero || s == S::One ||
                                          s == S::Dot0 || s == S::E0);
  if (complete) {
    return "";
  }
  bool only_space = true;
  for (const char ch : body) {
    only_space = only_space && isSpace(static_cast<unsigned char>(ch));
  }
  return only_space ? "EOF" : "unexpected EOF";
}

}  // namespace cw::core::lapi

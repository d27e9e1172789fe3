// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

// Tokenizer of the expression language (private to the expr area).
namespace cw::core::expr::detail {

enum class Tok { End, Ident, Int, Float, String, Op, Hash };

struct Token {
  Tok kind = Tok::End;
  std::string text;  ///< identifier / operator / decoded string / "#", "#index", "#acc"
  int pos = 0;       ///< byte offset in the source
  std::int64_t i = 0;
  double f = 0;
};

/// Splits `src` into tokens; false with `error` and `error_pos` on a lexical error.
bool tokenize(std::string_view src, std::vector<Token>& out, std::string& error, int& error_pos);

/// "line L, column C" (1-based) of a byte offset.
std::string positionText(std::string_view src, int pos);

} // namespace cw::core::expr::detail

// SPDX-License-Identifier: Apache-2.0
#include "cw/core/lapi/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <array>

namespace cw::core::lapi {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decodeChar(char c) {
  if (c >= 'A' && c <= 'Z') {
    return c - 'A';
  }
  if (c >= 'a' && c <= 'z') {
    return c - 'a' + 26;
  }
  if (c >= '0' && c <= '9') {
    return c - '0' + 52;
  }
  if (c == '-') {
    return 62;
  }
  if (c == '_') {
    return 63;
  }
  return -1;
}

std::array<unsigned char, 32> hmacSha256(const std::string& key, std::string_view data) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

// The header every token we sign carries, base64url-encoded once.
const std::string& encodedHeader() {
  static const std::string header = base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})");
  return header;
}

}  // namespace

const char* jwtErrorMessage(JwtError e) {
  switch (e) {
    case JwtError::Malformed:
      return "token contains an invalid number of segments";
    case JwtError::BadAlgorithm:
      return "signing method (alg) is unavailable";
    case JwtError::BadSignature:
      return "signature is invalid";
    case JwtError::Expired:
      return "Token is expired";
    case JwtError::MissingClaim:
      return "invalid token claims";
  }
  return "invalid token";
}

std::string base64UrlEncode(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                            static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
    out.push_back(kAlphabet[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    const std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    const std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                            (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out.push_back(kAlphabet[(v >> 18) & 63]);
    out.push_back(kAlphabet[(v >> 12) & 63]);
    out.push_back(kAlphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<std::string> base64UrlDecode(std::string_view text) {
  while (!text.empty() && text.back() == '=') {
    text.remove_suffix(1);
  }
  if (text.size() % 4 == 1) {
    return std::nullopt;
  }
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int d = decodeChar(c);
    if (d < 0) {
      return std::nullopt;
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(d);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // Canonical only: the unused low bits of the last character must be zero, so one token has
  // one spelling (no variant of a signature verifies).
  if ((acc & ((1u << bits) - 1)) != 0) {
    return std::nullopt;
  }
  return out;
}

JwtCodec::JwtCodec(std::string secret) : secret_(std::move(secret)) {}

std::string JwtCodec::sign(const JwtClaims& claims) const {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("exp");
  w.Int64(claims.exp);
  w.Key("id");
  w.String(claims.id.data(), static_cast<rapidjson::SizeType>(claims.id.size()));
  w.Key("orig_iat");
  w.Int64(claims.orig_iat);
  w.EndObject();
  std::string token = encodedHeader();
  token.push_back('.');
  token += base64UrlEncode(std::string_view(buf.GetString(), buf.GetSize()));
  const auto mac = hmacSha256(secret_, token);
  token.push_back('.');
  token += base64UrlEncode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
  return token;
}

std::optional<JwtClaims> JwtCodec::verify(std::string_view token, std::int64_t now_s,
                                          JwtError* error, bool allow_expired) const {
  const auto fail = [&](JwtError e) -> std::optional<JwtClaims> {
    if (error != nullptr) {
      *error = e;
    }
    return std::nullopt;
  };
  const auto dot1 = token.find('.');
  const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail(JwtError::Malformed);
  }
  const auto header = base64UrlDecode(token.substr(0, dot1));
  const auto payload = base64UrlDecode(token.substr(dot1 + 1, dot2 - dot1 - 1));
  const auto signature = base64UrlDecode(token.substr(dot2 + 1));
  if (!header || !payload || !signature) {
    return fail(JwtError::Malformed);
  }

  // The algorithm is ours to choose, never the token's: only HS256.
  rapidjson::Document hdoc;
  hdoc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
      header->data(), header->size());
  if (hdoc.HasParseError() || !hdoc.IsObject()) {
    return fail(JwtError::Malformed);
  }
  const auto alg = hdoc.FindMember("alg");
  if (alg == hdoc.MemberEnd() || !alg->value.IsString() ||
      std::string_view(alg->value.GetString(), alg->value.GetStringLength()) != "HS256") {
    return fail(JwtError::BadAlgorithm);
  }

  const auto mac = hmacSha256(secret_, token.substr(0, dot2));
  if (signature->size() != mac.size() ||
      CRYPTO_memcmp(signature->data(), mac.data(), mac.size()) != 0) {
    return fail(JwtError::BadSignature);
  }

  rapidjson::Document pdoc;
  pdoc.Parse<rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag>(
      payload->data(), payload->size());
  if (pdoc.HasParseError() || !pdoc.IsObject()) {
    return fail(JwtError::Malformed);
  }
  JwtClaims claims;
  const auto id = pdoc.FindMember("id");
  const auto exp = pdoc.FindMember("exp");
  if (id == pdoc.MemberEnd() || !id->value.IsString() || exp == pdoc.MemberEnd() ||
      !exp->value.IsNumber()) {
    return fail(JwtError::MissingClaim);
  }
  claims.id.assign(id->value.GetString(), id->value.GetStringLength());
  if (exp->value.IsInt64()) {
    claims.exp = exp->value.GetInt64();
  } else if (exp->value.IsDouble() && exp->value.GetDouble() > -9.0e18 &&
             exp->value.GetDouble() < 9.0e18) {
    claims.exp = static_cast<std::int64_t>(exp->value.GetDouble());
  } else {
    return fail(JwtError::MissingClaim);
  }
  const auto iat = pdoc.FindMember("orig_iat");
  if (iat != pdoc.MemberEnd() && iat->value.IsInt64()) {
    claims.orig_iat = iat->value.GetInt64();
  }
  if (!allow_expired && claims.exp < now_s) {
    return fail(JwtError::Expired);
  }
  return claims;
}

}  // namespace cw::core::lapi

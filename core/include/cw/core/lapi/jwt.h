// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

// HS256 JSON Web Tokens for machines (lapi.md §2): claims `id` (machine_id), `exp` and
// `orig_iat` (unix seconds). Our own small codec on OpenSSL's HMAC: Debian 12's libjwt (1.10)
// compares signatures with strcmp and needs jansson; here the compare is constant-time and only
// HS256 is ever accepted (a token announcing another alg, "none" included, is refused).
namespace cw::core::lapi {

/// The claims a token carries.
struct JwtClaims {
  std::string id;             ///< machine_id
  std::int64_t exp = 0;       ///< expiry, unix seconds
  std::int64_t orig_iat = 0;  ///< when the login (or last refresh) happened, unix seconds
};

/// Why a token was refused; message() gives the text the API answers with.
enum class JwtError { Malformed, BadAlgorithm, BadSignature, Expired, MissingClaim };

/// The answer's message for `e` ("Token is expired", "signature is invalid", ...).
const char* jwtErrorMessage(JwtError e);

/// Signs and verifies tokens with one secret. Thread-safe (immutable after construction).
class JwtCodec {
 public:
  /// `secret` is the HMAC key (any length; the server wants >= 64 bytes from CS_LAPI_SECRET).
  explicit JwtCodec(std::string secret);

  /// A signed token "<header>.<payload>.<signature>" (base64url, no padding).
  std::string sign(const JwtClaims& claims) const;

  /// Verifies the signature (constant-time) and the algorithm, then parses the claims.
  /// `now_s` is the current unix time; a token with exp < now_s is Expired unless
  /// `allow_expired` (refresh within MaxRefresh is judged by the caller from orig_iat).
  /// On failure returns nullopt and sets `*error`.
  std::optional<JwtClaims> verify(std::string_view token, std::int64_t now_s, JwtError* error,
                                  bool allow_expired = false) const;

 private:
  std::string secret_;
};

/// base64url without padding (RFC 4648 §5).
std::string base64UrlEncode(std::string_view bytes);
/// Decodes base64url (padding optional); nullopt on a character outside the alphabet, a bad
/// length or non-zero unused bits in the last character (non-canonical spelling).
std::optional<std::string> base64UrlDecode(std::string_view text);

}  // namespace cw::core::lapi

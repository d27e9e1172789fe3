// SPDX-License-Identifier: Apache-2.0
// bcrypt through libxcrypt, SHA-512 and random bytes through OpenSSL's libcrypto.
#include "cw/core/store/passwords.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cerrno>
#include <cstring>
#include <memory>

namespace cw::core::store {

namespace {

constexpr unsigned long kBcryptCost = 10;  // what CrowdSec's Go bcrypt uses (DefaultCost)
constexpr std::size_t kBcryptMaxBytes = 72;

}  // namespace

Result<std::string> hashPassword(std::string_view password) {
  if (password.size() > kBcryptMaxBytes) {
    return makeError(ErrorCode::Invalid, "password longer than 72 bytes");
  }
  if (password.find('\0') != std::string_view::npos) {
    return makeError(ErrorCode::Invalid, "password contains a NUL byte");
  }
  unsigned char random[16];
  if (RAND_bytes(random, sizeof random) != 1) {
    return makeError(ErrorCode::Runtime, "no random bytes for the bcrypt salt");
  }
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  if (crypt_gensalt_rn("$2a$", kBcryptCost, reinterpret_cast<const char*>(random), sizeof random,
                       setting, sizeof setting) == nullptr) {
    return makeError(ErrorCode::Runtime, "bcrypt salt: " + std::string(std::strerror(errno)));
  }
  auto data = std::make_unique<crypt_data>();
  const std::string phrase(password);
  const char* hash = crypt_rn(phrase.c_str(), setting, data.get(), sizeof(crypt_data));
  if (hash == nullptr) {
    return makeError(ErrorCode::Runtime, "bcrypt: " + std::string(std::strerror(errno)));
  }
  return std::string(hash);
}

bool verifyPassword(std::string_view password, const std::string& hash) {
  if (hash.size() < 7 || hash[0] != '$' || hash[1] != '2' ||
      password.find('\0') != std::string_view::npos) {
    return false;
  }
  auto data = std::make_unique<crypt_data>();
  const std::string phrase(password);
  const char* computed = crypt_rn(phrase.c_str(), hash.c_str(), data.get(), sizeof(crypt_data));
  if (computed == nullptr || computed[0] == '*') {
    return false;
  }
  const std::size_t n = std::strlen(computed);
  return n == hash.size() && CRYPTO_memcmp(computed, hash.data(), n) == 0;
}

std::string hashApiKey(std::string_view api_key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(api_key.data(), api_key.size(), digest, &len, EVP_sha512(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string generateSecret(std::size_t length) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  constexpr unsigned kAlphabetSize = sizeof kAlphabet - 1;  // 62
  std::string out;
  out.reserve(length);
  unsigned char buf[64];
  while (out.size() < length) {
    if (RAND_bytes(buf, sizeof buf) != 1) {
      continue;
    }
    for (unsigned char b : buf) {
      // 248 = 4 * 62: reject the top bytes so every character is equally likely.
      if (b < 4 * kAlphabetSize && out.size() < length) {
        out += kAlphabet[b % kAlphabetSize];
      }
    }
  }
  return out;
}

}  // namespace cw::core::store

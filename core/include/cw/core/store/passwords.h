// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <string>
#include <string_view>

#include "cw/core/common/result.h"

// Secrets of machines and bouncers as the database keeps them, compatible with a CrowdSec
// database: machine passwords as bcrypt hashes ("$2a$10$..."), bouncer API keys as the
// lowercase hex SHA-512 of the key. All functions are thread-safe.
namespace cw::core::store {

/// bcrypt hash (cost 10, "$2a$" prefix) of `password`. Fails only when the system cannot
/// provide random bytes or the password is longer than bcrypt accepts (72 bytes).
Result<std::string> hashPassword(std::string_view password);

/// True when `password` matches the bcrypt `hash` ($2a$, $2b$ and $2y$ accepted). False for
/// a malformed hash. Constant-time comparison of the computed hash.
bool verifyPassword(std::string_view password, const std::string& hash);

/// Lowercase hex SHA-512 of `api_key` (128 characters), as stored in Bouncer::api_key_hash.
std::string hashApiKey(std::string_view api_key);

/// A new random secret of `length` characters from [A-Za-z0-9] (for `bouncers add` without
/// --key and `machines add --auto`).
std::string generateSecret(std::size_t length = 32);

}  // namespace cw::core::store

// SPDX-License-Identifier: Apache-2.0
// Addresses and CIDR ranges as numeric intervals (16 bytes big-endian), the form the store's
// ip/range columns and containment filters use.
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include "cw/core/common/ip.h"

#include "cw/core/store/store.h"

namespace cw::core::store {

namespace {

constexpr std::uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

/// Parses one address; size 4 for IPv4 (and IPv4-mapped IPv6), 16 otherwise, 0 on failure.
int parseAddress(const std::string& text, std::array<std::uint8_t, 16>& out) {
  out.fill(0);
  in_addr v4{};
  if (inetPton(AF_INET, text, &v4)) {
    std::memcpy(out.data() + 12, &v4, 4);
    return 4;
  }
  in6_addr v6{};
  if (text.find(':') != std::string::npos && inetPton(AF_INET6, text, &v6)) {
    std::memcpy(out.data(), &v6, 16);
    if (std::memcmp(out.data(), kMapped, 12) == 0) {
      std::fill(out.begin(), out.begin() + 12, std::uint8_t{0});
      return 4;
    }
    return 16;
  }
  return 0;
}

}  // namespace

Result<IpRange> IpRange::parse(std::string_view text) {
  const std::string s(text);
  const auto slash = s.find('/');
  IpRange r;
  if (slash == std::string::npos) {
    r.size = parseAddress(s, r.start);
    if (r.size == 0) {
      return makeError(ErrorCode::Invalid, "invalid address");
    }
    r.end = r.start;
    return r;
  }

  const Error bad =
      makeError(ErrorCode::Invalid, "while parsing range " + s + ": invalid CIDR address: " + s);
  const std::string addr = s.substr(0, slash);
  const std::string bits = s.substr(slash + 1);
  if (bits.empty() || bits.size() > 3 ||
      !std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      (bits.size() > 1 && bits[0] == '0')) {
    return bad;
  }
  const int prefix = std::stoi(bits);
  // An IPv4-mapped IPv6 network keeps the IPv6 prefix length; plain IPv4 is v4.
  const bool v6_text = addr.find(':') != std::string::npos;
  r.size = parseAddress(addr, r.start);
  if (r.size == 0 || prefix > (v6_text ? 128 : 32)) {
    return bad;
  }
  int host_bits = v6_text ? 128 - prefix : 32 - prefix;
  if (v6_text && r.size == 4 && prefix < 96) {
    return bad;  // a mapped network wider than the IPv4 space
  }
  r.end = r.start;
  for (int i = 15; i >= 0 && host_bits > 0; --i) {
    const int n = std::min(host_bits, 8);
    const auto mask = static_cast<std::uint8_t>((1u << n) - 1u);
    r.start[static_cast<std::size_t>(i)] &= static_cast<std::uint8_t>(~mask);
    r.end[static_cast<std::size_t>(i)] |= mask;
    host_bits -= n;
  }
  return r;
}

bool IpRange::contains(const IpRange& other) const {
  return size == other.size && start <= other.start && other.end <= end;
}

std::string normalizeScope(const std::string& scope) {
  std::string lower(scope);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (lower == "ip") {
    return kScopeIp;
  }
  if (lower == "range") {
    return kScopeRange;
  }
  if (lower == "as") {
    return kScopeAs;
  }
  if (lower == "country") {
    return kScopeCountry;
  }
  return scope;
}

}  // namespace cw::core::store

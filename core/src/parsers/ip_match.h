// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

// IP addresses and prefixes for whitelists, in binary form so that the per-event check parses
// the source IP into a stack value and compares bytes: no allocation.
namespace cw::core::parsers::detail {

/// An IPv4 or IPv6 address. IPv4-mapped IPv6 (::ffff:a.b.c.d) is stored as IPv4, because Go's
/// net.IP (which upstream whitelists use) treats both spellings as the same address.
struct IpAddr {
  bool v6 = false;
  std::array<std::uint8_t, 16> bytes{};  ///< IPv4 uses the first 4

  friend bool operator==(const IpAddr& a, const IpAddr& b) {
    if (a.v6 != b.v6) {
      return false;
    }
    const std::size_t n = a.v6 ? 16 : 4;
    for (std::size_t i = 0; i < n; ++i) {
      if (a.bytes[i] != b.bytes[i]) {
        return false;
      }
    }
    return true;
  }
};

struct Cidr {
  IpAddr network;  ///< host bits cleared
  int bits = 0;
};

/// Parses a dotted IPv4 or an IPv6 address (no zone, no brackets). False when it is not one.
bool parseIp(std::string_view text, IpAddr& out);

/// Parses "addr/bits". False on a bad address or a prefix length out of range.
bool parseCidr(std::string_view text, Cidr& out);

/// The prefix of length `bits` (clamped to the family's size) that contains `ip`.
Cidr makeCidr(const IpAddr& ip, int bits);

/// True when `ip` is of the prefix's family and inside it.
bool cidrContains(const Cidr& cidr, const IpAddr& ip);

} // namespace cw::core::parsers::detail

// SPDX-License-Identifier: Apache-2.0
#include "ip_match.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include "cw/core/common/ip.h"

namespace cw::core::parsers::detail {

bool parseIp(std::string_view text, IpAddr& out) {
  out = IpAddr{};
  if (text.find(':') == std::string_view::npos) {
    return inetPton(AF_INET, text, out.bytes.data());
  }
  if (!inetPton(AF_INET6, text, out.bytes.data())) {
    return false;
  }

  static constexpr std::uint8_t kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(out.bytes.data(), kMappedPrefix, 12) == 0) {
    std::memmove(out.bytes.data(), out.bytes.data() + 12, 4);
    std::memset(out.bytes.data() + 4, 0, 12);
    return true;
  }
  out.v6 = true;
  return true;
}

bool parseCidr(std::string_view text, Cidr& out) {
  const std::size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return false;
  }

  std::string_view addr = text.substr(0, slash);
  std::string_view len = text.substr(slash + 1);
  if (!parseIp(addr, out.network)) {
    return false;
  }
  // Go's ParseCIDR treats "::ffff:1.2.3.4/120" as an IPv6 prefix; we store the address as
  // IPv4, so such a prefix length is rebased on the 32-bit form.
  const bool mapped_v4 = !out.network.v6 && addr.find(':') != std::string_view::npos;
  int bits = -1;
  auto [ptr, ec] = std::from_chars(len.data(), len.data() + len.size(), bits);
  if (len.empty() || ec != std::errc() || ptr != len.data() + len.size()) {
    return false;
  }
  if (mapped_v4) {
    if (bits < 96 || bits > 128) {
      return false;
    }
    bits -= 96;
  }
  const int max_bits = out.network.v6 ? 128 : 32;
  if (bits < 0 || bits > max_bits) {
    return false;
  }
  out = makeCidr(out.network, bits);
  return true;
}

Cidr makeCidr(const IpAddr& ip, int bits) {
  const int max_bits = ip.v6 ? 128 : 32;
  Cidr out;
  out.network = ip;
  out.bits = bits < 0 ? 0 : (bits > max_bits ? max_bits : bits);
  // Clear host bits so that containment is a prefix comparison.
  for (int i = 0; i < 16; ++i) {
    const int keep = out.bits - i * 8;
    if (keep >= 8) {
      continue;
    }
    if (keep <= 0) {
      out.network.bytes[i] = 0;
    } else {
      out.network.bytes[i] &= static_cast<std::uint8_t>(0xff << (8 - keep));
    }
  }
  return out;
}

bool cidrContains(const Cidr& cidr, const IpAddr& ip) {
  if (cidr.network.v6 != ip.v6) {
    return false;
  }
  int bits = cidr.bits;
  for (int i = 0; bits > 0; ++i, bits -= 8) {
    const std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((ip.bytes[i] & mask) != cidr.network.bytes[i]) {
      return false;
    }
  }
  return true;
}

} // namespace cw::core::parsers::detail

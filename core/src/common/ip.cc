// SPDX-License-Identifier: Apache-2.0
#include "cw/core/common/ip.h"

#include <arpa/inet.h>

#include <cstring>

namespace cw::core {

bool inetPton(int af, std::string_view text, void* out) {
  // The longest text form (IPv6 with an embedded IPv4 and a zone-free suffix) is 45 characters.
  char buf[64];
  if (text.empty() || text.size() >= sizeof(buf) || text.find('\0') != std::string_view::npos) {
    return false;
  }
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  return inet_pton(af, buf, out) == 1;
}

}  // namespace cw::core

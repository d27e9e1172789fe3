// SPDX-License-Identifier: Apache-2.0
#include "cw/core/apiclient/alert_json.h"

namespace cw::core::apiclient {

std::string jsonArray(const std::vector<std::string>& objects) {
  std::size_t total = 2;
  for (const std::string& o : objects) {
    total += o.size() + 1;
  }
  std::string out;
  out.reserve(total);
  out += '[';
  for (std::size_t i = 0; i < objects.size(); ++i) {
    if (i != 0) {
      out += ',';
    }
    out += objects[i];
  }
  out += ']';
  return out;
}

}  // namespace cw::core::apiclient

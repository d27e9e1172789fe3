// SPDX-License-Identifier: Apache-2.0
#include "cw/core/common/file.h"

#include <cerrno>
#include <cstdio>
#include <memory>

namespace cw::core {

std::optional<std::string> readWholeFile(const std::string& path) {
  const std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"),
                                                          &std::fclose);
  if (!f) {
    return std::nullopt;
  }
  std::string text;
  char buffer[64 * 1024];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, f.get())) > 0) {
    text.append(buffer, n);
  }
  if (std::ferror(f.get()) != 0) {  // a directory (EISDIR) or a read error; errno tells which
    if (errno == 0) {
      errno = EIO;
    }
    return std::nullopt;
  }
  return text;
}

}  // namespace cw::core

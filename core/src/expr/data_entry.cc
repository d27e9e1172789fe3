// SPDX-License-Identifier: Apache-2.0
#include <filesystem>

#include "cw/core/expr/services.h"

namespace cw::core::expr {

Result<bool> Services::loadDataEntry(const std::string& source_url, const std::string& dest_file,
                                     const std::string& type_name, const std::string& data_dir) {
  if (type_name.empty()) {
    return false;
  }
  DataFileType type;
  if (type_name == "string") {
    type = DataFileType::String;
  } else if (type_name == "regexp" || type_name == "regex") {
    type = DataFileType::Regexp;
  } else if (type_name == "map") {
    type = DataFileType::Map;
  } else if (type_name == "bots") {
    type = DataFileType::Bots;
  } else {
    return makeError(ErrorCode::Config, "unknown data file type '" + type_name + "'");
  }
  if (dest_file.empty()) {
    return makeError(ErrorCode::Config, "'dest_file' is required");
  }
  namespace fs = std::filesystem;
  const fs::path dir(data_dir);
  fs::path path = dir / dest_file;
  if (!fs::exists(path) && !source_url.empty()) {
    const std::string downloaded = source_url.substr(source_url.find_last_of('/') + 1);
    if (!downloaded.empty() && fs::exists(dir / downloaded)) {
      path = dir / downloaded;
    }
  }
  return loadDataFile(dest_file, path.string(), type);
}

} // namespace cw::core::expr

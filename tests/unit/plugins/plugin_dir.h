// SPDX-License-Identifier: Apache-2.0
// A private plugin folder for tests: copies of fixture plugins (tests/plugins/fixtures, built
// into CW_FIXTURE_DIR) and the index.json that declares them, as the loader wants them (mode
// 0755, digests). Removed with the object.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cw/core/plugins/loader.h"

namespace cwtest {

/// One fixture plugin of a PluginDir and its index entry.
struct Fixture {
  std::string id;
  std::string so;  ///< fixture name (tests/plugins/fixtures/<so>.cc, file cw-fixture-<so>.so)
  std::string kind = "acquisition";
  std::string abi = "1.0";
  std::string sha256;  ///< "" = the real digest
};

class PluginDir {
 public:
  explicit PluginDir(const std::vector<Fixture>& fixtures) {
    namespace fs = std::filesystem;
    namespace pl = cw::core::plugins;
    char tmpl[] = "/tmp/cw-plugins-XXXXXX";  // mkdtemp's template, not a marker
    dir_ = ::mkdtemp(tmpl);
    ::chmod(dir_.c_str(), 0755);
    std::string json = "{\"plugins\": {";
    bool first = true;
    for (const Fixture& f : fixtures) {
      const std::string file = "cw-fixture-" + f.so + ".so";
      fs::copy_file(std::string(CW_FIXTURE_DIR) + "/" + file, dir_ + "/" + file,
                    fs::copy_options::overwrite_existing);
      ::chmod((dir_ + "/" + file).c_str(), 0755);
      std::string digest = f.sha256.empty() ? *pl::sha256OfFile(dir_ + "/" + file) : f.sha256;
      json += std::string(first ? "" : ",") + "\"" + f.id + "\": {\"kind\": \"" + f.kind +
              "\", \"version\": \"1.0\", \"abi\": \"" + f.abi + "\", \"platform\": \"" +
              pl::hostPlatform() + "\", \"sha256\": \"" + digest + "\", \"file\": \"" + file +
              "\"}";
      first = false;
    }
    json += "}}";
    std::ofstream(dir_ + "/index.json") << json;
  }
  ~PluginDir() { std::filesystem::remove_all(dir_); }
  PluginDir(const PluginDir&) = delete;
  PluginDir& operator=(const PluginDir&) = delete;

  const std::string& dir() const { return dir_; }
  std::string index() const { return dir_ + "/index.json"; }
  std::string file(const std::string& so) const { return dir_ + "/cw-fixture-" + so + ".so"; }
  cw::core::plugins::LoadOptions options() const {
    cw::core::plugins::LoadOptions o;
    o.plugin_dir = dir_;
    o.index_path = index();
    return o;
  }

 private:
  std::string dir_;
};

}  // namespace cwtest

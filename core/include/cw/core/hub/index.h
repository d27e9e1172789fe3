// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/result.h"

// The hub index (.index.json, shared/docs/contract/hub.md §2): item type -> item name ->
// {path, stage, version, versions{v: {digest, deprecated}}, author, description, labels,
// references, dependency lists}. Crowdwall adds a `plugins` section keyed by plugin id:
// {id, version, kind, abi, platform, sha256, file, versions, author, description}
// (docs/hub.md). A CrowdSec index is read unchanged.
namespace cw::core::hub {

/// Item types in index order; each is also the folder name in the hub and config dirs.
inline constexpr const char* kItemTypes[] = {"parsers",     "postoverflows", "scenarios",
                                             "collections", "contexts",      "appsec-configs",
                                             "appsec-rules"};

/// The index key of plugin entries.
inline constexpr const char* kPluginsKey = "plugins";

/// True for "parsers" and "postoverflows": their files live under a stage folder.
bool typeHasStage(std::string_view type);

/// True when `type` is one of kItemTypes.
bool isItemType(std::string_view type);

/// Compares dotted versions numerically part by part ("0.10" > "0.9"; "1" == "1.0").
/// Non-numeric parts compare as strings. Returns <0, 0 or >0.
int compareVersions(std::string_view a, std::string_view b);

struct VersionInfo {
  std::string digest;  ///< lowercase hex sha256 of the file bytes
  bool deprecated = false;
};

/// One item of the index (name and type come from the keys).
struct IndexItem {
  std::string type;     ///< "parsers", "scenarios", ...
  std::string name;     ///< "author/name"
  std::string path;     ///< relative to the hub root
  std::string stage;    ///< parsers and postoverflows only
  std::string version;  ///< latest
  std::map<std::string, VersionInfo> versions;
  std::string author;
  std::string description;
  /// Collections only: members by type ("parsers" -> [names], "collections" -> [...]).
  std::map<std::string, std::vector<std::string>> members;

  /// Basename of `path`.
  std::string fileName() const;
  /// Highest version whose digest is `digest`; "" when none is.
  std::string versionOf(std::string_view digest) const;
  /// Digest of the latest version ("" when the versions map lacks it).
  std::string latestDigest() const;
};

/// One plugin build published in the index.
struct PluginEntry {
  std::string id;        ///< "author/name", also the key
  std::string version;   ///< latest
  std::string kind;      ///< acquisition | parser | scenario | bouncer | notification
  std::string abi;       ///< "MAJOR.MINOR" of the plugin C ABI it was built against
  std::string platform;  ///< "<os>-<arch>", e.g. "linux-x86_64"
  std::string sha256;    ///< digest of `file` at `version`
  std::string file;      ///< shared object, relative to the hub root
  std::string author;
  std::string description;
  std::map<std::string, VersionInfo> versions;  ///< known versions (taint detection)

  std::string fileName() const;
  /// Highest version whose digest is `digest` (sha256 included); "" when none is.
  std::string versionOf(std::string_view digest) const;
};

class Index {
 public:
  /// Parses index JSON. Malformed entries are errors naming the entry ("parsers/x: no path").
  static Result<Index> parse(std::string_view json, const std::string& origin);
  /// Reads and parses a file.
  static Result<Index> load(const std::string& path);

  const std::vector<IndexItem>& items() const { return items_; }
  const std::vector<PluginEntry>& plugins() const { return plugins_; }
  const IndexItem* find(std::string_view type, std::string_view name) const;
  const IndexItem* findByPath(std::string_view path) const;
  const PluginEntry* findPlugin(std::string_view id) const;

 private:
  std::vector<IndexItem> items_;
  std::vector<PluginEntry> plugins_;
};

}  // namespace cw::core::hub

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cw/core/common/result.h"

// Hub directories (shared/docs/contract/hub.md sections 1-3): items found on disk, their
// versions from .index.json, and collections resolved to the parsers, post-overflows and
// scenarios they enable. Two layouts are read by the same code, chosen per file by its depth:
//   hub repository:   parsers/<stage>/<author>/<name>.yaml, scenarios/<author>/<name>.yaml
//   installed config: parsers/<stage>/<file>.yaml,          scenarios/<file>.yaml
// In the hub layout the item name is "<author>/<name>" from the path; in the installed layout
// it is the file's top-level `name:` (upstream names local items so), else its relative path.
namespace cw::core::hub {

enum class ItemType { Parser, PostOverflow, Scenario, Collection };

/// "parsers", "postoverflows", "scenarios", "collections": the directory and index key.
const char* itemTypeName(ItemType type);

struct Item {
  ItemType type = ItemType::Parser;
  std::string name;     ///< "author/name"
  std::string stage;    ///< parsers and post-overflows only ("s01-parse")
  std::string path;     ///< the YAML file
  std::string hash;     ///< lowercase hex sha256 of the file bytes
  std::string version;  ///< from .index.json: the version whose digest is `hash`, else "?";
                        ///< "" when the hub has no index (local items)
};

/// What a set of collections enables, each item once, in the order CrowdSec's installed layout
/// would load them: parsers and post-overflows by (stage, file name), scenarios by file name.
struct Selection {
  std::vector<const Item*> parsers;
  std::vector<const Item*> postoverflows;
  std::vector<const Item*> scenarios;
  std::vector<const Item*> collections;  ///< the collections walked, sub-collections included
};

/// The items of one hub directory. Item pointers stay valid for the life of the Hub.
class Hub {
 public:
  /// Scans `dir`. Fails when `dir` is not a directory or .index.json is not valid JSON.
  /// Directories starting with '.' are skipped; only .yaml/.yml files count.
  static Result<Hub> open(const std::string& dir);

  const std::string& dir() const { return dir_; }
  const std::vector<Item>& items() const { return items_; }
  bool hasIndex() const { return has_index_; }
  const Item* find(ItemType type, std::string_view name) const;

  /// Every parser, post-overflow and scenario of the directory.
  Selection all() const;

  /// The items enabled by `collections`, recursively through sub-collections. Every problem
  /// is listed in the error, one per line: unknown collection, "collection <c>: <type> <item>
  /// not found", unreadable or malformed collection file.
  Result<Selection> resolve(const std::vector<std::string>& collections) const;

 private:
  std::string dir_;
  std::vector<Item> items_;
  bool has_index_ = false;
};

/// Where our own hub is when no --hub is given: $CROWDWALL_HUB, else
/// <exe dir>/../share/crowdwall/hub, else the hub/ folder of the source tree that was built.
std::string defaultHubDir();

/// Item names given as "a,b" and/or repeated flags, trimmed, blanks dropped.
std::vector<std::string> splitNameList(const std::vector<std::string>& values);

/// Lowercase hex SHA-256 of a file's bytes; nullopt when it cannot be read.
std::optional<std::string> sha256File(const std::string& path);

/// Lowercase hex SHA-256 of bytes.
std::string sha256Hex(std::string_view bytes);

} // namespace cw::core::hub

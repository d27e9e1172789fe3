// SPDX-License-Identifier: Apache-2.0
#include "cw/core/common/file.h"
#include "cw/core/hub/hub.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <system_error>

#include <openssl/evp.h>
#include <rapidjson/document.h>
#include <yaml-cpp/yaml.h>

namespace cw::core::hub {
namespace {

namespace fs = std::filesystem;

constexpr ItemType kTypes[] = {ItemType::Parser, ItemType::PostOverflow, ItemType::Scenario,
                               ItemType::Collection};

bool hasStage(ItemType type) {
  return type == ItemType::Parser || type == ItemType::PostOverflow;
}

bool isYaml(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".yaml" || ext == ".yml";
}

std::string readFile(const std::string& path, bool& ok) {
  auto text = readWholeFile(path);
  ok = text.has_value();
  return ok ? std::move(*text) : std::string();
}

// The value of a top-level `name:` line, without parsing the YAML: an installed item needs a
// name before anyone knows whether its YAML is valid, and the loaders report YAML errors later
// with file and line.
std::string topLevelName(const std::string& text) {
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) {
      end = text.size();
    }
    std::string_view line(text.data() + pos, end - pos);
    if (line.rfind("name:", 0) == 0) {
      line.remove_prefix(5);
      while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) {
        line.remove_prefix(1);
      }
      while (!line.empty() && (line.back() == ' ' || line.back() == '\r' || line.back() == '\t')) {
        line.remove_suffix(1);
      }
      if (line.size() >= 2 && (line.front() == '"' || line.front() == '\'') &&
          line.back() == line.front()) {
        line = line.substr(1, line.size() - 2);
      }
      return std::string(line);
    }
    if (line == "---" && pos != 0) {
      break;  // first document only
    }
    pos = end + 1;
  }
  return {};
}

// Version whose digest equals `hash` in index[type][name].versions, "?" when none does.
std::string indexVersion(const rapidjson::Document& index, ItemType type, const std::string& name,
                         const std::string& hash) {
  auto t = index.FindMember(itemTypeName(type));
  if (t == index.MemberEnd() || !t->value.IsObject()) {
    return "?";
  }
  auto it = t->value.FindMember(name.c_str());
  if (it == t->value.MemberEnd() || !it->value.IsObject()) {
    return "?";
  }
  auto versions = it->value.FindMember("versions");
  if (versions == it->value.MemberEnd() || !versions->value.IsObject()) {
    return "?";
  }
  for (auto v = versions->value.MemberBegin(); v != versions->value.MemberEnd(); ++v) {
    if (!v->value.IsObject()) {
      continue;
    }
    auto digest = v->value.FindMember("digest");
    if (digest != v->value.MemberEnd() && digest->value.IsString() &&
        hash == digest->value.GetString()) {
      return v->name.GetString();
    }
  }
  return "?";
}

// Version of an installed-layout file that is a link into a hub dir: the hub dir is the
// nearest ancestor of the link target holding .index.json, and the target's path below it
// (<type>/[<stage>/]<author>/<file>) names the item. "" when the file is not such a link.
std::string linkedVersion(const fs::path& link, ItemType type, const std::string& hash,
                          std::map<std::string, std::shared_ptr<rapidjson::Document>>& cache) {
  std::error_code ec;
  if (!fs::is_symlink(link, ec)) {
    return {};
  }
  fs::path target = fs::read_symlink(link, ec);
  if (ec) {
    return {};
  }
  if (target.is_relative()) {
    target = link.parent_path() / target;
  }
  target = target.lexically_normal();
  const std::size_t levels = hasStage(type) ? 4 : 3;  // type, [stage], author, file
  fs::path root = target;
  for (std::size_t i = 0; i < levels; ++i) {
    root = root.parent_path();
  }
  const std::vector<std::string> parts = [&] {
    std::vector<std::string> v;
    for (const auto& part : target.lexically_relative(root)) {
      v.push_back(part.string());
    }
    return v;
  }();
  if (parts.size() != levels || parts[0] != itemTypeName(type)) {
    return {};
  }
  const std::string index_path = (root / ".index.json").string();
  auto it = cache.find(index_path);
  if (it == cache.end()) {
    auto doc = std::make_shared<rapidjson::Document>();
    bool ok = false;
    const std::string text = readFile(index_path, ok);
    doc->Parse(text.c_str(), text.size());
    if (!ok || doc->HasParseError() || !doc->IsObject()) {
      doc.reset();
    }
    it = cache.emplace(index_path, std::move(doc)).first;
  }
  if (!it->second) {
    return {};
  }
  const std::string name = parts[levels - 2] + "/" + fs::path(parts.back()).stem().string();
  return indexVersion(*it->second, type, name, hash);
}

// Sort key reproducing the installed layout's load order: <stage>/<file name>, then the full
// path to keep two authors' same-named files in a stable order.
bool installedOrder(const Item* a, const Item* b) {
  const std::string fa = fs::path(a->path).filename().string();
  const std::string fb = fs::path(b->path).filename().string();
  return std::tie(a->stage, fa, a->path) < std::tie(b->stage, fb, b->path);
}

void sortSelection(Selection& s) {
  std::sort(s.parsers.begin(), s.parsers.end(), installedOrder);
  std::sort(s.postoverflows.begin(), s.postoverflows.end(), installedOrder);
  std::sort(s.scenarios.begin(), s.scenarios.end(), installedOrder);
}

}  // namespace

const char* itemTypeName(ItemType type) {
  switch (type) {
    case ItemType::Parser:
      return "parsers";
    case ItemType::PostOverflow:
      return "postoverflows";
    case ItemType::Scenario:
      return "scenarios";
    case ItemType::Collection:
      return "collections";
  }
  return "?";
}

Result<Hub> Hub::open(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    return makeError(ErrorCode::NotFound, "hub directory " + dir + " not found");
  }

  Hub hub;
  hub.dir_ = dir;

  rapidjson::Document index;
  const std::string index_path = (fs::path(dir) / ".index.json").string();
  if (fs::exists(index_path, ec)) {
    bool ok = false;
    const std::string text = readFile(index_path, ok);
    index.Parse(text.c_str(), text.size());
    if (!ok || index.HasParseError() || !index.IsObject()) {
      return makeError(ErrorCode::Parse, index_path + ": not a valid hub index");
    }
    hub.has_index_ = true;
  }

  // Items that cannot be read are errors, never silently skipped: a hub that loses its
  // scenarios to a permission or a dangling link would otherwise raise no alert, quietly.
  std::vector<std::string> problems;
  std::set<std::pair<int, std::string>> seen;
  std::map<std::string, std::shared_ptr<rapidjson::Document>> linked_indexes;
  for (ItemType type : kTypes) {
    const fs::path root = fs::path(dir) / itemTypeName(type);
    if (fs::is_symlink(root, ec) && !fs::exists(root, ec)) {
      problems.push_back(root.string() + ": broken symbolic link");
      continue;
    }
    if (!fs::is_directory(root, ec)) {
      continue;
    }
    std::vector<fs::path> files;
    std::error_code walk;
    auto it = fs::recursive_directory_iterator(
        root, fs::directory_options::follow_directory_symlink, walk);
    for (; !walk && it != fs::recursive_directory_iterator(); it.increment(walk)) {
      const fs::path& p = it->path();
      if (p.filename().string().front() == '.') {
        if (it->is_directory(ec)) {
          it.disable_recursion_pending();
        }
        continue;
      }
      if (!isYaml(p)) {
        continue;
      }
      if (it->is_regular_file(ec)) {
        files.push_back(p);
      } else if (it->is_symlink(ec)) {
        problems.push_back(p.string() + ": broken symbolic link");
      }
    }
    if (walk) {
      problems.push_back(root.string() + ": cannot read the folder: " + walk.message());
    }
    std::sort(files.begin(), files.end());

    for (const fs::path& p : files) {
      const fs::path rel = p.lexically_relative(root);
      std::vector<std::string> parts;
      for (const auto& part : rel) {
        parts.push_back(part.string());
      }
      // Depth tells the layout apart: a stage level for parsers, then an author level in the
      // hub repository only.
      const std::size_t stage_levels = hasStage(type) ? 1 : 0;
      Item item;
      item.type = type;
      item.path = p.string();
      if (hasStage(type)) {
        item.stage = parts.size() >= 2 ? parts[0] : "";
      }
      bool ok = false;
      const std::string text = readFile(item.path, ok);
      if (!ok) {
        problems.push_back(item.path + ": cannot read the file");
        continue;
      }
      if (parts.size() == stage_levels + 2) {
        item.name = parts[stage_levels] + "/" + p.stem().string();
      } else if (parts.size() == stage_levels + 1) {
        item.name = topLevelName(text);
        if (item.name.empty()) {
          item.name = (rel.parent_path() / p.stem()).generic_string();
        }
      } else {
        continue;  // not an item position in either layout
      }
      item.hash = sha256Hex(text);
      if (hub.has_index_) {
        item.version = indexVersion(index, type, item.name, item.hash);
      } else if (parts.size() == stage_levels + 1) {
        // An enabled link of the installed layout: its version comes from the index of the
        // hub dir it points into (hub.md §3-4), so alerts carry scenario_version.
        item.version = linkedVersion(p, type, item.hash, linked_indexes);
      }
      // .yaml and .yml of the same item, or two installed files declaring one name: first wins.
      if (!seen.emplace(static_cast<int>(type), item.name).second) {
        continue;
      }
      hub.items_.push_back(std::move(item));
    }
  }
  if (!problems.empty()) {
    std::string all;
    for (const std::string& p : problems) {
      all += (all.empty() ? "" : "\n") + p;
    }
    return makeError(ErrorCode::Io, all);
  }
  return hub;
}

const Item* Hub::find(ItemType type, std::string_view name) const {
  for (const Item& item : items_) {
    if (item.type == type && item.name == name) {
      return &item;
    }
  }
  return nullptr;
}

Selection Hub::all() const {
  Selection s;
  for (const Item& item : items_) {
    switch (item.type) {
      case ItemType::Parser:
        s.parsers.push_back(&item);
        break;
      case ItemType::PostOverflow:
        s.postoverflows.push_back(&item);
        break;
      case ItemType::Scenario:
        s.scenarios.push_back(&item);
        break;
      case ItemType::Collection:
        break;
    }
  }
  sortSelection(s);
  return s;
}

Result<Selection> Hub::resolve(const std::vector<std::string>& collections) const {
  Selection s;
  std::vector<std::string> errors;
  std::set<const Item*> taken;
  std::vector<const Item*> todo;

  for (const std::string& name : collections) {
    const Item* c = find(ItemType::Collection, name);
    if (c == nullptr) {
      errors.push_back("collection " + name + " not found in " + dir_);
      continue;
    }
    todo.push_back(c);
  }

  while (!todo.empty()) {
    const Item* c = todo.back();
    todo.pop_back();
    if (!taken.insert(c).second) {
      continue;  // shared sub-collections and cycles are walked once
    }
    s.collections.push_back(c);

    YAML::Node doc;
    try {
      doc = YAML::LoadFile(c->path);
    } catch (const YAML::Exception& e) {
      errors.push_back(c->path + ": line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
      continue;
    }
    if (!doc.IsMap()) {
      errors.push_back(c->path + ": collection is not a YAML mapping");
      continue;
    }
    for (ItemType type : kTypes) {
      const YAML::Node list = doc[itemTypeName(type)];
      if (!list) {
        continue;
      }
      if (!list.IsSequence()) {
        errors.push_back(c->path + ": '" + itemTypeName(type) + "' is not a list");
        continue;
      }
      for (const YAML::Node& entry : list) {
        const std::string dep = entry.IsScalar() ? entry.as<std::string>() : "";
        const Item* item = find(type, dep);
        if (item == nullptr) {
          errors.push_back("collection " + c->name + ": " + itemTypeName(type) + " item " + dep +
                           " not found");
          continue;
        }
        if (type == ItemType::Collection) {
          todo.push_back(item);
          continue;
        }
        if (!taken.insert(item).second) {
          continue;
        }
        if (type == ItemType::Parser) {
          s.parsers.push_back(item);
        } else if (type == ItemType::PostOverflow) {
          s.postoverflows.push_back(item);
        } else {
          s.scenarios.push_back(item);
        }
      }
    }
  }

  if (!errors.empty()) {
    std::string message;
    for (const std::string& e : errors) {
      message += message.empty() ? e : "\n" + e;
    }
    return makeError(ErrorCode::Config, message);
  }
  sortSelection(s);
  std::sort(s.collections.begin(), s.collections.end(),
            [](const Item* a, const Item* b) { return a->name < b->name; });
  return s;
}

std::string sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

std::optional<std::string> sha256File(const std::string& path) {
  bool ok = false;
  const std::string text = readFile(path, ok);
  if (!ok) {
    return std::nullopt;
  }
  return sha256Hex(text);
}

std::string defaultHubDir() {
  namespace fs = std::filesystem;
  if (const char* env = std::getenv("CROWDWALL_HUB"); env != nullptr && *env != '\0') {
    return env;
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path() / ".." / "share" / "crowdwall" / "hub";
    if (fs::is_directory(installed, ec)) {
      return installed.lexically_normal().string();
    }
  }
  return CW_DEFAULT_HUB_DIR;
}

std::vector<std::string> splitNameList(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& v : values) {
    std::size_t pos = 0;
    while (pos <= v.size()) {
      std::size_t comma = v.find(',', pos);
      if (comma == std::string::npos) {
        comma = v.size();
      }
      const std::string part = v.substr(pos, comma - pos);
      const auto first = part.find_first_not_of(" \t");
      const auto last = part.find_last_not_of(" \t");
      if (first != std::string::npos) {
        out.push_back(part.substr(first, last - first + 1));
      }
      pos = comma + 1;
    }
  }
  return out;
}

}  // namespace cw::core::hub

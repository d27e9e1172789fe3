// SPDX-License-Identifier: Apache-2.0
#include "cw/core/common/file.h"
#include "cw/core/hub/index.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace cw::core::hub {
namespace {

std::string baseName(const std::string& path) {
  const auto slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Relative, and no ".." component: a path from an index must stay inside the hub root.
bool safeRelPath(const std::string& path) {
  if (path.empty() || path.front() == '/') {
    return false;
  }
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t end = path.find('/', pos);
    if (end == std::string::npos) {
      end = path.size();
    }
    if (path.compare(pos, end - pos, "..") == 0 && end - pos == 2) {
      return false;
    }
    pos = end + 1;
  }
  return true;
}

std::string stringField(const rapidjson::Value& obj, const char* key) {
  auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || !it->value.IsString()) {
    return {};
  }
  return {it->value.GetString(), it->value.GetStringLength()};
}

// versions: {"1.0": {"digest": "...", "deprecated": false}}
std::string readVersions(const rapidjson::Value& obj, std::map<std::string, VersionInfo>& out) {
  auto it = obj.FindMember("versions");
  if (it == obj.MemberEnd() || it->value.IsNull()) {
    return {};
  }
  if (!it->value.IsObject()) {
    return "versions is not an object";
  }
  for (auto v = it->value.MemberBegin(); v != it->value.MemberEnd(); ++v) {
    if (!v->value.IsObject()) {
      return std::string("version ") + v->name.GetString() + " is not an object";
    }
    VersionInfo info;
    info.digest = stringField(v->value, "digest");
    auto dep = v->value.FindMember("deprecated");
    info.deprecated = dep != v->value.MemberEnd() && dep->value.IsBool() && dep->value.GetBool();
    out[v->name.GetString()] = std::move(info);
  }
  return {};
}

std::string highestWithDigest(const std::map<std::string, VersionInfo>& versions,
                              std::string_view digest) {
  std::string best;
  for (const auto& [v, info] : versions) {
    if (!digest.empty() && info.digest == digest &&
        (best.empty() || compareVersions(v, best) > 0)) {
      best = v;
    }
  }
  return best;
}

}  // namespace

bool typeHasStage(std::string_view type) { return type == "parsers" || type == "postoverflows"; }

bool isItemType(std::string_view type) {
  return std::find(std::begin(kItemTypes), std::end(kItemTypes), type) != std::end(kItemTypes);
}

int compareVersions(std::string_view a, std::string_view b) {
  std::size_t i = 0;
  std::size_t j = 0;
  while (i < a.size() || j < b.size()) {
    std::size_t ie = a.find('.', i);
    std::size_t je = b.find('.', j);
    if (ie == std::string_view::npos) ie = a.size();
    if (je == std::string_view::npos) je = b.size();
    const std::string_view pa = i < a.size() ? a.substr(i, ie - i) : std::string_view("0");
    const std::string_view pb = j < b.size() ? b.substr(j, je - j) : std::string_view("0");
    const bool na = !pa.empty() && std::all_of(pa.begin(), pa.end(), ::isdigit);
    const bool nb = !pb.empty() && std::all_of(pb.begin(), pb.end(), ::isdigit);
    if (na && nb) {
      // Compare digit strings without overflow: strip leading zeros, then length, then text.
      std::string_view sa = pa.substr(std::min(pa.find_first_not_of('0'), pa.size()));
      std::string_view sb = pb.substr(std::min(pb.find_first_not_of('0'), pb.size()));
      if (sa.size() != sb.size()) {
        return sa.size() < sb.size() ? -1 : 1;
      }
      if (int c = sa.compare(sb); c != 0) {
        return c < 0 ? -1 : 1;
      }
    } else if (int c = pa.compare(pb); c != 0) {
      return c < 0 ? -1 : 1;
    }
    i = ie + 1;
    j = je + 1;
  }
  return 0;
}

std::string IndexItem::fileName() const { return baseName(path); }

std::string IndexItem::versionOf(std::string_view digest) const {
  return highestWithDigest(versions, digest);
}

std::string IndexItem::latestDigest() const {
  auto it = versions.find(version);
  return it == versions.end() ? std::string() : it->second.digest;
}

std::string PluginEntry::fileName() const { return baseName(file); }

std::string PluginEntry::versionOf(std::string_view digest) const {
  if (!digest.empty() && digest == sha256) {
    return version;
  }
  return highestWithDigest(versions, digest);
}

Result<Index> Index::parse(std::string_view json, const std::string& origin) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return makeError(ErrorCode::Parse, origin + ": not valid JSON at offset " +
                                           std::to_string(doc.GetErrorOffset()) + ": " +
                                           rapidjson::GetParseError_En(doc.GetParseError()));
  }
  if (!doc.IsObject()) {
    return makeError(ErrorCode::Parse, origin + ": the index is not a JSON object");
  }
  Index index;
  std::vector<std::string> problems;
  for (const char* type : kItemTypes) {
    auto t = doc.FindMember(type);
    if (t == doc.MemberEnd() || t->value.IsNull()) {
      continue;
    }
    if (!t->value.IsObject()) {
      problems.push_back(std::string(type) + " is not an object");
      continue;
    }
    for (auto m = t->value.MemberBegin(); m != t->value.MemberEnd(); ++m) {
      const std::string where = std::string(type) + "/" + m->name.GetString();
      if (!m->value.IsObject()) {
        problems.push_back(where + ": not an object");
        continue;
      }
      IndexItem item;
      item.type = type;
      item.name = m->name.GetString();
      item.path = stringField(m->value, "path");
      item.stage = stringField(m->value, "stage");
      item.version = stringField(m->value, "version");
      item.author = stringField(m->value, "author");
      item.description = stringField(m->value, "description");
      if (std::string e = readVersions(m->value, item.versions); !e.empty()) {
        problems.push_back(where + ": " + e);
        continue;
      }
      // A path that leaves the hub root would let an index write anywhere.
      if (!safeRelPath(item.path)) {
        problems.push_back(where + ": missing or unsafe path '" + item.path + "'");
        continue;
      }
      if (typeHasStage(item.type) && item.stage.empty()) {
        // Older indexes omit the stage; it is the folder after the type.
        const auto a = item.path.find('/');
        const auto b = a == std::string::npos ? a : item.path.find('/', a + 1);
        if (b != std::string::npos) {
          item.stage = item.path.substr(a + 1, b - a - 1);
        }
      }
      if (item.type == "collections") {
        for (const char* dep : kItemTypes) {
          auto d = m->value.FindMember(dep);
          if (d == m->value.MemberEnd() || !d->value.IsArray()) {
            continue;
          }
          auto& list = item.members[dep];
          for (const auto& v : d->value.GetArray()) {
            if (v.IsString()) {
              list.emplace_back(v.GetString(), v.GetStringLength());
            }
          }
        }
      }
      index.items_.push_back(std::move(item));
    }
  }
  auto p = doc.FindMember(kPluginsKey);
  if (p != doc.MemberEnd() && !p->value.IsNull()) {
    if (!p->value.IsObject()) {
      problems.push_back("plugins is not an object");
    } else {
      for (auto m = p->value.MemberBegin(); m != p->value.MemberEnd(); ++m) {
        const std::string where = std::string("plugins/") + m->name.GetString();
        if (!m->value.IsObject()) {
          problems.push_back(where + ": not an object");
          continue;
        }
        PluginEntry e;
        e.id = stringField(m->value, "id");
        if (e.id.empty()) {
          e.id = m->name.GetString();
        }
        e.version = stringField(m->value, "version");
        e.kind = stringField(m->value, "kind");
        e.abi = stringField(m->value, "abi");
        e.platform = stringField(m->value, "platform");
        e.sha256 = stringField(m->value, "sha256");
        e.file = stringField(m->value, "file");
        e.author = stringField(m->value, "author");
        e.description = stringField(m->value, "description");
        if (std::string err = readVersions(m->value, e.versions); !err.empty()) {
          problems.push_back(where + ": " + err);
          continue;
        }
        std::string missing;
        for (const auto& [key, value] :
             {std::pair<const char*, const std::string*>{"version", &e.version},
              {"kind", &e.kind},
              {"abi", &e.abi},
              {"platform", &e.platform},
              {"sha256", &e.sha256},
              {"file", &e.file}}) {
          if (value->empty()) {
            missing += missing.empty() ? key : std::string(", ") + key;
          }
        }
        if (!missing.empty()) {
          problems.push_back(where + ": missing " + missing);
          continue;
        }
        if (!safeRelPath(e.file)) {
          problems.push_back(where + ": unsafe file '" + e.file + "'");
          continue;
        }
        index.plugins_.push_back(std::move(e));
      }
    }
  }
  if (!problems.empty()) {
    std::string all = origin + ": invalid hub index:";
    for (const std::string& s : problems) {
      all += "\n  " + s;
    }
    return makeError(ErrorCode::Parse, all);
  }
  return index;
}

Result<Index> Index::load(const std::string& path) {
  const auto text = readWholeFile(path);
  if (!text) {
    return makeError(ErrorCode::NotFound, path + ": cannot read the hub index");
  }
  return parse(*text, path);
}

const IndexItem* Index::find(std::string_view type, std::string_view name) const {
  for (const IndexItem& item : items_) {
    if (item.type == type && item.name == name) {
      return &item;
    }
  }
  return nullptr;
}

const IndexItem* Index::findByPath(std::string_view path) const {
  for (const IndexItem& item : items_) {
    if (item.path == path) {
      return &item;
    }
  }
  return nullptr;
}

const PluginEntry* Index::findPlugin(std::string_view id) const {
  for (const PluginEntry& e : plugins_) {
    if (e.id == id) {
      return &e;
    }
  }
  return nullptr;
}

}  // namespace cw::core::hub

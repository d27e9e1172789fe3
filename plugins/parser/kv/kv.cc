// SPDX-License-Identifier: Apache-2.0
// crowdwall/kv: a parser plugin decoding `key=value` pairs (firewall, proxy and appliance logs:
// `action=deny src=192.0.2.7 msg="bad login"`) into evt.Enriched. A parser node names it with
// `plugin:`; see docs/plugins.md. Configuration (the node's `plugin.config`):
//
//   apply_on: Line.Raw     # or the evt.Parsed key to decode (default Line.Raw)
//   separator: "="         # between key and value (default "=")
//   prefix: ""             # prepended to every key written (default none)
//   keys: [src, action]    # only these keys are written (default every key)
//   required: [src]        # the step fails unless these keys are all present
//
// Pairs are separated by spaces or tabs; a value starting with `"` runs to the next `"` (no
// escapes). A token without the separator is skipped. The step fails (the node fails) when no
// pair was written or a required key is missing. Nothing is allocated per event once the
// key buffer has grown.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "cw/sdk/plugin.h"

namespace cw::plugins::parser::kv {
namespace {

bool isSpace(char c) { return c == ' ' || c == '\t'; }

class KvParser : public cw::sdk::Parser {
 public:
  static std::unique_ptr<KvParser> create(std::string_view yaml, cw::sdk::Errors& errors) {
    auto p = std::make_unique<KvParser>();
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
      errors.push_back("invalid YAML at line " + std::to_string(e.mark.line + 1) + ": " + e.msg);
      return nullptr;
    }
    if (!root.IsNull() && !root.IsMap()) {
      errors.push_back("the configuration must be a mapping");
      return nullptr;
    }
    auto text = [&](const char* key, std::string& out) {
      const YAML::Node n = root[key];
      if (!n) {
        return;
      }
      if (!n.IsScalar()) {
        errors.push_back(std::string(key) + " must be a string");
        return;
      }
      out = n.Scalar();
    };
    auto list = [&](const char* key, std::vector<std::string>& out) {
      const YAML::Node n = root[key];
      if (!n) {
        return;
      }
      if (!n.IsSequence()) {
        errors.push_back(std::string(key) + " must be a list of keys");
        return;
      }
      if (n.size() == 0) {  // "only these keys: none" would write nothing, ever
        errors.push_back(std::string(key) + " is empty: leave it out, or list keys");
        return;
      }
      for (const YAML::Node& item : n) {
        if (!item.IsScalar() || item.Scalar().empty()) {
          errors.push_back(std::string(key) + " must be a list of keys");
          return;
        }
        out.push_back(item.Scalar());
      }
    };
    if (root.IsMap()) {
      for (const auto& kv : root) {
        const std::string key = kv.first.Scalar();
        if (key != "apply_on" && key != "separator" && key != "prefix" && key != "keys" &&
            key != "required") {
          errors.push_back("unknown key '" + key + "'");
        }
      }
    }
    text("apply_on", p->apply_on_);
    text("separator", p->separator_);
    text("prefix", p->prefix_);
    list("keys", p->keys_);
    list("required", p->required_);
    p->on_raw_ = p->apply_on_.empty() || p->apply_on_ == "Line.Raw";
    if (p->apply_on_.empty()) {
      p->apply_on_ = "Line.Raw";
    }
    if (p->separator_.empty()) {
      errors.push_back("separator must not be empty");
    } else if (std::any_of(p->separator_.begin(), p->separator_.end(), isSpace)) {
      errors.push_back("separator must not contain spaces or tabs");
    }
    for (const std::string& r : p->required_) {
      if (!p->keys_.empty() && std::find(p->keys_.begin(), p->keys_.end(), r) == p->keys_.end()) {
        errors.push_back("required key '" + r + "' is not in keys");
      }
    }
    if (!errors.empty()) {
      return nullptr;
    }
    p->found_.assign(p->required_.size(), 0);
    return p;
  }

  bool process(const cw::sdk::EventView& event, cw::sdk::EventWriter& out) override {
    std::string_view text;
    if (on_raw_) {
      text = event.raw();
    } else {
      const cw_kv* kv = event.findParsed(apply_on_);
      if (kv == nullptr) {
        return false;
      }
      text = cw::sdk::fromC(kv->value);
    }
    std::fill(found_.begin(), found_.end(), 0);
    std::size_t written = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
      while (pos < text.size() && isSpace(text[pos])) {
        ++pos;
      }
      const std::size_t start = pos;
      std::size_t sep = std::string_view::npos;
      while (pos < text.size() && !isSpace(text[pos])) {
        if (text.compare(pos, separator_.size(), separator_) == 0) {
          sep = pos;
          break;
        }
        ++pos;
      }
      if (sep == std::string_view::npos || sep == start) {
        // Not a pair (or `=value`): skip the rest of the token.
        while (pos < text.size() && !isSpace(text[pos])) {
          ++pos;
        }
        continue;
      }
      const std::string_view key = text.substr(start, sep - start);
      pos = sep + separator_.size();
      std::string_view value;
      if (pos < text.size() && text[pos] == '"') {
        const std::size_t close = text.find('"', pos + 1);
        const std::size_t end = close == std::string_view::npos ? text.size() : close;
        value = text.substr(pos + 1, end - pos - 1);
        pos = close == std::string_view::npos ? text.size() : close + 1;
      } else {
        const std::size_t begin = pos;
        while (pos < text.size() && !isSpace(text[pos])) {
          ++pos;
        }
        value = text.substr(begin, pos - begin);
      }
      if (!keys_.empty() && std::find(keys_.begin(), keys_.end(), key) == keys_.end()) {
        continue;
      }
      for (std::size_t i = 0; i < required_.size(); ++i) {
        if (required_[i] == key) {
          found_[i] = 1;
        }
      }
      key_buf_.assign(prefix_);
      key_buf_.append(key);
      out.set(key_buf_, value);
      ++written;
    }
    return written > 0 && std::all_of(found_.begin(), found_.end(), [](char f) { return f != 0; });
  }

 private:
  std::string apply_on_;
  bool on_raw_ = true;  // apply_on is Line.Raw: decided once, not compared per event
  std::string separator_ = "=";
  std::string prefix_;
  std::vector<std::string> keys_;
  std::vector<std::string> required_;
  std::vector<char> found_;  // per required key, reset for each event
  std::string key_buf_;      // prefix + key, reused (the host never calls us concurrently)
};

}  // namespace
}  // namespace cw::plugins::parser::kv

CW_PARSER_PLUGIN(cw::plugins::parser::kv::KvParser, "crowdwall/kv", "0.1")

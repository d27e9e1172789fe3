// SPDX-License-Identifier: Apache-2.0
// crowdwall/distinct: a scenario plugin that overflows when a group has seen `count` distinct
// values of a Meta key within `window` (e.g. one address trying 5 user names in 10 minutes,
// or probing 20 ports in a minute). Keys of `config:`:
//   meta: target_user   (required) the Meta key whose values are counted
//   count: 5            (required, 2..100000) distinct values that make the group overflow
//   window: 10m         (required) a value counts while it was last seen within this window
//                       (ms, s, m, h; event time, so replays behave as live runs)
// An event without the Meta key (or with an empty value) is ignored (not an error).
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cw/sdk/plugin.h"

namespace {

constexpr long long kMaxCount = 100000;

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class Distinct : public cw::sdk::Scenario {
 public:
  static std::unique_ptr<Distinct> create(std::string_view yaml, cw::sdk::Errors& errors) {
    YAML::Node root;
    try {
      root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
      errors.push_back(std::string("config: ") + e.msg);
      return nullptr;
    }
    if (!root.IsMap()) {
      errors.push_back("config: a mapping with meta, count and window is required");
      return nullptr;
    }
    auto d = std::make_unique<Distinct>();
    bool has_meta = false;
    bool has_count = false;
    bool has_window = false;
    for (const auto& kv : root) {
      const std::string key = kv.first.Scalar();
      const YAML::Node& v = kv.second;
      if (key == "meta") {
        has_meta = true;
        if (!v.IsScalar() || v.Scalar().empty()) {
          errors.push_back("config.meta: expected a Meta key name");
        } else {
          d->meta_ = v.Scalar();
        }
      } else if (key == "count") {
        has_count = true;
        long long n = 0;
        if (!v.IsScalar() || !YAML::convert<long long>::decode(v, n) || n < 2 || n > kMaxCount) {
          errors.push_back("config.count: expected an integer from 2 to 100000, got '" +
                           (v.IsScalar() ? v.Scalar() : std::string("not a scalar")) + "'");
        } else {
          d->count_ = static_cast<std::size_t>(n);
        }
      } else if (key == "window") {
        has_window = true;
        auto w = v.IsScalar() ? cw::sdk::parseDuration(v.Scalar()) : std::nullopt;
        if (!w || w->count() <= 0) {
          errors.push_back("config.window: expected a duration such as 90s, 10m or 1h, got '" +
                           (v.IsScalar() ? v.Scalar() : std::string("not a scalar")) + "'");
        } else {
          d->window_ns_ = w->count();
        }
      } else {
        errors.push_back("config: unknown key '" + key + "' (expected meta, count, window)");
      }
    }
    if (!has_meta) {
      errors.push_back("config.meta is required");
    }
    if (!has_count) {
      errors.push_back("config.count is required");
    }
    if (!has_window) {
      errors.push_back("config.window is required");
    }
    return errors.empty() ? std::move(d) : nullptr;
  }

  bool pour(const cw::sdk::EventView& event) override {
    const std::string_view value = event.meta(meta_);
    if (value.empty()) {
      return false;
    }
    const std::int64_t now = event.timeNs();
    // Forget values not seen within the window (each value's latest sighting is in `order_`).
    while (!order_.empty() && order_.front().first <= now - window_ns_) {
      auto it = last_seen_.find(std::string_view(order_.front().second));
      if (it != last_seen_.end() && it->second == order_.front().first) {
        last_seen_.erase(it);
      }
      order_.pop_front();
    }
    auto it = last_seen_.find(value);
    if (it != last_seen_.end()) {
      it->second = now;
    } else {
      last_seen_.emplace(std::string(value), now);
    }
    order_.emplace_back(now, std::string(value));
    // Repeats of a value keep one entry per sighting: bounded, the oldest sighting goes first.
    if (order_.size() > 4 * kMaxCount) {
      auto old = last_seen_.find(std::string_view(order_.front().second));
      if (old != last_seen_.end() && old->second == order_.front().first) {
        last_seen_.erase(old);
      }
      order_.pop_front();
    }
    return last_seen_.size() >= count_;
  }

 private:
  std::string meta_;
  std::size_t count_ = 0;
  std::int64_t window_ns_ = 0;
  std::unordered_map<std::string, std::int64_t, StringHash, std::equal_to<>> last_seen_;
  std::deque<std::pair<std::int64_t, std::string>> order_;
};

}  // namespace

CW_SCENARIO_PLUGIN(Distinct, "crowdwall/distinct", "0.1")

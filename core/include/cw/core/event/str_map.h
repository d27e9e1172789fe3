// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace cw::core::event {

/// The string -> string maps of an Event (Parsed, Meta, Enriched, Labels).
///
/// Events hold a handful of keys, so a flat vector with linear look-up beats a tree or a hash
/// table. clear() keeps the slots and their string capacity, so an Event reused for the next
/// line fills its maps without allocating once the strings have grown to size.
/// Entries keep insertion order; sortedKeys() gives the order alerts and dumps use.
class StrMap {
 public:
  struct Entry {
    std::string key;
    std::string value;
  };

  /// The value under `key`, or "" when absent (CrowdSec's zero value for string maps).
  std::string_view get(std::string_view key) const {
    const Entry* e = find(key);
    return e ? std::string_view(e->value) : std::string_view();
  }

  const Entry* find(std::string_view key) const {
    for (std::size_t i = 0; i < size_; ++i) {
      if (entries_[i].key == key) {
        return &entries_[i];
      }
    }
    return nullptr;
  }

  bool contains(std::string_view key) const { return find(key) != nullptr; }

  /// Inserts or overwrites.
  void set(std::string_view key, std::string_view value) {
    for (std::size_t i = 0; i < size_; ++i) {
      if (entries_[i].key == key) {
        entries_[i].value.assign(value);
        return;
      }
    }
    if (size_ == entries_.size()) {
      entries_.emplace_back();
    }
    Entry& e = entries_[size_++];
    e.key.assign(key);
    e.value.assign(value);
  }

  bool erase(std::string_view key) {
    for (std::size_t i = 0; i < size_; ++i) {
      if (entries_[i].key == key) {
        // Keep order: rotate the erased slot to the end so its capacity is reused later.
        for (std::size_t j = i; j + 1 < size_; ++j) {
          std::swap(entries_[j], entries_[j + 1]);
        }
        --size_;
        return true;
      }
    }
    return false;
  }

  void clear() { size_ = 0; }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }

  const Entry* begin() const { return entries_.data(); }
  const Entry* end() const { return entries_.data() + size_; }

  /// Keys in byte order (alert event meta and dumps are sorted by key).
  std::vector<std::string_view> sortedKeys() const;

  friend bool operator==(const StrMap& a, const StrMap& b);

 private:
  std::vector<Entry> entries_;
  std::size_t size_ = 0;
};

} // namespace cw::core::event

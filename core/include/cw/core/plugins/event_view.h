// SPDX-License-Identifier: Apache-2.0
// The view of an event that parser and scenario plugins get (cw_event_view of the SDK's ABI).
#pragma once

#include <vector>

#include "cw/core/event/event.h"
#include "cw/sdk/abi.h"

namespace cw::core::plugins {

/// Fills `view` for `e`: Line.Raw, Parsed, Meta and evt.Time, all borrowed from `e` (the view is
/// valid while `e` is unchanged). `parsed` and `meta` hold the key/value arrays; the caller keeps
/// them across events, so a steady flow of events allocates nothing. `group` is left empty: a
/// scenario sets it, and may set time_ns to its buckets' time.
inline void fillEventView(const event::Event& e, std::vector<cw_kv>& parsed,
                          std::vector<cw_kv>& meta, cw_event_view& view) {
  auto pairs = [](const event::StrMap& map, std::vector<cw_kv>& out) {
    out.clear();
    for (const auto& entry : map) {
      out.push_back(cw_kv{cw_str{entry.key.data(), entry.key.size()},
                          cw_str{entry.value.data(), entry.value.size()}});
    }
  };
  pairs(e.parsed, parsed);
  pairs(e.meta, meta);
  view = cw_event_view{};
  view.struct_size = sizeof(cw_event_view);
  view.raw = cw_str{e.line.raw.data(), e.line.raw.size()};
  view.parsed = parsed.data();
  view.parsed_count = parsed.size();
  view.meta = meta.data();
  view.meta_count = meta.size();
  view.time_ns = e.time.unix_nanos;
}

}  // namespace cw::core::plugins

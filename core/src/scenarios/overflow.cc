// SPDX-License-Identifier: Apache-2.0
// Overflow -> OVFLW event: sources (scenarios.md section 6) and API alerts (section 11).
#include <arpa/inet.h>

#include <array>
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

#include "cw/core/expr/bindings.h"
#include "cw/core/common/ip.h"
#include "internal.h"

namespace cw::core::scenarios::detail {
namespace {

bool validIp(std::string_view s) {
  if (s.empty() || s.size() > 64) {
    return false;
  }
  std::array<unsigned char, 16> buf{};
  return inetPton(AF_INET, s, buf.data()) || inetPton(AF_INET6, s, buf.data());
}

/// "10.1.2.3/16" -> "10.1.0.0/16" (the network, as Go's ParseCIDR gives it).
std::optional<std::string> networkOf(std::string_view cidr) {
  std::size_t slash = cidr.find('/');
  if (slash == std::string_view::npos || slash + 1 >= cidr.size() || cidr.size() > 64) {
    return std::nullopt;
  }
  std::string addr(cidr.substr(0, slash));
  std::string_view bits_text = cidr.substr(slash + 1);
  int bits = 0;
  for (char c : bits_text) {
    if (c < '0' || c > '9' || bits > 200) {
      return std::nullopt;
    }
    bits = bits * 10 + (c - '0');
  }
  std::array<unsigned char, 16> buf{};
  int family = AF_INET;
  int width = 32;
  if (!inetPton(AF_INET, addr, buf.data())) {
    if (!inetPton(AF_INET6, addr, buf.data())) {
      return std::nullopt;
    }
    family = AF_INET6;
    width = 128;
  }
  if (bits > width) {
    return std::nullopt;
  }
  for (int i = 0; i < width / 8; ++i) {
    int keep = bits - 8 * i;
    if (keep >= 8) {
      continue;
    }
    buf[i] &= keep <= 0 ? 0 : static_cast<unsigned char>(0xFF << (8 - keep));
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  if (inet_ntop(family, buf.data(), text.data(), text.size()) == nullptr) {
    return std::nullopt;
  }
  return std::string(text.data()) + "/" + std::to_string(bits);
}

float parseFloat32(std::string_view s) {
  std::string text(s);
  char* end = nullptr;
  float v = std::strtof(text.c_str(), &end);
  if (end == text.c_str()) {
    spdlog::warn("Bad coordinate value={}", text);
    return 0;
  }
  return v;
}

/// Runs the scope expression on `evt`: the string result, "" when not a string.
bool scopeValue(const Scenario& s, event::Event& evt, std::string& out, std::string& error) {
  Value vars[] = {expr::eventValue(evt)};
  auto r = s.scope_expression->run(vars);
  if (!r.ok()) {
    error = "while running scope expression: " + r.error().message;
    return false;
  }
  out = r.value().isString() ? std::string(r.value().asString()) : std::string();
  return true;
}

bool overflowSources(const Scenario& s, event::Event& evt,
                     std::map<std::string, event::Source>& out, std::string& error) {
  for (const auto& [key, src] : evt.overflow.sources) {
    if (src.scope == s.scope_type) {
      out[key] = src;
      continue;
    }
    if (s.scope_type != "Range" || src.scope != "Ip") {
      spdlog::warn("Scenario {} needs scope {}, cannot derive it from {} {}", s.name,
                   s.scope_type, src.scope, src.value);
      continue;
    }
    event::Source range = src;
    range.scope = "Range";
    range.value = src.range;
    if (s.scope_expression) {
      if (!scopeValue(s, evt, range.value, error)) {
        return false;
      }
    }
    if (range.value.empty()) {
      spdlog::warn("Scenario {} needs scope Range but source {} has no range", s.name,
                   src.value);
      continue;
    }
    std::string k = range.value;
    out[k] = std::move(range);
  }
  return true;
}

} // namespace

bool sourcesFromEvent(const Scenario& s, event::Event& evt,
                      std::map<std::string, event::Source>& sources, std::string& error) {
  if (evt.type == event::EventType::Overflow) {
    return overflowSources(s, evt, sources, error);
  }
  event::Source src;
  src.scope = s.scope_type;
  if (s.scope_type == "Ip" || s.scope_type == "Range") {
    const auto* ip = evt.meta.find("source_ip");
    if (ip == nullptr) {
      error = "scope is " + s.scope_type + " but Meta[source_ip] doesn't exist";
      return false;
    }
    if (!validIp(ip->value)) {
      error = "scope is " + s.scope_type + " but '" + ip->value + "' isn't a valid ip";
      return false;
    }
    src.ip = ip->value;
    if (const auto* e = evt.enriched.find("ASNumber")) {
      src.as_number = e->value;
    } else if (const auto* e2 = evt.enriched.find("ASNNumber")) {
      src.as_number = e2->value;
    }
    if (const auto* e = evt.enriched.find("IsoCode")) {
      src.cn = e->value;
    }
    if (const auto* e = evt.enriched.find("ASNOrg")) {
      src.as_name = e->value;
    }
    if (const auto* e = evt.enriched.find("Latitude")) {
      src.latitude = parseFloat32(e->value);
    }
    if (const auto* e = evt.enriched.find("Longitude")) {
      src.longitude = parseFloat32(e->value);
    }
    std::string_view declared = evt.meta.get("SourceRange");
    if (!declared.empty()) {
      auto net = networkOf(declared);
      if (!net) {
        error = "declared range " + std::string(declared) + " of " + src.ip + " can't be parsed";
        return false;
      }
      src.range = *net;
    }
    if (s.scope_type == "Ip") {
      src.value = src.ip;
    } else if (s.scope_expression) {
      if (!scopeValue(s, evt, src.value, error)) {
        return false;
      }
    } else {
      src.value = src.range;
    }
  } else {
    // Other scopes: the loader guarantees an expression.
    if (!scopeValue(s, evt, src.value, error)) {
      return false;
    }
  }
  std::string key = src.value;
  sources[key] = std::move(src);
  return true;
}

bool buildOverflow(Bucket& b, event::Event& out, std::string& error) {
  const Scenario& s = *b.scenario;
  std::map<std::string, event::Source> sources;
  std::string scope;
  for (const auto& queued : b.queue) {
    event::Event& e = *queued;
    std::map<std::string, event::Source> srcs;
    if (!sourcesFromEvent(s, e, srcs, error)) {
      error = "while extracting scope from bucket " + s.name + ": " + error;
      return false;
    }
    for (auto& [k, src] : srcs) {
      if (scope.empty()) {
        scope = src.scope;
      }
      if (src.scope != scope) {
        error = "event has multiple source types: " + src.scope + " != " + scope;
        return false;
      }
      sources[k] = std::move(src);
    }
  }
  if (sources.empty()) {
    error = "no source for overflow of " + s.name;
    return false;
  }

  event::Alert alert;
  alert.scenario = s.name;
  alert.scenario_hash = s.hash;
  alert.scenario_version = s.version;
  alert.capacity = s.capacity;
  alert.leakspeed = formatGoDuration(s.leakspeed);
  alert.events_count = static_cast<std::int32_t>(b.total_count);
  alert.start_at = formatRfc3339Nano(b.first_ts);
  alert.stop_at = formatRfc3339Nano(b.ovflw_ts);
  alert.simulated = s.simulated;
  alert.remediation = s.remediation;
  alert.labels = s.labels;
  std::string source_text = sources.size() > 1 ? std::to_string(sources.size()) + " sources"
                                               : sources.begin()->first;
  alert.message = scope + " " + source_text + " performed '" + s.name + "' (" +
                  std::to_string(b.total_count) + " events over " +
                  formatGoDuration(b.ovflw_ts.unix_nanos - b.first_ts.unix_nanos) + ") at " +
                  formatGoDefault(b.last_ts);
  for (const auto& queued : b.queue) {
    const event::Event& e = *queued;
    // Reprocessed overflows carry no Meta (nil upstream): they add no alert event.
    if (e.type == event::EventType::Overflow && e.meta.empty()) {
      continue;
    }
    event::AlertEvent ae;
    for (std::string_view k : e.meta.sortedKeys()) {
      ae.meta.emplace_back(std::string(k), std::string(e.meta.get(k)));
    }
    if (!e.marshaled_time.empty()) {
      ae.timestamp = e.marshaled_time;
    } else if (!e.time.isZero()) {
      ae.timestamp = formatRfc3339Nano(e.time);
    }
    alert.events.push_back(std::move(ae));
  }
  // TODO(scenarios): alert-level console context (`meta`) is empty; contexts/*.yaml loading is
  // not wired yet; unblocked when the hub loader hands the configured context keys over.

  out.type = event::EventType::Overflow;
  out.expect_mode = b.mode;
  out.time = b.ovflw_ts;
  out.marshaled_time = formatRfc3339Nano(b.ovflw_ts);
  event::Overflow& o = out.overflow;
  o.mapkey = b.mapkey;
  o.bucket_id = b.uuid;
  o.reprocess = s.reprocess;
  o.scenario = s.name;
  o.first_ts = b.first_ts;
  o.last_ts = b.last_ts;
  for (const auto& [k, src] : sources) {
    event::Alert copy = alert;
    copy.source = src;
    o.api_alerts.push_back(std::move(copy));
  }
  o.sources = std::move(sources);
  return true;
}

} // namespace cw::core::scenarios::detail

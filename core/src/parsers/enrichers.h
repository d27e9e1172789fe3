// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <maxminddb.h>

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "cw/core/event/event.h"
#include "node.h"

namespace cw::core::expr {
class Services;
}

// The `method:` enrichers of statics (parsers.md section 9). Each writes its outputs straight
// into evt.Enriched (no intermediate map) and never fails the node: a bad input or a missing
// database gives no output.
namespace cw::core::parsers::detail {

class Enrichers {
 public:
  explicit Enrichers(const expr::Services* services) : services_(services) {}
  ~Enrichers();
  Enrichers(const Enrichers&) = delete;
  Enrichers& operator=(const Enrichers&) = delete;

  /// Opens GeoLite2-City.mmdb and GeoLite2-ASN.mmdb of `dir`; absent files only warn.
  void openGeoIp(const std::string& dir);

  /// Runs `method` with `input`. Returns false when the method reported an error (counted by
  /// the caller); "no data" is not an error.
  bool run(Method method, std::string_view input, event::Event& evt) const;

 private:
  bool parseDate(std::string_view input, event::Event& evt) const;
  bool geoIpCity(std::string_view input, event::Event& evt) const;
  bool geoIpAsn(std::string_view input, event::Event& evt) const;
  bool ipToRange(std::string_view input, event::Event& evt) const;
  bool reverseDns(std::string_view input, event::Event& evt) const;
  bool unmarshalJson(event::Event& evt) const;

  const expr::Services* services_;
  MMDB_s city_{};
  MMDB_s asn_{};
  bool city_open_ = false;
  bool asn_open_ = false;
};

} // namespace cw::core::parsers::detail

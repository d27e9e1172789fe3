// SPDX-License-Identifier: Apache-2.0
#include "enrichers.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <cstdio>
#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "cw/core/common/dns.h"
#include "cw/core/common/time.h"
#include "cw/core/expr/json.h"
#include "cw/core/expr/services.h"
#include "ip_match.h"

namespace cw::core::parsers::detail {

namespace {

/// NUL-terminated copy of a short text into a stack buffer; false when it does not fit.
template <std::size_t N>
bool toCString(std::string_view s, char (&buf)[N]) {
  if (s.size() >= N) {
    return false;
  }
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  return true;
}

bool lookup(const MMDB_s& db, std::string_view ip_text, MMDB_lookup_result_s& out) {
  IpAddr ip;
  char buf[64];
  if (!parseIp(ip_text, ip) || !toCString(ip_text, buf)) {
    return false;
  }
  int gai_error = 0;
  int mmdb_error = MMDB_SUCCESS;
  out = MMDB_lookup_string(const_cast<MMDB_s*>(&db), buf, &gai_error, &mmdb_error);
  return gai_error == 0 && mmdb_error == MMDB_SUCCESS && out.found_entry;
}

bool getString(MMDB_lookup_result_s& r, std::string_view& out, const char* a, const char* b) {
  MMDB_entry_data_s data;
  if (MMDB_get_value(&r.entry, &data, a, b, nullptr) != MMDB_SUCCESS || !data.has_data ||
      data.type != MMDB_DATA_TYPE_UTF8_STRING) {
    return false;
  }
  out = std::string_view(data.utf8_string, data.data_size);
  return true;
}

bool getBool(MMDB_lookup_result_s& r, const char* a, const char* b) {
  MMDB_entry_data_s data;
  return MMDB_get_value(&r.entry, &data, a, b, nullptr) == MMDB_SUCCESS && data.has_data &&
         data.type == MMDB_DATA_TYPE_BOOLEAN && data.boolean;
}

double getDouble(MMDB_lookup_result_s& r, const char* a, const char* b) {
  MMDB_entry_data_s data;
  if (MMDB_get_value(&r.entry, &data, a, b, nullptr) != MMDB_SUCCESS || !data.has_data) {
    return 0;
  }
  if (data.type == MMDB_DATA_TYPE_DOUBLE) {
    return data.double_value;
  }
  if (data.type == MMDB_DATA_TYPE_FLOAT) {
    return data.float_value;
  }
  return 0;
}

void setFloat(event::StrMap& m, std::string_view key, double v) {
  char buf[64];
  const int n = std::snprintf(buf, sizeof(buf), "%f", v);
  m.set(key, std::string_view(buf, n > 0 ? static_cast<std::size_t>(n) : 0));
}


} // namespace

Enrichers::~Enrichers() {
  if (city_open_) {
    MMDB_close(&city_);
  }
  if (asn_open_) {
    MMDB_close(&asn_);
  }
}

void Enrichers::openGeoIp(const std::string& dir) {
  auto open = [](const std::filesystem::path& path, MMDB_s& db) {
    if (!std::filesystem::exists(path)) {
      spdlog::warn("GeoIP database missing, enrichment off path={}", path.string());
      return false;
    }
    const int status = MMDB_open(path.c_str(), MMDB_MODE_MMAP, &db);
    if (status != MMDB_SUCCESS) {
      spdlog::warn("GeoIP database unreadable, enrichment off path={} error={}", path.string(),
                   MMDB_strerror(status));
      return false;
    }
    return true;
  };
  if (!city_open_) {
    city_open_ = open(std::filesystem::path(dir) / "GeoLite2-City.mmdb", city_);
  }
  if (!asn_open_) {
    asn_open_ = open(std::filesystem::path(dir) / "GeoLite2-ASN.mmdb", asn_);
  }
}

bool Enrichers::run(Method method, std::string_view input, event::Event& evt) const {
  switch (method) {
    case Method::ParseDate:
      return parseDate(input, evt);
    case Method::GeoIpCity:
      return geoIpCity(input, evt);
    case Method::GeoIpAsn:
      return geoIpAsn(input, evt);
    case Method::IpToRange:
      return ipToRange(input, evt);
    case Method::ReverseDns:
      return reverseDns(input, evt);
    case Method::UnmarshalJson:
      return unmarshalJson(evt);
    case Method::None:
    case Method::Unknown:
      return true;
  }
  return true;
}

bool Enrichers::parseDate(std::string_view input, event::Event& evt) const {
  const int year = services_ ? services_->currentYear() : 0;
  if (!input.empty()) {
    if (auto t = cw::core::parseDate(input, evt.str_time_format, year)) {
      evt.enriched.set("MarshaledTime", formatRfc3339Nano(*t));
      // In replay the log's own time drives the buckets; live, the event keeps "now".
      if (evt.expect_mode == event::ExpectMode::TimeMachine) {
        evt.time = *t;
      }
      return true;
    }
  }
  const TimePoint now = services_ ? services_->now() : nowUtc();
  evt.enriched.set("MarshaledTime", formatRfc3339Nano(TimePoint::fromUnixNanos(now.unix_nanos)));
  return true;
}

bool Enrichers::geoIpCity(std::string_view input, event::Event& evt) const {
  MMDB_lookup_result_s r;
  if (!city_open_ || !lookup(city_, input, r)) {
    return true;
  }
  std::string_view iso;
  bool in_eu = false;
  if (getString(r, iso, "country", "iso_code") && !iso.empty()) {
    in_eu = getBool(r, "country", "is_in_european_union");
  } else if (getString(r, iso, "registered_country", "iso_code") && !iso.empty()) {
    in_eu = getBool(r, "registered_country", "is_in_european_union");
  } else if (getString(r, iso, "represented_country", "iso_code") && !iso.empty()) {
    // Upstream reads the EU flag of `country` here, not of the represented country.
    in_eu = getBool(r, "country", "is_in_european_union");
  } else {
    iso = {};
  }
  evt.enriched.set("IsoCode", iso);
  evt.enriched.set("IsInEU", in_eu ? "true" : "false");
  setFloat(evt.enriched, "Latitude", getDouble(r, "location", "latitude"));
  setFloat(evt.enriched, "Longitude", getDouble(r, "location", "longitude"));
  return true;
}

bool Enrichers::geoIpAsn(std::string_view input, event::Event& evt) const {
  MMDB_lookup_result_s r;
  if (!asn_open_ || !lookup(asn_, input, r)) {
    return true;
  }
  MMDB_entry_data_s data;
  std::uint64_t number = 0;
  if (MMDB_get_value(&r.entry, &data, "autonomous_system_number", nullptr) == MMDB_SUCCESS &&
      data.has_data) {
    if (data.type == MMDB_DATA_TYPE_UINT32) {
      number = data.uint32;
    } else if (data.type == MMDB_DATA_TYPE_UINT16) {
      number = data.uint16;
    } else if (data.type == MMDB_DATA_TYPE_UINT64) {
      number = data.uint64;
    }
  }
  char buf[32];
  const int n = std::snprintf(buf, sizeof(buf), "%llu", static_cast<unsigned long long>(number));
  const std::string_view num(buf, static_cast<std::size_t>(n));
  std::string_view org;
  if (MMDB_get_value(&r.entry, &data, "autonomous_system_organization", nullptr) ==
          MMDB_SUCCESS &&
      data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING) {
    org = std::string_view(data.utf8_string, data.data_size);
  }
  evt.enriched.set("ASNNumber", num);
  evt.enriched.set("ASNumber", num);
  evt.enriched.set("ASNOrg", org);
  return true;
}

bool Enrichers::ipToRange(std::string_view input, event::Event& evt) const {
  MMDB_lookup_result_s r;
  IpAddr ip;
  if (!asn_open_ || !parseIp(input, ip) || !lookup(asn_, input, r)) {
    return true;
  }
  int bits = r.netmask;
  if (!ip.v6 && asn_.metadata.ip_version == 6) {
    bits -= 96;  // IPv4 lives under ::/96 of an IPv6 tree
  }
  if (bits < 0) {
    return true;
  }
  const Cidr net = makeCidr(ip, bits);
  char addr[INET6_ADDRSTRLEN];
  inet_ntop(net.network.v6 ? AF_INET6 : AF_INET, net.network.bytes.data(), addr, sizeof(addr));
  char text[INET6_ADDRSTRLEN + 8];
  std::snprintf(text, sizeof(text), "%s/%d", addr, net.bits);
  evt.enriched.set("SourceRange", text);
  return true;
}

bool Enrichers::reverseDns(std::string_view input, event::Event& evt) const {
  IpAddr ip;
  if (!parseIp(input, ip)) {
    return true;
  }
  // Cached and time-limited: a dead resolver must not stall the pipeline.
  const std::string name = dns::reverse(input);
  if (!name.empty()) {
    evt.enriched.set("reverse_dns", name);
  }
  return true;
}

bool Enrichers::unmarshalJson(event::Event& evt) const {
  Value doc;
  std::string error;
  if (!expr::parseJson(evt.line.raw, doc, error) || doc.kind() != Value::Kind::Map) {
    return false;
  }
  // Go's json.Unmarshal into the existing map adds and overwrites top-level keys.
  for (auto& [k, v] : doc.asMap()) {
    evt.unmarshaled[k] = std::move(v);
  }
  return true;
}

} // namespace cw::core::parsers::detail

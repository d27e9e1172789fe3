// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cw/core/common/time.h"

// The records the Local API keeps (shared/docs/contract/lapi.md section 4): machines (agents
// and cwcli), bouncers (remediation components), alerts with their events, meta and decisions.
// Plain data: no JSON here, the LAPI renders and parses the wire format. Every time is a
// TimePoint in UTC; a TimePoint with zero == true means "never" / "not set".
namespace cw::core::store {

/// Scope names after normalisation (lapi.md section 4).
inline constexpr const char* kScopeIp = "Ip";
inline constexpr const char* kScopeRange = "Range";
inline constexpr const char* kScopeAs = "AS";
inline constexpr const char* kScopeCountry = "Country";

/// Decision origins (lapi.md section 4).
inline constexpr const char* kOriginCrowdsec = "crowdsec";
inline constexpr const char* kOriginCscli = "cscli";
inline constexpr const char* kOriginCscliImport = "cscli-import";
inline constexpr const char* kOriginConsole = "console";
inline constexpr const char* kOriginCapi = "CAPI";
inline constexpr const char* kOriginLists = "lists";

/// `ip`->`Ip`, `range`->`Range`, `as`->`AS`, `country`->`Country` (ASCII case-insensitive);
/// any other scope is returned unchanged.
std::string normalizeScope(const std::string& scope);

/// An agent or cwcli identity (`POST /v1/watchers`, `cwcli machines add`).
struct Machine {
  std::int64_t id = 0;                 ///< row id, set by the store
  std::string machine_id;              ///< unique login name
  std::string password_hash;           ///< bcrypt hash (see passwords.h); empty for TLS machines
  std::string ip_address;              ///< last client address seen
  std::string version;                 ///< from the User-Agent, text after '/'
  bool is_validated = false;           ///< only validated machines may log in
  std::string scenarios;               ///< comma-joined scenario names sent at login
  std::string auth_type = "password";  ///< "password" or "tls"
  TimePoint last_push;                 ///< last POST /v1/alerts (zero = never)
  TimePoint last_heartbeat;            ///< last GET /v1/heartbeat (zero = never)
  TimePoint created_at;                ///< set by the store when zero
  TimePoint updated_at;                ///< set by the store on every change
};

/// A remediation component identity (`cwcli bouncers add`).
struct Bouncer {
  std::int64_t id = 0;                ///< row id, set by the store
  std::string name;                   ///< unique
  std::string api_key_hash;           ///< lowercase hex SHA-512 of the key (see passwords.h)
  std::string ip_address;             ///< first client address seen ("" until the first request)
  std::string type;                   ///< from the User-Agent, text before '/'
  std::string version;                ///< from the User-Agent, text after '/' ("N/A" when none)
  TimePoint last_pull;                ///< last successful decisions pull (zero = never)
  std::string auth_type = "api-key";  ///< "api-key" or "tls"
  bool revoked = false;
  TimePoint created_at;  ///< set by the store when zero
  TimePoint updated_at;  ///< set by the store on every change
};

/// One `{"key": ..., "value": ...}` pair (alert meta, event meta).
struct MetaItem {
  std::string key;
  std::string value;

  friend bool operator==(const MetaItem&, const MetaItem&) = default;
};

/// Where an alert comes from (lapi.md section 4, Source).
struct Source {
  std::string scope;  ///< normalised scope ("Ip", "Range", ...)
  std::string value;
  std::string ip;
  std::string range;
  std::string as_number;
  std::string as_name;
  std::string cn;
  double latitude = 0;
  double longitude = 0;

  friend bool operator==(const Source&, const Source&) = default;
};

/// One event carried by an alert.
struct Event {
  TimePoint timestamp;
  std::vector<MetaItem> meta;

  friend bool operator==(const Event&, const Event&) = default;
};

/// A remediation order. The remaining `duration` of the wire format is `until - now`; the store
/// keeps the absolute expiry only.
struct Decision {
  std::int64_t id = 0;   ///< row id, set by the store
  std::string uuid;      ///< set by the store when empty (random v4 UUID)
  std::string origin;    ///< kOrigin* or any other text
  std::string type;      ///< "ban", "captcha", ...
  std::string scope;     ///< normalised scope
  std::string value;     ///< address, CIDR range, AS number, country code, ...
  std::string scenario;  ///< scenario name or reason
  TimePoint until;       ///< expiry; the decision is active while until >= now
  bool simulated = false;
  TimePoint created_at;       ///< set by the store to the alert's created_at when zero
  std::int64_t alert_id = 0;  ///< owning alert, set by the store
};

/// An alert as stored, with its events, meta and decisions.
struct Alert {
  std::int64_t id = 0;     ///< row id, set by the store
  std::string uuid;        ///< set by the store when empty (random v4 UUID)
  std::string machine_id;  ///< the machine that pushed it ("" for cwcli-made alerts)
  TimePoint created_at;    ///< set by the store (insert time) when zero
  std::string scenario;
  std::string scenario_hash;
  std::string scenario_version;
  std::string message;
  std::int32_t events_count = 0;
  TimePoint start_at;
  TimePoint stop_at;
  std::int32_t capacity = 0;
  std::string leakspeed;  ///< Go duration string as sent ("10s")
  bool simulated = false;
  bool remediation = false;
  std::string kind;  ///< "crowdsec", "cscli", "capi", ...; "" when the sender gave none
  Source source;
  std::vector<Event> events;   ///< in the order sent
  std::vector<MetaItem> meta;  ///< in the order sent
  std::vector<std::string> labels;
  std::vector<Decision> decisions;  ///< ordered by id
};

}  // namespace cw::core::store

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <httplib.h>
#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <string>

#include "../store/backends.h"
#include "cw/core/config/config.h"
#include "cw/core/lapi/json_models.h"
#include "cw/core/lapi/jwt.h"
#include "cw/core/lapi/server.h"
#include "cw/core/store/passwords.h"

// An in-process LAPI on an ephemeral port over a real store, and a real HTTP client.
namespace cw::test {

inline const std::string kSecret(64, 'k');
inline const char* kAgentUa = "crowdsec/v1.4.6-6~deb12u1+b1-linux-debian";
inline const char* kBouncerUa = "crowdsec-firewall-bouncer/v0.0.31";

class Lapi {
 public:
  Lapi(core::store::Store& store, const std::function<void(core::config::Config&)>& tweak = {},
       const core::decisions::Profiles* profiles = nullptr,
       core::notifications::Dispatcher* notifications = nullptr)
      : store_(store) {
    core::config::Config cfg;
    cfg.server.listen_uri = "127.0.0.1:0";
    if (tweak) {
      tweak(cfg);
    }
    core::lapi::ServerOptions opts;
    opts.jwt_secret = kSecret;
    opts.threads = 4;
    opts.notifications = notifications;
    auto s = core::lapi::Server::create(cfg, store, profiles, opts);
    REQUIRE(s.ok());
    server_ = std::move(*s);
    auto started = server_->start();
    REQUIRE(started.ok());
    if (server_->port() != 0) {
      client_ = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
      client_->set_read_timeout(20, 0);
    }
  }

  core::lapi::Server& server() { return *server_; }
  httplib::Client& client() { return *client_; }

  httplib::Headers agent(const std::string& token) const {
    return {{"User-Agent", kAgentUa}, {"Authorization", "Bearer " + token}};
  }
  httplib::Headers bouncer(const std::string& key) const {
    return {{"User-Agent", kBouncerUa}, {"X-Api-Key", key}};
  }

  /// Logs `id` in; REQUIREs a 200 and returns the token.
  std::string login(const std::string& id, const std::string& password) {
    auto r = client_->Post("/v1/watchers/login", {{"User-Agent", kAgentUa}},
                           R"({"machine_id":")" + id + R"(","password":")" + password +
                               R"(","scenarios":["crowdsecurity/ssh-bf"]})",
                           "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    rapidjson::Document d;
    d.Parse(r->body.c_str());
    REQUIRE(d.IsObject());
    return d["token"].GetString();
  }

 private:
  core::store::Store& store_;
  std::unique_ptr<core::lapi::Server> server_;
  std::unique_ptr<httplib::Client> client_;
};

inline void addMachine(core::store::Store& store, const std::string& id,
                       const std::string& password, bool validated = true) {
  core::store::Machine m;
  m.machine_id = id;
  m.password_hash = *core::store::hashPassword(password);
  m.is_validated = validated;
  REQUIRE(store.createMachine(m).ok());
}

inline void addBouncer(core::store::Store& store, const std::string& name, const std::string& key) {
  core::store::Bouncer b;
  b.name = name;
  b.api_key_hash = core::store::hashApiKey(key);
  REQUIRE(store.createBouncer(b).ok());
}

inline std::string rfc3339(core::TimePoint t) { return core::lapi::formatRfc3339(t); }

inline core::TimePoint secondsFromNow(std::int64_t s) {
  const auto now = core::nowUtc();
  return core::TimePoint::fromUnixNanos((now.unix_nanos / core::kSecond + s) * core::kSecond);
}

/// One alert as cscli sends it for `cscli decisions add`: carries its decision.
inline std::string cscliAlert(const std::string& value, const std::string& scope = "Ip",
                              const std::string& type = "ban", const std::string& duration = "1h",
                              const std::string& stop_at = "",
                              const std::string& scenario = "manual test",
                              const std::string& origin = "cscli") {
  const std::string t = stop_at.empty() ? rfc3339(secondsFromNow(0)) : stop_at;
  return R"({"capacity":0,"decisions":[{"duration":")" + duration + R"(","origin":")" + origin +
         R"(","scenario":")" + scenario + R"(","scope":")" + scope + R"(","type":")" + type +
         R"(","value":")" + value + R"("}],"events":[],"events_count":1,"leakspeed":"0",)" +
         R"("message":")" + scenario + R"(","remediation":true,"scenario":")" + scenario +
         R"(","scenario_hash":"","scenario_version":"","simulated":false,"source":{"ip":")" +
         value + R"(","scope":")" + scope + R"(","value":")" + value + R"("},"start_at":")" + t +
         R"(","stop_at":")" + t + R"("})";
}

/// One alert as the agent sends it: no decisions (the LAPI's profiles make them).
inline std::string agentAlert(const std::string& ip, const std::string& scenario,
                              const std::string& at) {
  return R"({"capacity":5,"decisions":null,"events":[{"meta":[{"key":"source_ip","value":")" + ip +
         R"("},{"key":"user","value":"root"}],"timestamp":")" + at +
         R"("}],"events_count":6,"labels":null,"leakspeed":"10s","message":"Ip )" + ip +
         R"( performed ')" + scenario +
         R"x(' (6 events over 5s)","remediation":true,"scenario":")x" + scenario +
         R"(","scenario_hash":"abc","scenario_version":"0.1","simulated":false,)" +
         R"("source":{"ip":")" + ip + R"(","scope":"Ip","value":")" + ip + R"("},"start_at":")" +
         at + R"(","stop_at":")" + at + R"("})";
}

inline rapidjson::Document parseJson(const std::string& body) {
  rapidjson::Document d;
  d.Parse(body.c_str(), body.size());
  REQUIRE_FALSE(d.HasParseError());
  return d;
}

}  // namespace cw::test

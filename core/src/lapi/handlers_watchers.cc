// SPDX-License-Identifier: Apache-2.0
// Machines: registration, login (JWT), token refresh, self-deletion, heartbeat; /health.
#include <openssl/crypto.h>
#include <rapidjson/document.h>

#include <algorithm>

#include "cw/core/lapi/json_models.h"
#include "cw/core/store/passwords.h"
#include "lapi_internal.h"
#include "server_impl.h"

namespace cw::core::lapi {
namespace {

// A string member; nullopt when absent or null. Sets *type_error for another JSON type.
std::optional<std::string> stringMember(const rapidjson::Value& obj, const char* key,
                                        std::string* type_error, const char* go_field) {
  const auto it = obj.FindMember(key);
  if (it == obj.MemberEnd() || it->value.IsNull()) {
    return std::nullopt;
  }
  if (!it->value.IsString()) {
    if (type_error->empty()) {
      *type_error = std::string("json: cannot unmarshal ") +
                    (it->value.IsNumber()  ? "number"
                     : it->value.IsBool()  ? "bool"
                     : it->value.IsArray() ? "array"
                                           : "object") +
                    " into Go struct field " + go_field + " of type string";
    }
    return std::nullopt;
  }
  std::string out(it->value.GetString(), it->value.GetStringLength());
  if (out.find('\0') != std::string::npos) {
    if (type_error->empty()) {
      *type_error = std::string("json: NUL character in Go struct field ") + go_field;
    }
    return std::nullopt;
  }
  return out;
}

bool constantTimeEquals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

void Server::Impl::health(Call& call) { reply(call, 200, R"({"status":"up"})"); }

std::string Server::Impl::tokenAnswer(const std::string& machine_id, TimePoint now) {
  JwtClaims claims;
  claims.id = machine_id;
  claims.orig_iat = now.unix_nanos / kSecond;
  claims.exp = claims.orig_iat + options.jwt_lifetime_s;
  const std::string token = jwt.sign(claims);
  return "{\"code\":200,\"expire\":\"" +
         formatRfc3339(TimePoint::fromUnixNanos(claims.exp * kSecond)) + "\",\"token\":\"" + token +
         "\"}";
}

void Server::Impl::registerWatcher(Call& call) {
  const auto& s = config.server;
  const bool local = call.from_socket || call.client_ip == "127.0.0.1" || call.client_ip == "::1";
  if (s.disable_remote_lapi_registration && !local) {
    bump(counters.auth_failures);
    message(call, 403, "access forbidden");
    return;
  }
  rapidjson::Document doc;
  if (const std::string err = parseObjectBody(doc, call.body, "models.WatcherRegistrationRequest");
      !err.empty()) {
    bump(counters.bad_bodies);
    message(call, 400, err);
    return;
  }
  std::string type_error;
  const auto machine_id =
      stringMember(doc, "machine_id", &type_error, "WatcherRegistrationRequest.machine_id");
  const auto password =
      stringMember(doc, "password", &type_error, "WatcherRegistrationRequest.password");
  const auto token = stringMember(doc, "registration_token", &type_error,
                                  "WatcherRegistrationRequest.registration_token");
  if (!type_error.empty()) {
    bump(counters.bad_bodies);
    message(call, 400, type_error);
    return;
  }
  std::string missing;
  if (!machine_id) {
    missing += "\nmachine_id in body is required";
  }
  if (!password) {
    missing += "\npassword in body is required";
  }
  if (!missing.empty()) {
    bump(counters.bad_bodies);
    message(call, 422, "validation failure list:" + missing);
    return;
  }

  bool auto_validated = false;
  if (token && !token->empty() && s.auto_registration_enabled) {
    if (!constantTimeEquals(*token, s.auto_registration_token)) {
      bump(counters.auth_failures);
      message(call, 401, "invalid registration token");
      return;
    }
    if (!call.from_socket && !ipInRanges(call.client_ip, auto_registration_ranges)) {
      bump(counters.auth_failures);
      message(call, 401, "IP not allowed for auto registration");
      return;
    }
    auto_validated = true;
  }

  auto hash = store::hashPassword(*password);
  if (!hash) {
    message(call, 500, hash.error().message);
    return;
  }
  store::Machine m;
  m.machine_id = *machine_id;
  m.password_hash = *hash;
  m.ip_address = call.client_ip;
  m.is_validated = auto_validated;
  m.auth_type = "password";
  auto created = store.createMachine(m);
  if (!created) {
    if (created.error().code == ErrorCode::Invalid) {
      message(call, 403, created.error().message);
    } else {
      storeFailure(call, created.error());
    }
    return;
  }
  logger()->info("Machine registered id={} ip={} validated={}", *machine_id, call.client_ip,
                 auto_validated);
  reply(call, auto_validated ? 202 : 201, "");
}

void Server::Impl::login(Call& call) {
  const auto fail = [&](std::string_view why) { jwtFailure(call, 401, why); };
  const auto [ua_type, ua_version] = splitUserAgent(call.req.get_header_value("User-Agent"));
  const std::string ua = call.req.get_header_value("User-Agent");
  const bool ua_ok = std::count(ua.begin(), ua.end(), '/') == 1;

  // Client certificate from an allowed OU: the machine "<CN>@<ip>", created on first use.
  if (auto cert = peerCertificate(call.req)) {
    bool allowed = false;
    for (const auto& ou : cert->ous) {
      for (const auto& a : config.server.tls.agents_allowed_ou) {
        allowed = allowed || ou == a;
      }
    }
    if (!allowed) {
      fail("access forbidden");
      return;
    }
    const std::string id = cert->cn + "@" + call.client_ip;
    auto existing = store.getMachine(id);
    if (!existing) {
      storeFailure(call, existing.error());
      return;
    }
    if (!existing->has_value()) {
      store::Machine m;
      m.machine_id = id;
      m.ip_address = call.client_ip;
      m.is_validated = true;
      m.auth_type = "tls";
      m.version = ua_version;
      if (auto created = store.createMachine(m); !created) {
        storeFailure(call, created.error());
        return;
      }
    } else if ((*existing)->auth_type != "tls") {
      fail("machine " + id + " attempted to auth with TLS cert but it is configured to use " +
           (*existing)->auth_type);
      return;
    }
    auto up = store.updateMachineLogin(id, existing->has_value() ? (*existing)->scenarios : "",
                                       call.client_ip, ua_version, call.now);
    if (!up) {
      storeFailure(call, up.error());
      return;
    }
    reply(call, 200, tokenAnswer(id, call.now));
    return;
  }

  rapidjson::Document doc;
  if (const std::string err = parseObjectBody(doc, call.body, "models.WatcherAuthRequest");
      !err.empty()) {
    bump(counters.bad_bodies);
    fail("missing: " + err);
    return;
  }
  std::string type_error;
  const auto machine_id =
      stringMember(doc, "machine_id", &type_error, "WatcherAuthRequest.machine_id");
  const auto password = stringMember(doc, "password", &type_error, "WatcherAuthRequest.password");
  std::string scenarios;
  bool has_scenarios = false;
  if (const auto it = doc.FindMember("scenarios"); it != doc.MemberEnd() && !it->value.IsNull()) {
    if (!it->value.IsArray()) {
      if (type_error.empty()) {
        type_error = std::string("json: cannot unmarshal ") + goKind(it->value) +
                     " into Go struct field WatcherAuthRequest.scenarios of type []string";
      }
    } else {
      for (const auto& v : it->value.GetArray()) {
        if (!v.IsString()) {
          if (type_error.empty()) {
            type_error = std::string("json: cannot unmarshal ") + goKind(v) +
                         " into Go struct field WatcherAuthRequest.scenarios of type string";
          }
          break;
        }
        if (has_scenarios) {
          scenarios.push_back(',');
        }
        scenarios.append(v.GetString(), v.GetStringLength());
        has_scenarios = true;
      }
    }
  }
  if (!type_error.empty()) {
    bump(counters.bad_bodies);
    fail("missing: " + type_error);
    return;
  }
  if (!machine_id || !password) {
    bump(counters.bad_bodies);
    fail("input format error");
    return;
  }
  auto found = store.getMachine(*machine_id);
  if (!found) {
    storeFailure(call, found.error());
    return;
  }
  if (!found->has_value()) {
    fail("ent: machine not found");
    return;
  }
  const store::Machine& m = **found;
  if (m.auth_type != "password") {
    fail("machine " + m.machine_id +
         " attempted to auth with password but it is configured to use " + m.auth_type);
    return;
  }
  if (!m.is_validated) {
    fail("machine " + m.machine_id + " not validated");
    return;
  }
  if (!store::verifyPassword(*password, m.password_hash)) {
    fail("incorrect Username or Password");
    return;
  }
  if (!ua_ok) {
    fail("incorrect Username or Password");
    return;
  }
  auto up = store.updateMachineLogin(m.machine_id, has_scenarios ? scenarios : m.scenarios,
                                     call.client_ip, ua_version, call.now);
  if (!up) {
    storeFailure(call, up.error());
    return;
  }
  reply(call, 200, tokenAnswer(m.machine_id, call.now));
}

void Server::Impl::refreshToken(Call& call) {
  const std::string token = extractToken(call);
  if (token.empty()) {
    jwtFailure(call, 401, "cookie token is empty");
    return;
  }
  JwtError err = JwtError::Malformed;
  const std::int64_t now_s = call.now.unix_nanos / kSecond;
  auto claims = jwt.verify(token, now_s, &err, /*allow_expired=*/true);
  if (!claims) {
    jwtFailure(call, 401, jwtErrorMessage(err));
    return;
  }
  // Renewable while the last login (or refresh) is younger than the token lifetime.
  if (claims->orig_iat < now_s - options.jwt_lifetime_s) {
    jwtFailure(call, 401, jwtErrorMessage(JwtError::Expired));
    return;
  }
  auto machine = store.getMachine(claims->id);
  if (!machine) {
    storeFailure(call, machine.error());
    return;
  }
  if (!machine->has_value()) {
    jwtFailure(call, 401, "ent: machine not found");
    return;
  }
  reply(call, 200, tokenAnswer(claims->id, call.now));
}

void Server::Impl::deleteSelf(Call& call) {
  auto deleted = store.deleteMachine(call.machine_id);
  if (!deleted) {
    storeFailure(call, deleted.error());
    return;
  }
  reply(call, 204, "");
}

void Server::Impl::heartbeat(Call& call) {
  auto up = store.updateMachineHeartbeat(call.machine_id, call.now);
  if (!up) {
    storeFailure(call, up.error());
    return;
  }
  reply(call, 200, "");
}

}  // namespace cw::core::lapi

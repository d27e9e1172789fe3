// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cw/core/lapi/jwt.h"
#include "cw/core/lapi/server.h"
#include "cw/core/store/store.h"

// The server's internals, shared by server.cc and the handlers_*.cc files.
namespace cw::core::lapi {

inline constexpr std::size_t kUnauthenticatedBodyLimit = 2u << 20;  // 2 MiB
inline constexpr std::size_t kAuthenticatedBodyLimit = 50u << 20;   // 50 MiB
/// Bodies from this size on are followed by malloc_trim (server.cc).
inline constexpr std::size_t kTrimAfterBody = 64u << 10;
inline constexpr const char* kJsonContentType = "application/json; charset=utf-8";

/// How a route authenticates its caller.
enum class AuthKind { None, Jwt, ApiKey, JwtOrApiKey };

/// Identity of a TLS client certificate (verified against the CA).
struct PeerCert {
  std::string cn;
  std::vector<std::string> ous;
};

/// One request being served.
struct Call {
  Call(const httplib::Request& request, httplib::Response& response)
      : req(request), res(response) {}

  const httplib::Request& req;
  httplib::Response& res;
  const httplib::ContentReader* reader = nullptr;  ///< POST/DELETE/PUT/PATCH only
  bool from_socket = false;                        ///< came over the unix socket
  std::string client_ip;                           ///< "" for the unix socket
  TimePoint now;                                   ///< request start
  std::vector<std::string> params;                 ///< path parameters in order
  std::string body;                                ///< read when the route takes one
  std::string machine_id;                          ///< set by JWT authentication
  std::optional<store::Bouncer> bouncer;           ///< set by API-key/TLS authentication
  bool head = false;                               ///< HEAD request

  /// Query parameters (repeated names: first value kept by the filters).
  store::QueryParams query() const;
};

using HandlerFn = void (Server::Impl::*)(Call&);

struct Route {
  std::string method;                 ///< GET (also serves HEAD when head_ok), POST, DELETE
  std::vector<std::string> segments;  ///< "{}" matches one segment
  AuthKind auth = AuthKind::None;
  bool reads_body = false;
  bool head_ok = false;
  HandlerFn fn = nullptr;
};

struct Counters {
  std::atomic<std::uint64_t> requests{0}, status_2xx{0}, status_4xx{0}, status_5xx{0}, not_found{0},
      bad_method{0}, auth_failures{0}, bodies_too_large{0}, bad_bodies{0}, alerts_received{0},
      decisions_created{0}, stream_pulls{0}, usage_metrics{0}, notified_alerts{0};
};

struct Server::Impl {
  config::Config config;
  store::Store& store;
  const decisions::Profiles* profiles = nullptr;
  ServerOptions options;
  JwtCodec jwt;
  std::vector<store::IpRange> trusted_ips;
  std::vector<store::IpRange> trusted_proxies;
  std::vector<store::IpRange> auto_registration_ranges;
  std::vector<Route> routes;
  Counters counters;

  std::unique_ptr<httplib::Server> tcp;
  std::unique_ptr<httplib::Server> unix_server;
  std::thread tcp_thread;
  std::thread unix_thread;
  int port = 0;
  bool tls = false;
  std::mutex lifecycle;
  bool started = false;

  Impl(const config::Config& cfg, store::Store& st, const decisions::Profiles* pr,
       ServerOptions opts, std::string secret);

  // server.cc
  void buildRoutes();
  void install(httplib::Server& server, bool from_socket);
  void dispatch(const httplib::Request& req, httplib::Response& res,
                const httplib::ContentReader* reader, bool from_socket);
  std::string extractToken(const Call& call) const;  ///< Bearer, ?token=, cookie jwt
  bool authenticateJwt(Call& call);
  bool authenticateApiKey(Call& call);
  bool authenticateTlsBouncer(Call& call, const PeerCert& cert);
  bool readBody(Call& call, std::size_t limit);
  void drainBody(Call& call, std::size_t limit);  ///< reads and drops; closes when over limit
  bool isTrusted(const Call& call) const;
  std::string clientIp(const httplib::Request& req, bool from_socket) const;
  Result<bool> setupTls(httplib::Server*& out);

  // Responses.
  void reply(Call& call, int status, std::string body);
  void message(Call& call, int status, std::string_view text);
  void jwtFailure(Call& call, int status, std::string_view text);
  void storeFailure(Call& call, const Error& e);

  // handlers_watchers.cc
  void health(Call& call);
  void registerWatcher(Call& call);
  void login(Call& call);
  void refreshToken(Call& call);
  void deleteSelf(Call& call);
  void heartbeat(Call& call);
  std::string tokenAnswer(const std::string& machine_id, TimePoint now);

  // handlers_alerts.cc
  void postAlerts(Call& call);
  void getAlerts(Call& call);
  void deleteAlerts(Call& call);
  void getAlert(Call& call);
  void deleteAlert(Call& call);

  // handlers_decisions.cc
  void getDecisions(Call& call);
  void deleteDecisions(Call& call);
  void deleteDecision(Call& call);
  void streamDecisions(Call& call);

  // handlers_misc.cc
  void usageMetrics(Call& call);
  void listAllowlists(Call& call);
  void getAllowlist(Call& call);
  void checkAllowlist(Call& call);
  void checkAllowlistBulk(Call& call);
};

/// The "core.lapi" logger.
std::shared_ptr<spdlog::logger> logger();

inline void bump(std::atomic<std::uint64_t>& c) { c.fetch_add(1, std::memory_order_relaxed); }

/// The peer certificate of a TLS request, when there is one and it verified.
std::optional<PeerCert> peerCertificate(const httplib::Request& req);

/// True when `ip` (text) lies in one of `ranges`.
bool ipInRanges(const std::string& ip, const std::vector<store::IpRange>& ranges);

/// Splits a User-Agent at '/': {type, version}; "N/A" version without '/'.
std::pair<std::string, std::string> splitUserAgent(const std::string& ua);

}  // namespace cw::core::lapi

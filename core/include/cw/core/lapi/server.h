// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "cw/core/common/result.h"
#include "cw/core/config/config.h"
#include "cw/core/store/store.h"

namespace cw::core::decisions {
class Profiles;
}
namespace cw::core::notifications {
class Dispatcher;
}

// The Local API server (shared/docs/contract/lapi.md §1-13), CrowdSec-compatible: machines
// (agents, cwcli) log in for a JWT and push alerts; bouncers pull decisions with an API key.
// Served by cpp-httplib on its thread pool, on `api.server.listen_uri` (TCP, optionally TLS)
// and/or `api.server.listen_socket` (unix socket).
namespace cw::core::lapi {

/// What the server has seen since start(). Read with Server::counters().
struct ServerCounters {
  std::uint64_t requests = 0;  ///< every request routed (health included)
  std::uint64_t status_2xx = 0;
  std::uint64_t status_4xx = 0;
  std::uint64_t status_5xx = 0;
  std::uint64_t not_found = 0;          ///< unknown routes (404)
  std::uint64_t bad_method = 0;         ///< known route, wrong method (405)
  std::uint64_t auth_failures = 0;      ///< 401 and 403 answers
  std::uint64_t bodies_too_large = 0;   ///< 413: over 2 MiB unauthenticated / 50 MiB otherwise
  std::uint64_t bad_bodies = 0;         ///< malformed JSON or failed validation
  std::uint64_t alerts_received = 0;    ///< alerts accepted by POST /v1/alerts
  std::uint64_t decisions_created = 0;  ///< decisions stored with those alerts
  std::uint64_t stream_pulls = 0;       ///< successful GET /v1/decisions/stream
  std::uint64_t usage_metrics = 0;      ///< accepted POST /v1/usage-metrics
  std::uint64_t notified_alerts = 0;    ///< accepted alerts handed to the notifications
};

/// Tunables beyond config.yaml (tests use them; the daemon keeps the defaults).
struct ServerOptions {
  int threads = 16;  ///< worker threads (one per open keep-alive connection)
  /// JWT signing secret; empty = $CS_LAPI_SECRET (>= 64 bytes) or 64 random bytes.
  std::string jwt_secret;
  std::int64_t jwt_lifetime_s = 3600;  ///< token lifetime and refresh window
  /// Where accepted alerts go for the notifications their matching profiles name (the daemon
  /// sets it when profiles name some); null = no notification. Must outlive the Server.
  notifications::Dispatcher* notifications = nullptr;
};

/// The LAPI. Usage:
///   auto server = Server::create(cfg, store, profiles);   // checks config, no socket yet
///   (*server)->start();                                    // listening when it returns
///   int port = (*server)->port();                          // the bound TCP port
///   (*server)->stop();                                     // or destroy it
/// The Store and Profiles must outlive the Server. All methods are thread-safe.
class Server {
 public:
  /// Validates `config.server` (listen_uri syntax, trusted_ips / trusted_proxies /
  /// auto_registration ranges as IPs or CIDRs, TLS files readable, auto-registration token of
  /// >= 32 characters, CS_LAPI_SECRET of >= 64 bytes when set) and prepares the routes.
  /// `profiles` may be null: alerts without decisions then get none.
  static Result<std::unique_ptr<Server>> create(const config::Config& config, store::Store& store,
                                                const decisions::Profiles* profiles,
                                                ServerOptions options = {});

  /// Binds listen_uri (port 0 = an ephemeral port, see port()) and/or listen_socket (a stale
  /// socket file is replaced), then serves on background threads. Returns once the sockets
  /// listen; an error when nothing could be bound or it is already started.
  Result<bool> start();

  /// Stops accepting, finishes running requests, joins the threads, removes the unix socket
  /// file. Idempotent; also done by the destructor.
  void stop();

  /// The TCP port listened on (the ephemeral one when listen_uri asked port 0); 0 before
  /// start() or without listen_uri.
  int port() const;

  /// "http://127.0.0.1:PORT/" (https with TLS) for clients; "" without listen_uri.
  std::string url() const;

  /// A snapshot of the counters.
  ServerCounters counters() const;

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace cw::core::lapi

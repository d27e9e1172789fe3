// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "cw/core/common/result.h"

// A Local API client for machines (the agent, cwcli): registration, login with a JWT kept and
// renewed, heartbeat and alert submission over libcurl (shared/docs/contract/lapi.md §2-3,
// lapi-trace.md "Machines"). One Client is used by one thread at a time.
namespace cw::core::apiclient {

/// The User-Agent every request carries. The LAPI wants exactly one '/' in it and takes the
/// text after it as the machine's version.
std::string userAgent();

struct ClientOptions {
  std::string url;    ///< LAPI base URL, e.g. http://127.0.0.1:8080/ (a trailing '/' is optional)
  std::string login;  ///< machine_id
  std::string password;                ///< machine password
  std::vector<std::string> scenarios;  ///< installed scenarios, sent at login
  std::string ca_cert_path;            ///< TLS: CA bundle to verify the server with
  std::string cert_path;               ///< TLS: client certificate (mTLS)
  std::string key_path;                ///< TLS: client key
  bool insecure_skip_verify = false;
  std::chrono::milliseconds timeout{10000};  ///< whole request
  std::chrono::milliseconds connect_timeout{3000};
};

/// One HTTP answer. `status` 0 never happens: transport failures are errors.
struct Response {
  long status = 0;
  std::string body;
};

class Client {
 public:
  /// Checks the URL's scheme (http or https); no request is made.
  static Result<std::unique_ptr<Client>> create(ClientOptions options);

  /// POST /v1/watchers {machine_id, password[, registration_token]}: true on 201 or 202
  /// (auto-registered). Other answers are errors quoting the LAPI's message.
  Result<bool> registerMachine(const std::string& registration_token = "");

  /// POST /v1/watchers/login; keeps the token and its expiry. Errors quote the LAPI's answer.
  Result<bool> login();

  /// A request with the machine's JWT: logs in first when there is no token or it expires within
  /// a minute, and once more when the LAPI answers 401. `body` is JSON ("" = no body).
  Result<Response> authed(const std::string& method, const std::string& path,
                          const std::string& body = "");

  /// A request without credentials (health, registration, login).
  Result<Response> plain(const std::string& method, const std::string& path,
                         const std::string& body = "");

  /// GET /v1/heartbeat; true on 200.
  Result<bool> heartbeat();

  /// POST /v1/alerts with a JSON array of alerts. On 201, the created alert ids (as the LAPI
  /// sent them). Any other status is returned as is in `Response` for the caller to judge.
  Result<Response> postAlerts(const std::string& json_array);

  const std::string& token() const;
  /// Number of successful logins (the first one and every renewal).
  int logins() const;

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  struct Impl;

 private:
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// The `message` of a JSON error answer ({"message": ...}), else the body itself (cut to 200
/// bytes).
std::string errorMessage(const std::string& body);

/// Alert ids of a 201 answer to POST /v1/alerts (`["1","2"]`); empty when it is not that.
std::vector<std::string> parseIds(const std::string& body);

}  // namespace cw::core::apiclient

// SPDX-License-Identifier: Apache-2.0
#include "cw/core/lapi/server.h"

#include <malloc.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdlib>
#include <fstream>

#include "cw/core/lapi/json_models.h"
#include "cw/core/store/passwords.h"
#include "server_impl.h"

namespace cw::core::lapi {
namespace {

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  if (!path.empty() && path.front() == '/') {
    pos = 1;
  }
  while (pos <= path.size()) {
    const auto next = path.find('/', pos);
    const auto end = next == std::string_view::npos ? path.size() : next;
    out.emplace_back(path.substr(pos, end - pos));
    if (next == std::string_view::npos) {
      break;
    }
    pos = next + 1;
  }
  return out;
}

// "{}" matches one non-empty segment; a final "{*}" matches the rest of the path (one or more
// segments: an address range such as 10.0.0.0/8, whose %2F the decoded path turned into '/').
bool matchRoute(const Route& r, const std::vector<std::string>& segs,
                std::vector<std::string>* params) {
  const bool rest = !r.segments.empty() && r.segments.back() == "{*}";
  if (rest ? segs.size() < r.segments.size() : segs.size() != r.segments.size()) {
    return false;
  }
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    if (r.segments[i] == "{}" || r.segments[i] == "{*}") {
      if (segs[i].empty()) {
        return false;
      }
      continue;
    }
    if (r.segments[i] != segs[i]) {
      return false;
    }
  }
  if (params != nullptr) {
    params->clear();
    for (std::size_t i = 0; i < r.segments.size(); ++i) {
      if (r.segments[i] == "{}") {
        params->push_back(segs[i]);
      } else if (r.segments[i] == "{*}") {
        std::string joined = segs[i];
        for (std::size_t k = i + 1; k < segs.size(); ++k) {
          joined += "/" + segs[k];
        }
        params->push_back(std::move(joined));
      }
    }
  }
  return true;
}

Result<std::vector<store::IpRange>> parseRanges(const std::vector<std::string>& texts,
                                                const char* what) {
  std::vector<store::IpRange> out;
  for (const auto& t : texts) {
    auto r = store::IpRange::parse(t);
    if (!r) {
      return makeError(ErrorCode::Config,
                       std::string("api.server.") + what + ": '" + t + "': " + r.error().message);
    }
    out.push_back(*r);
  }
  return out;
}

// host:port of listen_uri; "[::1]:8080" and ":8080" (all addresses) accepted.
Result<std::pair<std::string, int>> parseListenUri(const std::string& uri) {
  const auto colon = uri.rfind(':');
  if (colon == std::string::npos) {
    return makeError(ErrorCode::Config, "api.server.listen_uri: '" + uri + "': no port");
  }
  std::string host = uri.substr(0, colon);
  const std::string port_text = uri.substr(colon + 1);
  int port = -1;
  const auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || p != port_text.data() + port_text.size() || port < 0 || port > 65535) {
    return makeError(ErrorCode::Config, "api.server.listen_uri: '" + uri + "': bad port");
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) {
    host = "0.0.0.0";
  }
  return std::make_pair(host, port);
}

bool readable(const std::string& path) {
  std::ifstream f(path);
  return f.good();
}

std::string randomSecret() {
  std::string s(64, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(s.size())) != 1) {
    return {};
  }
  return s;
}

}  // namespace

std::shared_ptr<spdlog::logger> logger() {
  // "core.lapi" with the sinks and level of the default logger, rebuilt when the process
  // replaces the default logger (the daemon does at start and on reload).
  static std::mutex mutex;
  static const spdlog::logger* base = nullptr;
  static std::shared_ptr<spdlog::logger> mine;
  const spdlog::logger* current = spdlog::default_logger_raw();
  std::lock_guard<std::mutex> lock(mutex);
  if (current != base || !mine) {
    mine = std::make_shared<spdlog::logger>("core.lapi", current->sinks().begin(),
                                            current->sinks().end());
    mine->set_level(current->level());
    mine->flush_on(current->flush_level());
    base = current;
  }
  return mine;
}

// ---- Helpers shared with the handlers ------------------------------------------------------

store::QueryParams Call::query() const {
  store::QueryParams out;
  out.reserve(req.params.size());
  for (const auto& [k, v] : req.params) {
    out.emplace_back(k, v);
  }
  return out;
}

bool ipInRanges(const std::string& ip, const std::vector<store::IpRange>& ranges) {
  auto r = store::IpRange::parse(ip);
  if (!r) {
    return false;
  }
  for (const auto& range : ranges) {
    if (range.contains(*r)) {
      return true;
    }
  }
  return false;
}

std::pair<std::string, std::string> splitUserAgent(const std::string& ua) {
  const auto slash = ua.find('/');
  if (slash == std::string::npos) {
    return {ua, "N/A"};
  }
  return {ua.substr(0, slash), ua.substr(slash + 1)};
}

std::optional<PeerCert> peerCertificate(const httplib::Request& req) {
  if (req.ssl == nullptr) {
    return std::nullopt;
  }
  X509* cert = SSL_get1_peer_certificate(req.ssl);
  if (cert == nullptr) {
    return std::nullopt;
  }
  std::optional<PeerCert> out;
  if (SSL_get_verify_result(req.ssl) == X509_V_OK) {
    PeerCert pc;
    X509_NAME* subject = X509_get_subject_name(cert);
    const auto text = [&](int nid, std::vector<std::string>& dst) {
      int idx = -1;
      while ((idx = X509_NAME_get_index_by_NID(subject, nid, idx)) >= 0) {
        X509_NAME_ENTRY* e = X509_NAME_get_entry(subject, idx);
        ASN1_STRING* data = X509_NAME_ENTRY_get_data(e);
        unsigned char* utf8 = nullptr;
        const int len = ASN1_STRING_to_UTF8(&utf8, data);
        if (len >= 0 && utf8 != nullptr) {
          dst.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(len));
          OPENSSL_free(utf8);
        }
      }
    };
    std::vector<std::string> cns;
    text(NID_commonName, cns);
    text(NID_organizationalUnitName, pc.ous);
    if (!cns.empty()) {
      pc.cn = cns.front();
      out = std::move(pc);
    }
  }
  X509_free(cert);
  return out;
}

// ---- Impl ------------------------------------------------------------------------------------

Server::Impl::Impl(const config::Config& cfg, store::Store& st, const decisions::Profiles* pr,
                   ServerOptions opts, std::string secret)
    : config(cfg), store(st), profiles(pr), options(std::move(opts)), jwt(std::move(secret)) {}

void Server::Impl::buildRoutes() {
  const auto add = [&](const char* method, const char* path, AuthKind auth, HandlerFn fn,
                       bool body = false, bool head = false) {
    routes.push_back(Route{method, splitPath(path), auth, body, head, fn});
  };
  using I = Server::Impl;
  add("GET", "/health", AuthKind::None, &I::health, false, true);
  add("POST", "/v1/watchers", AuthKind::None, &I::registerWatcher, true);
  add("POST", "/v1/watchers/login", AuthKind::None, &I::login, true);
  add("DELETE", "/v1/watchers/self", AuthKind::Jwt, &I::deleteSelf);
  add("GET", "/v1/refresh_token", AuthKind::None, &I::refreshToken);
  add("GET", "/v1/heartbeat", AuthKind::Jwt, &I::heartbeat);
  add("POST", "/v1/alerts", AuthKind::Jwt, &I::postAlerts, true);
  add("GET", "/v1/alerts", AuthKind::Jwt, &I::getAlerts, false, true);
  add("DELETE", "/v1/alerts", AuthKind::Jwt, &I::deleteAlerts);
  add("GET", "/v1/alerts/{}", AuthKind::Jwt, &I::getAlert, false, true);
  add("DELETE", "/v1/alerts/{}", AuthKind::Jwt, &I::deleteAlert);
  add("GET", "/v1/decisions", AuthKind::ApiKey, &I::getDecisions, false, true);
  add("DELETE", "/v1/decisions", AuthKind::Jwt, &I::deleteDecisions);
  add("GET", "/v1/decisions/stream", AuthKind::ApiKey, &I::streamDecisions, false, true);
  add("DELETE", "/v1/decisions/{}", AuthKind::Jwt, &I::deleteDecision);
  add("POST", "/v1/usage-metrics", AuthKind::JwtOrApiKey, &I::usageMetrics, true);
  add("GET", "/v1/allowlists", AuthKind::Jwt, &I::listAllowlists, false, true);
  add("GET", "/v1/allowlists/check/{*}", AuthKind::Jwt, &I::checkAllowlist, false, true);
  add("POST", "/v1/allowlists/check", AuthKind::Jwt, &I::checkAllowlistBulk, true);
  add("GET", "/v1/allowlists/{}", AuthKind::Jwt, &I::getAllowlist, false, true);
}

void Server::Impl::install(httplib::Server& server, bool from_socket) {
  const auto plain = [this, from_socket](const httplib::Request& req, httplib::Response& res) {
    dispatch(req, res, nullptr, from_socket);
  };
  const auto with_body = [this, from_socket](const httplib::Request& req, httplib::Response& res,
                                             const httplib::ContentReader& reader) {
    dispatch(req, res, &reader, from_socket);
  };
  server.Get(".*", plain);
  server.Options(".*", plain);
  server.Post(".*", with_body);
  server.Put(".*", with_body);
  server.Patch(".*", with_body);
  server.Delete(".*", with_body);
  // GET, HEAD and OPTIONS bodies would be read whole by httplib before any handler: anything
  // over the unauthenticated limit is refused before it is read.
  server.set_pre_routing_handler([this](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH" ||
        req.method == "DELETE") {
      return httplib::Server::HandlerResponse::Unhandled;  // read by readBody()
    }
    const std::string length = req.get_header_value("Content-Length");
    std::uint64_t n = 0;
    const auto [p, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
    const bool too_long = !length.empty() && (ec != std::errc() || n > kUnauthenticatedBodyLimit);
    if (!too_long && req.get_header_value("Transfer-Encoding").empty()) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    bump(counters.requests);
    bump(counters.bodies_too_large);
    bump(counters.status_4xx);
    res.status = 413;
    res.set_header("Connection", "close");
    res.set_content(messageJson("http: request body too large"), kJsonContentType);
    return httplib::Server::HandlerResponse::Handled;
  });
  server.set_exception_handler(
      [this](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
        try {
          if (ep) {
            std::rethrow_exception(ep);
          }
        } catch (const std::exception& e) {
          logger()->error("Request failed error={}", e.what());
        } catch (...) {
          logger()->error("Request failed error=unknown");
        }
        bump(counters.status_5xx);
        res.status = 500;
        res.set_content(messageJson("internal server error"), kJsonContentType);
      });
  // The raw (possibly compressed) body may not exceed the largest limit; the per-route limit
  // on the decompressed body is enforced while reading (readBody).
  server.set_payload_max_length(kAuthenticatedBodyLimit);
  // SO_REUSEADDR only: httplib's default also sets SO_REUSEPORT, which would let a second
  // server bind the same port and share its connections.
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  // Small answers on kept-alive connections: without TCP_NODELAY each one waits for the
  // peer's delayed ACK (~40 ms).
  server.set_tcp_nodelay(true);
  // Keep-alive: bouncers poll every few seconds over one connection.
  server.set_keep_alive_max_count(1000);
  server.set_keep_alive_timeout(5);
  server.set_read_timeout(10);
  server.set_write_timeout(30);
  const int threads = options.threads > 0 ? options.threads : 16;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
}

std::string Server::Impl::clientIp(const httplib::Request& req, bool from_socket) const {
  if (from_socket) {
    return "127.0.0.1";
  }
  std::string ip = req.remote_addr;
  if (!config.server.use_forwarded_for_headers || !req.has_header("X-Forwarded-For")) {
    return ip;
  }
  const bool trust_all = trusted_proxies.empty();
  if (!trust_all && !ipInRanges(ip, trusted_proxies)) {
    return ip;
  }
  // Right to left, skipping trusted proxies: the first untrusted hop is the client.
  const std::string xff = req.get_header_value("X-Forwarded-For");
  std::vector<std::string> hops;
  std::size_t pos = 0;
  while (pos <= xff.size()) {
    auto comma = xff.find(',', pos);
    if (comma == std::string::npos) {
      comma = xff.size();
    }
    std::string hop = xff.substr(pos, comma - pos);
    const auto b = hop.find_first_not_of(" \t");
    const auto e = hop.find_last_not_of(" \t");
    hops.push_back(b == std::string::npos ? "" : hop.substr(b, e - b + 1));
    pos = comma + 1;
  }
  for (auto it = hops.rbegin(); it != hops.rend(); ++it) {
    if (!store::IpRange::parse(*it)) {
      return ip;  // garbage in the header: keep the peer address
    }
    if (!trust_all && !ipInRanges(*it, trusted_proxies)) {
      return *it;
    }
  }
  return hops.front();
}

bool Server::Impl::isTrusted(const Call& call) const {
  if (call.from_socket) {
    return true;
  }
  if (call.client_ip == "127.0.0.1" || call.client_ip == "::1") {
    return true;
  }
  return ipInRanges(call.client_ip, trusted_ips);
}

void Server::Impl::reply(Call& call, int status, std::string body) {
  call.res.status = status;
  if (body.empty()) {
    call.res.body.clear();
    return;
  }
  call.res.set_content(std::move(body), kJsonContentType);
}

void Server::Impl::message(Call& call, int status, std::string_view text) {
  reply(call, status, messageJson(text));
}

void Server::Impl::jwtFailure(Call& call, int status, std::string_view text) {
  bump(counters.auth_failures);
  std::string body = "{\"code\":" + std::to_string(status) + ",\"message\":";
  const std::string m = messageJson(text);  // {"message":"..."}: reuse its escaped string
  body += m.substr(11, m.size() - 12);
  body += "}";
  reply(call, status, std::move(body));
}

void Server::Impl::storeFailure(Call& call, const Error& e) {
  if (e.code == ErrorCode::Invalid) {
    // Refused values (text the database cannot hold, ...) come from the client: not our error.
    logger()->debug("Store refused path={} error={}", call.req.path, e.message);
  } else {
    logger()->error("Store failure path={} error={}", call.req.path, e.message);
  }
  message(call, 500, e.message);
}

bool Server::Impl::readBody(Call& call, std::size_t limit) {
  if (call.reader == nullptr) {
    return true;
  }
  // Over the limit, the rest of the body is read and dropped (the raw size is capped by the
  // payload limit, the decompressed size by kDrainLimit), so the client reads our 413 instead
  // of a reset connection; then the connection is closed.
  constexpr std::size_t kDrainLimit = kAuthenticatedBodyLimit + (8u << 20);
  bool over = false;
  std::size_t seen = 0;
  const std::string length = call.req.get_header_value("Content-Length");
  if (!length.empty()) {
    std::uint64_t n = 0;
    const auto [p, ec] = std::from_chars(length.data(), length.data() + length.size(), n);
    over = ec == std::errc() && p == length.data() + length.size() && n > limit;
  }
  (*call.reader)([&](const char* data, std::size_t len) {
    seen += len;
    if (!over && call.body.size() + len > limit) {
      over = true;
      call.body.clear();
      call.body.shrink_to_fit();
    }
    if (over) {
      return seen <= kDrainLimit;
    }
    call.body.append(data, len);
    return true;
  });
  if (over) {
    bump(counters.bodies_too_large);
    call.res.set_header("Connection", "close");
    message(call, 413, "http: request body too large");
    return false;
  }
  return true;
}

void Server::Impl::drainBody(Call& call, std::size_t limit) {
  if (call.reader == nullptr) {
    return;
  }
  std::size_t seen = 0;
  (*call.reader)([&](const char*, std::size_t len) {
    seen += len;
    return seen <= limit;
  });
  if (seen > limit) {
    call.res.set_header("Connection", "close");
  }
}

std::string Server::Impl::extractToken(const Call& call) const {
  const std::string auth = call.req.get_header_value("Authorization");
  if (auth.size() > 7 && auth.compare(0, 7, "Bearer ") == 0) {
    return auth.substr(7);
  }
  if (call.req.has_param("token")) {
    return call.req.get_param_value("token");
  }
  const std::string cookies = call.req.get_header_value("Cookie");
  std::size_t pos = 0;
  while (pos < cookies.size()) {
    auto end = cookies.find(';', pos);
    if (end == std::string::npos) {
      end = cookies.size();
    }
    std::string_view item(cookies.data() + pos, end - pos);
    while (!item.empty() && item.front() == ' ') {
      item.remove_prefix(1);
    }
    if (item.size() > 4 && item.substr(0, 4) == "jwt=") {
      return std::string(item.substr(4));
    }
    pos = end + 1;
  }
  return "";
}

bool Server::Impl::authenticateJwt(Call& call) {
  const std::string token = extractToken(call);
  if (token.empty()) {
    jwtFailure(call, 401, "cookie token is empty");
    return false;
  }
  JwtError err = JwtError::Malformed;
  const auto now_s = call.now.unix_nanos / kSecond;
  auto claims = jwt.verify(token, now_s, &err);
  if (!claims) {
    jwtFailure(call, 401, jwtErrorMessage(err));
    return false;
  }
  auto machine = store.getMachine(claims->id);
  if (!machine) {
    storeFailure(call, machine.error());
    return false;
  }
  if (!machine->has_value()) {
    jwtFailure(call, 401, "ent: machine not found");
    return false;
  }
  call.machine_id = claims->id;
  return true;
}

bool Server::Impl::authenticateApiKey(Call& call) {
  const auto forbidden = [&] {
    bump(counters.auth_failures);
    message(call, 403, "access forbidden");
    return false;
  };
  if (auto cert = peerCertificate(call.req)) {
    return authenticateTlsBouncer(call, *cert);
  }
  const std::string key = call.req.get_header_value("X-Api-Key");
  if (key.empty()) {
    return forbidden();
  }
  auto found = store.findBouncersByKeyHash(store::hashApiKey(key));
  if (!found) {
    storeFailure(call, found.error());
    return false;
  }
  if (found->empty()) {
    return forbidden();
  }
  // Prefer the bouncer already seen from this address; a key first used from a new address
  // while its bouncer has another one gets a sibling "<name>@<ip>" (lapi.md §2).
  const std::vector<store::Bouncer>& all = *found;
  const store::Bouncer* chosen = nullptr;
  for (const auto& b : all) {
    if (b.ip_address == call.client_ip) {
      chosen = &b;
      break;
    }
  }
  if (chosen == nullptr) {
    for (const auto& b : all) {
      if (b.ip_address.empty()) {
        chosen = &b;
        break;
      }
    }
  }
  const auto [ua_type, ua_version] = splitUserAgent(call.req.get_header_value("User-Agent"));
  store::Bouncer bouncer;
  if (chosen == nullptr) {
    const store::Bouncer& base = all.front();
    store::Bouncer sibling;
    sibling.name = base.name + "@" + call.client_ip;
    sibling.api_key_hash = base.api_key_hash;
    sibling.ip_address = call.client_ip;
    sibling.type = ua_type;
    sibling.version = ua_version;
    sibling.auth_type = base.auth_type;
    sibling.revoked = base.revoked;
    auto created = store.createBouncer(sibling);
    if (!created) {
      // Another request may have created it meanwhile.
      auto again = store.getBouncer(sibling.name);
      if (!again || !again->has_value()) {
        storeFailure(call, created.error());
        return false;
      }
      bouncer = **again;
    } else {
      bouncer = *created;
      logger()->info("Bouncer sibling created name={} ip={}", bouncer.name, call.client_ip);
    }
  } else {
    bouncer = *chosen;
  }
  if (bouncer.revoked || bouncer.auth_type != "api-key") {
    return forbidden();
  }
  if (bouncer.ip_address != call.client_ip || bouncer.type != ua_type ||
      bouncer.version != ua_version) {
    auto up = store.updateBouncerInfo(bouncer.name, call.client_ip, ua_type, ua_version, call.now);
    if (!up) {
      storeFailure(call, up.error());
      return false;
    }
    bouncer.ip_address = call.client_ip;
    bouncer.type = ua_type;
    bouncer.version = ua_version;
  }
  call.bouncer = std::move(bouncer);
  return true;
}

bool Server::Impl::authenticateTlsBouncer(Call& call, const PeerCert& cert) {
  const auto& allowed = config.server.tls.bouncers_allowed_ou;
  bool ok = false;
  for (const auto& ou : cert.ous) {
    for (const auto& a : allowed) {
      ok = ok || ou == a;
    }
  }
  if (!ok) {
    bump(counters.auth_failures);
    message(call, 403, "access forbidden");
    return false;
  }
  const std::string name = cert.cn + "@" + call.client_ip;
  auto existing = store.getBouncer(name);
  if (!existing) {
    storeFailure(call, existing.error());
    return false;
  }
  const auto [ua_type, ua_version] = splitUserAgent(call.req.get_header_value("User-Agent"));
  if (existing->has_value()) {
    if ((*existing)->auth_type != "tls" || (*existing)->revoked) {
      bump(counters.auth_failures);
      message(call, 403, "access forbidden");
      return false;
    }
    call.bouncer = **existing;
    return true;
  }
  store::Bouncer b;
  b.name = name;
  b.ip_address = call.client_ip;
  b.type = ua_type;
  b.version = ua_version;
  b.auth_type = "tls";
  auto created = store.createBouncer(b);
  if (!created) {
    storeFailure(call, created.error());
    return false;
  }
  call.bouncer = *created;
  return true;
}

void Server::Impl::dispatch(const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader* reader, bool from_socket) {
  Call call{req, res};
  call.reader = reader;
  call.from_socket = from_socket;
  call.client_ip = clientIp(req, from_socket);
  call.now = nowUtc();
  call.head = req.method == "HEAD";
  bump(counters.requests);

  const auto segs = splitPath(req.path);
  const Route* route = nullptr;
  bool path_known = false;
  for (const auto& r : routes) {
    if (!matchRoute(r, segs, nullptr)) {
      continue;
    }
    path_known = true;
    if (r.method == req.method || (call.head && r.method == "GET" && r.head_ok)) {
      route = &r;
      matchRoute(r, segs, &call.params);
      break;
    }
  }
  if (route == nullptr && segs.size() > 1 && segs.back().empty()) {
    // "/v1/alerts/": redirected to the path without the slash, as gin does (301 for GET, 307
    // otherwise so that clients repeat the method and body).
    const std::vector<std::string> trimmed(segs.begin(), segs.end() - 1);
    for (const auto& r : routes) {
      if (matchRoute(r, trimmed, nullptr)) {
        drainBody(call, kUnauthenticatedBodyLimit);
        std::string location = req.path.substr(0, req.path.size() - 1);
        const auto q = req.target.find('?');
        if (q != std::string::npos) {
          location += req.target.substr(q);
        }
        res.set_header("Location", location);
        reply(call, req.method == "GET" || call.head ? 301 : 307, "");
        return;
      }
    }
  }
  if (route == nullptr) {
    // Drain a body nobody will read, so the connection stays in step.
    drainBody(call, kUnauthenticatedBodyLimit);
    if (path_known) {
      bump(counters.bad_method);
      std::string allow;
      for (const auto& r : routes) {
        if (matchRoute(r, segs, nullptr)) {
          allow += (allow.empty() ? "" : ", ") + r.method + (r.head_ok ? ", HEAD" : "");
        }
      }
      res.set_header("Allow", allow);
      reply(call, 405, "");
    } else {
      bump(counters.not_found);
      reply(call, 404, "");
    }
    bump(counters.status_4xx);
    return;
  }

  bool ok = true;
  switch (route->auth) {
    case AuthKind::None:
      break;
    case AuthKind::Jwt:
      ok = authenticateJwt(call);
      break;
    case AuthKind::ApiKey:
      ok = authenticateApiKey(call);
      break;
    case AuthKind::JwtOrApiKey:
      ok = req.has_header("X-Api-Key") || peerCertificate(req) ? authenticateApiKey(call)
                                                               : authenticateJwt(call);
      break;
  }
  if (ok && reader != nullptr) {
    ok = readBody(
        call, route->auth == AuthKind::None ? kUnauthenticatedBodyLimit : kAuthenticatedBodyLimit);
  } else if (!ok) {
    // Refused before reading: the body is read and dropped (up to the unauthenticated limit) so
    // that the client, still sending it, reads our answer rather than a reset connection.
    drainBody(call, kUnauthenticatedBodyLimit);
  }
  if (ok) {
    (this->*(route->fn))(call);
  }
  if (call.body.size() >= kTrimAfterBody) {
    // A large body (cscli imports, 1,000 decisions an alert) leaves its parse's memory free in
    // this thread's malloc arena: returned to the system rather than kept.
    ::malloc_trim(0);
  }
  logger()->debug("Request method={} path={} client={} status={}", req.method, req.path,
                  call.client_ip, res.status);
  if (res.status >= 500) {
    bump(counters.status_5xx);
  } else if (res.status >= 400) {
    bump(counters.status_4xx);
  } else if (res.status >= 200) {
    bump(counters.status_2xx);
  }
}

Result<bool> Server::Impl::setupTls(httplib::Server*& out) {
  const auto& t = config.server.tls;
  std::string error;
  auto server = std::make_unique<httplib::SSLServer>([&](SSL_CTX& ctx) {
    SSL_CTX_set_min_proto_version(&ctx, TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(&ctx, t.cert_file.c_str()) != 1) {
      error = "cannot load cert_file '" + t.cert_file + "'";
      return false;
    }
    if (SSL_CTX_use_PrivateKey_file(&ctx, t.key_file.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_check_private_key(&ctx) != 1) {
      error = "cannot load key_file '" + t.key_file + "'";
      return false;
    }
    int mode = SSL_VERIFY_NONE;
    const std::string& v = t.client_verification;
    if (v == "NoClientCert") {
      mode = SSL_VERIFY_NONE;
    } else if (v == "RequestClientCert" || v == "VerifyClientCertIfGiven") {
      mode = SSL_VERIFY_PEER;
    } else if (v == "RequireAnyClientCert" || v == "RequireAndVerifyClientCert") {
      mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    } else {
      error = "unknown client_verification '" + v + "'";
      return false;
    }
    if (mode != SSL_VERIFY_NONE && !t.ca_cert_path.empty()) {
      if (SSL_CTX_load_verify_locations(&ctx, t.ca_cert_path.c_str(), nullptr) != 1) {
        error = "cannot load ca_cert_path '" + t.ca_cert_path + "'";
        return false;
      }
      STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(t.ca_cert_path.c_str());
      if (names != nullptr) {
        SSL_CTX_set_client_CA_list(&ctx, names);
      }
    }
    if (!t.crl_path.empty()) {
      X509_STORE* xs = SSL_CTX_get_cert_store(&ctx);
      X509_LOOKUP* lookup = X509_STORE_add_lookup(xs, X509_LOOKUP_file());
      if (lookup == nullptr ||
          X509_load_crl_file(lookup, t.crl_path.c_str(), X509_FILETYPE_PEM) <= 0) {
        error = "cannot load crl_path '" + t.crl_path + "'";
        return false;
      }
      X509_STORE_set_flags(xs, X509_V_FLAG_CRL_CHECK);
    }
    // Certificates that do not verify are still accepted at the handshake for the modes that
    // do not demand verification; such a peer is never trusted as an identity
    // (peerCertificate() checks the verify result).
    const bool verify_strict =
        v == "RequireAndVerifyClientCert" || (v == "VerifyClientCertIfGiven");
    SSL_verify_cb accept_any = [](int, X509_STORE_CTX*) { return 1; };
    SSL_CTX_set_verify(&ctx, mode, verify_strict ? nullptr : accept_any);
    return true;
  });
  if (!server->is_valid()) {
    return makeError(ErrorCode::Config,
                     "api.server.tls: " + (error.empty() ? std::string("invalid setup") : error));
  }
  out = server.release();
  return true;
}

// ---- Server ----------------------------------------------------------------------------------

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

Result<std::unique_ptr<Server>> Server::create(const config::Config& config, store::Store& store,
                                               const decisions::Profiles* profiles,
                                               ServerOptions options) {
  std::vector<std::string> problems;
  const auto& s = config.server;
  if (s.listen_uri.empty() && s.listen_socket.empty()) {
    problems.push_back("api.server: neither listen_uri nor listen_socket is set");
  }
  if (!s.listen_uri.empty()) {
    if (auto hp = parseListenUri(s.listen_uri); !hp) {
      problems.push_back(hp.error().message);
    }
  }
  auto trusted = parseRanges(s.trusted_ips, "trusted_ips");
  auto proxies = parseRanges(s.trusted_proxies, "trusted_proxies");
  auto auto_ranges = parseRanges(s.auto_registration_allowed_ranges, "auto_registration");
  for (const auto* r : {&trusted, &proxies, &auto_ranges}) {
    if (!*r) {
      problems.push_back(r->error().message);
    }
  }
  if (s.auto_registration_enabled && s.auto_registration_token.size() < 32) {
    problems.push_back("api.server.auto_registration: token must be at least 32 characters");
  }
  if (s.tls.enabled()) {
    const std::string& v = s.tls.client_verification;
    if (v != "NoClientCert" && v != "RequestClientCert" && v != "RequireAnyClientCert" &&
        v != "VerifyClientCertIfGiven" && v != "RequireAndVerifyClientCert") {
      problems.push_back("api.server.tls: unknown client_verification '" + v + "'");
    }
    for (const auto* f : {&s.tls.cert_file, &s.tls.key_file}) {
      if (!readable(*f)) {
        problems.push_back("api.server.tls: cannot read '" + *f + "'");
      }
    }
  }
  std::string secret = options.jwt_secret;
  if (secret.empty()) {
    if (const char* env = std::getenv("CS_LAPI_SECRET"); env != nullptr && *env != '\0') {
      secret = env;
      if (secret.size() < 64) {
        problems.push_back("CS_LAPI_SECRET must be at least 64 bytes long");
      }
    } else {
      secret = randomSecret();
      if (secret.empty()) {
        problems.push_back("cannot draw a random JWT secret");
      }
    }
  }
  if (!problems.empty()) {
    std::string msg;
    for (const auto& p : problems) {
      msg += (msg.empty() ? "" : "\n") + p;
    }
    return makeError(ErrorCode::Config, msg);
  }
  auto impl = std::make_unique<Impl>(config, store, profiles, std::move(options), secret);
  impl->trusted_ips = std::move(*trusted);
  impl->trusted_proxies = std::move(*proxies);
  impl->auto_registration_ranges = std::move(*auto_ranges);
  impl->buildRoutes();
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

namespace {

// Waits until `server` accepts (listen_after_bind() running), so stop() cannot race it.
void waitRunning(const httplib::Server& server) {
  for (int i = 0; i < 500 && !server.is_running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
}

}  // namespace

Result<bool> Server::start() {
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.lifecycle);
  if (m.started) {
    return makeError(ErrorCode::Runtime, "the LAPI server is already started");
  }
  const auto& s = m.config.server;
  if (!s.listen_uri.empty()) {
    auto hp = parseListenUri(s.listen_uri);
    if (!hp) {
      return hp.error();
    }
    httplib::Server* raw = nullptr;
    if (s.tls.enabled()) {
      auto tls = m.setupTls(raw);
      if (!tls) {
        return tls.error();
      }
      m.tls = true;
    } else {
      raw = new httplib::Server();
    }
    m.tcp.reset(raw);
    m.install(*m.tcp, false);
    const auto& [host, port] = *hp;
    if (port == 0) {
      m.port = m.tcp->bind_to_any_port(host);
      if (m.port < 0) {
        m.port = 0;
      }
    } else if (m.tcp->bind_to_port(host, port)) {
      m.port = port;
    }
    if (m.port == 0) {
      m.tcp.reset();
      return makeError(ErrorCode::Io,
                       "cannot listen on " + s.listen_uri + ": " + std::strerror(errno));
    }
    m.tcp_thread = std::thread([srv = m.tcp.get()] { srv->listen_after_bind(); });
    waitRunning(*m.tcp);
  }
  if (!s.listen_socket.empty()) {
    struct stat st {};
    if (::lstat(s.listen_socket.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        return makeError(ErrorCode::Io,
                         "listen_socket '" + s.listen_socket + "' exists and is not a socket");
      }
      ::unlink(s.listen_socket.c_str());
    }
    m.unix_server = std::make_unique<httplib::Server>();
    m.unix_server->set_address_family(AF_UNIX);
    m.install(*m.unix_server, true);
    if (!m.unix_server->bind_to_port(s.listen_socket, 80)) {
      const std::string why = std::strerror(errno);
      m.unix_server.reset();
      if (m.tcp) {
        m.tcp->stop();
        m.tcp_thread.join();
        m.tcp.reset();
      }
      return makeError(ErrorCode::Io, "cannot listen on socket " + s.listen_socket + ": " + why);
    }
    m.unix_thread = std::thread([srv = m.unix_server.get()] { srv->listen_after_bind(); });
    waitRunning(*m.unix_server);
  }
  m.started = true;
  logger()->info("Local API listening uri={} socket={} tls={}", s.listen_uri.empty() ? "-" : url(),
                 s.listen_socket.empty() ? "-" : s.listen_socket, m.tls);
  return true;
}

void Server::stop() {
  if (!impl_) {
    return;
  }
  Impl& m = *impl_;
  std::lock_guard<std::mutex> lock(m.lifecycle);
  if (!m.started) {
    return;
  }
  if (m.tcp) {
    m.tcp->stop();
    if (m.tcp_thread.joinable()) {
      m.tcp_thread.join();
    }
    m.tcp.reset();
  }
  if (m.unix_server) {
    m.unix_server->stop();
    if (m.unix_thread.joinable()) {
      m.unix_thread.join();
    }
    m.unix_server.reset();
    ::unlink(m.config.server.listen_socket.c_str());
  }
  m.started = false;
  m.port = 0;
}

int Server::port() const { return impl_->port; }

std::string Server::url() const {
  if (impl_->port == 0) {
    return "";
  }
  auto hp = parseListenUri(impl_->config.server.listen_uri);
  std::string host = hp ? hp->first : "127.0.0.1";
  if (host == "0.0.0.0") {
    host = "127.0.0.1";
  } else if (host == "::") {
    host = "::1";
  }
  if (host.find(':') != std::string::npos) {
    host = "[" + host + "]";
  }
  return std::string(impl_->tls ? "https" : "http") + "://" + host + ":" +
         std::to_string(impl_->port) + "/";
}

ServerCounters Server::counters() const {
  const Counters& c = impl_->counters;
  const auto ld = [](const std::atomic<std::uint64_t>& a) {
    return a.load(std::memory_order_relaxed);
  };
  ServerCounters out;
  out.requests = ld(c.requests);
  out.status_2xx = ld(c.status_2xx);
  out.status_4xx = ld(c.status_4xx);
  out.status_5xx = ld(c.status_5xx);
  out.not_found = ld(c.not_found);
  out.bad_method = ld(c.bad_method);
  out.auth_failures = ld(c.auth_failures);
  out.bodies_too_large = ld(c.bodies_too_large);
  out.bad_bodies = ld(c.bad_bodies);
  out.alerts_received = ld(c.alerts_received);
  out.decisions_created = ld(c.decisions_created);
  out.stream_pulls = ld(c.stream_pulls);
  out.usage_metrics = ld(c.usage_metrics);
  out.notified_alerts = ld(c.notified_alerts);
  return out;
}

}  // namespace cw::core::lapi

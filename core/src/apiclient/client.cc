// SPDX-License-Identifier: Apache-2.0
#include "cw/core/apiclient/client.h"

#include <curl/curl.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <utility>

#include "cw/core/common/time.h"

namespace cw::core::apiclient {
namespace {

// A token is renewed this long before the expiry the LAPI announced.
constexpr Duration kRenewMargin = 60 * kSecond;
// When the login answer has no readable expiry: CrowdSec's tokens live one hour.
constexpr Duration kDefaultLifetime = 55 * kMinute;

void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::size_t appendBody(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

std::string jsonString(const rapidjson::Value& object, const char* key) {
  if (!object.IsObject()) {
    return {};
  }
  auto it = object.FindMember(key);
  if (it == object.MemberEnd() || !it->value.IsString()) {
    return {};
  }
  return {it->value.GetString(), it->value.GetStringLength()};
}

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

void field(JsonWriter& w, const char* key, const std::string& value) {
  w.Key(key);
  w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
}

}  // namespace

std::string userAgent() { return std::string("crowdwall/v") + CW_VERSION; }

std::string errorMessage(const std::string& body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (!doc.HasParseError()) {
    std::string message = jsonString(doc, "message");
    if (!message.empty()) {
      return message;
    }
  }
  return body.size() > 200 ? body.substr(0, 200) + "..." : body;
}

std::vector<std::string> parseIds(const std::string& body) {
  std::vector<std::string> ids;
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsArray()) {
    return ids;
  }
  for (const auto& v : doc.GetArray()) {
    if (v.IsString()) {
      ids.emplace_back(v.GetString(), v.GetStringLength());
    } else if (v.IsInt64()) {
      ids.push_back(std::to_string(v.GetInt64()));
    }
  }
  return ids;
}

struct Client::Impl {
  ClientOptions options;
  std::string base;  // without trailing '/'
  CURL* curl = nullptr;
  std::string token;
  TimePoint renew_at;
  int logins = 0;

  ~Impl() {
    if (curl != nullptr) {
      curl_easy_cleanup(curl);
    }
  }

  Result<Response> perform(const std::string& method, const std::string& path,
                           const std::string& body, bool with_token) {
    if (curl == nullptr) {
      curl = curl_easy_init();
      if (curl == nullptr) {
        return makeError(ErrorCode::Runtime, "curl_easy_init failed");
      }
    }
    curl_easy_reset(curl);  // keeps the connection cache: requests reuse the connection
    const std::string url = base + path;
    Response response;
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "HEAD") {
      curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    }
    const std::string ua = userAgent();
    curl_easy_setopt(curl, CURLOPT_USERAGENT, ua.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options.connect_timeout.count()));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, appendBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
    if (!options.ca_cert_path.empty()) {
      curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_cert_path.c_str());
    }
    if (!options.cert_path.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLCERT, options.cert_path.c_str());
    }
    if (!options.key_path.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSLKEY, options.key_path.c_str());
    }
    if (options.insecure_skip_verify) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Accept: application/json");
    std::string auth;
    if (with_token) {
      auth = "Authorization: Bearer " + token;
      headers = curl_slist_append(headers, auth.c_str());
    }
    if (!body.empty()) {
      headers = curl_slist_append(headers, "Content-Type: application/json");
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    const CURLcode rc = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (rc != CURLE_OK) {
      return makeError(ErrorCode::Io, method + " " + url + ": " + curl_easy_strerror(rc));
    }
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
    return response;
  }

  bool tokenFresh() const { return !token.empty() && nowUtc().unix_nanos < renew_at.unix_nanos; }
};

Client::Client(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Client::~Client() = default;

Result<std::unique_ptr<Client>> Client::create(ClientOptions options) {
  globalInit();
  std::string base = options.url;
  if (base.rfind("http://", 0) != 0 && base.rfind("https://", 0) != 0) {
    return makeError(ErrorCode::Config,
                     "LAPI url '" + base + "' must start with http:// or https://");
  }
  while (!base.empty() && base.back() == '/') {
    base.pop_back();
  }
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->base = std::move(base);
  return std::unique_ptr<Client>(new Client(std::move(impl)));
}

const std::string& Client::token() const { return impl_->token; }
int Client::logins() const { return impl_->logins; }

Result<Response> Client::plain(const std::string& method, const std::string& path,
                               const std::string& body) {
  return impl_->perform(method, path, body, false);
}

Result<bool> Client::registerMachine(const std::string& registration_token) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  field(w, "machine_id", impl_->options.login);
  field(w, "password", impl_->options.password);
  if (!registration_token.empty()) {
    field(w, "registration_token", registration_token);
  }
  w.EndObject();
  auto r = plain("POST", "/v1/watchers", buffer.GetString());
  if (!r) {
    return r.error();
  }
  if (r->status != 201 && r->status != 202) {
    return makeError(ErrorCode::Runtime, "registration of '" + impl_->options.login +
                                             "' refused (" + std::to_string(r->status) +
                                             "): " + errorMessage(r->body));
  }
  return true;
}

Result<bool> Client::login() {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  field(w, "machine_id", impl_->options.login);
  field(w, "password", impl_->options.password);
  w.Key("scenarios");
  w.StartArray();
  for (const std::string& s : impl_->options.scenarios) {
    w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  }
  w.EndArray();
  w.EndObject();
  auto r = plain("POST", "/v1/watchers/login", buffer.GetString());
  if (!r) {
    return r.error();
  }
  if (r->status != 200) {
    return makeError(ErrorCode::Runtime, "login of '" + impl_->options.login + "' refused (" +
                                             std::to_string(r->status) +
                                             "): " + errorMessage(r->body));
  }
  rapidjson::Document doc;
  doc.Parse(r->body.data(), r->body.size());
  std::string token = doc.HasParseError() ? std::string() : jsonString(doc, "token");
  if (token.empty()) {
    return makeError(ErrorCode::Parse, "login answer without a token: " + errorMessage(r->body));
  }
  const TimePoint now = nowUtc();
  Duration lifetime = kDefaultLifetime;
  const auto expire = parseGoLayout("2006-01-02T15:04:05Z07:00", jsonString(doc, "expire"));
  if (expire) {
    lifetime = expire->unix_nanos - now.unix_nanos;
  }
  impl_->token = std::move(token);
  impl_->renew_at = TimePoint::fromUnixNanos(now.unix_nanos + lifetime - kRenewMargin);
  ++impl_->logins;
  return true;
}

Result<Response> Client::authed(const std::string& method, const std::string& path,
                                const std::string& body) {
  if (!impl_->tokenFresh()) {
    auto ok = login();
    if (!ok) {
      return ok.error();
    }
  }
  auto r = impl_->perform(method, path, body, true);
  if (!r || r->status != 401) {
    return r;
  }
  // Expired or revoked (the LAPI restarted with another secret): one new login, one retry.
  spdlog::debug("LAPI answered 401 path={}, logging in again", path);
  impl_->token.clear();
  auto ok = login();
  if (!ok) {
    return ok.error();
  }
  return impl_->perform(method, path, body, true);
}

Result<bool> Client::heartbeat() {
  auto r = authed("GET", "/v1/heartbeat");
  if (!r) {
    return r.error();
  }
  if (r->status != 200) {
    return makeError(ErrorCode::Runtime, "heartbeat refused (" + std::to_string(r->status) +
                                             "): " + errorMessage(r->body));
  }
  return true;
}

Result<Response> Client::postAlerts(const std::string& json_array) {
  return authed("POST", "/v1/alerts", json_array);
}

}  // namespace cw::core::apiclient

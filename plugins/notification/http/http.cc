// SPDX-License-Identifier: Apache-2.0
// The `crowdwall/http` notification (`type: http` in a CrowdSec file): sends the message the host
// rendered (the notification's `format`, by default the JSON array of the batch's alerts) as the
// body of a request to a URL. Keys: url (required), method (POST), headers (a map), timeout (a
// duration: 10s), skip_tls_verification (false; alias skip_tls_verify). Built with the public
// SDK only.
#include <curl/curl.h>
#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "cw/sdk/plugin.h"

namespace cw::plugins::notification::http {
namespace {

size_t discardBody(char*, size_t size, size_t n, void*) { return size * n; }

class HttpNotifier : public cw::sdk::Notifier {
 public:
  static std::unique_ptr<HttpNotifier> create(std::string_view yaml, cw::sdk::Errors& errors) {
    static std::once_flag curl_ready;
    std::call_once(curl_ready, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });

    auto n = std::make_unique<HttpNotifier>();
    YAML::Node doc;
    try {
      doc = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
      errors.push_back(std::string("invalid YAML: ") + e.what());
      return nullptr;
    }
    if (doc && !doc.IsNull() && !doc.IsMap()) {
      errors.push_back("the configuration must be a mapping");
      return nullptr;
    }
    if (doc && doc.IsMap()) {
      for (const auto& kv : doc) {
        const std::string key = kv.first.Scalar();
        if (kv.second.IsNull()) {
          continue;  // written without a value (`headers:`): the default
        }
        try {
          if (key == "url") {
            n->url_ = kv.second.as<std::string>();
          } else if (key == "method") {
            n->method_ = kv.second.as<std::string>();
          } else if (key == "headers") {
            if (!kv.second.IsMap()) {
              errors.push_back("headers must be a map of names to values");
              continue;
            }
            for (const auto& h : kv.second) {
              n->headers_[h.first.as<std::string>()] = h.second.as<std::string>();
            }
          } else if (key == "timeout") {
            const std::string text = kv.second.as<std::string>();
            auto d = cw::sdk::parseDuration(text);
            const auto ms =
                d ? std::chrono::duration_cast<std::chrono::milliseconds>(*d).count() : 0;
            if (ms <= 0) {
              errors.push_back("timeout '" + text + "' is not a positive duration (10s, 500ms)");
            } else {
              n->timeout_ms_ = ms;
            }
          } else if (key == "skip_tls_verification" || key == "skip_tls_verify") {
            n->skip_tls_verify_ = kv.second.as<bool>();
          } else {
            errors.push_back("unknown key '" + key + "'");
          }
        } catch (const YAML::Exception&) {
          errors.push_back(key + ": wrong type");
        }
      }
    }
    if (n->url_.empty()) {
      errors.push_back("url is required");
    } else if (n->url_.rfind("http://", 0) != 0 && n->url_.rfind("https://", 0) != 0) {
      errors.push_back("url '" + n->url_ + "' is not an http:// or https:// URL");
    }
    if (n->method_.empty()) {
      errors.push_back("method must not be empty");
    }
    if (!errors.empty()) {
      return nullptr;
    }
    return n;
  }

  bool notify(std::string_view message, std::string& error) override {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) {
      error = "cannot create a curl handle";
      return false;
    }
    curl_slist* headers = nullptr;
    bool content_type = false;
    for (const auto& [name, value] : headers_) {
      std::string lower;
      for (char c : name) {
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      content_type = content_type || lower == "content-type";
      headers = curl_slist_append(headers, (name + ": " + value).c_str());
    }
    if (!content_type) {
      headers = curl_slist_append(headers, "Content-Type: application/json");
    }
    char curl_error[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method_.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, message.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(message.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms_);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &discardBody);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, curl_error);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "crowdwall-http-notification/0.1");
    if (skip_tls_verify_) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);

    if (rc != CURLE_OK) {
      error = method_ + " " + url_ + ": " +
              (curl_error[0] != '\0' ? std::string(curl_error) : curl_easy_strerror(rc));
      return false;
    }
    if (status < 200 || status > 299) {
      error = method_ + " " + url_ + ": HTTP status " + std::to_string(status);
      return false;
    }
    return true;
  }

 private:
  std::string url_;
  std::string method_ = "POST";
  std::map<std::string, std::string> headers_;
  long timeout_ms_ = 10000;
  bool skip_tls_verify_ = false;
};

}  // namespace
}  // namespace cw::plugins::notification::http

CW_NOTIFICATION_PLUGIN(cw::plugins::notification::http::HttpNotifier, "crowdwall/http", "0.1")

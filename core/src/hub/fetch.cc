// SPDX-License-Identifier: Apache-2.0
#include "cw/core/hub/fetch.h"

#include <curl/curl.h>

#include <cstdio>
#include <filesystem>
#include <mutex>
#include <string_view>
#include <system_error>

namespace cw::core::hub {
namespace {

namespace fs = std::filesystem;

void globalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct Transfer {
  std::FILE* out = nullptr;
  std::uint64_t written = 0;
  std::string etag;
  const FetchOptions* options = nullptr;
  std::string label;
  bool bar_drawn = false;
  bool too_big = false;
  int last_percent = -1;
};

std::size_t onBody(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  if (t->written + len > t->options->max_bytes) {
    t->too_big = true;
    return 0;
  }
  if (std::fwrite(data, 1, len, t->out) != len) {
    return 0;  // makes curl fail with a write error
  }
  t->written += len;
  return len;
}

std::size_t onHeader(char* data, std::size_t size, std::size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::size_t len = size * n;
  std::string_view line(data, len);
  if (line.size() > 5 && (line.substr(0, 5) == "ETag:" || line.substr(0, 5) == "etag:" ||
                          line.substr(0, 5) == "Etag:")) {
    line.remove_prefix(5);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) {
      line.remove_suffix(1);
    }
    t->etag = std::string(line);
  }
  return len;
}

int onProgress(void* user, curl_off_t total, curl_off_t now, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  if (total <= 0 || static_cast<std::uint64_t>(total) < t->options->progress_min_bytes) {
    return 0;
  }
  const int percent = static_cast<int>(now * 100 / total);
  if (percent == t->last_percent) {
    return 0;
  }
  t->last_percent = percent;
  constexpr int kWidth = 30;
  const int filled = percent * kWidth / 100;
  std::fprintf(stderr, "\r%-32.32s [%.*s%*s] %3d%% %.1f/%.1f MiB", t->label.c_str(), filled,
               "##############################", kWidth - filled, "", percent,
               static_cast<double>(now) / 1048576.0, static_cast<double>(total) / 1048576.0);
  std::fflush(stderr);
  t->bar_drawn = true;
  return 0;
}

Result<FetchResult> fetchFile(const std::string& from, const std::string& dest,
                              std::uint64_t max_bytes) {
  std::error_code ec;
  if (!fs::is_regular_file(from, ec)) {
    return makeError(ErrorCode::NotFound, from + ": not found");
  }
  if (fs::file_size(from, ec) > max_bytes) {
    return makeError(ErrorCode::Invalid,
                     from + ": larger than " + std::to_string(max_bytes) + " bytes: refused");
  }
  fs::copy_file(from, dest, fs::copy_options::overwrite_existing, ec);
  if (ec) {
    fs::remove(dest, ec);
    return makeError(ErrorCode::Io, "cannot copy " + from + " to " + dest + ": " + ec.message());
  }
  FetchResult r;
  r.bytes = fs::file_size(dest, ec);
  return r;
}

}  // namespace

bool isUrl(const std::string& location) {
  return location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0 ||
         location.rfind("file://", 0) == 0;
}

std::string joinLocation(const std::string& base, const std::string& rel) {
  if (base.empty()) {
    return rel;
  }
  std::string out = base;
  while (out.size() > 1 && out.back() == '/') {
    out.pop_back();
  }
  std::string_view r = rel;
  while (!r.empty() && r.front() == '/') {
    r.remove_prefix(1);
  }
  return out + "/" + std::string(r);
}

Result<FetchResult> fetchTo(const std::string& location, const std::string& dest,
                            const FetchOptions& options) {
  if (!isUrl(location)) {
    return fetchFile(location, dest, options.max_bytes);
  }
  globalInit();
  std::FILE* out = std::fopen(dest.c_str(), "wb");
  if (out == nullptr) {
    return makeError(ErrorCode::Io, dest + ": cannot write");
  }
  Transfer t;
  t.out = out;
  t.options = &options;
  t.label = fs::path(location).filename().string();

  CURL* curl = curl_easy_init();
  char error[CURL_ERROR_SIZE] = {0};
  curl_slist* headers = nullptr;
  curl_easy_setopt(curl, CURLOPT_URL, location.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 5L);
  // A redirect may not turn a download into a local file read.
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options.max_bytes));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, options.connect_timeout_s);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, options.timeout_s);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "crowdwall-cwcli/" CW_VERSION);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, onBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, onHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  if (options.progress) {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, onProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  }
  if (!options.ca_file.empty()) {
    curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_file.c_str());
  }
  if (!options.if_none_match.empty()) {
    const std::string h = "If-None-Match: " + options.if_none_match;
    headers = curl_slist_append(headers, h.c_str());
  }
  if (options.if_modified_since > 0) {
    curl_easy_setopt(curl, CURLOPT_TIMECONDITION, static_cast<long>(CURL_TIMECOND_IFMODSINCE));
    curl_easy_setopt(curl, CURLOPT_TIMEVALUE_LARGE,
                     static_cast<curl_off_t>(options.if_modified_since));
  }
  if (headers != nullptr) {
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  }
  const CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  long unmet = 0;
  curl_easy_getinfo(curl, CURLINFO_CONDITION_UNMET, &unmet);
  curl_off_t announced = -1;
  curl_easy_getinfo(curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &announced);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (t.bar_drawn) {
    std::fputc('\n', stderr);
  }
  const bool flushed = std::fclose(out) == 0;

  std::string failure;
  if (t.too_big || rc == CURLE_FILESIZE_EXCEEDED) {
    failure = "larger than " + std::to_string(options.max_bytes) + " bytes: refused";
  } else if (rc != CURLE_OK) {
    failure = std::string(error[0] != '\0' ? error : curl_easy_strerror(rc));
  } else if (!flushed) {
    failure = "cannot write " + dest;
  } else if (location.rfind("file://", 0) != 0 && status != 200 && status != 304) {
    failure = "HTTP status " + std::to_string(status);
  } else if (status == 200 && announced >= 0 &&
             static_cast<std::uint64_t>(announced) != t.written) {
    failure = "short transfer: " + std::to_string(t.written) + " of " + std::to_string(announced) +
              " bytes";
  }
  FetchResult r;
  r.etag = t.etag;
  r.bytes = t.written;
  r.not_modified = status == 304 || unmet != 0;
  std::error_code ec;
  if (!failure.empty() || r.not_modified) {
    fs::remove(dest, ec);
  }
  if (!failure.empty()) {
    return makeError(ErrorCode::Io, location + ": " + failure);
  }
  return r;
}

}  // namespace cw::core::hub

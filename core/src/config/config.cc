// SPDX-License-Identifier: Apache-2.0
#include "cw/core/common/file.h"
#include "cw/core/config/config.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string_view>

namespace cw::core::config {
namespace {

namespace fs = std::filesystem;

// Replaces ${VAR} with the environment variable VAR. An unset variable is an error, since an
// empty password or path is never what the user meant.
Result<std::string> expandEnv(const std::string& text, const std::string& origin) {
  std::string out;
  out.reserve(text.size());
  std::string missing;
  int line = 1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
    }
    if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
      const std::size_t close = text.find('}', i + 2);
      if (close != std::string::npos) {
        const std::string name = text.substr(i + 2, close - i - 2);
        if (const char* value = std::getenv(name.c_str()); value != nullptr) {
          out += value;
        } else {
          missing += origin + ":" + std::to_string(line) + ": environment variable " + name +
                     " is not set\n";
        }
        i = close;
        continue;
      }
    }
    out += text[i];
  }
  if (!missing.empty()) {
    missing.pop_back();
    return makeError(ErrorCode::Config, missing);
  }
  return out;
}

// Walks the YAML tree, reading known keys and listing every problem with its line.
class Reader {
 public:
  Reader(std::string origin, fs::path base) : origin_(std::move(origin)), base_(std::move(base)) {}

  void problem(const YAML::Node& at, const std::string& what) {
    errors_ += origin_ + ":" + std::to_string(at.Mark().line + 1) + ": " + what + "\n";
  }

  /// Checks that `node` is a map whose keys are all in `known`; returns false if not a map.
  bool mapOf(const YAML::Node& node, const std::string& where,
             std::initializer_list<std::string_view> known) {
    if (!node || node.IsNull()) {
      return false;
    }
    if (!node.IsMap()) {
      problem(node, where + " must be a map");
      return false;
    }
    for (const auto& kv : node) {
      const std::string key = kv.first.as<std::string>("");
      bool ok = false;
      for (std::string_view k : known) {
        ok = ok || key == k;
      }
      if (!ok) {
        problem(kv.first, "unknown key '" + key + "' in " + where);
      }
    }
    return true;
  }

  void str(const YAML::Node& map, const char* key, std::string& out) {
    const YAML::Node n = map[key];
    if (!n || n.IsNull()) {
      return;
    }
    if (!n.IsScalar()) {
      problem(n, std::string(key) + " must be a string");
      return;
    }
    out = n.Scalar();
  }

  void path(const YAML::Node& map, const char* key, std::string& out) {
    std::string value;
    str(map, key, value);
    if (!value.empty()) {
      out = resolve(value);
    }
  }

  void boolean(const YAML::Node& map, const char* key, bool& out) {
    const YAML::Node n = map[key];
    if (!n || n.IsNull()) {
      return;
    }
    try {
      out = n.as<bool>();
    } catch (const YAML::Exception&) {
      problem(n, std::string(key) + " must be true or false");
    }
  }

  template <typename Int>
  void integer(const YAML::Node& map, const char* key, Int& out, Int min) {
    const YAML::Node n = map[key];
    if (!n || n.IsNull()) {
      return;
    }
    try {
      const Int v = n.as<Int>();
      if (v < min) {
        problem(n, std::string(key) + " must be at least " + std::to_string(min));
        return;
      }
      out = v;
    } catch (const YAML::Exception&) {
      problem(n, std::string(key) + " must be an integer");
    }
  }

  void list(const YAML::Node& map, const char* key, std::vector<std::string>& out) {
    const YAML::Node n = map[key];
    if (!n || n.IsNull()) {
      return;
    }
    if (!n.IsSequence()) {
      problem(n, std::string(key) + " must be a list of strings");
      return;
    }
    out.clear();
    for (const auto& item : n) {
      if (!item.IsScalar()) {
        problem(item, std::string(key) + " must be a list of strings");
        continue;
      }
      out.push_back(item.Scalar());
    }
  }

  std::string resolve(const std::string& p) const {
    if (p.empty() || fs::path(p).is_absolute()) {
      return p;
    }
    return (base_ / p).lexically_normal().string();
  }

  const std::string& errors() const { return errors_; }

 private:
  std::string origin_;
  fs::path base_;
  std::string errors_;
};

std::string joinPath(const std::string& dir, const char* leaf) {
  return (fs::path(dir) / leaf).lexically_normal().string();
}

void readCommon(Reader& r, const YAML::Node& n, Common& c) {
  if (!r.mapOf(
          n, "common",
          {"daemonize", "pid_dir", "log_media", "log_level", "log_dir", "log_max_size",
           "log_max_age", "log_max_files", "compress_logs", "working_dir", "force_color_logs"})) {
    return;
  }
  r.str(n, "log_level", c.log_level);
  r.str(n, "log_media", c.log_media);
  r.path(n, "log_dir", c.log_dir);
  r.path(n, "working_dir", c.working_dir);
  static constexpr std::string_view kLevels[] = {"trace", "debug", "info",  "warning",
                                                 "warn",  "error", "fatal", "panic"};
  bool known = false;
  for (std::string_view l : kLevels) {
    known = known || c.log_level == l;
  }
  if (!known) {
    r.problem(n["log_level"], "log_level '" + c.log_level +
                                  "' is not one of trace, debug, info, warning, error, fatal");
  }
  if (c.log_media != "stdout" && c.log_media != "file") {
    r.problem(n["log_media"], "log_media must be stdout or file");
  }
}

void readPaths(Reader& r, const YAML::Node& n, ConfigPaths& p) {
  if (r.mapOf(n, "config_paths",
              {"config_dir", "data_dir", "hub_dir", "index_path", "simulation_path",
               "notification_dir", "plugin_dir", "patterns_dir"})) {
    r.path(n, "config_dir", p.config_dir);
    r.path(n, "data_dir", p.data_dir);
    r.path(n, "hub_dir", p.hub_dir);
    r.path(n, "index_path", p.index_path);
    r.path(n, "simulation_path", p.simulation_path);
    r.path(n, "notification_dir", p.notification_dir);
    r.path(n, "plugin_dir", p.plugin_dir);
    r.path(n, "patterns_dir", p.patterns_dir);
  }
  if (p.index_path.empty()) {
    p.index_path = joinPath(p.hub_dir, ".index.json");
  }
  if (p.simulation_path.empty()) {
    p.simulation_path = joinPath(p.config_dir, "simulation.yaml");
  }
  if (p.notification_dir.empty()) {
    p.notification_dir = joinPath(p.config_dir, "notifications");
  }
  if (p.patterns_dir.empty()) {
    p.patterns_dir = joinPath(p.config_dir, "patterns");
  }
}

void readAgent(Reader& r, const YAML::Node& n, AgentService& a, const ConfigPaths& p) {
  if (r.mapOf(n, "crowdsec_service",
              {"enable", "acquisition_path", "acquisition_dir", "parser_routines",
               "buckets_routines", "output_routines", "console_context_path"})) {
    r.boolean(n, "enable", a.enabled);
    r.path(n, "acquisition_path", a.acquisition_path);
    r.path(n, "acquisition_dir", a.acquisition_dir);
    r.integer(n, "parser_routines", a.parser_routines, 1);
    r.integer(n, "buckets_routines", a.buckets_routines, 1);
    r.integer(n, "output_routines", a.output_routines, 1);
  }
  if (a.acquisition_path.empty()) {
    a.acquisition_path = joinPath(p.config_dir, "acquis.yaml");
  }
  if (a.acquisition_dir.empty()) {
    a.acquisition_dir = joinPath(p.config_dir, "acquis.d");
  }
}

void readDb(Reader& r, const YAML::Node& n, DbConfig& d, const ConfigPaths& p) {
  if (r.mapOf(n, "db_config",
              {"type", "db_path", "host", "port", "user", "password", "db_name", "sslmode",
               "use_wal", "max_open_conns", "flush", "log_level", "decision_bulk_size"})) {
    r.str(n, "type", d.type);
    r.path(n, "db_path", d.db_path);
    r.str(n, "host", d.host);
    r.integer(n, "port", d.port, 1);
    r.str(n, "user", d.user);
    r.str(n, "password", d.password);
    r.str(n, "db_name", d.db_name);
    r.str(n, "sslmode", d.sslmode);
    r.boolean(n, "use_wal", d.use_wal);
    r.integer(n, "max_open_conns", d.max_open_conns, 0);
    const YAML::Node f = n["flush"];
    if (r.mapOf(f, "db_config.flush",
                {"max_items", "max_age", "agents_autodelete", "bouncers_autodelete",
                 "metrics_max_age"})) {
      if (f["max_items"]) {
        std::int64_t items = 0;
        r.integer(f, "max_items", items, std::int64_t{0});
        d.flush_max_items = items;
      }
      std::string age;
      r.str(f, "max_age", age);
      if (!age.empty()) {
        if (auto parsed = parseGoDuration(age, /*allow_days=*/true); parsed && *parsed >= 0) {
          d.flush_max_age = *parsed;
        } else {
          r.problem(f["max_age"], "max_age '" + age + "' is not a duration such as 7d or 12h");
        }
      }
    }
    if (d.type != "sqlite" && !d.isPostgres()) {
      r.problem(n["type"], "db_config.type '" + d.type + "' is not sqlite or postgresql");
    }
    if (d.port > 65535) {
      r.problem(n["port"], "port must be at most 65535");
    }
  }
  if (d.db_path.empty()) {
    d.db_path = joinPath(p.data_dir, "crowdwall.db");
  }
}

void readTls(Reader& r, const YAML::Node& n, ServerTls& t) {
  if (!r.mapOf(n, "api.server.tls",
               {"cert_file", "key_file", "ca_cert_path", "client_verification", "agents_allowed_ou",
                "bouncers_allowed_ou", "crl_path", "cache_expiration", "server_name"})) {
    return;
  }
  r.path(n, "cert_file", t.cert_file);
  r.path(n, "key_file", t.key_file);
  r.path(n, "ca_cert_path", t.ca_cert_path);
  r.str(n, "client_verification", t.client_verification);
  r.list(n, "agents_allowed_ou", t.agents_allowed_ou);
  r.list(n, "bouncers_allowed_ou", t.bouncers_allowed_ou);
  r.path(n, "crl_path", t.crl_path);
  static constexpr std::string_view kModes[] = {"NoClientCert", "RequestClientCert",
                                                "RequireAnyClientCert", "VerifyClientCertIfGiven",
                                                "RequireAndVerifyClientCert"};
  bool known = false;
  for (std::string_view m : kModes) {
    known = known || t.client_verification == m;
  }
  if (!known) {
    r.problem(n["client_verification"],
              "client_verification '" + t.client_verification + "' is not a known mode");
  }
  if (t.cert_file.empty() != t.key_file.empty()) {
    r.problem(n, "tls needs both cert_file and key_file");
  }
}

void readServer(Reader& r, const YAML::Node& n, ApiServer& s, const ConfigPaths& p) {
  if (r.mapOf(n, "api.server",
              {"enable", "listen_uri", "listen_socket", "profiles_path", "console_path",
               "trusted_ips", "use_forwarded_for_headers", "trusted_proxies",
               "disable_remote_lapi_registration", "tls", "auto_registration", "log_level",
               "online_client", "capi_whitelists_path", "cors_allowed_origins", "enable_cors"})) {
    r.boolean(n, "enable", s.enabled);
    r.str(n, "listen_uri", s.listen_uri);
    r.path(n, "listen_socket", s.listen_socket);
    r.path(n, "profiles_path", s.profiles_path);
    r.path(n, "console_path", s.console_path);
    r.list(n, "trusted_ips", s.trusted_ips);
    r.boolean(n, "use_forwarded_for_headers", s.use_forwarded_for_headers);
    r.list(n, "trusted_proxies", s.trusted_proxies);
    r.boolean(n, "disable_remote_lapi_registration", s.disable_remote_lapi_registration);
    readTls(r, n["tls"], s.tls);
    const YAML::Node a = n["auto_registration"];
    if (r.mapOf(a, "api.server.auto_registration", {"enabled", "token", "allowed_ranges"})) {
      r.boolean(a, "enabled", s.auto_registration_enabled);
      r.str(a, "token", s.auto_registration_token);
      r.list(a, "allowed_ranges", s.auto_registration_allowed_ranges);
      if (s.auto_registration_enabled && s.auto_registration_token.size() < 32) {
        r.problem(a, "auto_registration token must be at least 32 characters");
      }
    }
    if (s.enabled && s.listen_uri.empty() && s.listen_socket.empty()) {
      r.problem(n, "api.server needs listen_uri or listen_socket");
    }
  }
  if (s.profiles_path.empty()) {
    s.profiles_path = joinPath(p.config_dir, "profiles.yaml");
  }
}

void readClient(Reader& r, const YAML::Node& n, ApiClient& c, const ConfigPaths& p) {
  if (r.mapOf(n, "api.client",
              {"credentials_path", "insecure_skip_verify", "unregister_on_exit"})) {
    r.path(n, "credentials_path", c.credentials_path);
    r.boolean(n, "insecure_skip_verify", c.insecure_skip_verify);
  }
  if (c.credentials_path.empty()) {
    c.credentials_path = joinPath(p.config_dir, "local_api_credentials.yaml");
  }
}

Result<std::string> readFile(const std::string& path) {
  auto text = readWholeFile(path);
  if (!text) {
    return makeError(ErrorCode::Io, "cannot open " + path + ": " + std::strerror(errno));
  }
  return std::move(*text);
}

Result<YAML::Node> parseYaml(const std::string& text, const std::string& origin) {
  try {
    YAML::Node root = YAML::Load(text);
    if (root.IsNull()) {
      return YAML::Node(YAML::NodeType::Map);
    }
    if (!root.IsMap()) {
      return makeError(ErrorCode::Config, origin + ": the top level must be a map");
    }
    return root;
  } catch (const YAML::Exception& e) {
    return makeError(ErrorCode::Parse,
                     origin + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
}

}  // namespace

bool DbConfig::isPostgres() const {
  return type == "postgres" || type == "postgresql" || type == "pgx";
}

std::string DbConfig::postgresConninfo() const {
  // libpq keyword=value with single-quoted values, backslash-escaping ' and \.
  auto quote = [](const std::string& v) {
    std::string out = "'";
    for (char c : v) {
      if (c == '\'' || c == '\\') {
        out += '\\';
      }
      out += c;
    }
    return out + "'";
  };
  std::string s =
      "host=" + quote(host) + " port=" + std::to_string(port) + " dbname=" + quote(db_name);
  if (!user.empty()) {
    s += " user=" + quote(user);
  }
  if (!password.empty()) {
    s += " password=" + quote(password);
  }
  if (!sslmode.empty()) {
    s += " sslmode=" + quote(sslmode);
  }
  return s;
}

Result<Config> parse(const std::string& yaml_text, const std::string& origin) {
  auto text = expandEnv(yaml_text, origin);
  if (!text) {
    return text.error();
  }
  auto root = parseYaml(*text, origin);
  if (!root) {
    return root.error();
  }
  const fs::path base = origin.empty() ? fs::current_path() : fs::absolute(origin).parent_path();
  Reader r(origin, base);
  Config c;
  c.path = origin;
  const YAML::Node& n = *root;
  r.mapOf(n, "the configuration",
          {"common", "config_paths", "crowdsec_service", "crowdwall_service", "cscli", "db_config",
           "api", "prometheus", "plugin_config", "plugins"});
  if (n["crowdsec_service"] && n["crowdwall_service"]) {
    r.problem(n["crowdwall_service"],
              "crowdsec_service and crowdwall_service are the same section");
  }
  readCommon(r, n["common"], c.common);
  readPaths(r, n["config_paths"], c.config_paths);
  readAgent(r, n["crowdwall_service"] ? n["crowdwall_service"] : n["crowdsec_service"], c.agent,
            c.config_paths);
  readDb(r, n["db_config"], c.db, c.config_paths);
  const YAML::Node api = n["api"];
  r.mapOf(api, "api", {"client", "server", "cti"});
  readServer(r, api ? api["server"] : YAML::Node(), c.server, c.config_paths);
  readClient(r, api ? api["client"] : YAML::Node(), c.client, c.config_paths);
  const YAML::Node plugins = n["plugins"];
  if (r.mapOf(plugins, "plugins", {"enabled", "disabled"})) {
    r.list(plugins, "enabled", c.plugins.enabled);
    r.list(plugins, "disabled", c.plugins.disabled);
  }
  if (!r.errors().empty()) {
    std::string e = r.errors();
    e.pop_back();
    return makeError(ErrorCode::Config, e);
  }
  return c;
}

Result<Config> load(const std::string& path) {
  auto text = readFile(path);
  if (!text) {
    return text.error();
  }
  return parse(*text, path);
}

Result<Credentials> loadCredentials(const std::string& path) {
  auto text = readFile(path);
  if (!text) {
    return text.error();
  }
  auto root = parseYaml(*text, path);
  if (!root) {
    return root.error();
  }
  Reader r(path, fs::absolute(path).parent_path());
  Credentials c;
  const YAML::Node& n = *root;
  r.mapOf(n, "credentials", {"url", "login", "password", "ca_cert_path", "cert_path", "key_path"});
  r.str(n, "url", c.url);
  r.str(n, "login", c.login);
  r.str(n, "password", c.password);
  r.path(n, "ca_cert_path", c.ca_cert_path);
  r.path(n, "cert_path", c.cert_path);
  r.path(n, "key_path", c.key_path);
  if (c.url.empty()) {
    r.problem(n, "url is missing");
  }
  if (c.cert_path.empty() && (c.login.empty() || c.password.empty())) {
    r.problem(n, "login and password are missing (or cert_path and key_path for TLS auth)");
  }
  if (!r.errors().empty()) {
    std::string e = r.errors();
    e.pop_back();
    return makeError(ErrorCode::Config, e);
  }
  return c;
}

Result<bool> saveCredentials(const std::string& path, const Credentials& c) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "url" << YAML::Value << c.url << YAML::Key << "login"
      << YAML::Value << c.login << YAML::Key << "password" << YAML::Value << c.password;
  if (!c.ca_cert_path.empty()) {
    out << YAML::Key << "ca_cert_path" << YAML::Value << c.ca_cert_path;
  }
  if (!c.cert_path.empty()) {
    out << YAML::Key << "cert_path" << YAML::Value << c.cert_path << YAML::Key << "key_path"
        << YAML::Value << c.key_path;
  }
  out << YAML::EndMap;
  const std::string text = std::string(out.c_str()) + "\n";
  // Written to a temporary file created 0600, then renamed: the password is never readable by
  // others, not even for a moment, and a crash leaves the old file whole.
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    return makeError(ErrorCode::Io, "cannot write " + tmp + ": " + std::strerror(errno));
  }
  const bool written = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                       ::fsync(fd) == 0;
  const int saved = errno;
  ::close(fd);
  if (!written || std::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return makeError(ErrorCode::Io,
                     "cannot write " + path + ": " + std::strerror(written ? errno : saved));
  }
  return true;
}

std::string defaultConfigPath() {
  if (const char* env = std::getenv("CROWDWALL_CONFIG"); env != nullptr && *env != '\0') {
    return env;
  }
  return "/etc/crowdwall/config.yaml";
}

}  // namespace cw::core::config

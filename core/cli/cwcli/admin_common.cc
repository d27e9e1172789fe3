// SPDX-License-Identifier: Apache-2.0
#include "admin_common.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <iostream>

namespace cw::cli {

namespace {

constexpr const char* kCommands[] = {"machines", "bouncers", "decisions", "alerts"};

}  // namespace

int leadingConfigOptions(int argc, char** argv, std::string& config_file) {
  int i = 1;
  while (i < argc) {
    const std::string a = argv[i];
    if ((a == "-c" || a == "--config") && i + 1 < argc) {
      config_file = argv[i + 1];
      i += 2;
    } else if (a.rfind("--config=", 0) == 0) {
      config_file = a.substr(9);
      i += 1;
    } else {
      break;
    }
  }
  return i;
}

bool isAdminCommand(int argc, char** argv) {
  std::string ignored;
  const int i = leadingConfigOptions(argc, argv, ignored);
  if (i >= argc) {
    return false;
  }
  const std::string word = argv[i];
  return std::any_of(std::begin(kCommands), std::end(kCommands),
                     [&](const char* c) { return word == c; });
}

int runAdminCommand(int argc, char** argv) {
  std::string config_file;
  const int i = leadingConfigOptions(argc, argv, config_file);
  const std::string word = argv[i];
  if (word == "machines") {
    return machinesCommand(argc - i, argv + i, config_file);
  }
  if (word == "bouncers") {
    return bouncersCommand(argc - i, argv + i, config_file);
  }
  if (word == "decisions") {
    return decisionsCommand(argc - i, argv + i, config_file);
  }
  return alertsCommand(argc - i, argv + i, config_file);
}

core::Result<std::shared_ptr<AdminContext>> openAdmin(const std::string& config_file) {
  const std::string path = config_file.empty() ? core::config::defaultConfigPath() : config_file;
  auto cfg = core::config::load(path);
  if (!cfg) {
    return core::makeError(cfg.error().code,
                           cfg.error().message + (config_file.empty() ? "\n(give -c CONFIG)" : ""));
  }
  auto store = core::store::Store::open(cfg->db);
  if (!store) {
    return core::makeError(store.error().code, "database: " + store.error().message);
  }
  auto ctx = std::make_shared<AdminContext>();
  ctx->config = std::move(*cfg);
  ctx->store = std::move(*store);
  return ctx;
}

namespace {

// A value refused by an option's notifier: the message says it all, no help dump after it.
struct BadValue : boost::program_options::error {
  using boost::program_options::error::error;
};

// `names` null: no positional words (one is an error). The positional words go through an
// option that --help does not show.
int parseArgsInto(int argc, char** argv, boost::program_options::options_description& desc,
                  std::vector<std::string>* names, boost::program_options::variables_map& vm,
                  const char* what) {
  namespace po = boost::program_options;
  desc.add_options()("help,h", "show this help");
  po::options_description all;
  all.add(desc);
  po::positional_options_description pos;
  if (names != nullptr) {
    po::options_description hidden;
    hidden.add_options()("positional-words", po::value(names));
    all.add(hidden);
    pos.add("positional-words", -1);
  }
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    if (vm.count("help") != 0) {
      std::cout << desc << "\n";
      return 0;
    }
    po::notify(vm);
  } catch (const BadValue& e) {
    std::cerr << "cwcli " << what << ": " << e.what() << "\n";
    return 2;
  } catch (const po::error& e) {
    std::cerr << "cwcli " << what << ": " << e.what() << "\n" << desc << "\n";
    return 2;
  }
  return -1;
}

}  // namespace

int parseArgs(int argc, char** argv, boost::program_options::options_description& desc,
              std::vector<std::string>& names, boost::program_options::variables_map& vm,
              const char* what) {
  return parseArgsInto(argc, argv, desc, &names, vm, what);
}

int parseArgs(int argc, char** argv, boost::program_options::options_description& desc,
              boost::program_options::variables_map& vm, const char* what) {
  return parseArgsInto(argc, argv, desc, nullptr, vm, what);
}

void FilterFlags::add(boost::program_options::options_description& desc, bool with_limit) {
  namespace po = boost::program_options;
  // A malformed address is the user's typo: said in our words, before any query.
  auto address = [](const char* flag) {
    return [flag](const std::string& v) {
      if (auto r = core::store::IpRange::parse(v); !r) {
        throw BadValue(std::string("--") + flag + ": '" + v +
                       "' is not an IP address or range: " + r.error().message);
      }
    };
  };
  desc.add_options()                                                                          //
      ("ip,i", po::value(&ip)->notifier(address("ip")), "source IP address")                  //
      ("range,r", po::value(&range)->notifier(address("range")), "source range (CIDR)")       //
      ("scope", po::value(&scope), "source scope (ip, range, as, ...)")                       //
      ("value,v", po::value(&value), "source value")                                          //
      ("scenario,s", po::value(&scenario), "scenario name (or reason)")                       //
      ("type,t", po::value(&type), "decision type (ban, captcha, ...)")                       //
      ("origin", po::value(&origin), "decision origin (crowdsec, cscli, CAPI, ...)")          //
      ("since", po::value(&since), "started at most this long ago (e.g. 4h, 2d)")             //
      ("until", po::value(&until), "started at least this long ago")                          //
      ("all,a", po::bool_switch(&all), "include CAPI and list decisions / match everything")  //
      ("contained", po::bool_switch(&contained), "match what lies inside --ip/--range");
  if (with_limit) {
    desc.add_options()("limit,l", po::value(&limit), "at most this many alerts (0 = all)");
  }
}

bool FilterFlags::empty() const {
  return ip.empty() && range.empty() && scope.empty() && value.empty() && scenario.empty() &&
         type.empty() && origin.empty() && since.empty() && until.empty();
}

core::store::QueryParams FilterFlags::alertQuery() const {
  core::store::QueryParams q;
  auto put = [&](const char* key, const std::string& v) {
    if (!v.empty()) {
      q.emplace_back(key, v);
    }
  };
  put("ip", ip);
  put("range", range);
  put("scope", scope);
  put("value", value);
  put("scenario", scenario);
  put("decision_type", type);
  put("origin", origin);
  put("since", since);
  put("until", until);
  put("limit", limit);
  if (contained) {
    q.emplace_back("contains", "false");
  }
  if (!all) {
    q.emplace_back("include_capi", "false");
  }
  return q;
}

core::Result<Output> parseOutput(const std::string& text) {
  if (text == "human") {
    return Output::Human;
  }
  if (text == "json") {
    return Output::Json;
  }
  if (text == "raw") {
    return Output::Raw;
  }
  return core::makeError(core::ErrorCode::Invalid,
                         "-o takes human, json or raw, not '" + text + "'");
}

std::string renderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(header.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < width.size(); ++i) {
      width[i] = std::max(width[i], row[i].size());
    }
  };
  measure(header);
  for (const auto& r : rows) {
    measure(r);
  }
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    std::string l;
    for (std::size_t i = 0; i < width.size(); ++i) {
      const std::string cell = i < row.size() ? row[i] : "";
      l += cell;
      if (i + 1 < width.size()) {
        l += std::string(width[i] - cell.size() + 2, ' ');
      }
    }
    while (!l.empty() && l.back() == ' ') {
      l.pop_back();
    }
    out += l + "\n";
  };
  line(header);
  std::size_t total = 0;
  for (std::size_t w : width) {
    total += w + 2;
  }
  out += std::string(total > 2 ? total - 2 : 0, '-') + "\n";
  for (const auto& r : rows) {
    line(r);
  }
  return out;
}

std::string renderCsv(const std::vector<std::string>& header,
                      const std::vector<std::vector<std::string>>& rows) {
  auto field = [](const std::string& f) {
    if (f.find_first_of(",\"\n\r") == std::string::npos) {
      return f;
    }
    std::string q = "\"";
    for (char c : f) {
      q += c;
      if (c == '"') {
        q += '"';
      }
    }
    return q + "\"";
  };
  std::string out;
  auto line = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size(); ++i) {
      out += (i == 0 ? "" : ",") + field(row[i]);
    }
    out += "\n";
  };
  line(header);
  for (const auto& r : rows) {
    line(r);
  }
  return out;
}

std::string jsonString(std::string_view s) {
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return buf.GetString();
}

std::string timeText(const core::TimePoint& t) {
  return t.isZero() ? ""
                    : core::formatRfc3339Nano(core::TimePoint::fromUnixNanos(
                          t.unix_nanos / core::kSecond * core::kSecond));
}

}  // namespace cw::cli

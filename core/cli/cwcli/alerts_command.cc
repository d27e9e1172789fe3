// SPDX-License-Identifier: Apache-2.0
// `cwcli alerts list|inspect|delete`, on the database directly, with the filters of
// GET/DELETE /v1/alerts (lapi.md section 6).
#include <iostream>
#include <map>

#include "admin_common.h"
#include "cw/core/lapi/json_models.h"

namespace po = boost::program_options;
using namespace cw::core;

namespace cw::cli {

namespace {

constexpr const char* kUsage =
    "usage: cwcli [-c CONFIG] alerts <subcommand>\n"
    "  list [filters] [-o human|json|raw]   list alerts (newest first, 50 by default)\n"
    "  inspect ID [-o human|json]           one alert with its events and decisions\n"
    "  delete (--id N | --all | filters)    delete alerts and their decisions\n"
    "filters: --ip --range --scope --value --scenario --type --origin --since --until\n"
    "         --contained --limit --all (list: include CAPI/lists alerts)\n";

/// "ban:2 captcha:1" for an alert's decisions.
std::string decisionSummary(const store::Alert& a) {
  std::map<std::string, int> n;
  for (const auto& d : a.decisions) {
    ++n[d.type];
  }
  std::string s;
  for (const auto& [type, count] : n) {
    s += (s.empty() ? "" : " ") + type + ":" + std::to_string(count);
  }
  return s;
}

std::string asText(const store::Source& s) {
  std::string as = s.as_number;
  if (!s.as_name.empty()) {
    as += (as.empty() ? "" : " ") + s.as_name;
  }
  return as;
}

int list(int argc, char** argv, const std::string& config_file) {
  FilterFlags flags;
  flags.limit = "50";
  std::string output = "human";
  std::vector<std::string> words;
  po::options_description desc("cwcli alerts list [options]");
  flags.add(desc, true);
  desc.add_options()("output,o", po::value(&output), "human, json or raw");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, words, vm, "alerts list"); rc >= 0) {
    return rc;
  }
  auto fmt = parseOutput(output);
  if (!fmt || !words.empty()) {
    std::cerr << "cwcli alerts list: "
              << (fmt ? "unexpected argument '" + words[0] + "'" : fmt.error().message) << "\n";
    return 2;
  }
  const TimePoint now = nowUtc();
  auto filter = store::AlertFilter::fromQuery(flags.alertQuery(), now);
  if (!filter) {
    std::cerr << "cwcli alerts list: " << filter.error().message << "\n";
    return 2;
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli alerts list: " << ctx.error().message << "\n";
    return 1;
  }
  auto alerts = (*ctx)->store->listAlerts(*filter, now);
  if (!alerts) {
    std::cerr << "cwcli alerts list: " << alerts.error().message << "\n";
    return 1;
  }
  if (*fmt == Output::Json) {
    std::cout << lapi::renderAlerts(*alerts, now) << "\n";
    return 0;
  }
  const std::vector<std::string> header = {"ID", "VALUE",     "REASON",    "COUNTRY",
                                           "AS", "DECISIONS", "CREATED AT"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : *alerts) {
    rows.push_back({std::to_string(a.id), a.source.scope + ":" + a.source.value, a.scenario,
                    a.source.cn, asText(a.source), decisionSummary(a), timeText(a.created_at)});
  }
  if (*fmt == Output::Raw) {
    std::cout << renderCsv(header, rows);
  } else if (rows.empty()) {
    std::cout << "No alerts.\n";
  } else {
    std::cout << renderTable(header, rows);
  }
  return 0;
}

std::optional<std::int64_t> parseId(const std::string& s) {
  try {
    std::size_t used = 0;
    const long long v = std::stoll(s, &used);
    if (used == s.size()) {
      return v;
    }
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

int inspect(int argc, char** argv, const std::string& config_file) {
  std::string output = "human";
  std::vector<std::string> words;
  po::options_description desc("cwcli alerts inspect ID [options]");
  desc.add_options()("output,o", po::value(&output), "human or json");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, words, vm, "alerts inspect"); rc >= 0) {
    return rc;
  }
  auto fmt = parseOutput(output);
  if (!fmt || *fmt == Output::Raw) {
    std::cerr << "cwcli alerts inspect: -o takes human or json\n";
    return 2;
  }
  if (words.size() != 1 || !parseId(words[0])) {
    std::cerr << "cwcli alerts inspect: give one alert id (a number)\n";
    return 2;
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli alerts inspect: " << ctx.error().message << "\n";
    return 1;
  }
  auto got = (*ctx)->store->getAlert(*parseId(words[0]));
  if (!got) {
    std::cerr << "cwcli alerts inspect: " << got.error().message << "\n";
    return 1;
  }
  if (!got->has_value()) {
    std::cerr << "cwcli alerts inspect: no alert " << words[0] << "\n";
    return 1;
  }
  const store::Alert& a = **got;
  const TimePoint now = nowUtc();
  if (*fmt == Output::Json) {
    std::cout << lapi::renderAlert(a, now) << "\n";
    return 0;
  }
  std::cout << " - ID           : " << a.id << "\n"
            << " - Date         : " << timeText(a.created_at) << "\n"
            << " - Machine      : " << a.machine_id << "\n"
            << " - Simulation   : " << (a.simulated ? "true" : "false") << "\n"
            << " - Reason       : " << a.scenario << "\n"
            << " - Events Count : " << a.events_count << "\n"
            << " - Scope:Value  : " << a.source.scope << ":" << a.source.value << "\n"
            << " - Country      : " << a.source.cn << "\n"
            << " - AS           : " << asText(a.source) << "\n"
            << " - Begin        : " << timeText(a.start_at) << "\n"
            << " - End          : " << timeText(a.stop_at) << "\n"
            << " - UUID         : " << a.uuid << "\n\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : a.decisions) {
    rows.push_back({std::to_string(d.id), d.scope + ":" + d.value, d.type,
                    lapi::remainingDuration(d.until, now), d.origin,
                    d.simulated ? "true" : "false"});
  }
  std::cout << "Decisions\n"
            << renderTable({"ID", "SCOPE:VALUE", "ACTION", "EXPIRATION", "ORIGIN", "SIMULATED"},
                           rows);
  return 0;
}

int remove(int argc, char** argv, const std::string& config_file) {
  FilterFlags flags;
  std::string id;
  std::vector<std::string> words;
  po::options_description desc("cwcli alerts delete [options]");
  flags.add(desc, false);
  desc.add_options()("id", po::value(&id), "alert id");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, words, vm, "alerts delete"); rc >= 0) {
    return rc;
  }
  const bool criteria = !flags.empty();
  if (!words.empty() || int(!id.empty()) + int(flags.all) + int(criteria) != 1) {
    std::cerr << "cwcli alerts delete: give --id, --all, or filters (one of them)\n";
    return 2;
  }
  if (!id.empty() && !parseId(id)) {
    std::cerr << "cwcli alerts delete: --id takes a number, not '" << id << "'\n";
    return 2;
  }
  const TimePoint now = nowUtc();
  store::AlertFilter filter;
  if (criteria) {
    flags.all = true;  // deletion does not hide CAPI alerts
    auto f = store::AlertFilter::fromQuery(flags.alertQuery(), now);
    if (!f) {
      std::cerr << "cwcli alerts delete: " << f.error().message << "\n";
      return 2;
    }
    filter = *f;
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli alerts delete: " << ctx.error().message << "\n";
    return 1;
  }
  std::int64_t n = 0;
  if (!id.empty()) {
    auto r = (*ctx)->store->deleteAlert(*parseId(id));
    if (!r) {
      std::cerr << "cwcli alerts delete: " << r.error().message << "\n";
      return 1;
    }
    n = *r ? 1 : 0;
  } else {
    auto r = (*ctx)->store->deleteAlerts(filter, now);
    if (!r) {
      std::cerr << "cwcli alerts delete: " << r.error().message << "\n";
      return 1;
    }
    n = *r;
  }
  std::cout << n << " alert(s) deleted.\n";
  return 0;
}

}  // namespace

int alertsCommand(int argc, char** argv, const std::string& config_file) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "list") {
    return list(argc - 1, argv + 1, config_file);
  }
  if (sub == "inspect") {
    return inspect(argc - 1, argv + 1, config_file);
  }
  if (sub == "delete") {
    return remove(argc - 1, argv + 1, config_file);
  }
  const bool help = sub == "-h" || sub == "--help";
  std::cerr << (sub.empty() || help ? "" : "cwcli alerts: unknown subcommand '" + sub + "'\n")
            << kUsage;
  return help ? 0 : 2;
}

}  // namespace cw::cli

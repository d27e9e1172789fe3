// SPDX-License-Identifier: Apache-2.0
// `cwcli decisions list|add|delete|import`, on the database directly. An added decision is an
// alert of kind cscli carrying it (origin cscli), as `cscli decisions add` posts one
// (lapi.md section 13); imports are one such alert per file with origin cscli-import.
#include <rapidjson/document.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "admin_common.h"
#include "cw/core/lapi/json_models.h"

namespace po = boost::program_options;
using namespace cw::core;

namespace cw::cli {

namespace {

constexpr const char* kUsage =
    "usage: cwcli [-c CONFIG] decisions <subcommand>\n"
    "  list [filters] [-o human|json|raw]     active decisions (by alert)\n"
    "  add (--ip IP | --range CIDR | --value V [--scope S]) [--duration 4h] [--type ban]\n"
    "      [--reason TEXT]                    add a decision\n"
    "  delete (--id N | --all | filters)      expire decisions\n"
    "  import -i FILE [--format csv|json] [--duration 4h] [--type ban] [--scope ip]\n"
    "      [--reason TEXT]                    add decisions from a file (columns/keys: value,\n"
    "                                         duration, reason, scope, type, origin)\n"
    "filters: --ip --range --scope --value --scenario --type --origin --since --until\n"
    "         --contained --all (list: include CAPI/lists decisions; delete: every decision)\n";

int list(int argc, char** argv, const std::string& config_file) {
  FilterFlags flags;
  flags.limit = "100";
  std::string output = "human";
  std::vector<std::string> words;
  po::options_description desc("cwcli decisions list [options]");
  flags.add(desc, true);
  desc.add_options()("output,o", po::value(&output), "human, json or raw");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, words, vm, "decisions list"); rc >= 0) {
    return rc;
  }
  auto fmt = parseOutput(output);
  if (!fmt || !words.empty()) {
    std::cerr << "cwcli decisions list: "
              << (fmt ? "unexpected argument '" + words[0] + "'" : fmt.error().message) << "\n";
    return 2;
  }
  auto query = flags.alertQuery();
  query.emplace_back("has_active_decision", "true");
  const TimePoint now = nowUtc();
  auto filter = store::AlertFilter::fromQuery(query, now);
  if (!filter) {
    std::cerr << "cwcli decisions list: " << filter.error().message << "\n";
    return 2;
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli decisions list: " << ctx.error().message << "\n";
    return 1;
  }
  auto alerts = (*ctx)->store->listAlerts(*filter, now);
  if (!alerts) {
    std::cerr << "cwcli decisions list: " << alerts.error().message << "\n";
    return 1;
  }
  if (*fmt == Output::Json) {
    std::cout << lapi::renderAlerts(*alerts, now) << "\n";
    return 0;
  }
  const std::vector<std::string> header = {"ID",         "SOURCE",  "SCOPE:VALUE", "REASON",
                                           "ACTION",     "COUNTRY", "AS",          "EVENTS",
                                           "EXPIRATION", "ALERT ID"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& a : *alerts) {
    for (const auto& d : a.decisions) {
      if (d.until < now) {
        continue;
      }
      std::string as = a.source.as_number;
      if (!a.source.as_name.empty()) {
        as += (as.empty() ? "" : " ") + a.source.as_name;
      }
      rows.push_back({std::to_string(d.id), d.origin, d.scope + ":" + d.value, d.scenario, d.type,
                      a.source.cn, as, std::to_string(a.events_count),
                      lapi::remainingDuration(d.until, now), std::to_string(a.id)});
    }
  }
  if (*fmt == Output::Raw) {
    std::cout << renderCsv(header, rows);
  } else if (rows.empty()) {
    std::cout << "No active decisions.\n";
  } else {
    std::cout << renderTable(header, rows);
  }
  return 0;
}

/// One alert of kind cscli carrying `decisions`, stored in one transaction.
Result<std::int64_t> storeManual(store::Store& st, const std::string& scenario,
                                 const store::Source& source,
                                 std::vector<store::Decision> decisions, TimePoint now) {
  store::Alert a;
  a.machine_id = "cwcli";
  a.kind = "cscli";
  a.scenario = scenario;
  a.message = scenario;
  a.events_count = 1;
  a.capacity = 0;
  a.leakspeed = "0";
  a.remediation = true;
  a.start_at = now;
  a.stop_at = now;
  a.created_at = now;
  a.source = source;
  a.decisions = std::move(decisions);
  std::vector<store::Alert> batch{std::move(a)};
  auto ids = st.insertAlerts(batch, now);
  if (!ids) {
    return ids.error();
  }
  return ids->front();
}

/// Checks a value against its scope: Ip must be one address, Range a CIDR network.
std::string checkValue(const std::string& scope, const std::string& value) {
  if (scope != store::kScopeIp && scope != store::kScopeRange) {
    return value.empty() ? "empty value" : "";
  }
  auto r = store::IpRange::parse(value);
  if (!r) {
    return "'" + value + "' is not a valid " + (scope == store::kScopeIp ? "IP" : "range") + ": " +
           r.error().message;
  }
  const bool has_slash = value.find('/') != std::string::npos;
  if (scope == store::kScopeIp && has_slash) {
    return "'" + value + "' is a range: use --range";
  }
  if (scope == store::kScopeRange && !has_slash) {
    return "'" + value + "' is not a range (CIDR): use --ip";
  }
  return "";
}

int add(int argc, char** argv, const std::string& config_file) {
  std::string ip;
  std::string range;
  std::string value;
  std::string scope = store::kScopeIp;
  std::string duration = "4h";
  std::string type = "ban";
  std::string reason;
  std::vector<std::string> words;
  po::options_description desc("cwcli decisions add [options]");
  desc.add_options()("ip,i", po::value(&ip), "source IP address")("range,r", po::value(&range),
                                                                  "source range (CIDR)")(
      "value,v", po::value(&value), "value of another scope")("scope", po::value(&scope),
                                                              "scope of --value (default ip)")(
      "duration,d", po::value(&duration), "how long (Go duration, d for days; default 4h)")(
      "type,t", po::value(&type), "decision type (default ban)")("reason,R", po::value(&reason),
                                                                 "reason, stored as the scenario");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, words, vm, "decisions add"); rc >= 0) {
    return rc;
  }
  const int given = int(vm.count("ip")) + int(vm.count("range")) + int(vm.count("value"));
  if (given != 1 || !words.empty()) {
    std::cerr << "cwcli decisions add: give exactly one of --ip, --range, --value\n";
    return 2;
  }
  if (vm.count("ip") != 0) {
    scope = store::kScopeIp;
    value = ip;
  } else if (vm.count("range") != 0) {
    scope = store::kScopeRange;
    value = range;
  }
  scope = store::normalizeScope(scope);
  if (auto bad = checkValue(scope, value); !bad.empty()) {
    std::cerr << "cwcli decisions add: " << bad << "\n";
    return 2;
  }
  auto d = parseGoDuration(duration, /*allow_days=*/true);
  if (!d || *d <= 0) {
    std::cerr << "cwcli decisions add: invalid duration '" << duration << "'\n";
    return 2;
  }
  if (type.empty()) {
    std::cerr << "cwcli decisions add: --type must not be empty\n";
    return 2;
  }
  if (reason.empty()) {
    reason = "manual '" + type + "' from 'cwcli'";
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli decisions add: " << ctx.error().message << "\n";
    return 1;
  }
  const TimePoint now = nowUtc();
  store::Source source;
  source.scope = scope;
  source.value = value;
  if (scope == store::kScopeIp) {
    source.ip = value;
  } else if (scope == store::kScopeRange) {
    source.range = value;
  }
  store::Decision dec;
  dec.origin = store::kOriginCscli;
  dec.type = type;
  dec.scope = scope;
  dec.value = value;
  dec.scenario = reason;
  dec.until = TimePoint::fromUnixNanos(now.unix_nanos + *d);
  auto id = storeManual(*(*ctx)->store, reason, source, {dec}, now);
  if (!id) {
    std::cerr << "cwcli decisions add: " << id.error().message << "\n";
    return 1;
  }
  std::cout << "Decision successfully added (alert " << *id << ").\n";
  return 0;
}

int remove(int argc, char** argv, const std::string& config_file) {
  FilterFlags flags;
  std::string id;
  std::vector<std::string> words;
  po::options_description desc("cwcli decisions delete [options]");
  flags.add(desc, false);
  desc.add_options()("id", po::value(&id), "decision id");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, words, vm, "decisions delete"); rc >= 0) {
    return rc;
  }
  if (!words.empty()) {
    std::cerr << "cwcli decisions delete: unexpected argument '" << words[0] << "'\n";
    return 2;
  }
  if (!flags.since.empty() || !flags.until.empty()) {
    std::cerr << "cwcli decisions delete: --since/--until do not apply to deletion\n";
    return 2;
  }
  const bool criteria = !flags.empty();
  if (int(!id.empty()) + int(flags.all) + int(criteria) != 1) {
    std::cerr << "cwcli decisions delete: give --id, --all, or filters (one of them)\n";
    return 2;
  }
  store::DecisionFilter filter;
  if (criteria) {
    store::QueryParams q;
    auto put = [&](const char* key, const std::string& v) {
      if (!v.empty()) {
        q.emplace_back(key, v);
      }
    };
    put("ip", flags.ip);
    put("range", flags.range);
    put("scopes", flags.scope.empty() ? "" : store::normalizeScope(flags.scope));
    put("value", flags.value);
    put("scenario", flags.scenario);
    put("type", flags.type);
    put("origin", flags.origin);
    if (flags.contained) {
      q.emplace_back("contains", "false");
    }
    auto f = store::DecisionFilter::fromDeleteQuery(q);
    if (!f) {
      std::cerr << "cwcli decisions delete: " << f.error().message << "\n";
      return 2;
    }
    filter = *f;
  }
  std::int64_t decision_id = 0;
  if (!id.empty()) {
    try {
      std::size_t used = 0;
      decision_id = std::stoll(id, &used);
      if (used != id.size()) {
        throw std::invalid_argument(id);
      }
    } catch (const std::exception&) {
      std::cerr << "cwcli decisions delete: --id takes a number, not '" << id << "'\n";
      return 2;
    }
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli decisions delete: " << ctx.error().message << "\n";
    return 1;
  }
  const TimePoint now = nowUtc();
  auto n = id.empty() ? (*ctx)->store->expireDecisions(filter, now)
                      : (*ctx)->store->expireDecision(decision_id, now);
  if (!n) {
    std::cerr << "cwcli decisions delete: " << n.error().message << "\n";
    return 1;
  }
  std::cout << *n << " decision(s) deleted.\n";
  return 0;
}

/// One row of an import file; empty fields take the command's defaults.
struct ImportRow {
  std::string value, duration, reason, scope, type, origin;
};

/// Splits CSV text (RFC 4180 quoting) into rows of fields.
std::vector<std::vector<std::string>> parseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> row;
  std::string field;
  bool quoted = false;
  bool any = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        field += c;
      }
      continue;
    }
    if (c == '"') {
      quoted = true;
      any = true;
    } else if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      any = true;
    } else if (c == '\n' || c == '\r') {
      if (any || !field.empty()) {
        row.push_back(std::move(field));
        rows.push_back(std::move(row));
      }
      row.clear();
      field.clear();
      any = false;
    } else {
      field += c;
      any = true;
    }
  }
  if (any || !field.empty()) {
    row.push_back(std::move(field));
    rows.push_back(std::move(row));
  }
  return rows;
}

Result<std::vector<ImportRow>> readImport(const std::string& text, const std::string& format) {
  static const char* kKeys[] = {"value", "duration", "reason", "scope", "type", "origin"};
  auto fieldOf = [](ImportRow& r, std::string_view key) -> std::string* {
    if (key == "value") return &r.value;
    if (key == "duration") return &r.duration;
    if (key == "reason") return &r.reason;
    if (key == "scope") return &r.scope;
    if (key == "type") return &r.type;
    if (key == "origin") return &r.origin;
    return nullptr;
  };
  std::vector<ImportRow> out;
  if (format == "json") {
    rapidjson::Document doc;
    doc.Parse(text.data(), text.size());
    if (doc.HasParseError() || !doc.IsArray()) {
      return makeError(ErrorCode::Parse, "the JSON file must be an array of objects");
    }
    for (const auto& item : doc.GetArray()) {
      if (!item.IsObject()) {
        return makeError(ErrorCode::Parse, "the JSON file must be an array of objects");
      }
      ImportRow r;
      for (const char* k : kKeys) {
        if (item.HasMember(k) && item[k].IsString()) {
          *fieldOf(r, k) = std::string(item[k].GetString(), item[k].GetStringLength());
        }
      }
      out.push_back(std::move(r));
    }
    return out;
  }
  auto rows = parseCsv(text);
  if (rows.empty()) {
    return out;
  }
  std::vector<int> column(rows[0].size(), -1);
  bool has_value = false;
  for (std::size_t i = 0; i < rows[0].size(); ++i) {
    for (int k = 0; k < 6; ++k) {
      if (rows[0][i] == kKeys[k]) {
        column[i] = k;
        has_value = has_value || k == 0;
      }
    }
  }
  if (!has_value) {
    return makeError(ErrorCode::Parse, "the CSV header has no 'value' column");
  }
  for (std::size_t r = 1; r < rows.size(); ++r) {
    ImportRow row;
    for (std::size_t i = 0; i < rows[r].size() && i < column.size(); ++i) {
      if (column[i] >= 0) {
        *fieldOf(row, kKeys[column[i]]) = rows[r][i];
      }
    }
    out.push_back(std::move(row));
  }
  return out;
}

int import(int argc, char** argv, const std::string& config_file) {
  std::string input;
  std::string format;
  std::string duration = "4h";
  std::string type = "ban";
  std::string scope = "ip";
  std::string reason = "manual";
  std::vector<std::string> words;
  po::options_description desc("cwcli decisions import -i FILE [options]");
  desc.add_options()("input,i", po::value(&input)->required(), "file to import")(
      "format", po::value(&format), "csv or json (default: from the file name)")(
      "duration,d", po::value(&duration), "default duration (4h)")("type,t", po::value(&type),
                                                                   "default type (ban)")(
      "scope", po::value(&scope), "default scope (ip)")("reason,R", po::value(&reason),
                                                        "default reason (manual)");
  po::variables_map vm;
  if (int rc = parseArgs(argc, argv, desc, words, vm, "decisions import"); rc >= 0) {
    return rc;
  }
  if (format.empty()) {
    format = std::filesystem::path(input).extension() == ".json" ? "json" : "csv";
  }
  if (format != "csv" && format != "json") {
    std::cerr << "cwcli decisions import: --format takes csv or json\n";
    return 2;
  }
  std::ifstream in(input, std::ios::binary);
  if (!in) {
    std::cerr << "cwcli decisions import: cannot read " << input << "\n";
    return 1;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  auto rows = readImport(ss.str(), format);
  if (!rows) {
    std::cerr << "cwcli decisions import: " << input << ": " << rows.error().message << "\n";
    return 1;
  }
  const TimePoint now = nowUtc();
  std::vector<store::Decision> decisions;
  std::size_t skipped = 0;
  for (std::size_t i = 0; i < rows->size(); ++i) {
    const ImportRow& r = (*rows)[i];
    store::Decision d;
    d.scope = store::normalizeScope(r.scope.empty() ? scope : r.scope);
    d.value = r.value;
    d.type = r.type.empty() ? type : r.type;
    d.scenario = r.reason.empty() ? reason : r.reason;
    d.origin = r.origin.empty() ? store::kOriginCscliImport : r.origin;
    const std::string dur_text = r.duration.empty() ? duration : r.duration;
    auto dur = parseGoDuration(dur_text, /*allow_days=*/true);
    std::string bad = checkValue(d.scope, d.value);
    if (bad.empty() && (!dur || *dur <= 0)) {
      bad = "invalid duration '" + dur_text + "'";
    }
    if (!bad.empty()) {
      std::cerr << "cwcli decisions import: entry " << i + 1 << " skipped: " << bad << "\n";
      ++skipped;
      continue;
    }
    d.until = TimePoint::fromUnixNanos(now.unix_nanos + *dur);
    decisions.push_back(std::move(d));
  }
  if (decisions.empty()) {
    std::cout << "No decision imported (" << skipped << " skipped).\n";
    return skipped == 0 ? 0 : 1;
  }
  auto ctx = openAdmin(config_file);
  if (!ctx) {
    std::cerr << "cwcli decisions import: " << ctx.error().message << "\n";
    return 1;
  }
  const std::size_t n = decisions.size();
  store::Source source;
  source.scope = "cscli-import";
  source.value = std::filesystem::path(input).filename().string();
  const std::string scenario = "import " + source.value + ": " + std::to_string(n) + " decisions";
  auto id = storeManual(*(*ctx)->store, scenario, source, std::move(decisions), now);
  if (!id) {
    std::cerr << "cwcli decisions import: " << id.error().message << "\n";
    return 1;
  }
  std::cout << n << " decision(s) imported (alert " << *id << "), " << skipped << " skipped.\n";
  return 0;
}

}  // namespace

int decisionsCommand(int argc, char** argv, const std::string& config_file) {
  const std::string sub = argc >= 2 ? argv[1] : "";
  if (sub == "list") {
    return list(argc - 1, argv + 1, config_file);
  }
  if (sub == "add") {
    return add(argc - 1, argv + 1, config_file);
  }
  if (sub == "delete") {
    return remove(argc - 1, argv + 1, config_file);
  }
  if (sub == "import") {
    return import(argc - 1, argv + 1, config_file);
  }
  const bool help = sub == "-h" || sub == "--help";
  std::cerr << (sub.empty() || help ? "" : "cwcli decisions: unknown subcommand '" + sub + "'\n")
            << kUsage;
  return help ? 0 : 2;
}

}  // namespace cw::cli

// SPDX-License-Identifier: Apache-2.0
// cwcli: the admin CLI. Today: `cwcli hubtest run`.
#include <boost/program_options.hpp>
#include <spdlog/spdlog.h>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <string>
#include <string_view>
#include <vector>

#include "cw/core/explain/explain.h"
#include "cw/core/plugins/loader.h"
#include "cw/core/hub/hub.h"
#include "cw/core/hubtest/hubtest.h"
#include "admin_common.h"
#include "hub_command.h"
#include "lapi_command.h"

namespace po = boost::program_options;
using cw::core::hubtest::CaseResult;
using cw::core::hubtest::Outcome;

namespace {

constexpr const char* kUsage =
    "usage: cwcli <command> [args]\n"
    "\n"
    "commands:\n"
    "  hubtest run [--all | NAME...] --hub DIR --tests DIR   run hub test cases\n"
    "  explain (--file FILE | --log LINE) --type TYPE        show what each parser and\n"
    "          [--hub DIR] [--collections LIST]              scenario did with each line\n"
    "  [-c CONFIG] hub update|list|upgrade                   fetch the hub index, list items\n"
    "  [-c CONFIG] collections|parsers|scenarios|postoverflows|contexts|plugins\n"
    "              install|remove|upgrade|inspect NAME... | list [-a]   manage hub items\n"
    "  [-c CONFIG] simulation enable|disable [SCENARIO...|--global] | status\n"
    "  [-c CONFIG] machines|bouncers|decisions|alerts ...    manage the LAPI database\n"
    "              (run 'cwcli machines' etc. for their subcommands)\n"
    "  [-c CONFIG] lapi status | register [--url URL]        log in to / register with a LAPI\n"
    "  version                                               print the version\n";

int hubtestRun(int argc, char** argv) {
  cw::core::hubtest::Options opt;
  std::vector<std::string> names;
  bool all = false;
  bool quiet = false;
  int min_passed = -1;
  int jobs = 1;
  po::options_description desc("cwcli hubtest run [--all | NAME...] [options]");
  desc.add_options()("all", po::bool_switch(&all), "run every case under --tests")(
      "hub", po::value(&opt.hub_dir)->required(), "hub directory the items come from")(
      "tests", po::value(&opt.tests_dir), "folder of test cases (default: HUB/.tests)")(
      "data", po::value(&opt.data_dir), "data files (default: HUB/data)")(
      "patterns", po::value(&opt.patterns_dir), "grok patterns (default: HUB/patterns)")(
      "year", po::value(&opt.current_year),
      "year given to year-less timestamps (default: this year)")(
      "timeout", po::value(&opt.timeout_s)->default_value(30), "seconds per case")(
      "no-isolation", "run cases in this process (no crash or hang protection)")(
      "quiet,q", po::bool_switch(&quiet), "print only failures and the summary")(
      "jobs,j", po::value(&jobs), "cases run at the same time (default 1)")(
      "min-passed", po::value(&min_passed),
      "exit non-zero when fewer cases pass (a regression floor)");
  po::variables_map vm;
  if (const int rc = cw::cli::parseArgs(argc, argv, desc, names, vm, "hubtest run"); rc >= 0) {
    return rc;
  }
  if (vm.count("year") != 0 && (opt.current_year < 1678 || opt.current_year > 2261)) {
    std::cerr << "cwcli hubtest run: --year must be between 1678 and 2261\n";
    return 2;
  }
  if (opt.timeout_s < 1 || jobs < 1) {
    std::cerr << "cwcli hubtest run: --timeout and --jobs must be at least 1\n";
    return 2;
  }
  if (opt.tests_dir.empty()) {
    opt.tests_dir = opt.hub_dir + "/.tests";
  }
  opt.isolate = vm.count("no-isolation") == 0;
  if (all && !names.empty()) {
    std::cerr << "cwcli hubtest run: give case names or --all, not both\n";
    return 2;
  }
  if (all) {
    names = cw::core::hubtest::listCases(opt.tests_dir);
    if (names.empty()) {
      std::cerr << "cwcli hubtest run: no test case under " << opt.tests_dir << "\n";
      return 1;
    }
  }
  if (names.empty()) {
    std::cerr << "cwcli hubtest run: name test cases or pass --all\n";
    return 2;
  }
  auto runner = cw::core::hubtest::Runner::create(opt);
  if (!runner) {
    std::cerr << "cwcli hubtest run: " << runner.error().message << "\n";
    return 1;
  }
  int passed = 0;
  int failed = 0;
  runner->runAll(names, jobs, [&](const CaseResult& r) {
    if (r.outcome == Outcome::Passed) {
      ++passed;
      if (!quiet) {
        std::printf("pass  %s (%d asserts, %.2fs)\n", r.name.c_str(), r.asserts, r.seconds);
      }
    } else {
      ++failed;
      std::printf("%s  %s: %s\n", r.outcome == Outcome::Failed ? "FAIL" : "ERROR",
                  r.name.c_str(), r.message.c_str());
    }
    std::fflush(stdout);
  });
  std::printf("hubtest: %d passed, %d failed\n", passed, failed);
  if (min_passed >= 0) {
    if (passed < min_passed) {
      std::printf("hubtest: %d passed is below the floor of %d\n", passed, min_passed);
      return 1;
    }
    return 0;
  }
  return failed == 0 ? 0 : 1;
}

int explainCommand(int argc, char** argv) {
  cw::core::explain::Options opt;
  std::string file;
  std::vector<std::string> lines;
  std::vector<std::string> collections;
  std::vector<std::string> labels;
  po::options_description desc("cwcli explain (--file FILE | --log LINE) --type TYPE [options]");
  desc.add_options()("file,f", po::value(&file), "log file whose lines are explained")(
      "log", po::value(&lines), "a log line to explain (repeatable)")(
      "type,t", po::value(&opt.type)->required(), "log type (Line.Labels.type): syslog, nginx...")(
      "hub", po::value(&opt.agent.hub_dir), "hub directory (default: our own hub)")(
      "collections,c", po::value(&collections), "collections to enable (default: every item)")(
      "data", po::value(&opt.agent.data_dir), "data files (default: HUB/data)")(
      "patterns", po::value(&opt.agent.patterns_dir), "grok patterns (default: HUB/patterns)")(
      "plugin-dir", po::value(&opt.agent.plugin_dir),
      "parser plugins named by parser nodes, with their index.json (default: installed plugins)")(
      "label,l", po::value(&labels), "extra label KEY:VALUE (repeatable)")(
      "year", po::value(&opt.agent.year), "year of year-less timestamps (default: this year)");
  po::variables_map vm;
  if (const int rc = cw::cli::parseArgs(argc, argv, desc, vm, "explain"); rc >= 0) {
    return rc;
  }
  if (file.empty() == lines.empty()) {
    std::cerr << "cwcli explain: give either --file or --log\n";
    return 2;
  }
  if (vm.count("year") != 0 && (opt.agent.year < 1678 || opt.agent.year > 2261)) {
    std::cerr << "cwcli explain: --year must be between 1678 and 2261\n";
    return 2;
  }
  for (const std::string& l : labels) {
    const auto colon = l.find(':');
    if (colon == std::string::npos || colon == 0) {
      std::cerr << "cwcli explain: --label takes KEY:VALUE, got '" << l << "'\n";
      return 2;
    }
    opt.labels.emplace_back(l.substr(0, colon), l.substr(colon + 1));
  }
  if (opt.agent.hub_dir.empty()) {
    opt.agent.hub_dir = cw::core::hub::defaultHubDir();
  } else {
    // Parser plugins cwcli enabled in that configuration dir, beside ours.
    opt.agent.plugin_index = opt.agent.hub_dir + "/plugins/index.json";
  }
  if (opt.agent.plugin_dir.empty()) {
    opt.agent.plugin_dir = cw::core::plugins::defaultPluginDir();
  }
  opt.agent.collections = cw::core::hub::splitNameList(collections);
  auto done = file.empty() ? cw::core::explain::explainLines(opt, lines, std::cout)
                           : cw::core::explain::explainFile(opt, file, std::cout);
  if (!done) {
    std::cerr << "cwcli explain: " << done.error().message << "\n";
    return 1;
  }
  return 0;
}

// cscli users put the output flag first (cscli -o json decisions list). The subcommands read
// -o/--output themselves, so a leading one moves behind the command's words; -c/--config stays
// in front, where the commands look for it.
std::vector<char*> outputFlagLast(int argc, char** argv) {
  std::vector<char*> front{argv[0]};
  std::vector<char*> moved;
  int i = 1;
  while (i < argc) {
    const std::string_view a = argv[i];
    const bool pair = a == "-c" || a == "--config" || a == "-o" || a == "--output";
    if (pair && i + 1 < argc) {
      std::vector<char*>& to = a == "-o" || a == "--output" ? moved : front;
      to.push_back(argv[i]);
      to.push_back(argv[i + 1]);
      i += 2;
    } else if (a.rfind("--config=", 0) == 0) {
      front.push_back(argv[i++]);
    } else if (a.rfind("--output=", 0) == 0 || (a.size() > 2 && a.rfind("-o", 0) == 0)) {
      moved.push_back(argv[i++]);
    } else {
      break;
    }
  }
  front.insert(front.end(), argv + i, argv + argc);
  front.insert(front.end(), moved.begin(), moved.end());
  front.push_back(nullptr);
  return front;
}

} // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  std::vector<char*> args = outputFlagLast(argc, argv);
  argv = args.data();
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string command = argv[1];
  if (cw::cli::isLapiCommand(argc, argv)) {
    return cw::cli::runLapiCommand(argc, argv);
  }
  if (cw::cli::isAdminCommand(argc, argv)) {
    return cw::cli::runAdminCommand(argc, argv);
  }
  if (cw::cli::isHubCommand(command)) {
    return cw::cli::runHubCommand(argc, argv);
  }
  if (command == "version" || command == "--version") {
    std::cout << "cwcli " << CW_VERSION << "\n";
    return 0;
  }
  if (command == "hubtest") {
    if (argc >= 3 && std::string(argv[2]) == "run") {
      return hubtestRun(argc - 2, argv + 2);
    }
    std::cerr << "cwcli hubtest: the only subcommand is 'run'\n" << kUsage;
    return 2;
  }
  if (command == "explain") {
    return explainCommand(argc - 1, argv + 1);
  }
  if (command == "-h" || command == "--help" || command == "help") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "cwcli: unknown command '" << command << "'\n" << kUsage;
  return 2;
}

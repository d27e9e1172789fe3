// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cw/core/common/result.h"

// Hub tests in CrowdSec's format (shared/docs/contract/hub.md section 6): a folder with
// config.yaml, a log, parser.assert and scenario.assert. Each case runs the listed items on
// the log in time-machine mode, builds the `results` structures of sections 6.3 and 6.4, and
// evaluates every assert line with the expression engine.
namespace cw::core::hubtest {

struct Options {
  std::string hub_dir;       ///< items by name: parsers/<stage>/<author>/<name>.yaml ...
  std::string tests_dir;     ///< folder of test folders
  std::string data_dir;      ///< "" = <hub_dir>/data
  std::string patterns_dir;  ///< "" = <hub_dir>/patterns
  int current_year = 0;      ///< year of year-less timestamps; 0 = this year
  int timeout_s = 30;        ///< a case running longer fails
  bool isolate = true;       ///< run each case in a child process (crash and hang safe)
};

enum class Outcome { Passed, Failed, Error };

struct CaseResult {
  std::string name;
  Outcome outcome = Outcome::Error;
  std::string message;  ///< first failing assertion with its actual value, or the error
  int asserts = 0;      ///< assert lines evaluated
  double seconds = 0;
};

/// Runs cases against one hub, scanned once.
class Runner {
 public:
  /// Scans the hub directory (items, index). Fails when it cannot be read.
  static Result<Runner> create(const Options& options);

  /// Runs one case (a folder name under tests_dir).
  CaseResult run(const std::string& name) const;

  /// Runs cases, up to `jobs` at a time (each in its own process when isolated), and reports
  /// every result in the order of `names`.
  void runAll(const std::vector<std::string>& names, int jobs,
              const std::function<void(const CaseResult&)>& report) const;

  Runner(Runner&&) noexcept;
  Runner& operator=(Runner&&) noexcept;
  ~Runner();

 private:
  Runner();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// Names of every case folder under tests_dir, sorted.
std::vector<std::string> listCases(const std::string& tests_dir);

} // namespace cw::core::hubtest

// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "cw/core/event/event.h"

// Rendering of raised alerts for `crowdwall replay`: a table for people, JSON (LAPI alert shape,
// shared/docs/contract/scenarios.md section 11) for machines. Both end with the same counters.
namespace cw::core::alerts {

/// Counters of one replay. lines_read = parsed + unparsed + too_long + empty.
struct ReplayCounters {
  std::uint64_t lines_read = 0;
  std::uint64_t parsed = 0;       ///< passed every parser stage (whitelisted ones included)
  std::uint64_t whitelisted = 0;  ///< parsed but whitelisted: not poured
  std::uint64_t unparsed = 0;     ///< dropped by the parsers
  std::uint64_t too_long = 0;     ///< longer than the line limit, dropped unread
  std::uint64_t empty = 0;        ///< empty lines skipped
  std::uint64_t overflows = 0;    ///< bucket overflows (before post-overflow whitelists)
  std::uint64_t overflows_whitelisted = 0;  ///< dropped by post-overflow whitelists
  std::uint64_t alerts = 0;       ///< alerts kept (one per source)
};

/// Orders alerts by start_at (as instants), then scenario, then source value.
void sortAlerts(std::vector<event::Alert>& alerts);

/// The summary line, without newline:
/// "2000 lines read, 1950 parsed (0 whitelisted), 50 unparsed, 0 too long, 0 empty, 3 alerts"
std::string summaryLine(const ReplayCounters& counters);

/// Human output: a table (SCENARIO, SOURCE, EVENTS, FIRST EVENT, LAST EVENT) of `alerts` in the
/// given order, or "No alerts." when there are none, then the summary line. SOURCE is the
/// source value, prefixed by its scope when that is not "Ip". Every line ends with '\n'.
std::string renderTable(const std::vector<event::Alert>& alerts, const ReplayCounters& counters);

/// Machine output: {"alerts":[...],"stats":{...}} on one line, then '\n'.
std::string renderJson(const std::vector<event::Alert>& alerts, const ReplayCounters& counters);


/// renderJson()'s document written while alerts are still being raised: start, add() each alert,
/// finish() with the counters. Nothing but the current alert is held in memory.
class JsonStream {
 public:
  explicit JsonStream(std::FILE* out);
  ~JsonStream();
  JsonStream(const JsonStream&) = delete;
  JsonStream& operator=(const JsonStream&) = delete;

  bool add(const event::Alert& alert);        ///< false once a write failed
  bool finish(const ReplayCounters& counters);  ///< closes the document; call once

 private:
  struct State;
  std::unique_ptr<State> state_;
};

} // namespace cw::core::alerts

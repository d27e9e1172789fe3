// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cw/core/common/result.h"
#include "cw/core/common/time.h"
#include "cw/core/config/config.h"
#include "cw/core/store/models.h"

// The Local API's database: machines, bouncers, alerts and decisions, in SQLite or PostgreSQL
// (shared/docs/contract/lapi.md sections 5 to 9). The LAPI parses query strings into the
// typed filters below (their error messages are the contract's, to be returned as HTTP 500
// {"message": <error.message>}), then calls the Store.
//
// Thread safety: every Store method may be called concurrently from any number of threads on
// one Store object (the SQLite store serialises calls on one connection; the PostgreSQL store
// uses a pool of connections). Filters and models are plain values.
//
// Errors: ErrorCode::Invalid for a rejected request (duplicate name, bad value), ErrorCode::Io
// for a database failure (message starts with the backend's text), never an exception. Text
// (stored or used in a filter) must be valid UTF-8 without NUL bytes, on both backends:
// otherwise ErrorCode::Invalid "text contains a NUL byte" / "text is not valid UTF-8", and a
// batch of alerts containing such text stores nothing.
namespace cw::core::store {

/// Query parameters in the order received (name, value); a repeated name keeps its first value.
using QueryParams = std::vector<std::pair<std::string, std::string>>;

/// An address or CIDR range as an inclusive numeric interval, for containment tests done by
/// SQL comparison. Addresses are 16 bytes big-endian; IPv4 is stored in the last 4 bytes with
/// 12 zero bytes before (size 4), so ranges of one family compare bytewise.
struct IpRange {
  int size = 0;                          ///< 4 (IPv4) or 16 (IPv6)
  std::array<std::uint8_t, 16> start{};  ///< first address
  std::array<std::uint8_t, 16> end{};    ///< last address

  /// "192.0.2.1", "2001:db8::1", "198.51.100.0/24", "2001:db8::/32" (host bits ignored;
  /// an IPv4-mapped IPv6 address counts as IPv4). Errors, as CrowdSec words them:
  /// "invalid address" or "while parsing range X: invalid CIDR address: X".
  static Result<IpRange> parse(std::string_view text);

  /// True when `other` lies inside this range (same family).
  bool contains(const IpRange& other) const;

  friend bool operator==(const IpRange&, const IpRange&) = default;
};

/// Filters of GET and DELETE /v1/alerts (lapi.md section 6). Every criterion is AND-ed.
struct AlertFilter {
  std::optional<std::string> scope;     ///< source scope, normalised (`scope=ip` -> "Ip")
  std::optional<std::string> value;     ///< source value, exact
  std::optional<std::string> scenario;  ///< alert scenario or any of its decisions' scenario
  /// `ip=` / `range=`: alerts having a decision whose range contains it (contains = true) or
  /// lies inside it (contains = false), same address family.
  std::optional<IpRange> ip_range;
  bool contains = true;
  std::optional<TimePoint> started_after;    ///< `since=D`: start_at >= now - D
  std::optional<TimePoint> started_before;   ///< `until=D`: start_at <= now - D
  std::optional<TimePoint> created_before;   ///< `created_before=D`: created_at <= now - D
  std::optional<std::string> decision_type;  ///< has a decision of this type
  std::optional<std::string> origin;  ///< has a decision of this origin (include_capi ignored)
  bool include_capi = true;           ///< false: no alert having a decision of origin CAPI or lists
  /// true: has a decision with until >= now; false: has no decision at all.
  std::optional<bool> has_active_decision;
  std::optional<std::string> kind;  ///< alert kind, exact
  bool exclude_simulated = false;   ///< `simulated=false`: only non-simulated alerts
  std::int64_t limit = 100;         ///< rows returned; 0 = all (ignored by deleteAlerts)
  bool ascending = false;           ///< `sort=ASC`; order is created_at then id
  bool with_decisions = true;       ///< `with_decisions=false`: Alert::decisions left empty

  /// Parses the query of GET/DELETE /v1/alerts; relative durations are taken from `now`.
  /// Errors (exact messages):
  ///  - unknown key:   "filter parameter 'KEY' is unknown (=VALUE): invalid filter"
  ///  - bad ip/range:  "unable to convert 'V' to int: <IpRange::parse error>: invalid ip
  ///                    address / range"
  ///  - bad duration (since, until, created_before): "while parsing duration: " + Go's
  ///                    time.ParseDuration error (`time: invalid duration "V"`,
  ///                    `time: unknown unit "x" in duration "4x"`,
  ///                    `time: missing unit in duration "10"`)
  ///  - bad bool (has_active_decision): "'V' is not a boolean: strconv.ParseBool: parsing
  ///                    \"V\": invalid syntax: unable to parse type"
  ///  - bad contains:  "invalid contains value : strconv.ParseBool: parsing \"V\": invalid
  ///                    syntax: invalid filter"
  ///  - bad limit:     "bad limit in parameters: [V]: unable to query"
  /// include_capi other than true/false is ignored; `sort` other than ASC means DESC.
  static Result<AlertFilter> fromQuery(const QueryParams& params, TimePoint now);
  /// fromQuery(params, nowUtc()).
  static Result<AlertFilter> fromQuery(const QueryParams& params);
};

/// Filters on decisions: GET /v1/decisions (section 7), DELETE /v1/decisions (section 8) and
/// the stream (section 9). Empty vectors / unset optionals do not filter. AND-ed.
struct DecisionFilter {
  std::vector<std::string> scopes;      ///< scope IN (...), compared exactly
  std::optional<std::string> value;     ///< exact
  std::optional<std::string> type;      ///< exact
  std::vector<std::string> origins;     ///< origin IN (...)
  std::optional<std::string> scenario;  ///< exact (DELETE `scenario=`)
  std::optional<std::string> uuid;      ///< exact (DELETE `uuid=`)
  /// Scenario contains at least one of these, ASCII case-insensitive.
  std::vector<std::string> scenarios_containing;
  /// Scenario contains none of these, ASCII case-insensitive.
  std::vector<std::string> scenarios_not_containing;
  /// `ip=`/`range=`: contains = true keeps decisions whose range contains the target;
  /// false keeps decisions inside it. Same family only; non-IP decisions never match.
  std::optional<IpRange> ip_range;
  bool contains = true;
  bool include_simulated = false;  ///< GET `simulated=true` (never set by fromDeleteQuery)
  std::int64_t limit = 0;          ///< 0 = no limit (listActiveDecisions only)
  std::int64_t offset = 0;         ///< listActiveDecisions only

  /// GET /v1/decisions: `scope`/`scopes` (comma list, each normalised), `value`, `type`,
  /// `origins` (comma list), `scenarios_containing`, `scenarios_not_containing` (comma lists),
  /// `ip`/`range`, `contains`, `simulated`, `limit`, `offset`; unknown keys are ignored.
  /// Errors: bad ip/range and bad contains as AlertFilter; a limit or offset that is no count
  /// is ignored (as CrowdSec 1.4.6 does).
  static Result<DecisionFilter> fromQuery(const QueryParams& params);

  /// DELETE /v1/decisions: `scopes` (one scope, exact, not normalised), `value`, `type`,
  /// `origin`, `scenario`, `uuid`, `ip`/`range`, `contains`. Any other key (`scope` too):
  /// "'KEY' doesn't exist: invalid filter". Bad ip/range and contains as above.
  static Result<DecisionFilter> fromDeleteQuery(const QueryParams& params);
};

/// GET /v1/decisions/stream (section 9).
struct StreamQuery {
  /// Filters as GET /v1/decisions, but scopes default to {"Ip", "Range"} when neither
  /// `scope` nor `scopes` is given, and simulated decisions are always excluded.
  DecisionFilter filter;
  bool startup = false;  ///< `startup=true`
  bool dedup = true;     ///< `dedup=false` turns deduplication off
  /// Lower bound of a delta (the bouncer's last pull, set by the LAPI, not the query);
  /// zero = no lower bound.
  TimePoint since;

  /// Parses `startup`, `dedup` and the filter keys; errors as DecisionFilter::fromQuery.
  static Result<StreamQuery> fromQuery(const QueryParams& params);
};

/// The two lists of a stream (Store::streamDecisionsPage).
enum class StreamList { New, Deleted };

/// Answer of Store::streamDecisions; both lists ordered by id ascending.
struct DecisionStream {
  std::vector<Decision> new_decisions;
  std::vector<Decision> deleted;
};

/// What Store::flush removed.
struct FlushResult {
  std::int64_t alerts_deleted = 0;  ///< with their events, meta and decisions
};

/// The database behind the Local API and cwcli. See the file comment for thread safety.
class Store {
 public:
  virtual ~Store() = default;

  /// Opens the database `db` describes (db.type sqlite, or postgres/postgresql/pgx), creating
  /// it and migrating its schema to the current version. SQLite: the file is created with
  /// mode 0600 (its folder must exist), WAL journal when db.use_wal. PostgreSQL: migrations
  /// run under an advisory lock, so several processes may open one database at once;
  /// db.max_open_conns bounds the pool (0 = 4 connections).
  static Result<std::unique_ptr<Store>> open(const config::DbConfig& db);
  /// SQLite file at `path` (":memory:" is refused: use a temporary file).
  static Result<std::unique_ptr<Store>> openSqlite(const std::string& path, bool use_wal = true);
  /// PostgreSQL database reached with the libpq connection string `conninfo`.
  static Result<std::unique_ptr<Store>> openPostgres(const std::string& conninfo,
                                                     int max_conns = 0);

  /// "sqlite" or "postgres".
  virtual std::string backend() const = 0;
  /// Schema version after migration (the highest migration applied).
  virtual Result<int> schemaVersion() = 0;

  // ---- Machines -------------------------------------------------------------------------

  /// Inserts `m` (id, created_at, updated_at set by the store). Duplicate machine_id: Error
  /// ErrorCode::Invalid "user 'ID': user already exist".
  virtual Result<Machine> createMachine(const Machine& m) = 0;
  /// The machine named `machine_id`, nullopt when absent.
  virtual Result<std::optional<Machine>> getMachine(const std::string& machine_id) = 0;
  /// Every machine, ordered by id.
  virtual Result<std::vector<Machine>> listMachines() = 0;
  /// After a successful login: sets scenarios, ip_address, version. False when absent.
  virtual Result<bool> updateMachineLogin(const std::string& machine_id,
                                          const std::string& scenarios,
                                          const std::string& ip_address, const std::string& version,
                                          TimePoint now) = 0;
  /// Sets last_heartbeat = now. False when absent.
  virtual Result<bool> updateMachineHeartbeat(const std::string& machine_id, TimePoint now) = 0;
  /// Sets last_push = now. False when absent.
  virtual Result<bool> updateMachineLastPush(const std::string& machine_id, TimePoint now) = 0;
  /// Sets is_validated = true. False when absent.
  virtual Result<bool> validateMachine(const std::string& machine_id) = 0;
  /// Replaces the password hash (`machines add --force`). False when absent.
  virtual Result<bool> updateMachinePassword(const std::string& machine_id,
                                             const std::string& password_hash) = 0;
  /// Deletes the machine. False when absent.
  virtual Result<bool> deleteMachine(const std::string& machine_id) = 0;

  // ---- Bouncers -------------------------------------------------------------------------

  /// Inserts `b`. Duplicate name: ErrorCode::Invalid "bouncer NAME already exists".
  virtual Result<Bouncer> createBouncer(const Bouncer& b) = 0;
  /// The bouncer named `name`, nullopt when absent.
  virtual Result<std::optional<Bouncer>> getBouncer(const std::string& name) = 0;
  /// Every bouncer whose api_key_hash equals `api_key_hash` (siblings `<name>@<ip>` share one),
  /// ordered by id. Empty when the key is unknown.
  virtual Result<std::vector<Bouncer>> findBouncersByKeyHash(const std::string& api_key_hash) = 0;
  /// Every bouncer, ordered by id.
  virtual Result<std::vector<Bouncer>> listBouncers() = 0;
  /// Sets ip_address, type, version. False when absent.
  virtual Result<bool> updateBouncerInfo(const std::string& name, const std::string& ip_address,
                                         const std::string& type, const std::string& version,
                                         TimePoint now) = 0;
  /// Sets last_pull = when. False when absent.
  virtual Result<bool> updateBouncerLastPull(const std::string& name, TimePoint when) = 0;
  /// Deletes the bouncer. False when absent.
  virtual Result<bool> deleteBouncer(const std::string& name) = 0;

  // ---- Alerts ---------------------------------------------------------------------------

  /// Stores `alerts` with their events, meta, labels and decisions in ONE transaction (all or
  /// nothing) and returns their new ids in order. Fills in place: Alert::id, empty uuids,
  /// zero created_at (= now), Decision::id/alert_id, zero Decision::created_at (= the alert's).
  /// Scopes are normalised. A decision of scope Ip or Range whose value IpRange::parse refuses
  /// is dropped (removed from the vector), as the contract says. On failure nothing is stored
  /// (the ids then written into `alerts` mean nothing). PostgreSQL inserts the batch with one
  /// multi-row statement per table; SQLite row by row on cached prepared statements.
  virtual Result<std::vector<std::int64_t>> insertAlerts(std::vector<Alert>& alerts,
                                                         TimePoint now) = 0;
  /// One alert with its events, meta, labels and decisions; nullopt when absent.
  virtual Result<std::optional<Alert>> getAlert(std::int64_t id) = 0;
  /// Alerts matching `filter` (with events, meta, labels; decisions unless
  /// !filter.with_decisions), ordered by created_at then id (DESC unless ascending), at most
  /// filter.limit (0 = all).
  virtual Result<std::vector<Alert>> listAlerts(const AlertFilter& filter, TimePoint now) = 0;
  /// Deletes every alert matching `filter` (limit ignored) with its events, meta and
  /// decisions; returns the count.
  virtual Result<std::int64_t> deleteAlerts(const AlertFilter& filter, TimePoint now) = 0;
  /// Deletes one alert and what it owns. False when absent.
  virtual Result<bool> deleteAlert(std::int64_t id) = 0;

  // ---- Decisions ------------------------------------------------------------------------

  /// Active decisions (until >= now) matching `filter`, non-simulated unless
  /// filter.include_simulated, ordered by id, after offset, at most limit (0 = all). No dedup.
  virtual Result<std::vector<Decision>> listActiveDecisions(const DecisionFilter& filter,
                                                            TimePoint now) = 0;
  /// The stream (section 9). Candidates: with q.dedup, a decision is a candidate when no other
  /// non-simulated decision with the same (scope, type, value) has a greater until, over all
  /// stored decisions, active or expired, whatever the filter (ties keep both); without
  /// dedup every decision is. Simulated decisions are never returned.
  ///  - q.startup or q.since zero: new = active candidates (until >= now) matching;
  ///    deleted = expired candidates (until < now) matching.
  ///  - otherwise: new = active candidates with created_at > q.since;
  ///    deleted = candidates with q.since - 2s < until < now.
  virtual Result<DecisionStream> streamDecisions(const StreamQuery& q, TimePoint now) = 0;
  /// One page of one list of streamDecisions(q, now): its decisions with id > after_id, by id
  /// ascending, at most `limit` (0 = all). Paging by the last id returned walks the list with
  /// memory bounded by a page; a decision inserted meanwhile with a greater id may join it.
  virtual Result<std::vector<Decision>> streamDecisionsPage(const StreamQuery& q, TimePoint now,
                                                            StreamList list, std::int64_t after_id,
                                                            std::size_t limit) = 0;
  /// DELETE /v1/decisions: sets until = now - 1ns (inactive from `now` on; the wire shows
  /// durations in seconds, so this is the contract's until = now) on every active decision
  /// (until >= now) matching
  /// `filter` (include_simulated, limit, offset ignored: simulated ones are expired too);
  /// rows are kept so streams report them as deleted. Returns the count.
  virtual Result<std::int64_t> expireDecisions(const DecisionFilter& filter, TimePoint now) = 0;
  /// DELETE /v1/decisions/{id}: as above for one id; 0 when absent or already expired.
  virtual Result<std::int64_t> expireDecision(std::int64_t id, TimePoint now) = 0;
  /// Number of decisions (any state) with this value created at or after `since` (zero =
  /// no bound): profiles' GetDecisionsCount / GetDecisionsSinceCount.
  virtual Result<std::int64_t> countDecisions(const std::string& value, TimePoint since) = 0;

  // ---- Maintenance ----------------------------------------------------------------------

  /// `db_config: flush:`. Deletes alerts created before now - max_age (when set), then all
  /// but the max_items most recent alerts by id (when set), in both cases keeping every alert
  /// that still has an active decision (until >= now). Events, meta and decisions go with
  /// their alert.
  virtual Result<FlushResult> flush(std::optional<std::int64_t> max_items,
                                    std::optional<Duration> max_age, TimePoint now) = 0;
};

}  // namespace cw::core::store

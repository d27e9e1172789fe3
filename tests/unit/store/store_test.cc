// SPDX-License-Identifier: Apache-2.0
// The Store against real databases: every TEST_CASE body runs once on SQLite and once on
// PostgreSQL (backends.h), with the same expected values.
#include "cw/core/store/store.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "backends.h"
#include "cw/core/store/passwords.h"

using namespace cw::core;
using namespace cw::core::store;

namespace {

const TimePoint kNow = TimePoint::fromUnixNanos(1'800'000'000LL * kSecond);

TimePoint at(Duration offset) { return TimePoint::fromUnixNanos(kNow.unix_nanos + offset); }

Decision decision(const std::string& scope, const std::string& value, TimePoint until,
                  const std::string& type = "ban", const std::string& origin = "crowdsec",
                  const std::string& scenario = "crowdsecurity/ssh-bf") {
  Decision d;
  d.scope = scope;
  d.value = value;
  d.until = until;
  d.type = type;
  d.origin = origin;
  d.scenario = scenario;
  return d;
}

Alert alert(const std::string& scenario, const std::string& scope, const std::string& value,
            std::vector<Decision> decisions, TimePoint created = kNow) {
  Alert a;
  a.scenario = scenario;
  a.message = "test alert";
  a.source.scope = scope;
  a.source.value = value;
  a.start_at = created;
  a.stop_at = created;
  a.created_at = created;
  a.kind = "crowdsec";
  a.decisions = std::move(decisions);
  return a;
}

/// Inserts one alert, returns its id.
std::int64_t insert(Store* store, Alert a) {
  std::vector<Alert> v{std::move(a)};
  auto r = store->insertAlerts(v, kNow);
  REQUIRE(r.ok());
  return r->front();
}

std::vector<std::int64_t> alertIds(const Result<std::vector<Alert>>& r) {
  REQUIRE(r.ok());
  std::vector<std::int64_t> ids;
  for (const auto& a : r.value()) {
    ids.push_back(a.id);
  }
  return ids;
}

std::vector<std::int64_t> decisionIds(const std::vector<Decision>& v) {
  std::vector<std::int64_t> ids;
  for (const auto& d : v) {
    ids.push_back(d.id);
  }
  return ids;
}

std::vector<std::int64_t> queryAlerts(Store* store, const QueryParams& q) {
  auto f = AlertFilter::fromQuery(q, kNow);
  REQUIRE(f.ok());
  return alertIds(store->listAlerts(*f, kNow));
}

std::vector<std::string> activeValues(Store* store, const QueryParams& q) {
  auto f = DecisionFilter::fromQuery(q);
  REQUIRE(f.ok());
  auto r = store->listActiveDecisions(*f, kNow);
  REQUIRE(r.ok());
  std::vector<std::string> values;
  for (const auto& d : *r) {
    values.push_back(d.value);
  }
  return values;
}

using Ids = std::vector<std::int64_t>;
using Strings = std::vector<std::string>;

}  // namespace

TEST_CASE("store: the schema is created from empty and kept on reopening", "[store]") {
  CW_STORE_BACKEND();
  CHECK(store->backend() == backend);
  CHECK(*store->schemaVersion() == 2);
  Machine m;
  m.machine_id = "agent-1";
  REQUIRE(store->createMachine(m).ok());

  auto again = ts.reopen();
  REQUIRE(again != nullptr);
  CHECK(*again->schemaVersion() == 2);
  auto got = again->getMachine("agent-1");
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  CHECK((*got)->machine_id == "agent-1");

  if (backend == "sqlite") {
    struct stat st {};
    REQUIRE(::stat(ts.sqlitePath().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
  }
}

TEST_CASE("store: machines", "[store]") {
  CW_STORE_BACKEND();
  const std::string odd = "x'); DROP TABLE machines; --";
  Machine m;
  m.machine_id = odd;
  m.password_hash = "$2a$10$abcdefghijklmnopqrstuu";
  m.ip_address = "127.0.0.1";
  m.version = "v1.4.6";
  m.scenarios = "a,b";
  auto c = store->createMachine(m);
  REQUIRE(c.ok());
  CHECK(c->id > 0);
  CHECK(!c->created_at.isZero());
  CHECK(c->updated_at == c->created_at);

  auto dup = store->createMachine(m);
  REQUIRE(!dup.ok());
  CHECK(dup.error().code == ErrorCode::Invalid);
  CHECK(dup.error().message == "user '" + odd + "': user already exist");

  Machine tls;
  tls.machine_id = "cn@192.0.2.1";
  tls.auth_type = "tls";
  tls.is_validated = true;
  REQUIRE(store->createMachine(tls).ok());

  auto got = store->getMachine(odd);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  Machine g = **got;
  CHECK(g.id == c->id);
  CHECK(g.machine_id == odd);
  CHECK(g.password_hash == "$2a$10$abcdefghijklmnopqrstuu");
  CHECK(g.ip_address == "127.0.0.1");
  CHECK(g.version == "v1.4.6");
  CHECK(g.scenarios == "a,b");
  CHECK(g.auth_type == "password");
  CHECK(g.is_validated == false);
  CHECK(g.last_push.isZero());
  CHECK(g.last_heartbeat.isZero());
  CHECK(g.created_at == c->created_at);

  CHECK(*store->updateMachineLogin(odd, "s1,s2,s3", "192.0.2.7", "v1.4.7", at(kSecond)));
  CHECK(*store->updateMachineHeartbeat(odd, at(2 * kSecond)));
  CHECK(*store->updateMachineLastPush(odd, at(3 * kSecond)));
  CHECK(*store->validateMachine(odd));
  CHECK(*store->updateMachinePassword(odd, "$2a$10$other"));
  CHECK(!*store->validateMachine("nobody"));
  CHECK(!*store->updateMachineHeartbeat("nobody", kNow));
  g = **store->getMachine(odd);
  CHECK(g.scenarios == "s1,s2,s3");
  CHECK(g.ip_address == "192.0.2.7");
  CHECK(g.version == "v1.4.7");
  CHECK(g.last_heartbeat == at(2 * kSecond));
  CHECK(g.last_push == at(3 * kSecond));
  CHECK(g.is_validated == true);
  CHECK(g.password_hash == "$2a$10$other");

  auto all = store->listMachines();
  REQUIRE(all.ok());
  REQUIRE(all->size() == 2);
  CHECK((*all)[0].machine_id == odd);
  CHECK((*all)[1].machine_id == "cn@192.0.2.1");
  CHECK((*all)[1].auth_type == "tls");
  CHECK((*all)[1].is_validated == true);

  CHECK(*store->deleteMachine(odd));
  CHECK(!*store->deleteMachine(odd));
  CHECK(!store->getMachine(odd)->has_value());
  CHECK(store->listMachines()->size() == 1);
}

TEST_CASE("store: bouncers", "[store]") {
  CW_STORE_BACKEND();
  Bouncer b;
  b.name = "fw";
  b.api_key_hash = hashApiKey("key-1");
  auto c = store->createBouncer(b);
  REQUIRE(c.ok());
  CHECK(c->id > 0);
  auto dup = store->createBouncer(b);
  REQUIRE(!dup.ok());
  CHECK(dup.error().message == "bouncer fw already exists");

  Bouncer sibling = b;
  sibling.name = "fw@192.0.2.9";
  sibling.ip_address = "192.0.2.9";
  REQUIRE(store->createBouncer(sibling).ok());
  Bouncer other;
  other.name = "nginx";
  other.api_key_hash = hashApiKey("key-2");
  other.revoked = true;
  REQUIRE(store->createBouncer(other).ok());

  auto same = store->findBouncersByKeyHash(hashApiKey("key-1"));
  REQUIRE(same.ok());
  REQUIRE(same->size() == 2);
  CHECK((*same)[0].name == "fw");
  CHECK((*same)[1].name == "fw@192.0.2.9");
  CHECK((*same)[1].ip_address == "192.0.2.9");
  CHECK(store->findBouncersByKeyHash(hashApiKey("nope"))->empty());
  CHECK(store->findBouncersByKeyHash("' OR '1'='1")->empty());

  CHECK(*store->updateBouncerInfo("fw", "192.0.2.1", "crowdsec-firewall-bouncer", "N/A", kNow));
  CHECK(*store->updateBouncerLastPull("fw", at(5 * kSecond)));
  CHECK(!*store->updateBouncerLastPull("ghost", kNow));
  auto g = store->getBouncer("fw");
  REQUIRE(g->has_value());
  CHECK((*g)->ip_address == "192.0.2.1");
  CHECK((*g)->type == "crowdsec-firewall-bouncer");
  CHECK((*g)->version == "N/A");
  CHECK((*g)->last_pull == at(5 * kSecond));
  CHECK((*g)->auth_type == "api-key");
  CHECK((*g)->revoked == false);
  CHECK((*store->getBouncer("nginx"))->revoked == true);

  auto all = store->listBouncers();
  REQUIRE(all->size() == 3);
  CHECK((*all)[2].name == "nginx");
  CHECK(*store->deleteBouncer("fw"));
  CHECK(!*store->deleteBouncer("fw"));
  CHECK(store->listBouncers()->size() == 2);
}

TEST_CASE("store: alerts are stored and read back field by field", "[store]") {
  CW_STORE_BACKEND();
  Alert a;
  a.machine_id = "agent-1";
  a.scenario = "crowdsecurity/ssh-bf";
  a.scenario_hash = "abc123";
  a.scenario_version = "0.1";
  a.message = "Ip 192.0.2.1 performed 'crowdsecurity/ssh-bf' (6 events over 5s)";
  a.events_count = 6;
  a.start_at = at(-5 * kSecond);
  a.stop_at = kNow;
  a.capacity = 5;
  a.leakspeed = "10s";
  a.simulated = false;
  a.remediation = true;
  a.kind = "crowdsec";
  a.source = {"ip",         "192.0.2.1", "192.0.2.1", "192.0.2.0/24", "64496",
              "EXAMPLE-AS", "FR",        48.8566,     2.3522};
  a.events = {{at(-5 * kSecond), {{"service", "ssh"}, {"source_ip", "192.0.2.1"}}},
              {kNow, {{"user", "r\"o'o\\t"}}}};
  a.meta = {{"target_user", "[\"root\"]"}, {"service", "[\"ssh\"]"}};
  a.labels = {"remediation", "ssh"};
  a.decisions = {decision("ip", "192.0.2.1", at(4 * kHour)),
                 decision("Ip", "not-an-ip", at(4 * kHour)),  // dropped
                 decision("username", "root", at(kHour), "captcha")};
  a.created_at = TimePoint{};  // store sets now

  std::vector<Alert> batch{a, alert("second", "Ip", "192.0.2.2", {})};
  auto ids = store->insertAlerts(batch, kNow);
  REQUIRE(ids.ok());
  REQUIRE(ids->size() == 2);
  CHECK((*ids)[1] > (*ids)[0]);
  CHECK(batch[0].id == (*ids)[0]);
  CHECK(batch[0].uuid.size() == 36);
  CHECK(batch[0].created_at == kNow);
  REQUIRE(batch[0].decisions.size() == 2);
  CHECK(batch[0].decisions[0].scope == "Ip");
  CHECK(batch[0].decisions[0].alert_id == (*ids)[0]);
  CHECK(batch[0].decisions[0].created_at == kNow);
  CHECK(batch[0].decisions[0].uuid.size() == 36);
  CHECK(batch[0].decisions[1].value == "root");

  auto got = store->getAlert((*ids)[0]);
  REQUIRE(got.ok());
  REQUIRE(got->has_value());
  const Alert& g = **got;
  CHECK(g.id == (*ids)[0]);
  CHECK(g.uuid == batch[0].uuid);
  CHECK(g.machine_id == "agent-1");
  CHECK(g.created_at == kNow);
  CHECK(g.scenario == "crowdsecurity/ssh-bf");
  CHECK(g.scenario_hash == "abc123");
  CHECK(g.scenario_version == "0.1");
  CHECK(g.message == a.message);
  CHECK(g.events_count == 6);
  CHECK(g.start_at == at(-5 * kSecond));
  CHECK(g.stop_at == kNow);
  CHECK(g.capacity == 5);
  CHECK(g.leakspeed == "10s");
  CHECK(g.simulated == false);
  CHECK(g.remediation == true);
  CHECK(g.kind == "crowdsec");
  CHECK(g.source.scope == "Ip");
  CHECK(g.source.value == "192.0.2.1");
  CHECK(g.source.ip == "192.0.2.1");
  CHECK(g.source.range == "192.0.2.0/24");
  CHECK(g.source.as_number == "64496");
  CHECK(g.source.as_name == "EXAMPLE-AS");
  CHECK(g.source.cn == "FR");
  CHECK(g.source.latitude == Approx(48.8566));
  CHECK(g.source.longitude == Approx(2.3522));
  CHECK(g.events == a.events);
  CHECK(g.meta == a.meta);
  CHECK(g.labels == a.labels);
  REQUIRE(g.decisions.size() == 2);
  CHECK(g.decisions[0].id == batch[0].decisions[0].id);
  CHECK(g.decisions[0].uuid == batch[0].decisions[0].uuid);
  CHECK(g.decisions[0].scope == "Ip");
  CHECK(g.decisions[0].value == "192.0.2.1");
  CHECK(g.decisions[0].type == "ban");
  CHECK(g.decisions[0].origin == "crowdsec");
  CHECK(g.decisions[0].scenario == "crowdsecurity/ssh-bf");
  CHECK(g.decisions[0].until == at(4 * kHour));
  CHECK(g.decisions[0].created_at == kNow);
  CHECK(g.decisions[0].simulated == false);
  CHECK(g.decisions[1].type == "captcha");
  CHECK(g.decisions[1].scope == "username");

  CHECK(!store->getAlert(999999)->has_value());
  CHECK(*store->deleteAlert((*ids)[0]));
  CHECK(!*store->deleteAlert((*ids)[0]));
  CHECK(!store->getAlert((*ids)[0])->has_value());
  // Its decisions went with it.
  CHECK(*store->countDecisions("192.0.2.1", TimePoint{}) == 0);
}

TEST_CASE("store: alert filters", "[store]") {
  CW_STORE_BACKEND();
  Alert a1 = alert("crowdsecurity/ssh-bf", "Ip", "192.0.2.1",
                   {decision("Ip", "192.0.2.1", at(4 * kHour))}, at(-40 * kMinute));
  a1.start_at = at(-3 * kHour);
  Alert a2 = alert("crowdsecurity/http-probing", "Range", "198.51.100.0/24",
                   {decision("Range", "198.51.100.0/24", at(-kHour), "captcha", "cscli", "manual")},
                   at(-30 * kMinute));
  a2.start_at = at(-30 * kMinute);
  a2.kind = "cscli";
  Alert a3 =
      alert("update : +3/-0 IPs", "Ip", "203.0.113.5",
            {decision("Ip", "203.0.113.5", at(2 * kHour), "ban", "CAPI")}, at(-20 * kMinute));
  a3.start_at = at(-2 * kHour);
  a3.kind = "capi";
  Alert a4 = alert("crowdsecurity/ssh-slow-bf", "Ip", "2001:db8::1", {}, at(-10 * kMinute));
  a4.start_at = at(-10 * kMinute);
  a4.simulated = true;
  const auto id1 = insert(store, a1);
  const auto id2 = insert(store, a2);
  const auto id3 = insert(store, a3);
  const auto id4 = insert(store, a4);

  CHECK(queryAlerts(store, {}) == Ids{id4, id3, id2, id1});
  CHECK(queryAlerts(store, {{"sort", "ASC"}}) == Ids{id1, id2, id3, id4});
  CHECK(queryAlerts(store, {{"limit", "2"}}) == Ids{id4, id3});
  CHECK(queryAlerts(store, {{"limit", "0"}}) == Ids{id4, id3, id2, id1});
  CHECK(queryAlerts(store, {{"scope", "ip"}}) == Ids{id4, id3, id1});
  CHECK(queryAlerts(store, {{"scope", "range"}}) == Ids{id2});
  CHECK(queryAlerts(store, {{"value", "192.0.2.1"}}) == Ids{id1});
  // The alert's own scenario or one of its decisions'.
  CHECK(queryAlerts(store, {{"scenario", "crowdsecurity/ssh-bf"}}) == Ids{id3, id1});
  CHECK(queryAlerts(store, {{"scenario", "manual"}}) == Ids{id2});
  CHECK(queryAlerts(store, {{"ip", "192.0.2.1"}}) == Ids{id1});
  CHECK(queryAlerts(store, {{"ip", "198.51.100.7"}}) == Ids{id2});
  CHECK(queryAlerts(store, {{"range", "198.51.100.0/24"}}) == Ids{id2});
  CHECK(queryAlerts(store, {{"range", "192.0.2.0/24"}}).empty());
  CHECK(queryAlerts(store, {{"range", "192.0.2.0/24"}, {"contains", "false"}}) == Ids{id1});
  CHECK(queryAlerts(store, {{"range", "0.0.0.0/0"}, {"contains", "false"}}) == Ids{id3, id2, id1});
  CHECK(queryAlerts(store, {{"since", "1h"}}) == Ids{id4, id2});
  CHECK(queryAlerts(store, {{"since", "4d"}}) == Ids{id4, id3, id2, id1});
  CHECK(queryAlerts(store, {{"until", "1h"}}) == Ids{id3, id1});
  CHECK(queryAlerts(store, {{"created_before", "25m"}}) == Ids{id2, id1});
  CHECK(queryAlerts(store, {{"decision_type", "captcha"}}) == Ids{id2});
  CHECK(queryAlerts(store, {{"origin", "CAPI"}}) == Ids{id3});
  CHECK(queryAlerts(store, {{"include_capi", "false"}}) == Ids{id4, id2, id1});
  CHECK(queryAlerts(store, {{"origin", "CAPI"}, {"include_capi", "false"}}) == Ids{id3});
  CHECK(queryAlerts(store, {{"has_active_decision", "true"}}) == Ids{id3, id1});
  CHECK(queryAlerts(store, {{"has_active_decision", "false"}}) == Ids{id4});
  CHECK(queryAlerts(store, {{"kind", "cscli"}}) == Ids{id2});
  CHECK(queryAlerts(store, {{"simulated", "false"}}) == Ids{id3, id2, id1});
  CHECK(queryAlerts(store, {{"simulated", "true"}}) == Ids{id4, id3, id2, id1});
  CHECK(queryAlerts(store, {{"has_active_decision", "true"},
                            {"include_capi", "false"},
                            {"limit", "100"}}) == Ids{id1});

  auto plain =
      store->listAlerts(*AlertFilter::fromQuery({{"with_decisions", "false"}}, kNow), kNow);
  REQUIRE(plain.ok());
  REQUIRE(plain->size() == 4);
  CHECK((*plain)[3].decisions.empty());
  auto full = store->listAlerts(*AlertFilter::fromQuery({}, kNow), kNow);
  CHECK((*full)[3].decisions.size() == 1);

  auto del = store->deleteAlerts(*AlertFilter::fromQuery({{"kind", "cscli"}}, kNow), kNow);
  REQUIRE(del.ok());
  CHECK(*del == 1);
  // limit does not bound a deletion
  del = store->deleteAlerts(*AlertFilter::fromQuery({{"limit", "1"}, {"scope", "ip"}}, kNow), kNow);
  CHECK(*del == 3);
  CHECK(queryAlerts(store, {}).empty());
}

TEST_CASE("store: SQL metacharacters in every filter value are plain data", "[store]") {
  CW_STORE_BACKEND();
  const std::string weird = "ssh%_\\'\"; DROP TABLE alerts; --";
  const std::string quote_or = "' OR '1'='1";
  Alert w =
      alert(weird, quote_or, weird, {decision(quote_or, weird, at(kHour), weird, weird, weird)});
  w.kind = weird;
  const auto wid = insert(store, w);
  const auto nid = insert(store, alert("crowdsecurity/ssh-bf", "Ip", "192.0.2.1",
                                       {decision("Ip", "192.0.2.1", at(kHour))}));

  const Strings hostile = {
      "'",    "' OR '1'='1", "%", "_",  "\\", "\"", "'; DROP TABLE alerts; --", "%' OR 1=1 --",
      "ssh%", "*",           "?", "$1", ")",  "\\%"};
  for (const auto& v : hostile) {
    INFO("value " << v);
    for (const char* key : {"scope", "value", "scenario", "decision_type", "origin", "kind"}) {
      INFO("alert filter " << key);
      const auto got = queryAlerts(store, {{key, v}});
      const bool exact = (std::string(key) == "scope" && v == quote_or);
      CHECK(got == (exact ? Ids{wid} : Ids{}));
    }
    for (const char* key : {"scopes", "value", "type", "origins"}) {
      INFO("decision filter " << key);
      CHECK(activeValues(store, {{key, v}}) ==
            (std::string(key) == "scopes" && v == quote_or ? Strings{weird} : Strings{}));
    }
    // Substring filters: LIKE wildcards in the value are literal characters.
    const bool in_weird = weird.find(v) != std::string::npos;
    const bool in_normal = std::string("crowdsecurity/ssh-bf").find(v) != std::string::npos;
    Strings containing;
    if (in_weird) {
      containing.push_back(weird);
    }
    if (in_normal) {
      containing.push_back("192.0.2.1");
    }
    CHECK(activeValues(store, {{"scenarios_containing", v}}) == containing);
    Strings not_containing;
    if (!in_weird) {
      not_containing.push_back(weird);
    }
    if (!in_normal) {
      not_containing.push_back("192.0.2.1");
    }
    CHECK(activeValues(store, {{"scenarios_not_containing", v}}) == not_containing);
    for (const char* key : {"scopes", "value", "type", "origin", "scenario", "uuid"}) {
      INFO("delete filter " << key);
      if (std::string(key) == "scopes" && v == quote_or) {
        continue;  // would rightly expire the weird decision, checked at the end instead
      }
      auto f = DecisionFilter::fromDeleteQuery({{key, v}});
      REQUIRE(f.ok());
      CHECK(*store->expireDecisions(*f, kNow) == 0);
    }
    auto del = AlertFilter::fromQuery({{"value", v}}, kNow);
    CHECK(*store->deleteAlerts(*del, kNow) == 0);
  }

  // Nothing was changed by any of it.
  CHECK(queryAlerts(store, {}) == Ids{nid, wid});
  auto g = store->getAlert(wid);
  REQUIRE(g->has_value());
  CHECK((*g)->scenario == weird);
  CHECK((*g)->source.scope == quote_or);
  CHECK((*g)->source.value == weird);
  CHECK((*g)->kind == weird);
  REQUIRE((*g)->decisions.size() == 1);
  CHECK((*g)->decisions[0].until == at(kHour));
  CHECK((*g)->decisions[0].scenario == weird);
  CHECK(activeValues(store, {{"value", weird}}) == Strings{weird});
  CHECK(activeValues(store, {{"scenarios_containing", "%_\\'\""}}) == Strings{weird});
  CHECK(queryAlerts(store, {{"value", weird}}) == Ids{wid});
  CHECK(queryAlerts(store, {{"kind", weird}}) == Ids{wid});
  // The exact-value delete filters do hit it.
  auto f = DecisionFilter::fromDeleteQuery({{"scopes", quote_or}, {"scenario", weird}});
  CHECK(*store->expireDecisions(*f, kNow) == 1);
  CHECK(activeValues(store, {}) == Strings{"192.0.2.1"});
}

TEST_CASE("store: IPv4 and IPv6 containment in both directions", "[store]") {
  CW_STORE_BACKEND();
  insert(
      store,
      alert("s", "Ip", "x",
            {decision("Ip", "192.0.2.1", at(kHour)), decision("Range", "192.0.2.0/24", at(kHour)),
             decision("Range", "10.0.0.0/8", at(kHour)), decision("Ip", "2001:db8::1", at(kHour)),
             decision("Range", "2001:db8::/32", at(kHour)),
             decision("Range", "2001:db8:1::/48", at(kHour)), decision("AS", "64496", at(kHour)),
             decision("Ip", "192.0.2.50", at(-kHour))}));  // expired

  CHECK(activeValues(store, {}) == Strings{"192.0.2.1", "192.0.2.0/24", "10.0.0.0/8", "2001:db8::1",
                                           "2001:db8::/32", "2001:db8:1::/48", "64496"});
  CHECK(activeValues(store, {{"ip", "192.0.2.1"}}) == Strings{"192.0.2.1", "192.0.2.0/24"});
  CHECK(activeValues(store, {{"ip", "192.0.2.200"}}) == Strings{"192.0.2.0/24"});
  CHECK(activeValues(store, {{"ip", "192.0.2.50"}}) == Strings{"192.0.2.0/24"});
  CHECK(activeValues(store, {{"ip", "10.1.2.3"}}) == Strings{"10.0.0.0/8"});
  CHECK(activeValues(store, {{"ip", "::ffff:10.1.2.3"}}) == Strings{"10.0.0.0/8"});
  CHECK(activeValues(store, {{"ip", "198.51.100.1"}}).empty());
  CHECK(activeValues(store, {{"range", "192.0.2.0/25"}}) == Strings{"192.0.2.0/24"});
  CHECK(activeValues(store, {{"range", "192.0.0.0/16"}, {"contains", "false"}}) ==
        Strings{"192.0.2.1", "192.0.2.0/24"});
  CHECK(activeValues(store, {{"range", "0.0.0.0/0"}, {"contains", "false"}}) ==
        Strings{"192.0.2.1", "192.0.2.0/24", "10.0.0.0/8"});
  CHECK(activeValues(store, {{"ip", "2001:db8::1"}}) == Strings{"2001:db8::1", "2001:db8::/32"});
  CHECK(activeValues(store, {{"ip", "2001:db8:1::5"}}) ==
        Strings{"2001:db8::/32", "2001:db8:1::/48"});
  CHECK(activeValues(store, {{"range", "2001:db8::/16"}, {"contains", "false"}}) ==
        Strings{"2001:db8::1", "2001:db8::/32", "2001:db8:1::/48"});
  CHECK(activeValues(store, {{"range", "::/0"}, {"contains", "false"}}) ==
        Strings{"2001:db8::1", "2001:db8::/32", "2001:db8:1::/48"});
  CHECK(activeValues(store, {{"ip", "::1"}}).empty());
  CHECK(activeValues(store, {{"scope", "as"}}) == Strings{"64496"});
  CHECK(activeValues(store, {{"limit", "2"}, {"offset", "1"}}) ==
        Strings{"192.0.2.0/24", "10.0.0.0/8"});

  // Alert filters go through the same columns.
  CHECK(queryAlerts(store, {{"ip", "2001:db8:1::5"}}).size() == 1);
  CHECK(queryAlerts(store, {{"ip", "198.51.100.1"}}).empty());
}

TEST_CASE("store: decision stream (startup, delta, dedup, deleted window)", "[store]") {
  CW_STORE_BACKEND();
  auto with_created = [](Decision d, TimePoint created) {
    d.created_at = created;
    return d;
  };
  Decision sim = decision("Ip", "3.3.3.3", at(kHour));
  sim.simulated = true;
  std::vector<Alert> batch{alert(
      "s", "Ip", "1.1.1.1",
      {with_created(decision("Ip", "1.1.1.1", at(kHour)), at(-10 * kMinute)),     // s1
       with_created(decision("Ip", "1.1.1.1", at(4 * kHour)), at(-5 * kMinute)),  // s2
       with_created(decision("Ip", "2.2.2.2", at(-kHour)), at(-2 * kHour)),       // s3
       with_created(sim, at(-kMinute)),                                           // s4
       with_created(decision("Country", "FR", at(kHour)), at(-kMinute)),          // s5
       with_created(
           decision("Ip", "4.4.4.4", at(kHour), "captcha", "cscli", "manual 'CAPTCHA' from 'x'"),
           at(-20 * kMinute)),                                                      // s6
       with_created(decision("Range", "5.5.5.0/24", at(-kSecond)), at(-kHour))})};  // s7
  REQUIRE(store->insertAlerts(batch, kNow).ok());
  const auto& d = batch[0].decisions;
  const auto s1 = d[0].id, s2 = d[1].id, s3 = d[2].id, s5 = d[4].id, s6 = d[5].id, s7 = d[6].id;

  auto stream = [&](const QueryParams& params, TimePoint since, TimePoint now) {
    auto q = StreamQuery::fromQuery(params);
    REQUIRE(q.ok());
    q->since = since;
    auto r = store->streamDecisions(*q, now);
    REQUIRE(r.ok());
    return std::pair(decisionIds(r->new_decisions), decisionIds(r->deleted));
  };

  auto startup = stream({{"startup", "true"}}, TimePoint{}, kNow);
  CHECK(startup.first == Ids{s2, s6});
  CHECK(startup.second == Ids{s3, s7});
  CHECK(stream({}, TimePoint{}, kNow) == startup);  // no last pull: everything
  CHECK(stream({{"startup", "true"}, {"dedup", "false"}}, TimePoint{}, kNow).first ==
        Ids{s1, s2, s6});
  CHECK(stream({{"startup", "true"}, {"scopes", "country"}}, TimePoint{}, kNow).first == Ids{s5});
  CHECK(stream({{"startup", "true"}, {"origins", "cscli"}}, TimePoint{}, kNow).first == Ids{s6});
  CHECK(
      stream({{"startup", "true"}, {"scenarios_containing", "captcha,nothing"}}, TimePoint{}, kNow)
          .first == Ids{s6});
  CHECK(
      stream({{"startup", "true"}, {"scenarios_not_containing", "SSH"}}, TimePoint{}, kNow).first ==
      Ids{s6});

  // Delta since the last pull 7 minutes ago.
  auto delta = stream({}, at(-7 * kMinute), kNow);
  CHECK(delta.first == Ids{s2});
  CHECK(delta.second == Ids{s7});
  // startup=true ignores since.
  CHECK(stream({{"startup", "true"}}, at(-7 * kMinute), kNow) == startup);

  // A deletion is an expiry: it shows in the next delta's deleted list.
  auto f = DecisionFilter::fromDeleteQuery({{"value", "4.4.4.4"}});
  CHECK(*store->expireDecisions(*f, at(kSecond)) == 1);
  CHECK(*store->expireDecisions(*f, at(kSecond)) == 0);  // no longer active
  auto after = stream({}, kNow, at(2 * kSecond));
  CHECK(after.first.empty());
  CHECK(after.second == Ids{s6, s7});  // s7: until now-1s is inside (since - 2s, now)
  CHECK(stream({}, at(4 * kSecond), at(5 * kSecond)).second.empty());

  CHECK(*store->expireDecision(s1, kNow) == 1);
  CHECK(*store->expireDecision(s1, kNow) == 0);
  CHECK(*store->expireDecision(123456789, kNow) == 0);
  CHECK(activeValues(store, {{"value", "1.1.1.1"}}) == Strings{"1.1.1.1"});  // s2 remains
}

TEST_CASE("store: stream pages by id, 30,005 decisions, dedup across a page boundary", "[store]") {
  CW_STORE_BACKEND();
  constexpr int kCount = 30005;
  std::vector<Decision> ds;
  ds.reserve(kCount + 7);
  for (int i = 0; i < kCount; ++i) {
    ds.push_back(decision("Ip",
                          "10." + std::to_string(i / 65536) + "." +
                              std::to_string((i / 256) % 256) + "." + std::to_string(i % 256),
                          at(kHour)));
  }
  ds.push_back(decision("Ip", "10.0.0.0", at(2 * kHour)));        // [kCount]: outlives [0]
  ds.push_back(decision("Ip", "10.0.117.52", at(kMinute)));       // [kCount+1]: [kCount-1] outlives
  ds.push_back(decision("Ip", "192.0.2.9", at(-kMinute)));        // [kCount+2]: expired
  ds.push_back(decision("Ip", "192.0.2.10", at(-kMinute)));       // [kCount+3]: expired
  ds.push_back(decision("Ip", "192.0.2.11", at(-kMinute)));       // [kCount+4]: [kCount+6] outlives
  ds.push_back(decision("Ip", "192.0.2.9", at(-2 * kMinute)));    // [kCount+5]: [kCount+2] outlives
  ds.push_back(decision("Ip", "192.0.2.11", at(-30 * kSecond)));  // [kCount+6]: expired
  std::vector<Alert> batch{alert("bulk", "Ip", "10.0.0.0", std::move(ds))};
  REQUIRE(store->insertAlerts(batch, kNow).ok());
  const auto& d = batch[0].decisions;
  REQUIRE(d.size() == kCount + 7);
  const Ids deleted{d[kCount + 2].id, d[kCount + 3].id, d[kCount + 6].id};

  auto q = StreamQuery::fromQuery({{"startup", "true"}});
  REQUIRE(q.ok());
  auto page = [&](const StreamQuery& query, StreamList list, std::int64_t after,
                  std::size_t limit) {
    auto r = store->streamDecisionsPage(query, kNow, list, after, limit);
    REQUIRE(r.ok());
    return decisionIds(*r);
  };
  // Page 1: [1] .. [30000] ([0] is outlived by [kCount], on the next page).
  Ids first;
  for (int i = 1; i <= 30000; ++i) {
    first.push_back(d[i].id);
  }
  const Ids second{d[30001].id, d[30002].id, d[30003].id, d[30004].id, d[kCount].id};
  CHECK(page(*q, StreamList::New, 0, 30000) == first);
  CHECK(page(*q, StreamList::New, d[30000].id, 30000) == second);
  CHECK(page(*q, StreamList::New, d[kCount].id, 30000).empty());
  CHECK(page(*q, StreamList::Deleted, 0, 30000) == deleted);
  // The deleted list two at a time: the first page by until, the next by id.
  CHECK(page(*q, StreamList::Deleted, 0, 2) == Ids{d[kCount + 2].id, d[kCount + 3].id});
  CHECK(page(*q, StreamList::Deleted, d[kCount + 3].id, 2) == Ids{d[kCount + 6].id});
  CHECK(page(*q, StreamList::Deleted, d[kCount + 6].id, 2).empty());

  // The pages make the unpaged stream.
  Ids all = first;
  all.insert(all.end(), second.begin(), second.end());
  CHECK(page(*q, StreamList::New, 0, 0) == all);
  auto whole = store->streamDecisions(*q, kNow);
  REQUIRE(whole.ok());
  CHECK(decisionIds(whole->new_decisions) == all);
  CHECK(decisionIds(whole->deleted) == deleted);

  // Without dedup: [0] .. [29999] first, and the duplicates come back.
  auto nodedup = StreamQuery::fromQuery({{"startup", "true"}, {"dedup", "false"}});
  REQUIRE(nodedup.ok());
  const Ids head{d[0].id, d[1].id, d[2].id};
  const Ids page1 = page(*nodedup, StreamList::New, 0, 30000);
  REQUIRE(page1.size() == 30000);
  CHECK(Ids(page1.begin(), page1.begin() + 3) == head);
  CHECK(page1.back() == d[29999].id);
  CHECK(page(*nodedup, StreamList::New, d[29999].id, 30000) ==
        Ids{d[30000].id, d[30001].id, d[30002].id, d[30003].id, d[30004].id, d[kCount].id,
            d[kCount + 1].id});
}

TEST_CASE("store: expiry by filter counts only active matches", "[store]") {
  CW_STORE_BACKEND();
  insert(store, alert("s", "Ip", "x",
                      {decision("Ip", "192.0.2.1", at(kHour), "ban", "crowdsec"),
                       decision("Ip", "192.0.2.2", at(kHour), "ban", "cscli"),
                       decision("Range", "192.0.2.0/24", at(kHour), "captcha", "cscli"),
                       decision("Ip", "192.0.2.3", at(-kHour), "ban", "cscli")}));
  auto del = [&](const QueryParams& q) {
    auto f = DecisionFilter::fromDeleteQuery(q);
    REQUIRE(f.ok());
    return *store->expireDecisions(*f, kNow);
  };
  CHECK(del({{"range", "192.0.2.0/24"}, {"contains", "false"}, {"type", "captcha"}}) == 1);
  CHECK(del({{"origin", "cscli"}}) == 1);  // 192.0.2.2; the expired one is not counted
  CHECK(activeValues(store, {}).empty() == false);
  CHECK(del({}) == 1);  // everything still active: 192.0.2.1
  CHECK(activeValues(store, {}).empty());
}

TEST_CASE("store: flush by age and by count keeps alerts with active decisions", "[store]") {
  CW_STORE_BACKEND();
  const auto a1 = insert(store, alert("s", "Ip", "1", {}, at(-5 * kHour)));
  const auto a2 = insert(
      store, alert("s", "Ip", "2", {decision("Ip", "192.0.2.2", at(kHour))}, at(-4 * kHour)));
  const auto a3 = insert(store, alert("s", "Ip", "3", {}, at(-3 * kHour)));
  const auto a4 = insert(
      store, alert("s", "Ip", "4", {decision("Ip", "192.0.2.4", at(-kHour))}, at(-2 * kHour)));
  const auto a5 = insert(store, alert("s", "Ip", "5", {}, at(-1 * kHour)));

  CHECK(queryAlerts(store, {{"sort", "ASC"}}) == Ids{a1, a2, a3, a4, a5});
  auto r = store->flush(std::nullopt, 3 * kHour, kNow);
  REQUIRE(r.ok());
  CHECK(r->alerts_deleted == 1);  // a1; a2 has an active decision, a3 is not older
  CHECK(queryAlerts(store, {{"sort", "ASC"}}) == Ids{a2, a3, a4, a5});

  r = store->flush(2, std::nullopt, kNow);
  CHECK(r->alerts_deleted == 1);  // a3; a4 and a5 are the two newest
  CHECK(queryAlerts(store, {{"sort", "ASC"}}) == Ids{a2, a4, a5});
  CHECK(store->flush(10, 10 * kHour, kNow)->alerts_deleted == 0);

  r = store->flush(0, std::nullopt, kNow);
  CHECK(r->alerts_deleted == 2);
  CHECK(queryAlerts(store, {}) == Ids{a2});
  CHECK(*store->countDecisions("192.0.2.4", TimePoint{}) == 0);  // went with a4
  CHECK(*store->countDecisions("192.0.2.2", TimePoint{}) == 1);
  CHECK(*store->countDecisions("192.0.2.2", at(-4 * kHour)) == 1);  // created with a2
  CHECK(*store->countDecisions("192.0.2.2", at(-4 * kHour + kSecond)) == 0);
}

TEST_CASE("store: concurrent inserts and reads from several threads", "[store]") {
  CW_STORE_BACKEND();
  constexpr int kThreads = 4;
  constexpr int kBatches = 20;
  std::vector<std::vector<std::int64_t>> ids(kThreads);
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        const std::string ip = "10." + std::to_string(t) + "." + std::to_string(b) + ".";
        std::vector<Alert> batch{alert("s", "Ip", ip + "1", {decision("Ip", ip + "1", at(kHour))}),
                                 alert("s", "Ip", ip + "2", {decision("Ip", ip + "2", at(kHour))})};
        auto r = store->insertAlerts(batch, kNow);
        if (!r) {
          errors[t] = r.error().message;
          return;
        }
        ids[t].insert(ids[t].end(), r->begin(), r->end());
        auto read = store->listActiveDecisions(DecisionFilter{}, kNow);
        if (!read) {
          errors[t] = read.error().message;
          return;
        }
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  std::set<std::int64_t> all;
  for (int t = 0; t < kThreads; ++t) {
    CHECK(errors[t].empty());
    CHECK(ids[t].size() == 2 * kBatches);
    all.insert(ids[t].begin(), ids[t].end());
  }
  CHECK(all.size() == static_cast<std::size_t>(2 * kThreads * kBatches));
  CHECK(queryAlerts(store, {{"limit", "0"}}).size() == all.size());
  CHECK(activeValues(store, {}).size() == all.size());
  CHECK(activeValues(store, {{"range", "10.3.0.0/16"}, {"contains", "false"}}).size() ==
        static_cast<std::size_t>(2 * kBatches));
}

TEST_CASE("store: a batch with text no database can hold is refused whole", "[store]") {
  CW_STORE_BACKEND();
  const auto before = insert(store, alert("kept", "Ip", "192.0.2.1", {}));
  for (const std::string& bad : {std::string("nul\0byte", 8), std::string("\xff\xfe"),
                                 std::string("\xc0\xaf"), std::string("\xed\xa0\x80")}) {
    std::vector<Alert> batch{
        alert("first", "Ip", "192.0.2.2", {}),
        alert("second", "Ip", "192.0.2.3",
              {decision("Ip", "192.0.2.3", at(kHour), "ban", "crowdsec", bad)})};
    auto r = store->insertAlerts(batch, kNow);
    REQUIRE(!r.ok());
    CHECK(r.error().code == ErrorCode::Invalid);
    CHECK(r.error().message ==
          (bad[0] == 'n' ? "text contains a NUL byte" : "text is not valid UTF-8"));
  }
  // Neither the first alert of each batch nor anything else was stored.
  CHECK(queryAlerts(store, {}) == Ids{before});
  CHECK(activeValues(store, {}).empty());
  // Valid multi-byte text is fine.
  const auto ok = insert(store, alert("ssh \xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x92", "Ip", "x", {}));
  CHECK((*store->getAlert(ok))->scenario == "ssh \xc3\xa9\xe2\x82\xac\xf0\x9f\x94\x92");
  // A filter value with a NUL byte is the same error, not a silently truncated match.
  auto f = AlertFilter::fromQuery({{"value", std::string("x\0y", 3)}}, kNow);
  CHECK(store->listAlerts(*f, kNow).error().message == "text contains a NUL byte");
}

TEST_CASE("store: several processes may open and migrate one database at once", "[store]") {
  CW_STORE_BACKEND();
  CHECK(*store->schemaVersion() == 2);
  // Open 4 more concurrently, as LAPI processes starting together would.
  std::vector<std::unique_ptr<Store>> others(4);
  std::vector<std::thread> threads;
  for (auto& o : others) {
    threads.emplace_back([&ts, &o] { o = ts.reopen(); });
  }
  for (auto& t : threads) {
    t.join();
  }
  for (auto& o : others) {
    REQUIRE(o != nullptr);
    CHECK(*o->schemaVersion() == 2);
  }
  const auto id = insert(others[0].get(), alert("shared", "Ip", "192.0.2.1", {}));
  CHECK(queryAlerts(others[3].get(), {}) == Ids{id});
}

TEST_CASE("store: migration 2 upgrades a version-1 database and its rows", "[store]") {
  CW_STORE_BACKEND();
  insert(store, alert("old", "Ip", "x",
                      {decision("Range", "192.0.2.0/24", at(kHour)),
                       decision("Ip", "192.0.2.7", at(kHour)), decision("AS", "1", at(kHour))}));
  // Make it a version-1 database again, as an older Crowdwall left it.
  REQUIRE(ts.execRaw("DROP INDEX decisions_ip_ranges; ALTER TABLE decisions DROP COLUMN "
                     "ip_is_range; DELETE FROM schema_migrations WHERE version = 2") == "");
  auto again = ts.reopen();
  REQUIRE(again != nullptr);
  CHECK(*again->schemaVersion() == 2);
  // The old rows got their range flag: both containment branches find them.
  CHECK(activeValues(again.get(), {{"ip", "192.0.2.7"}}) == Strings{"192.0.2.0/24", "192.0.2.7"});
  CHECK(activeValues(again.get(), {{"ip", "192.0.2.8"}}) == Strings{"192.0.2.0/24"});
  CHECK(activeValues(again.get(), {{"range", "192.0.2.0/24"}}) == Strings{"192.0.2.0/24"});
}

TEST_CASE("store: a batch whose uuids repeat is still stored, one row at a time", "[store]") {
  CW_STORE_BACKEND();
  std::vector<Alert> batch;
  for (int i = 0; i < 3; ++i) {
    Alert a = alert("dup", "Ip", "192.0.2." + std::to_string(i),
                    {decision("Ip", "192.0.2." + std::to_string(i), at(kHour))});
    a.uuid = "same-uuid";
    a.decisions[0].uuid = "same-decision-uuid";
    a.events = {{kNow, {{"n", std::to_string(i)}}}};
    batch.push_back(std::move(a));
  }
  auto ids = store->insertAlerts(batch, kNow);
  REQUIRE(ids.ok());
  REQUIRE(ids->size() == 3);
  CHECK((*ids)[0] < (*ids)[1]);
  CHECK((*ids)[1] < (*ids)[2]);
  for (int i = 0; i < 3; ++i) {
    auto g = store->getAlert((*ids)[static_cast<std::size_t>(i)]);
    REQUIRE(g->has_value());
    CHECK((*g)->uuid == "same-uuid");
    CHECK((*g)->source.value == "192.0.2." + std::to_string(i));
    CHECK((*g)->events[0].meta[0].value == std::to_string(i));
    REQUIRE((*g)->decisions.size() == 1);
    CHECK((*g)->decisions[0].id == batch[static_cast<std::size_t>(i)].decisions[0].id);
    CHECK((*g)->decisions[0].value == "192.0.2." + std::to_string(i));
  }
}

TEST_CASE("Store::open follows db_config and says what is wrong", "[store]") {
  config::DbConfig db;
  db.type = "mysql";
  CHECK(Store::open(db).error().message == "db_config: unknown type 'mysql'");
  db.type = "sqlite";
  db.db_path = "/nonexistent-cw-folder/crowdwall.db";
  CHECK(Store::open(db).error().message ==
        "sqlite: cannot open /nonexistent-cw-folder/crowdwall.db: No such file or directory");
  db.db_path = ":memory:";
  CHECK(Store::open(db).error().message == "sqlite: db_path must name a file, not ':memory:'");
  db.type = "postgresql";
  db.host = "127.0.0.1";
  db.port = 1;  // nothing listens there
  auto pg = Store::open(db);
  REQUIRE(!pg.ok());
  CHECK_THAT(pg.error().message, Catch::StartsWith("postgres: cannot connect: "));
}

// SPDX-License-Identifier: Apache-2.0
// The Local API over HTTP: an in-process server on an ephemeral port, a real store (SQLite, and
// PostgreSQL when scripts/postgres runs one), httplib::Client. Exact statuses and bodies of
// shared/docs/contract/lapi.md ("What to test").
#include "lapi_test_util.h"

using namespace cw::core;
using namespace cw::test;

namespace {

const std::string kForbidden = R"({"message":"access forbidden"})";

std::string postAlerts(Lapi& l, const std::string& token, const std::string& body,
                       int expected_status) {
  auto r = l.client().Post("/v1/alerts", l.agent(token), body, "application/json");
  REQUIRE(r);
  INFO(r->body);
  CHECK(r->status == expected_status);
  return r->body;
}

std::vector<std::string> values(const rapidjson::Value& list) {
  std::vector<std::string> out;
  if (list.IsNull()) {
    return out;
  }
  for (const auto& d : list.GetArray()) {
    out.emplace_back(d["value"].GetString());
  }
  return out;
}

}  // namespace

TEST_CASE("lapi: health, unknown routes 404 and wrong methods 405", "[lapi]") {
  CW_STORE_BACKEND();
  Lapi l(*store);
  REQUIRE(l.server().port() > 0);
  CHECK(l.server().url() == "http://127.0.0.1:" + std::to_string(l.server().port()) + "/");

  auto health = l.client().Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(health->body == R"({"status":"up"})");
  CHECK(health->get_header_value("Content-Type") == "application/json; charset=utf-8");

  auto unknown = l.client().Get("/v1/nothing");
  REQUIRE(unknown);
  CHECK(unknown->status == 404);
  CHECK(unknown->body.empty());
  auto trailing = l.client().Get("/v1/alerts/1/2");
  REQUIRE(trailing);
  CHECK(trailing->status == 404);
  // A trailing slash is redirected, as gin does.
  auto slash = l.client().Get("/health/?a=1");
  REQUIRE(slash);
  CHECK(slash->status == 301);
  CHECK(slash->get_header_value("Location") == "/health?a=1");
  auto slash_post = l.client().Post("/v1/alerts/", "[]", "application/json");
  REQUIRE(slash_post);
  CHECK(slash_post->status == 307);
  CHECK(slash_post->get_header_value("Location") == "/v1/alerts");
  CHECK(l.client().Get("/nothing/")->status == 404);

  auto put = l.client().Put("/v1/alerts", "[]", "application/json");
  REQUIRE(put);
  CHECK(put->status == 405);
  CHECK(put->body.empty());
  CHECK(put->get_header_value("Allow") == "POST, GET, HEAD, DELETE");
  auto get_login = l.client().Get("/v1/watchers/login");
  REQUIRE(get_login);
  CHECK(get_login->status == 405);
  auto head_delete_only = l.client().Head("/v1/watchers/self");
  REQUIRE(head_delete_only);
  CHECK(head_delete_only->status == 405);

  const auto c = l.server().counters();
  CHECK(c.requests == 9);
  CHECK(c.not_found == 3);
  CHECK(c.bad_method == 3);
  CHECK(c.status_2xx == 1);
  CHECK(c.status_4xx == 6);
}

TEST_CASE("lapi: machine login (User-Agent rule, unvalidated, wrong password, unknown)", "[lapi]") {
  CW_STORE_BACKEND();
  addMachine(*store, "agent1", "s3cret-pw");
  addMachine(*store, "pending", "s3cret-pw", /*validated=*/false);
  Lapi l(*store);

  auto login = [&](const std::string& body, const std::string& ua) {
    httplib::Headers h;
    if (!ua.empty()) {
      h.emplace("User-Agent", ua);
    }
    auto r = l.client().Post("/v1/watchers/login", h, body, "application/json");
    REQUIRE(r);
    return std::pair(r->status, r->body);
  };
  const std::string good =
      R"({"machine_id":"agent1","password":"s3cret-pw","scenarios":["a/b","c/d"]})";

  const auto before = secondsFromNow(0);
  auto ok = login(good, kAgentUa);
  CHECK(ok.first == 200);
  auto doc = parseJson(ok.second);
  CHECK(doc["code"].GetInt() == 200);
  const std::string expire = doc["expire"].GetString();
  CHECK((expire == rfc3339(TimePoint::fromUnixNanos(before.unix_nanos + kHour)) ||
         expire == rfc3339(TimePoint::fromUnixNanos(before.unix_nanos + kHour + kSecond))));
  CHECK(std::string(doc["token"].GetString()).size() > 20);

  auto m = store->getMachine("agent1");
  REQUIRE(m.ok());
  REQUIRE(m->has_value());
  CHECK((*m)->scenarios == "a/b,c/d");
  CHECK((*m)->ip_address == "127.0.0.1");
  CHECK((*m)->version == "v1.4.6-6~deb12u1+b1-linux-debian");

  const std::string bad_credentials = R"({"code":401,"message":"incorrect Username or Password"})";
  CHECK(login(good, "crowdsec") == std::pair(401, bad_credentials));
  CHECK(login(good, "a/b/c") == std::pair(401, bad_credentials));
  CHECK(login(R"({"machine_id":"agent1","password":"wrong"})", kAgentUa) ==
        std::pair(401, bad_credentials));
  CHECK(login(R"({"machine_id":"pending","password":"s3cret-pw"})", kAgentUa) ==
        std::pair(401, std::string(R"({"code":401,"message":"machine pending not validated"})")));
  CHECK(login(R"({"machine_id":"ghost","password":"x"})", kAgentUa) ==
        std::pair(401, std::string(R"({"code":401,"message":"ent: machine not found"})")));
  CHECK(login(R"({"machine_id":"agent1"})", kAgentUa) ==
        std::pair(401, std::string(R"({"code":401,"message":"input format error"})")));
  CHECK(login(R"({"machine_id":5,"password":"x"})", kAgentUa) ==
        std::pair(401, std::string(R"({"code":401,"message":"missing: json: cannot unmarshal )"
                                   R"(number into Go struct field WatcherAuthRequest.machine_id )"
                                   R"(of type string"})")));
  auto garbage = login("{nope", kAgentUa);
  CHECK(garbage.first == 401);
  CHECK(garbage.second == R"({"code":401,"message":"missing: invalid character 'n' looking )"
                          R"(for beginning of object key string"})");
  // Scenarios kept when a later login sends none.
  CHECK(login(R"({"machine_id":"agent1","password":"s3cret-pw"})", kAgentUa).first == 200);
  CHECK((*store->getMachine("agent1"))->scenarios == "a/b,c/d");
  CHECK(l.server().counters().auth_failures == 8);
}

TEST_CASE("lapi: JWT errors, token reuse, cookie and query tokens, refresh", "[lapi]") {
  CW_STORE_BACKEND();
  addMachine(*store, "agent1", "pw");
  Lapi l(*store);
  const std::string token = l.login("agent1", "pw");

  auto heartbeat = [&](const httplib::Headers& h, const std::string& path = "/v1/heartbeat") {
    auto r = l.client().Get(path.c_str(), h);
    REQUIRE(r);
    return std::pair(r->status, r->body);
  };
  // The same token serves many requests.
  for (int i = 0; i < 3; ++i) {
    CHECK(heartbeat(l.agent(token)) == std::pair(200, std::string()));
  }
  CHECK(heartbeat({{"Cookie", "a=b; jwt=" + token}}).first == 200);
  CHECK(heartbeat({}, "/v1/heartbeat?token=" + token).first == 200);
  CHECK((*store->getMachine("agent1"))->last_heartbeat.isZero() == false);

  CHECK(heartbeat({}) ==
        std::pair(401, std::string(R"({"code":401,"message":"cookie token is empty"})")));
  CHECK(heartbeat({{"Authorization", "Basic abc"}}) ==
        std::pair(401, std::string(R"({"code":401,"message":"cookie token is empty"})")));
  CHECK(heartbeat({{"Authorization", "Bearer abc"}}) ==
        std::pair(401, std::string(R"({"code":401,"message":"token contains an invalid number )"
                                   R"(of segments"})")));
  std::string tampered = token;
  char& mid = tampered[tampered.size() - 10];  // inside the signature
  mid = mid == 'A' ? 'B' : 'A';
  CHECK(heartbeat({{"Authorization", "Bearer " + tampered}}) ==
        std::pair(401, std::string(R"({"code":401,"message":"signature is invalid"})")));

  const std::int64_t now_s = nowUtc().unix_nanos / kSecond;
  lapi::JwtCodec codec(kSecret);
  const std::string expired = codec.sign({"agent1", now_s - 10, now_s - 3610});
  CHECK(heartbeat({{"Authorization", "Bearer " + expired}}) ==
        std::pair(401, std::string(R"({"code":401,"message":"Token is expired"})")));
  lapi::JwtCodec other(std::string(64, 'x'));
  CHECK(
      heartbeat({{"Authorization", "Bearer " + other.sign({"agent1", now_s + 60, now_s})}}).first ==
      401);
  // alg "none" with the right claims and no signature.
  const std::string none =
      lapi::base64UrlEncode(R"({"alg":"none","typ":"JWT"})") + "." +
      lapi::base64UrlEncode(R"({"exp":)" + std::to_string(now_s + 60) + R"(,"id":"agent1"})") + ".";
  CHECK(heartbeat({{"Authorization", "Bearer " + none}}) ==
        std::pair(401,
                  std::string(R"({"code":401,"message":"signing method (alg) is unavailable"})")));
  // A valid token of a machine that does not exist.
  CHECK(heartbeat({{"Authorization", "Bearer " + codec.sign({"ghost", now_s + 60, now_s})}}) ==
        std::pair(401, std::string(R"({"code":401,"message":"ent: machine not found"})")));

  // Refresh: a live token, and an expired one whose login is younger than an hour.
  auto refresh = [&](const std::string& t) {
    auto r = l.client().Get("/v1/refresh_token", {{"Authorization", "Bearer " + t}});
    REQUIRE(r);
    return std::pair(r->status, r->body);
  };
  auto fresh = refresh(token);
  CHECK(fresh.first == 200);
  const std::string renewed = parseJson(fresh.second)["token"].GetString();
  CHECK(heartbeat(l.agent(renewed)).first == 200);
  CHECK(refresh(codec.sign({"agent1", now_s - 10, now_s - 600})).first == 200);
  CHECK(refresh(expired) ==
        std::pair(401, std::string(R"({"code":401,"message":"Token is expired"})")));
}

TEST_CASE("lapi: watcher registration, auto-registration, self-deletion", "[lapi]") {
  CW_STORE_BACKEND();
  const std::string token32(40, 't');
  Lapi l(*store, [&](config::Config& c) {
    c.server.auto_registration_enabled = true;
    c.server.auto_registration_token = token32;
    c.server.auto_registration_allowed_ranges = {"127.0.0.0/8"};
  });
  auto reg = [&](const std::string& body) {
    auto r = l.client().Post("/v1/watchers", {{"User-Agent", kAgentUa}}, body, "application/json");
    REQUIRE(r);
    return std::pair(r->status, r->body);
  };
  CHECK(reg(R"({"machine_id":"new1","password":"pw1"})") == std::pair(201, std::string()));
  auto m = store->getMachine("new1");
  REQUIRE(m->has_value());
  CHECK((*m)->is_validated == false);
  CHECK((*m)->ip_address == "127.0.0.1");
  CHECK(reg(R"({"machine_id":"new1","password":"pw1"})") ==
        std::pair(403, std::string(R"({"message":"user 'new1': user already exist"})")));
  CHECK(reg(R"({"machine_id":"new2"})") ==
        std::pair(422, std::string(R"({"message":"validation failure list:\npassword in body )"
                                   R"(is required"})")));
  CHECK(reg("[1,2]").first == 400);
  CHECK(reg(R"({"machine_id":"new3","password":"pw","registration_token":"wrong"})") ==
        std::pair(401, std::string(R"({"message":"invalid registration token"})")));
  CHECK(reg(R"({"machine_id":"auto1","password":"pw","registration_token":")" + token32 +
            R"("})") == std::pair(202, std::string()));
  CHECK((*store->getMachine("auto1"))->is_validated);

  // The auto-registered machine logs in, then deletes itself; its token is then refused.
  const std::string token = l.login("auto1", "pw");
  auto del = l.client().Delete("/v1/watchers/self", l.agent(token));
  REQUIRE(del);
  CHECK(del->status == 204);
  CHECK(del->body.empty());
  CHECK_FALSE(store->getMachine("auto1")->has_value());
  auto after = l.client().Get("/v1/heartbeat", l.agent(token));
  REQUIRE(after);
  CHECK(after->status == 401);
  CHECK(after->body == R"({"code":401,"message":"ent: machine not found"})");
}

TEST_CASE("lapi: remote registration can be disabled", "[lapi]") {
  CW_STORE_BACKEND();
  Lapi l(*store, [](config::Config& c) {
    c.server.disable_remote_lapi_registration = true;
    c.server.use_forwarded_for_headers = true;
  });
  auto local =
      l.client().Post("/v1/watchers", R"({"machine_id":"a","password":"b"})", "application/json");
  REQUIRE(local);
  CHECK(local->status == 201);
  auto remote = l.client().Post("/v1/watchers", {{"X-Forwarded-For", "192.0.2.7"}},
                                R"({"machine_id":"c","password":"d"})", "application/json");
  REQUIRE(remote);
  CHECK(remote->status == 403);
  CHECK(remote->body == kForbidden);
  CHECK_FALSE(store->getMachine("c")->has_value());
}

TEST_CASE("lapi: bouncer API keys (SHA-512 lookup, 403 shape, UA bookkeeping, siblings)",
          "[lapi]") {
  CW_STORE_BACKEND();
  addBouncer(*store, "fw", "key-of-fw-0123456789");
  Lapi l(*store, [](config::Config& c) { c.server.use_forwarded_for_headers = true; });

  auto get = [&](const httplib::Headers& h) {
    auto r = l.client().Get("/v1/decisions", h);
    REQUIRE(r);
    return std::pair(r->status, r->body);
  };
  CHECK(get({}) == std::pair(403, kForbidden));
  CHECK(get({{"X-Api-Key", "wrong"}}) == std::pair(403, kForbidden));
  auto stream = l.client().Get("/v1/decisions/stream", {{"X-Api-Key", "wrong"}});
  REQUIRE(stream);
  CHECK(stream->status == 403);
  CHECK(stream->body == kForbidden);

  CHECK(get(l.bouncer("key-of-fw-0123456789")) == std::pair(200, std::string("null")));
  auto b = store->getBouncer("fw");
  REQUIRE(b->has_value());
  CHECK((*b)->ip_address == "127.0.0.1");
  CHECK((*b)->type == "crowdsec-firewall-bouncer");
  CHECK((*b)->version == "v0.0.31");
  CHECK_FALSE((*b)->last_pull.isZero());

  // A UA without '/' is the type, version N/A.
  CHECK(get({{"X-Api-Key", "key-of-fw-0123456789"}, {"User-Agent", "custom"}}).first == 200);
  b = store->getBouncer("fw");
  CHECK((*b)->type == "custom");
  CHECK((*b)->version == "N/A");

  // The same key from another address: sibling "fw@192.0.2.50" with the same hash.
  CHECK(get({{"X-Api-Key", "key-of-fw-0123456789"},
             {"User-Agent", "crowdsec-custom-bouncer/-"},
             {"X-Forwarded-For", "192.0.2.50"}})
            .first == 200);
  auto sibling = store->getBouncer("fw@192.0.2.50");
  REQUIRE(sibling->has_value());
  CHECK((*sibling)->api_key_hash == store::hashApiKey("key-of-fw-0123456789"));
  CHECK((*sibling)->ip_address == "192.0.2.50");
  CHECK((*sibling)->type == "crowdsec-custom-bouncer");
  CHECK((*sibling)->version == "-");
  CHECK((*store->getBouncer("fw"))->ip_address == "127.0.0.1");
  CHECK(store->listBouncers()->size() == 2);
  // Once more from there: the sibling is reused, not duplicated.
  CHECK(get({{"X-Api-Key", "key-of-fw-0123456789"}, {"X-Forwarded-For", "192.0.2.50"}}).first ==
        200);
  CHECK(store->listBouncers()->size() == 2);

  // Machines' routes refuse API keys, bouncers' routes refuse JWTs.
  auto alerts = l.client().Get("/v1/alerts", l.bouncer("key-of-fw-0123456789"));
  REQUIRE(alerts);
  CHECK(alerts->status == 401);
}

TEST_CASE("lapi: POST /v1/alerts validation, kept decisions, ids as strings", "[lapi]") {
  CW_STORE_BACKEND();
  addMachine(*store, "agent1", "pw");
  Lapi l(*store);
  const std::string token = l.login("agent1", "pw");

  // Malformed JSON and wrong types: 400; missing required fields: 500 with the list.
  CHECK(postAlerts(l, token, "test", 400) ==
        R"x({"message":"invalid character 'e' in literal true (expecting 'r')"})x");
  CHECK(
      postAlerts(l, token, R"({"a":1})", 400) ==
      R"({"message":"json: cannot unmarshal object into Go value of type models.AddAlertsRequest"})");
  CHECK(
      postAlerts(l, token, R"([{"capacity":"5"}])", 400) ==
      R"({"message":"json: cannot unmarshal string into Go struct field Alert.capacity of type int32"})");
  // Texts as CrowdSec 1.4.6 answers them (probed on the reference LAPI).
  CHECK(
      postAlerts(l, token, R"([{"capacity":5000000000}])", 400) ==
      R"({"message":"json: cannot unmarshal number 5000000000 into Go struct field Alert.capacity of type int32"})");
  CHECK(postAlerts(l, token,
                   R"([{"capacity":1,"events":[],"events_count":1,"leakspeed":"1s",)"
                   R"("message":"m","start_at":"x","stop_at":"x"}])",
                   500) == R"({"message":"validation failure list:\n0.scenario in body is )"
                           R"(required\n0.scenario_hash in body is required\n0.scenario_version )"
                           R"(in body is required\n0.simulated in body is required\n0.source in )"
                           R"(body is required"})");
  // Nested objects: one nested list each, for the first failing item of an array only; the
  // first failing alert of the batch is the one reported.
  const std::string nested_ok =
      R"({"capacity":1,"events":[],"events_count":1,"leakspeed":"1s","message":"m",)"
      R"("scenario":"s","scenario_hash":"","scenario_version":"","simulated":false,)"
      R"("source":{"scope":"Ip","value":"1.2.3.4"},"start_at":"x","stop_at":"x"})";
  CHECK(postAlerts(l, token,
                   "[" + nested_ok +
                       R"(,{"capacity":1,"decisions":[{"origin":"cscli"},{}],"events":[{},{}],)"
                       R"("events_count":1,"leakspeed":"1s","message":"m","scenario":"s",)"
                       R"("scenario_hash":"","scenario_version":"","simulated":false,)"
                       R"("source":{"scope":"Ip"},"start_at":"x","stop_at":"x"},{}])",
                   500) ==
        R"({"message":"validation failure list:\nvalidation failure list:\n1.decisions.0.)"
        R"(duration in body is required\n1.decisions.0.scenario in body is required\n)"
        R"(1.decisions.0.scope in body is required\n1.decisions.0.type in body is required\n)"
        R"(1.decisions.0.value in body is required\nvalidation failure list:\n1.events.0.meta )"
        R"(in body is required\n1.events.0.timestamp in body is required\nvalidation failure )"
        R"(list:\n1.source.value in body is required"})");
  CHECK(postAlerts(l, token, "", 400) == R"({"message":"EOF"})");
  CHECK(l.server().counters().bad_bodies == 7);
  CHECK(store->listAlerts(*store::AlertFilter::fromQuery({{"limit", "0"}}), nowUtc())->empty());

  // cscli alerts keep their decisions; until = stop_at + duration ("d" accepted).
  const TimePoint stop = secondsFromNow(-30);
  const std::string body =
      "[" + cscliAlert("192.0.2.10", "ip", "ban", "1h", rfc3339(stop)) + "," +
      cscliAlert("198.51.100.0/24", "range", "captcha", "2d", rfc3339(stop), "reason two") + "]";
  CHECK(postAlerts(l, token, body, 201) == R"(["1","2"])");
  auto first = store->getAlert(1);
  REQUIRE(first->has_value());
  const store::Alert& a1 = **first;
  CHECK(a1.machine_id == "agent1");
  CHECK(a1.source.scope == "Ip");
  REQUIRE(a1.decisions.size() == 1);
  CHECK(a1.decisions[0].origin == "cscli");
  CHECK(a1.decisions[0].type == "ban");
  CHECK(a1.decisions[0].scope == "Ip");
  CHECK(a1.decisions[0].scenario == "manual test");
  CHECK(a1.decisions[0].until.unix_nanos == stop.unix_nanos + kHour);
  auto second = store->getAlert(2);
  REQUIRE((*second)->decisions.size() == 1);
  CHECK((*second)->decisions[0].scope == "Range");
  CHECK((*second)->decisions[0].type == "captcha");
  CHECK((*second)->decisions[0].until.unix_nanos == stop.unix_nanos + 48 * kHour);
  CHECK((*store->getMachine("agent1"))->last_push.isZero() == false);
  CHECK(l.server().counters().alerts_received == 2);
  CHECK(l.server().counters().decisions_created == 2);

  // GET /v1/alerts/{id}: the wire shape.
  auto one = l.client().Get("/v1/alerts/1", l.agent(token));
  REQUIRE(one);
  CHECK(one->status == 200);
  auto doc = parseJson(one->body);
  CHECK(std::string(doc["machine_id"].GetString()) == "agent1");
  CHECK(doc["id"].GetInt64() == 1);
  CHECK(doc["events"].IsNull());
  CHECK(std::string(doc["start_at"].GetString()) == formatGoDefault(stop));
  CHECK(std::string(doc["stop_at"].GetString()) == formatGoDefault(stop));
  CHECK(std::string(doc["created_at"].GetString()) == rfc3339(a1.created_at));
  CHECK(std::string(doc["decisions"][0]["until"].GetString()) ==
        rfc3339(TimePoint::fromUnixNanos(stop.unix_nanos + kHour)));
  CHECK(std::string(doc["source"]["value"].GetString()) == "192.0.2.10");
  const std::string remaining = doc["decisions"][0]["duration"].GetString();
  const auto rem = parseGoDuration(remaining);
  REQUIRE(rem);
  CHECK(*rem % kSecond == 0);
  CHECK(*rem <= kHour - 29 * kSecond);
  CHECK(*rem >= kHour - 40 * kSecond);

  auto bad_id = l.client().Get("/v1/alerts/abc", l.agent(token));
  REQUIRE(bad_id);
  CHECK(bad_id->status == 400);
  CHECK(bad_id->body == R"({"message":"alert_id must be valid integer"})");
  auto missing = l.client().Get("/v1/alerts/999", l.agent(token));
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(missing->body == R"({"message":"object not found"})");
  auto head = l.client().Head("/v1/alerts/1", l.agent(token));
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());

  // An agent alert without decisions and without profiles: stored, no decision.
  const std::string at = rfc3339(secondsFromNow(-5));
  CHECK(postAlerts(l, token, "[" + agentAlert("203.0.113.77", "crowdsecurity/ssh-bf", at) + "]",
                   201) == R"(["3"])");
  auto third = store->getAlert(3);
  REQUIRE(third->has_value());
  CHECK((*third)->decisions.empty());
  REQUIRE((*third)->events.size() == 1);
  CHECK((*third)->events[0].meta ==
        std::vector<store::MetaItem>{{"source_ip", "203.0.113.77"}, {"user", "root"}});
  auto listed = l.client().Get("/v1/alerts?scenario=crowdsecurity/ssh-bf", l.agent(token));
  REQUIRE(listed);
  auto ldoc = parseJson(listed->body);
  REQUIRE(ldoc.Size() == 1);
  CHECK(std::string(ldoc[0]["events"][0]["timestamp"].GetString()) ==
        formatGoDefault(*parseGoLayout("2006-01-02T15:04:05Z07:00", at)));
  CHECK(ldoc[0]["decisions"].IsNull());
}

TEST_CASE("lapi: alert filters, their errors, and deletion from trusted IPs only", "[lapi]") {
  CW_STORE_BACKEND();
  addMachine(*store, "agent1", "pw");
  Lapi l(*store, [](config::Config& c) {
    c.server.use_forwarded_for_headers = true;
    c.server.trusted_ips = {"10.0.0.0/8"};
  });
  const std::string token = l.login("agent1", "pw");
  const std::string old = rfc3339(secondsFromNow(-3 * 86400));
  postAlerts(l, token,
             "[" + cscliAlert("192.0.2.1") + "," + cscliAlert("192.0.2.2") + "," +
                 agentAlert("192.0.2.3", "crowdsecurity/ssh-bf", old) + "]",
             201);

  auto list = [&](const std::string& query, const httplib::Headers& extra = {}) {
    httplib::Headers h = l.agent(token);
    h.insert(extra.begin(), extra.end());
    auto r = l.client().Get(("/v1/alerts" + query).c_str(), h);
    REQUIRE(r);
    return std::pair(r->status, r->body);
  };
  auto ids = [&](const std::string& query) {
    auto [status, body] = list(query);
    REQUIRE(status == 200);
    std::vector<std::int64_t> out;
    auto d = parseJson(body);
    if (d.IsNull()) {
      return out;
    }
    for (const auto& a : d.GetArray()) {
      out.push_back(a["id"].GetInt64());
    }
    return out;
  };
  using Ids = std::vector<std::int64_t>;
  CHECK(ids("") == Ids{3, 2, 1});
  CHECK(ids("?sort=ASC") == Ids{1, 2, 3});
  CHECK(ids("?limit=1") == Ids{3});
  CHECK(ids("?limit=0") == Ids{3, 2, 1});
  CHECK(ids("?since=2d") == Ids{2, 1});
  CHECK(ids("?until=2d") == Ids{3});
  CHECK(ids("?has_active_decision=true&include_capi=false&limit=100") == Ids{2, 1});
  CHECK(ids("?has_active_decision=false") == Ids{3});
  CHECK(ids("?ip=192.0.2.2") == Ids{2});
  CHECK(ids("?range=192.0.2.0/24&contains=false") == Ids{2, 1});
  CHECK(ids("?scope=ip&value=192.0.2.1") == Ids{1});
  CHECK(ids("?scenario=nope") == Ids{});
  CHECK(list("?scenario=nope") == std::pair(200, std::string("null")));
  // SQL metacharacters are data.
  CHECK(list("?scenario=%27%20OR%201%3D1%20--") == std::pair(200, std::string("null")));
  CHECK(list("?value=x%27%3B%20DROP%20TABLE%20alerts%3B%20--") ==
        std::pair(200, std::string("null")));
  CHECK(ids("") == Ids{3, 2, 1});

  CHECK(list("?test=test") ==
        std::pair(500, std::string(R"({"message":"filter parameter 'test' is unknown (=test): )"
                                   R"(invalid filter"})")));
  CHECK(list("?ip=gruueq") ==
        std::pair(500, std::string(R"({"message":"unable to convert 'gruueq' to int: invalid )"
                                   R"(address: invalid ip address / range"})")));
  CHECK(list("?since=1zuzu") ==
        std::pair(500, std::string(R"({"message":"while parsing duration: time: unknown )"
                                   R"(unit \"zuzu\" in duration \"1zuzu\""})")));
  CHECK(list("?has_active_decision=maybe").first == 500);

  // Deletion: refused from an untrusted address, allowed from localhost and trusted_ips.
  auto del = [&](const std::string& path, const std::string& xff) {
    httplib::Headers h = l.agent(token);
    if (!xff.empty()) {
      h.emplace("X-Forwarded-For", xff);
    }
    auto r = l.client().Delete(path.c_str(), h);
    REQUIRE(r);
    return std::pair(r->status, r->body);
  };
  CHECK(
      del("/v1/alerts?ip=192.0.2.1", "192.0.2.99") ==
      std::pair(403, std::string(R"x({"message":"access forbidden from this IP (192.0.2.99)"})x")));
  CHECK(del("/v1/alerts/1", "192.0.2.99").first == 403);
  CHECK(ids("") == Ids{3, 2, 1});
  CHECK(del("/v1/alerts?ip=192.0.2.1", "10.1.2.3") ==
        std::pair(200, std::string(R"({"nbDeleted":"1"})")));
  CHECK(del("/v1/alerts/2", "") == std::pair(200, std::string(R"({"nbDeleted":"1"})")));
  CHECK(del("/v1/alerts/2", "") ==
        std::pair(500, std::string(R"({"message":"ent: alert not found"})")));
  CHECK(del("/v1/alerts/x", "") ==
        std::pair(400, std::string(R"({"message":"alert_id must be valid integer"})")));
  CHECK(del("/v1/alerts?bogus=1", "").first == 500);
  CHECK(del("/v1/alerts", "") == std::pair(200, std::string(R"({"nbDeleted":"1"})")));
  CHECK(list("") == std::pair(200, std::string("null")));
}

TEST_CASE("lapi: GET /v1/decisions (null, v4/v6 containment, filters, invalid ip)", "[lapi]") {
  CW_STORE_BACKEND();
  addMachine(*store, "agent1", "pw");
  addBouncer(*store, "nginx", "nginx-key");
  Lapi l(*store);
  auto get = [&](const std::string& query) {
    auto r = l.client().Get(("/v1/decisions" + query).c_str(), l.bouncer("nginx-key"));
    REQUIRE(r);
    return std::pair(r->status, r->body);
  };
  auto vals = [&](const std::string& query) {
    auto [status, body] = get(query);
    REQUIRE(status == 200);
    return values(parseJson(body));
  };
  using Strings = std::vector<std::string>;
  CHECK(get("") == std::pair(200, std::string("null")));
  CHECK(get("?ip=192.0.2.10") == std::pair(200, std::string("null")));

  const std::string token = l.login("agent1", "pw");
  postAlerts(l, token,
             "[" + cscliAlert("192.0.2.10") + "," + cscliAlert("198.51.100.0/24", "Range") + "," +
                 cscliAlert("2001:db8::/32", "Range", "captcha") + "," +
                 cscliAlert("2001:db8::5", "Ip", "ban", "1h", "", "other reason", "crowdsec") +
                 "," + cscliAlert("FR", "Country") + "," +
                 cscliAlert("192.0.2.11", "Ip", "ban", "1h", rfc3339(secondsFromNow(-7200))) + "]",
             201);
  CHECK(vals("") == Strings{"192.0.2.10", "198.51.100.0/24", "2001:db8::/32", "2001:db8::5", "FR"});
  CHECK(vals("?ip=192.0.2.10") == Strings{"192.0.2.10"});
  CHECK(vals("?ip=198.51.100.7") == Strings{"198.51.100.0/24"});
  CHECK(vals("?range=198.51.100.0/25") == Strings{"198.51.100.0/24"});
  CHECK(vals("?range=198.51.0.0/16&contains=false") == Strings{"198.51.100.0/24"});
  CHECK(vals("?range=198.51.0.0/16") == Strings{});
  CHECK(vals("?ip=2001:db8::5") == Strings{"2001:db8::/32", "2001:db8::5"});
  CHECK(vals("?ip=2001:db9::1") == Strings{});
  CHECK(vals("?range=2001:db8::/16&contains=false") == Strings{"2001:db8::/32", "2001:db8::5"});
  CHECK(vals("?scope=country") == Strings{"FR"});
  CHECK(vals("?scopes=ip,range&type=captcha") == Strings{"2001:db8::/32"});
  CHECK(vals("?origins=crowdsec") == Strings{"2001:db8::5"});
  CHECK(vals("?scenarios_containing=OTHER") == Strings{"2001:db8::5"});
  CHECK(vals("?scenarios_not_containing=manual") == Strings{"2001:db8::5"});
  CHECK(vals("?value=FR&unknown=1") == Strings{"FR"});
  CHECK(get("?ip=not-an-ip") ==
        std::pair(500, std::string(R"({"message":"unable to convert 'not-an-ip' to int: invalid )"
                                   R"(address: invalid ip address / range"})")));

  // The bouncer shape: duration, id, origin, scenario, scope, type, uuid, value.
  auto [status, body] = get("?ip=192.0.2.10");
  auto d = parseJson(body);
  REQUIRE(d.Size() == 1);
  const auto& dec = d[0];
  CHECK(dec.MemberCount() == 8);
  CHECK(std::string(dec["origin"].GetString()) == "cscli");
  CHECK(std::string(dec["scenario"].GetString()) == "manual test");
  CHECK(std::string(dec["scope"].GetString()) == "Ip");
  CHECK(std::string(dec["type"].GetString()) == "ban");
  CHECK(std::string(dec["uuid"].GetString()).size() == 36);
  CHECK(dec["id"].IsInt64());
  const auto rem = parseGoDuration(dec["duration"].GetString());
  REQUIRE(rem);
  CHECK(*rem <= kHour);
  CHECK(*rem >= kHour - 10 * kSecond);
  auto head = l.client().Head("/v1/decisions", l.bouncer("nginx-key"));
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());
}

TEST_CASE("lapi: decisions stream (startup, delta, dedup, deleted window, filters, HEAD)",
          "[lapi]") {
  CW_STORE_BACKEND();
  addMachine(*store, "agent1", "pw");
  addBouncer(*store, "fw", "fw-key");
  addBouncer(*store, "fw2", "fw2-key");
  Lapi l(*store);
  const std::string token = l.login("agent1", "pw");
  auto pull = [&](const std::string& query, const std::string& key = "fw-key") {
    auto r = l.client().Get(("/v1/decisions/stream" + query).c_str(), l.bouncer(key));
    REQUIRE(r);
    REQUIRE(r->status == 200);
    return r->body;
  };
  auto lists = [&](const std::string& query, const std::string& key = "fw-key") {
    auto d = parseJson(pull(query, key));
    REQUIRE(d.IsObject());
    return std::pair(values(d["new"]), values(d["deleted"]));
  };
  using Strings = std::vector<std::string>;
  using Lists = std::pair<Strings, Strings>;

  // Empty: both lists null (CrowdSec 1.4.6's wire).
  CHECK(pull("?startup=true") == R"({"deleted":null,"new":null})");
  auto head = l.client().Head("/v1/decisions/stream?startup=true", l.bouncer("fw2-key"));
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->body.empty());
  CHECK((*store->getBouncer("fw2"))->last_pull.isZero());  // HEAD leaves last pull

  const std::string hour_ago = rfc3339(secondsFromNow(-3600));
  postAlerts(
      l, token,
      "[" + cscliAlert("192.0.2.1", "Ip", "ban", "1h") + "," +
          cscliAlert("192.0.2.1", "Ip", "ban", "4h") + "," +  // dedup: the longer one wins
          cscliAlert("192.0.2.2", "Ip", "ban", "30m", hour_ago) + "," +  // expired
          cscliAlert("198.51.100.0/24", "Range", "captcha", "2h", "", "ssh probing", "crowdsec") +
          "," + cscliAlert("FR", "Country") + "]",
      201);

  // startup: every active candidate in new, expired ones in deleted; default scopes ip,range.
  CHECK(lists("?startup=true") ==
        Lists{Strings{"192.0.2.1", "198.51.100.0/24"}, Strings{"192.0.2.2"}});
  CHECK(lists("?startup=true&dedup=false") ==
        Lists{Strings{"192.0.2.1", "192.0.2.1", "198.51.100.0/24"}, Strings{"192.0.2.2"}});
  CHECK(lists("?startup=true&scopes=country") == Lists{Strings{"FR"}, Strings{}});
  CHECK(lists("?startup=true&origins=crowdsec") == Lists{Strings{"198.51.100.0/24"}, Strings{}});
  CHECK(lists("?startup=true&scenarios_containing=SSH,anchor") ==
        Lists{Strings{"198.51.100.0/24"}, Strings{}});
  CHECK(lists("?startup=true&scenarios_not_containing=ssh") ==
        Lists{Strings{"192.0.2.1"}, Strings{"192.0.2.2"}});
  // The dedup winner is the 4h decision.
  auto d = parseJson(pull("?startup=true"));
  const auto rem = parseGoDuration(d["new"][0]["duration"].GetString());
  REQUIRE(rem);
  CHECK(*rem > 3 * kHour);
  CHECK((*store->getBouncer("fw"))->last_pull.isZero() == false);

  // Delta (no query, as real bouncers poll): nothing new since the last pull.
  CHECK(pull("") == R"({"deleted":null,"new":null})");
  postAlerts(l, token, "[" + cscliAlert("192.0.2.3") + "]", 201);
  CHECK(lists("") == Lists{Strings{"192.0.2.3"}, Strings{}});
  CHECK(pull("") == R"({"deleted":null,"new":null})");

  // A deleted decision (expired now) shows in deleted, with a non-positive duration.
  auto del = l.client().Delete("/v1/decisions?ip=192.0.2.3", l.agent(token));
  REQUIRE(del);
  CHECK(del->body == R"({"nbDeleted":"1"})");
  auto after = parseJson(pull(""));
  CHECK(after["new"].IsNull());
  REQUIRE(after["deleted"].IsArray());
  CHECK(values(after["deleted"]) == Strings{"192.0.2.3"});
  const auto gone = parseGoDuration(after["deleted"][0]["duration"].GetString());
  REQUIRE(gone);
  CHECK(*gone <= 0);  // expired at the deletion, a moment ago ("0s" unless the machine is slow)
  CHECK(*gone >= -5 * kSecond);
  // fw2 never pulled: its first delta has no lower bound.
  CHECK(lists("", "fw2-key") ==
        Lists{Strings{"192.0.2.1", "198.51.100.0/24"}, Strings{"192.0.2.2", "192.0.2.3"}});
  auto bad = l.client().Get("/v1/decisions/stream?ip=bad", l.bouncer("fw-key"));
  REQUIRE(bad);
  CHECK(bad->status == 500);
  CHECK(l.server().counters().stream_pulls >= 10);
}

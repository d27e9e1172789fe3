// SPDX-License-Identifier: Apache-2.0
// The Local API at its edges: decision deletion, hostile bodies and queries, body limits, gzip,
// usage metrics, allowlists, the unix socket.
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "lapi_test_util.h"

using namespace cw::core;
using namespace cw::test;

namespace {

std::string gzip(const std::string& plain) {
  z_stream zs{};
  REQUIRE(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&zs, plain.size()) + 32, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(plain.data()));
  zs.avail_in = static_cast<uInt>(plain.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&zs, Z_FINISH) == Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

std::size_t alertCount(store::Store& store) {
  auto all = store.listAlerts(*store::AlertFilter::fromQuery({{"limit", "0"}}), nowUtc());
  REQUIRE(all.ok());
  return all->size();
}

}  // namespace

TEST_CASE("lapi: DELETE /v1/decisions (filters, unknown keys, by id)", "[lapi]") {
  CW_STORE_BACKEND();
  addMachine(*store, "agent1", "pw");
  Lapi l(*store);
  const std::string token = l.login("agent1", "pw");
  auto r = l.client().Post("/v1/alerts", l.agent(token),
                           "[" + cscliAlert("192.0.2.1") + "," + cscliAlert("192.0.2.2") + "," +
                               cscliAlert("192.0.2.3", "Ip", "captcha") + "," +
                               cscliAlert("198.51.100.0/24", "Range") + "]",
                           "application/json");
  REQUIRE(r);
  REQUIRE(r->status == 201);
  auto del = [&](const std::string& path) {
    auto d = l.client().Delete(path.c_str(), l.agent(token));
    REQUIRE(d);
    return std::pair(d->status, d->body);
  };
  using P = std::pair<int, std::string>;
  CHECK(del("/v1/decisions?scope=Ip&value=192.0.2.1") ==
        P(500, R"({"message":"'scope' doesn't exist: invalid filter"})"));
  CHECK(del("/v1/decisions?type=captcha") == P(200, R"({"nbDeleted":"1"})"));
  CHECK(del("/v1/decisions?type=captcha") == P(200, R"({"nbDeleted":"0"})"));
  CHECK(del("/v1/decisions?ip=198.51.100.9") == P(200, R"({"nbDeleted":"1"})"));
  CHECK(del("/v1/decisions?ip=nope") ==
        P(500, R"({"message":"unable to convert 'nope' to int: invalid address: invalid ip )"
               R"(address / range"})"));
  CHECK(del("/v1/decisions/abc") == P(400, R"({"message":"decision_id must be valid integer"})"));
  CHECK(del("/v1/decisions/1") == P(200, R"({"nbDeleted":"1"})"));
  CHECK(del("/v1/decisions/1") ==
        P(500, R"({"message":"decision with id '1' doesn't exist: unable to delete"})"));
  CHECK(del("/v1/decisions?scopes=Ip") == P(200, R"({"nbDeleted":"1"})"));
  // Rows are kept: deleted decisions are expired, not removed.
  auto a = store->getAlert(1);
  REQUIRE(a->has_value());
  REQUIRE((*a)->decisions.size() == 1);
  CHECK((*a)->decisions[0].until <= nowUtc());
  // A bouncer key does not open machine routes.
  auto nojwt = l.client().Delete("/v1/decisions", {{"X-Api-Key", "x"}});
  REQUIRE(nojwt);
  CHECK(nojwt->status == 401);
}

TEST_CASE("lapi: hostile bodies and queries get their status, store nothing, keep serving",
          "[lapi]") {
  CW_STORE_BACKEND();
  addMachine(*store, "agent1", "pw");
  Lapi l(*store);
  const std::string token = l.login("agent1", "pw");
  auto post = [&](const std::string& body) {
    auto r = l.client().Post("/v1/alerts", l.agent(token), body, "application/json");
    REQUIRE(r);
    return r->status;
  };
  // Deep nesting (iterative parser: no stack overflow), in an array and inside a field.
  CHECK(post(std::string(200000, '[') + std::string(200000, ']')) == 400);
  CHECK(post("[{\"capacity\":" + std::string(100000, '[') + std::string(100000, ']') + "}]") ==
        400);
  CHECK(post(std::string(300000, '[')) == 400);
  // Numbers out of range, invalid UTF-8, NUL bytes, trailing garbage, wrong element types.
  CHECK(post(R"([{"capacity":1e400}])") == 400);
  CHECK(post(R"([{"capacity":-99999999999999999999999}])") == 400);
  CHECK(post(R"([{"events_count":1.5}])") == 400);
  CHECK(post("[{\"scenario\":\"\xff\xfe\"}]") == 400);
  CHECK(post(std::string("[\0]", 3)) == 400);
  CHECK(post("[] []") == 400);
  CHECK(post("[1]") == 400);
  CHECK(post("[null]") == 400);
  CHECK(post("") == 400);
  CHECK(post(R"([{"source":{"scope":"Ip","value":"1.2.3.4","latitude":"north"}}])") == 400);
  CHECK(post(R"([{"labels":[1]}])") == 400);
  std::string nul = cscliAlert("192.0.2.1");
  nul.replace(nul.find("manual test"), 6, "man\\u0000");
  CHECK(post("[" + nul + "]") == 400);
  CHECK(post(R"([{"scenario":"\ud800"}])") == 400);
  // An unparseable decision duration: 500, nothing stored.
  std::string bad_duration = cscliAlert("192.0.2.1");
  bad_duration.replace(bad_duration.find("\"1h\""), 4, "\"1zz\"");
  CHECK(post("[" + bad_duration + "]") == 500);
  CHECK(alertCount(*store) == 0);

  // A token in every shape but a good one.
  for (const std::string& t :
       std::vector<std::string>{".", "..", "a.b.c", "\xff.\xff.\xff", std::string(5000, 'A')}) {
    auto r = l.client().Get("/v1/alerts", {{"Authorization", "Bearer " + t}});
    REQUIRE(r);
    CHECK(r->status == 401);
  }
  // Hostile query values and path parameters.
  // Hostile query values: the filters' errors (500, their texts are the store's), text the
  // database cannot hold (500), or nothing found (200 null).
  const std::vector<std::pair<std::string, int>> queries = {
      {"?limit=-1", 500},           {"?limit=abc", 500},     {"?limit=99999999999999999999", 500},
      {"?since=99999999999h", 500}, {"?ip=1.2.3.4/99", 500}, {"?range=::/200", 500},
      {"?contains=maybe", 500},     {"?sort=%00", 200},      {"?scenario=%00", 500},
      {"?scenario=%ff%fe", 500},    {"?value=%c0%80", 500}};
  for (const auto& [q, status] : queries) {
    auto r = l.client().Get(("/v1/alerts" + q).c_str(), l.agent(token));
    REQUIRE(r);
    INFO(q << " -> " << r->status << " " << r->body);
    CHECK(r->status == status);
    CHECK(r->body.rfind(status == 200 ? "null" : R"({"message":")", 0) == 0);
  }
  CHECK(l.client().Get("/v1/alerts?scenario=%00", l.agent(token))->body ==
        R"({"message":"text contains a NUL byte"})");
  auto huge_id = l.client().Get("/v1/alerts/99999999999999999999999", l.agent(token));
  REQUIRE(huge_id);
  CHECK(huge_id->status == 400);
  auto neg_id = l.client().Get("/v1/alerts/-1", l.agent(token));
  REQUIRE(neg_id);
  CHECK(neg_id->status == 404);

  // Still serving, state intact.
  auto health = l.client().Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
  CHECK(post("[" + cscliAlert("192.0.2.77") + "]") == 201);
  CHECK(alertCount(*store) == 1);
  CHECK(l.server().counters().bad_bodies == 17);
}

TEST_CASE("lapi: body limits before parsing, gzip bodies", "[lapi]") {
  CW_STORE_BACKEND();
  addMachine(*store, "agent1", "pw");
  Lapi l(*store);
  const std::string token = l.login("agent1", "pw");

  // Unauthenticated routes: 2 MiB.
  const std::string big_login =
      R"({"machine_id":"agent1","password":")" + std::string(2u << 20, 'p') + R"("})";
  auto r = l.client().Post("/v1/watchers/login", {{"User-Agent", kAgentUa}}, big_login,
                           "application/json");
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(r->body == R"({"message":"http: request body too large"})");

  // Gzip: decompressed transparently; the limit applies to the decompressed size.
  const std::string body = "[" + cscliAlert("192.0.2.5") + "]";
  httplib::Headers h = l.agent(token);
  h.emplace("Content-Encoding", "gzip");
  auto gz = l.client().Post("/v1/alerts", h, gzip(body), "application/json");
  REQUIRE(gz);
  CHECK(gz->status == 201);
  CHECK(gz->body == R"(["1"])");

  httplib::Headers hl{{"User-Agent", kAgentUa}, {"Content-Encoding", "gzip"}};
  auto bomb = l.client().Post("/v1/watchers/login", hl, gzip(big_login), "application/json");
  REQUIRE(bomb);
  CHECK(bomb->status == 413);

  // Authenticated routes: 50 MiB; just under 3 MiB passes the limit (and fails validation).
  const std::string three_mib = R"([{"message":")" + std::string(3u << 20, 'm') + R"("}])";
  auto big_alert = l.client().Post("/v1/alerts", l.agent(token), three_mib, "application/json");
  REQUIRE(big_alert);
  CHECK(big_alert->status == 500);
  auto over = l.client().Post("/v1/alerts", l.agent(token), gzip(std::string(51u << 20, ' ')),
                              "application/json");
  REQUIRE(over);
  CHECK(over->status == 400);  // not gzip-labelled: 51 MiB of compressed bytes is not JSON
  httplib::Headers hz = l.agent(token);
  hz.emplace("Content-Encoding", "gzip");
  auto over_gz =
      l.client().Post("/v1/alerts", hz, gzip(std::string(51u << 20, ' ')), "application/json");
  REQUIRE(over_gz);
  CHECK(over_gz->status == 413);
  // A refused token with a 1 MiB body: the client reads the 401, not a reset connection.
  for (int i = 0; i < 3; ++i) {
    auto refused = l.client().Post("/v1/alerts", {{"Authorization", "Bearer bad"}},
                                   std::string(1u << 20, ' '), "application/json");
    REQUIRE(refused);
    CHECK(refused->status == 401);
  }
  // A GET carrying a large body is refused before the body is read.
  {
    httplib::Client raw("127.0.0.1", l.server().port());
    httplib::Request req;
    req.method = "GET";
    req.path = "/health";
    req.headers = {{"Content-Length", std::to_string(3u << 20)}};
    auto res = raw.send(req);  // announces 3 MiB, sends none: only the refusal can answer
    REQUIRE(res);
    CHECK(res->status == 413);
    CHECK(res->body == R"({"message":"http: request body too large"})");
  }
  CHECK(l.server().counters().bodies_too_large == 4);
  auto health = l.client().Get("/health");
  REQUIRE(health);
  CHECK(health->status == 200);
}

TEST_CASE("lapi: usage metrics are validated; allowlists are empty", "[lapi]") {
  CW_STORE_BACKEND();
  addMachine(*store, "agent1", "pw");
  addBouncer(*store, "fw", "fw-key");
  Lapi l(*store);
  const std::string token = l.login("agent1", "pw");
  const std::string base =
      R"("version":"v1","os":{"name":"debian","version":"12"},"utc_startup_timestamp":1700000000,)"
      R"("metrics":[{"meta":{"window_size_seconds":60,"utc_now_timestamp":1700000060},)"
      R"("items":[{"name":"dropped","value":12,"unit":"packet","labels":{"origin":"cscli"}}]}])";
  const std::string rc = "{" + base + R"(,"type":"crowdsec-firewall-bouncer","name":"fw"})";
  const std::string lp = "{" + base + R"(,"hub_items":{},"datasources":{"file":2}})";
  auto send = [&](const httplib::Headers& h, const std::string& body) {
    auto r = l.client().Post("/v1/usage-metrics", h, body, "application/json");
    REQUIRE(r);
    return std::pair(r->status, r->body);
  };
  using P = std::pair<int, std::string>;
  CHECK(send(l.bouncer("fw-key"), R"({"remediation_components":[)" + rc + "]}") == P(201, ""));
  CHECK(send(l.agent(token), R"({"log_processors":[)" + lp + "]}") == P(201, ""));
  CHECK(send(l.bouncer("fw-key"), R"({"log_processors":[)" + lp + "]}").first == 400);
  CHECK(send(l.agent(token), R"({"remediation_components":[)" + rc + "]}").first == 400);
  CHECK(send(l.bouncer("fw-key"), R"({"remediation_components":[)" + rc + "," + rc + "]}").first ==
        400);
  CHECK(send(l.bouncer("fw-key"), R"({"remediation_components":[{"os":{"name":"x"}}]})") ==
        P(422, R"({"message":"validation failure list:\nremediation_components.0.version in )"
               R"(body is required\nremediation_components.0.os.version in body is required\n)"
               R"(remediation_components.0.utc_startup_timestamp in body is required"})"));
  CHECK(send(l.agent(token), R"({"log_processors":[{"version":"v"}]})").first == 422);
  CHECK(send(l.bouncer("fw-key"), "{").first == 400);
  CHECK(send({{"X-Api-Key", "bad"}}, "{}") == P(403, R"({"message":"access forbidden"})"));
  CHECK(send({}, "{}").first == 401);
  CHECK(l.server().counters().usage_metrics == 2);

  auto get = [&](const std::string& path) {
    auto r = l.client().Get(path.c_str(), l.agent(token));
    REQUIRE(r);
    return std::pair(r->status, r->body);
  };
  CHECK(get("/v1/allowlists") == P(200, "[]"));
  CHECK(get("/v1/allowlists?with_content=true") == P(200, "[]"));
  CHECK(get("/v1/allowlists/mylist") == P(404, R"({"message":"allowlist 'mylist' not found"})"));
  CHECK(get("/v1/allowlists/check/192.0.2.1") == P(200, R"({"allowlisted":false,"reason":""})"));
  CHECK(get("/v1/allowlists/check/bad").first == 400);
  CHECK(get("/v1/allowlists/check/10.0.0.0%2F8") == P(200, R"({"allowlisted":false,"reason":""})"));
  CHECK(get("/v1/allowlists/check/2001:db8::%2F32") ==
        P(200, R"({"allowlisted":false,"reason":""})"));
  CHECK(get("/v1/allowlists/check/10.0.0.0/8/9").first == 400);
  auto head = l.client().Head("/v1/allowlists/check/192.0.2.1", l.agent(token));
  REQUIRE(head);
  CHECK(head->status == 204);
  auto bulk = [&](const std::string& body) {
    auto r = l.client().Post("/v1/allowlists/check", l.agent(token), body, "application/json");
    REQUIRE(r);
    return std::pair(r->status, r->body);
  };
  CHECK(bulk(R"({"targets":["192.0.2.1","10.0.0.0/8"]})") == P(200, R"({"results":[]})"));
  CHECK(bulk(R"({"targets":[]})") == P(400, R"({"message":"targets list cannot be empty"})"));
}

TEST_CASE("lapi: unix socket, and both listeners at once", "[lapi]") {
  CW_STORE_BACKEND();
  addMachine(*store, "agent1", "pw");
  const auto dir = std::filesystem::temp_directory_path() /
                   ("cw-lapi-sock-" + std::to_string(::getpid()) + "-" + backend);
  std::filesystem::create_directories(dir);
  const std::string sock = (dir / "lapi.sock").string();
  {
    Lapi l(*store, [&](config::Config& c) { c.server.listen_socket = sock; });
    CHECK(std::filesystem::is_socket(sock));
    httplib::Client uc(sock);
    uc.set_address_family(AF_UNIX);
    auto h = uc.Get("/health");
    REQUIRE(h);
    CHECK(h->status == 200);
    CHECK(h->body == R"({"status":"up"})");
    // Over the socket the client is trusted (alert deletion allowed).
    auto login = uc.Post("/v1/watchers/login", {{"User-Agent", kAgentUa}},
                         R"({"machine_id":"agent1","password":"pw"})", "application/json");
    REQUIRE(login);
    REQUIRE(login->status == 200);
    const std::string token = parseJson(login->body)["token"].GetString();
    auto del = uc.Delete("/v1/alerts", l.agent(token));
    REQUIRE(del);
    CHECK(del->status == 200);
    CHECK(del->body == R"({"nbDeleted":"0"})");
    auto tcp = l.client().Get("/health");
    REQUIRE(tcp);
    CHECK(tcp->status == 200);
    l.server().stop();
    CHECK_FALSE(std::filesystem::exists(sock));
    l.server().stop();  // idempotent
  }
  {
    // Socket only: no TCP port; a stale socket file is replaced.
    config::Config c;
    c.server.listen_uri = "";
    c.server.listen_socket = sock;
    lapi::ServerOptions o;
    o.jwt_secret = kSecret;
    auto s = lapi::Server::create(c, *store, nullptr, o);
    REQUIRE(s.ok());
    REQUIRE((*s)->start().ok());
    CHECK((*s)->port() == 0);
    CHECK((*s)->url().empty());
    CHECK_FALSE((*s)->start().ok());
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("lapi: configuration errors are listed by create()", "[lapi]") {
  CW_STORE_BACKEND();
  config::Config c;
  c.server.listen_uri = "127.0.0.1";
  c.server.trusted_ips = {"10.0.0.0/33"};
  c.server.auto_registration_enabled = true;
  c.server.auto_registration_token = "short";
  lapi::ServerOptions o;
  o.jwt_secret = kSecret;
  auto s = lapi::Server::create(c, *store, nullptr, o);
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message ==
        "api.server.listen_uri: '127.0.0.1': no port\n"
        "api.server.trusted_ips: '10.0.0.0/33': while parsing range 10.0.0.0/33: invalid CIDR "
        "address: 10.0.0.0/33\n"
        "api.server.auto_registration: token must be at least 32 characters");
  // A port already taken.
  config::Config ok;
  ok.server.listen_uri = "127.0.0.1:0";
  auto first = lapi::Server::create(ok, *store, nullptr, o);
  REQUIRE(first.ok());
  REQUIRE((*first)->start().ok());
  config::Config clash;
  clash.server.listen_uri = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = lapi::Server::create(clash, *store, nullptr, o);
  REQUIRE(second.ok());
  auto started = (*second)->start();
  REQUIRE_FALSE(started.ok());
  CHECK(started.error().message.rfind("cannot listen on " + clash.server.listen_uri, 0) == 0);
}

TEST_CASE("lapi: the stream is sent in chunks of 30,000 decisions", "[lapi]") {
  CW_STORE_BACKEND();
  addBouncer(*store, "fw", "fw-key");
  const TimePoint now = nowUtc();
  store::Alert a;
  a.scenario = "bulk";
  a.source.scope = "Ip";
  a.source.value = "10.0.0.1";
  a.start_at = now;
  a.stop_at = now;
  constexpr int kCount = 30005;
  for (int i = 0; i < kCount; ++i) {
    store::Decision d;
    d.origin = "lists";
    d.type = "ban";
    d.scope = "Ip";
    d.value = "10." + std::to_string(i / 65536) + "." + std::to_string((i / 256) % 256) + "." +
              std::to_string(i % 256);
    d.scenario = "bulk";
    d.until = TimePoint::fromUnixNanos(now.unix_nanos + kHour);
    a.decisions.push_back(std::move(d));
  }
  std::vector<store::Alert> batch{std::move(a)};
  REQUIRE(store->insertAlerts(batch, now).ok());

  Lapi l(*store);
  std::vector<std::size_t> chunks;
  std::string body;
  auto r = l.client().Get("/v1/decisions/stream?startup=true", l.bouncer("fw-key"),
                          [&](const char* data, std::size_t len) {
                            chunks.push_back(len);
                            body.append(data, len);
                            return true;
                          });
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->get_header_value("Transfer-Encoding") == "chunked");
  auto doc = parseJson(body);
  REQUIRE(doc["new"].IsArray());
  CHECK(doc["new"].Size() == kCount);
  CHECK(doc["deleted"].IsNull());
  CHECK(std::string(doc["new"][kCount - 1]["value"].GetString()) == "10.0.117.52");
  std::int64_t last = 0;
  bool ascending = true;
  for (const auto& d : doc["new"].GetArray()) {
    ascending = ascending && d["id"].GetInt64() > last;
    last = d["id"].GetInt64();
  }
  CHECK(ascending);
  CHECK(chunks.size() >= 3);  // "{"deleted":null,"new":" + 30,000 + the last 5
}

TEST_CASE("lapi: a long stream is read page by page: exact ids, dedup across pages", "[lapi]") {
  CW_STORE_BACKEND();
  addBouncer(*store, "fw", "fw-key");
  const TimePoint now = nowUtc();
  store::Alert a;
  a.scenario = "bulk";
  a.source.scope = "Ip";
  a.source.value = "10.0.0.1";
  a.start_at = now;
  a.stop_at = now;
  auto add = [&](const std::string& value, Duration left) {
    store::Decision d;
    d.origin = "lists";
    d.type = "ban";
    d.scope = "Ip";
    d.value = value;
    d.scenario = "bulk";
    d.until = TimePoint::fromUnixNanos(now.unix_nanos + left);
    a.decisions.push_back(std::move(d));
  };
  // 2,500 expired (the deleted list: several reads), 30,005 active, then 10.0.0.0 again with a
  // longer until (its first decision, on the first page, is dropped) and 10.0.117.52 again with
  // a shorter one (dropped itself).
  constexpr int kExpired = 2500;
  constexpr int kActive = 30005;
  for (int i = 0; i < kExpired; ++i) {
    add("192.168." + std::to_string(i / 256) + "." + std::to_string(i % 256), -kHour);
  }
  for (int i = 0; i < kActive; ++i) {
    add("10." + std::to_string(i / 65536) + "." + std::to_string((i / 256) % 256) + "." +
            std::to_string(i % 256),
        kHour);
  }
  add("10.0.0.0", 2 * kHour);
  add("10.0.117.52", kMinute);
  std::vector<store::Alert> batch{std::move(a)};
  REQUIRE(store->insertAlerts(batch, now).ok());
  const auto& d = batch[0].decisions;
  REQUIRE(d.size() == kExpired + kActive + 2);
  std::vector<std::int64_t> want_deleted;
  for (int i = 0; i < kExpired; ++i) {
    want_deleted.push_back(d[i].id);
  }
  std::vector<std::int64_t> want_new;
  for (int i = kExpired + 1; i < kExpired + kActive; ++i) {
    want_new.push_back(d[i].id);
  }
  want_new.push_back(d[kExpired + kActive].id);

  Lapi l(*store);
  auto r = l.client().Get("/v1/decisions/stream?startup=true", l.bouncer("fw-key"));
  REQUIRE(r);
  CHECK(r->status == 200);
  auto doc = parseJson(r->body);
  REQUIRE(doc["deleted"].IsArray());
  REQUIRE(doc["new"].IsArray());
  auto ids = [](const rapidjson::Value& list) {
    std::vector<std::int64_t> out;
    for (const auto& x : list.GetArray()) {
      out.push_back(x["id"].GetInt64());
    }
    return out;
  };
  CHECK(ids(doc["deleted"]) == want_deleted);
  CHECK(ids(doc["new"]) == want_new);
  CHECK(std::string(doc["new"][0]["value"].GetString()) == "10.0.0.1");
  CHECK(std::string(doc["new"][kActive - 1]["value"].GetString()) == "10.0.0.0");
  CHECK(std::string(doc["deleted"][kExpired - 1]["value"].GetString()) == "192.168.9.195");
}

TEST_CASE("lapi: concurrent agents and bouncers", "[lapi]") {
  CW_STORE_BACKEND();
  addMachine(*store, "agent1", "pw");
  addBouncer(*store, "fw", "fw-key");
  Lapi l(*store);
  const std::string token = l.login("agent1", "pw");
  constexpr int kThreads = 6;
  constexpr int kPerThread = 10;
  std::atomic<int> created{0};
  std::atomic<int> pulls{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      httplib::Client c("127.0.0.1", l.server().port());
      c.set_keep_alive(true);
      for (int i = 0; i < kPerThread; ++i) {
        const std::string ip = "192.0." + std::to_string(t) + "." + std::to_string(i + 1);
        auto r =
            c.Post("/v1/alerts", l.agent(token), "[" + cscliAlert(ip) + "]", "application/json");
        (r && r->status == 201 ? created : failures)++;
        auto s = c.Get("/v1/decisions/stream?startup=true", l.bouncer("fw-key"));
        (s && s->status == 200 ? pulls : failures)++;
      }
    });
  }
  for (auto& th : threads) {
    th.join();
  }
  CHECK(failures == 0);
  CHECK(created == kThreads * kPerThread);
  CHECK(pulls == kThreads * kPerThread);
  auto all = l.client().Get("/v1/decisions", l.bouncer("fw-key"));
  REQUIRE(all);
  auto doc = parseJson(all->body);
  REQUIRE(doc.IsArray());
  CHECK(doc.Size() == kThreads * kPerThread);
  CHECK(l.server().counters().alerts_received == kThreads * kPerThread);
}

TEST_CASE("lapi: the JWT secret comes from CS_LAPI_SECRET, 64 bytes at least", "[lapi]") {
  CW_STORE_BACKEND();
  config::Config c;
  c.server.listen_uri = "127.0.0.1:0";
  ::setenv("CS_LAPI_SECRET", "too-short", 1);
  auto s = lapi::Server::create(c, *store, nullptr);
  ::unsetenv("CS_LAPI_SECRET");
  REQUIRE_FALSE(s.ok());
  CHECK(s.error().message == "CS_LAPI_SECRET must be at least 64 bytes long");

  // With a long enough secret, tokens signed with it are accepted.
  const std::string secret(80, 'z');
  ::setenv("CS_LAPI_SECRET", secret.c_str(), 1);
  auto ok = lapi::Server::create(c, *store, nullptr);
  ::unsetenv("CS_LAPI_SECRET");
  REQUIRE(ok.ok());
  REQUIRE((*ok)->start().ok());
  addMachine(*store, "agent1", "pw");
  const std::int64_t now_s = nowUtc().unix_nanos / kSecond;
  const std::string token = lapi::JwtCodec(secret).sign({"agent1", now_s + 60, now_s});
  httplib::Client client("127.0.0.1", (*ok)->port());
  auto r = client.Get("/v1/heartbeat", {{"Authorization", "Bearer " + token}});
  REQUIRE(r);
  CHECK(r->status == 200);
  auto other = client.Get(
      "/v1/heartbeat",
      {{"Authorization", "Bearer " + lapi::JwtCodec(kSecret).sign({"agent1", now_s + 60, now_s})}});
  REQUIRE(other);
  CHECK(other->status == 401);
}

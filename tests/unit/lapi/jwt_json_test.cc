// SPDX-License-Identifier: Apache-2.0
// The JWT codec and the JSON wire format, without a server.
#include <catch2/catch.hpp>

#include "cw/core/lapi/json_models.h"
#include "cw/core/lapi/jwt.h"

using namespace cw::core;
using namespace cw::core::lapi;

TEST_CASE("jwt: base64url round trips and refuses foreign characters", "[lapi]") {
  CHECK(base64UrlEncode("") == "");
  CHECK(base64UrlEncode("f") == "Zg");
  CHECK(base64UrlEncode("fo") == "Zm8");
  CHECK(base64UrlEncode("foo") == "Zm9v");
  CHECK(base64UrlEncode("\xfb\xff") == "-_8");
  CHECK(*base64UrlDecode("-_8") == "\xfb\xff");
  CHECK(*base64UrlDecode("Zm9vYg==") == "foob");
  CHECK_FALSE(base64UrlDecode("Zm9v+").has_value());
  CHECK_FALSE(base64UrlDecode("Z").has_value());
  CHECK_FALSE(base64UrlDecode("Zh").has_value());   // "f" is "Zg": non-zero unused bits
  CHECK_FALSE(base64UrlDecode("Zm9").has_value());  // "fo" is "Zm8"
  std::string all;
  for (int i = 0; i < 256; ++i) {
    all.push_back(static_cast<char>(i));
  }
  CHECK(*base64UrlDecode(base64UrlEncode(all)) == all);
}

TEST_CASE("jwt: HS256 tokens sign, verify, expire and resist tampering", "[lapi]") {
  const JwtCodec codec(std::string(64, 's'));
  const std::string token = codec.sign({"machine-1", 2000, 1000});
  // Header is fixed: {"alg":"HS256","typ":"JWT"}.
  CHECK(token.rfind("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 0) == 0);
  JwtError err = JwtError::Malformed;
  auto claims = codec.verify(token, 1999, &err);
  REQUIRE(claims);
  CHECK(claims->id == "machine-1");
  CHECK(claims->exp == 2000);
  CHECK(claims->orig_iat == 1000);
  CHECK(codec.verify(token, 2000, &err));  // exp is inclusive, as Go's check (exp < now fails)
  CHECK_FALSE(codec.verify(token, 2001, &err));
  CHECK(err == JwtError::Expired);
  CHECK(codec.verify(token, 2001, &err, /*allow_expired=*/true));

  // The payload of another token with this signature: refused.
  const std::string other = codec.sign({"machine-2", 2000, 1000});
  const auto dot = token.find('.', token.find('.') + 1);
  const auto odot = other.find('.', other.find('.') + 1);
  const std::string spliced = other.substr(0, odot) + token.substr(dot);
  CHECK_FALSE(codec.verify(spliced, 1500, &err));
  CHECK(err == JwtError::BadSignature);
  CHECK_FALSE(JwtCodec(std::string(64, 't')).verify(token, 1500, &err));
  CHECK(err == JwtError::BadSignature);
  // Every other spelling of the last signature character is refused (canonical base64url).
  for (const char c :
       std::string("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")) {
    if (c == token.back()) {
      continue;
    }
    std::string variant = token;
    variant.back() = c;
    CHECK_FALSE(codec.verify(variant, 1500, &err));
  }
  for (const std::string bad : {"", "a", "a.b", "a.b.c.d", "!.!.!", "e30.e30.", "e30.e30.e30"}) {
    CHECK_FALSE(codec.verify(bad, 1500, &err));
  }
  CHECK(std::string(jwtErrorMessage(JwtError::Expired)) == "Token is expired");
  CHECK(std::string(jwtErrorMessage(JwtError::BadSignature)) == "signature is invalid");
}

TEST_CASE("json: remaining durations are rounded to seconds like Go's Round", "[lapi]") {
  const TimePoint now = TimePoint::fromUnixNanos(1'800'000'000LL * kSecond);
  const auto at = [&](Duration d) { return TimePoint::fromUnixNanos(now.unix_nanos + d); };
  CHECK(remainingDuration(at(4 * kHour - 2 * kSecond), now) == "3h59m58s");
  CHECK(remainingDuration(at(4 * kHour - 2 * kSecond - 400 * kMillisecond), now) == "3h59m58s");
  CHECK(remainingDuration(at(4 * kHour - 2 * kSecond - 500 * kMillisecond), now) == "3h59m58s");
  CHECK(remainingDuration(at(4 * kHour - 2 * kSecond - 600 * kMillisecond), now) == "3h59m57s");
  CHECK(remainingDuration(now, now) == "0s");
  CHECK(remainingDuration(at(-12 * kSecond - 300 * kMillisecond), now) == "-12s");
  CHECK(remainingDuration(at(-500 * kMillisecond), now) == "-1s");
  CHECK(remainingDuration(at(499 * kMillisecond), now) == "0s");
  CHECK(formatRfc3339(at(123 * kMillisecond)) == "2027-01-15T08:00:00Z");
}

TEST_CASE("json: alerts rendered for POST parse back to the same alerts", "[lapi]") {
  const TimePoint stop = TimePoint::fromUnixNanos(1'800'000'000LL * kSecond);
  store::Alert a;
  a.scenario = "crowdsecurity/ssh-bf";
  a.scenario_hash = "abc";
  a.scenario_version = "0.1";
  a.message = "Ip 192.0.2.1 performed 'crowdsecurity/ssh-bf' (6 events over 5s)";
  a.events_count = 6;
  a.capacity = 5;
  a.leakspeed = "10s";
  a.start_at = TimePoint::fromUnixNanos(stop.unix_nanos - 5 * kSecond);
  a.stop_at = stop;
  a.remediation = true;
  a.kind = "crowdsec";
  a.source = {"Ip", "192.0.2.1", "192.0.2.1", "192.0.2.0/24", "64496", "Example", "FR", 48.5, 2.25};
  a.events = {{TimePoint::fromUnixNanos(stop.unix_nanos - kSecond), {{"source_ip", "192.0.2.1"}}}};
  a.meta = {{"target_user", "root"}};
  a.labels = {"ssh", "bf"};
  store::Decision d;
  d.origin = "cscli";
  d.type = "ban";
  d.scope = "Ip";
  d.value = "192.0.2.1";
  d.scenario = "manual";
  d.until = TimePoint::fromUnixNanos(stop.unix_nanos + 90 * kMinute);
  a.decisions = {d};

  const std::string json = renderAlertsForPost({a});
  auto parsed = parseAlerts(json, TimePoint::fromUnixNanos(0));
  REQUIRE(parsed.ok);
  REQUIRE(parsed.alerts.size() == 1);
  const store::Alert& b = parsed.alerts[0];
  CHECK(b.scenario == a.scenario);
  CHECK(b.scenario_hash == a.scenario_hash);
  CHECK(b.message == a.message);
  CHECK(b.events_count == 6);
  CHECK(b.capacity == 5);
  CHECK(b.leakspeed == "10s");
  CHECK(b.start_at == a.start_at);
  CHECK(b.stop_at == a.stop_at);
  CHECK(b.remediation);
  CHECK(b.kind == "crowdsec");
  CHECK(b.source == a.source);
  CHECK(b.events == a.events);
  CHECK(b.meta == a.meta);
  CHECK(b.labels == a.labels);
  REQUIRE(b.decisions.size() == 1);
  CHECK(b.decisions[0].until == d.until);
  CHECK(b.decisions[0].origin == "cscli");
  CHECK(b.decisions[0].scenario == "manual");
  CHECK(json.find(R"("duration":"1h30m0s")") != std::string::npos);

  // An unreadable start_at becomes `now`, as upstream.
  std::string odd = json;
  odd.replace(odd.find(R"("start_at":")") + 12, 20, "yesterday at noon!!!");
  auto p2 = parseAlerts(odd, stop);
  REQUIRE(p2.ok);
  CHECK(p2.alerts[0].start_at == stop);
}

TEST_CASE("json: bouncer decisions and alerts in the wire shape", "[lapi]") {
  const TimePoint now = TimePoint::fromUnixNanos(1'800'000'000LL * kSecond);
  store::Decision d;
  d.id = 7;
  d.uuid = "0f4e5c1a-0000-4000-8000-000000000001";
  d.origin = "crowdsec";
  d.type = "ban";
  d.scope = "Ip";
  d.value = "192.0.2.1";
  d.scenario = "crowdsecurity/ssh-bf";
  d.until = TimePoint::fromUnixNanos(now.unix_nanos + 4 * kHour - 2 * kSecond);
  CHECK(renderBouncerDecisions({}, now) == "null");
  CHECK(renderBouncerDecisions({d}, now) ==
        R"([{"duration":"3h59m58s","id":7,"origin":"crowdsec","scenario":"crowdsecurity/ssh-bf",)"
        R"("scope":"Ip","type":"ban","uuid":"0f4e5c1a-0000-4000-8000-000000000001",)"
        R"("value":"192.0.2.1"}])");
  d.simulated = true;
  std::string one;
  appendBouncerDecision(one, d, now);
  CHECK(one.find(R"("scope":"Ip","simulated":true,"type":"ban")") != std::string::npos);

  store::Alert a;
  a.id = 3;
  a.uuid = "u";
  a.machine_id = "m";
  a.created_at = now;
  a.start_at = now;
  a.stop_at = now;
  a.scenario = "s";
  a.source.scope = "Ip";
  a.source.value = "192.0.2.1";
  CHECK(renderAlerts({}, now) == "null");
  CHECK(renderAlert(a, now) ==
        R"({"capacity":0,"created_at":"2027-01-15T08:00:00Z","decisions":null,"events":null,)"
        R"("events_count":0,"id":3,"labels":null,"leakspeed":"","machine_id":"m","message":"",)"
        R"("remediation":false,"scenario":"s","scenario_hash":"",)"
        R"("scenario_version":"","simulated":false,"source":{"scope":"Ip","value":"192.0.2.1"},)"
        R"("start_at":"2027-01-15 08:00:00 +0000 UTC","stop_at":"2027-01-15 08:00:00 +0000 UTC",)"
        R"("uuid":"u"})");
  CHECK(messageJson("a \"quoted\"\nline") == R"({"message":"a \"quoted\"\nline"})");
}

TEST_CASE("json: syntax errors are worded as Go's encoding/json words them", "[lapi]") {
  const auto message = [](const std::string& body) {
    auto parsed = parseAlerts(body, TimePoint::fromUnixNanos(0));
    REQUIRE_FALSE(parsed.ok);
    CHECK(parsed.error.status == 400);
    return parsed.error.message;
  };
  CHECK(message("test") == "invalid character 'e' in literal true (expecting 'r')");
  CHECK(message("nul") == "unexpected EOF");
  CHECK(message("") == "EOF");
  CHECK(message(" \n") == "EOF");
  CHECK(message("[{") == "unexpected EOF");
  CHECK(message("{nope") == "invalid character 'n' looking for beginning of object key string");
  CHECK(message("[1,]") == "invalid character ']' looking for beginning of value");
  CHECK(message(R"([{"a" 1}])") == "invalid character '1' after object key");
  CHECK(message(R"([{"a":1 "b"}])") == "invalid character '\"' after object key:value pair");
  CHECK(message("[1 2]") == "invalid character '2' after array element");
  CHECK(message("[\"a\tb\"]") == "invalid character '\\t' in string literal");
  CHECK(message(R"(["\q"])") == "invalid character 'q' in string escape code");
  CHECK(message(R"(["\u12G4"])") == "invalid character 'G' in \\u hexadecimal character escape");
  CHECK(message("[-a]") == "invalid character 'a' in numeric literal");
  CHECK(message("[1.x]") == "invalid character 'x' after decimal point in numeric literal");
  CHECK(message("[1e+]") == "invalid character ']' in exponent of numeric literal");
  CHECK(message("[\x01]") == "invalid character '\\x01' looking for beginning of value");
  CHECK(message("['a']") == "invalid character '\\'' looking for beginning of value");
  CHECK(message("[\xc3]") == "invalid character '\xc3\x83' looking for beginning of value");
  // What Go's Decoder reads but RapidJSON refuses keeps RapidJSON's reason.
  CHECK(message("[] x") ==
        "invalid JSON at offset 3: The document root must not be followed by other values.");
  CHECK(message("[1e400]") == "invalid JSON at offset 1: Number too big to be stored in double.");
}

TEST_CASE("json: mutated alert bodies are parsed or refused with 400/500, never crash", "[lapi]") {
  const std::string valid =
      R"([{"capacity":5,"decisions":[{"duration":"4h","origin":"crowdsec","scenario":"s",)"
      R"("scope":"Ip","type":"ban","value":"192.0.2.1"}],"events":[{"meta":[{"key":"k",)"
      R"("value":"v"}],"timestamp":"2026-01-05T10:00:05Z"}],"events_count":6,"labels":["a"],)"
      R"("leakspeed":"10s","message":"m","remediation":true,"scenario":"s","scenario_hash":"h",)"
      R"("scenario_version":"0.1","simulated":false,"source":{"ip":"192.0.2.1","scope":"Ip",)"
      R"("value":"192.0.2.1","latitude":1.5},"start_at":"2026-01-05T10:00:00Z",)"
      R"("stop_at":"2026-01-05T10:00:05Z"}])";
  REQUIRE(parseAlerts(valid, TimePoint::fromUnixNanos(0)).ok);
  const std::string alphabet = "[]{}\":,0123456789.eE+-tfnulrs\\\x01\xff\xc3 ";
  std::uint64_t state = 0x9e3779b97f4a7c15ULL;  // fixed seed: reproducible
  const auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int parsed = 0;
  int refused = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string body = valid;
    const int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      const std::size_t at = next() % body.size();
      switch (next() % 3) {
        case 0:
          body[at] = alphabet[next() % alphabet.size()];
          break;
        case 1:
          body.erase(at, 1 + next() % 8);
          break;
        default:
          body.insert(at, 1, alphabet[next() % alphabet.size()]);
          break;
      }
      if (body.empty()) {
        body = "[";
      }
    }
    const auto r = parseAlerts(body, TimePoint::fromUnixNanos(0));
    if (r.ok) {
      ++parsed;
    } else {
      ++refused;
      INFO(body);
      CHECK((r.error.status == 400 || r.error.status == 500));
      CHECK_FALSE(r.error.message.empty());
    }
  }
  CHECK(parsed + refused == 5000);
  CHECK(refused > 4000);  // nearly every mutation breaks the JSON or a field
  CHECK(parsed > 0);      // some land in free text and stay valid
}

// SPDX-License-Identifier: Apache-2.0
#include "cw/core/apiclient/alert_json.h"

#include <catch2/catch.hpp>
#include <string>

#include "cw/core/apiclient/client.h"

namespace api = cw::core::apiclient;


TEST_CASE("jsonArray joins objects", "[apiclient]") {
  CHECK(api::jsonArray({}) == "[]");
  CHECK(api::jsonArray({"{\"a\":1}"}) == "[{\"a\":1}]");
  CHECK(api::jsonArray({"{}", "{\"b\":2}"}) == "[{},{\"b\":2}]");
}

TEST_CASE("the User-Agent has exactly one slash and our version", "[apiclient]") {
  const std::string ua = api::userAgent();
  CHECK(ua == std::string("crowdwall/v") + CW_VERSION);
  CHECK(std::count(ua.begin(), ua.end(), '/') == 1);
}

TEST_CASE("LAPI answers are read for ids and messages", "[apiclient]") {
  CHECK(api::parseIds(R"(["4","5"])") == std::vector<std::string>{"4", "5"});
  CHECK(api::parseIds("[7]") == std::vector<std::string>{"7"});
  CHECK(api::parseIds("null").empty());
  CHECK(api::parseIds("not json").empty());
  CHECK(api::errorMessage(R"({"code":401,"message":"incorrect Username or Password"})") ==
        "incorrect Username or Password");
  CHECK(api::errorMessage("plain text") == "plain text");
  CHECK(api::errorMessage(std::string(300, 'x')) == std::string(200, 'x') + "...");
}

TEST_CASE("a LAPI URL must be http or https", "[apiclient]") {
  api::ClientOptions o;
  o.url = "127.0.0.1:8080";
  auto c = api::Client::create(o);
  REQUIRE_FALSE(c.ok());
  CHECK(c.error().message == "LAPI url '127.0.0.1:8080' must start with http:// or https://");
  o.url = "http://127.0.0.1:8080/";
  CHECK(api::Client::create(o).ok());
}

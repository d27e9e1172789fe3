// SPDX-License-Identifier: Apache-2.0
#include "cw/core/apiclient/queue.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <string>

namespace api = cw::core::apiclient;
namespace fs = std::filesystem;

namespace {

// A queue file in a fresh folder, removed with it at the end of the test.
struct TempQueue {
  fs::path dir;
  std::string path;
  explicit TempQueue(const char* name) {
    dir = fs::temp_directory_path() / ("cw-queue-" + std::to_string(::getpid()) + "-" + name);
    fs::remove_all(dir);
    fs::create_directories(dir);
    path = (dir / "queue.db").string();
  }
  ~TempQueue() { fs::remove_all(dir); }
};

}  // namespace

TEST_CASE("the alert queue keeps alerts in order until removed", "[apiclient][queue]") {
  const TempQueue tmp("order");
  const std::string& path = tmp.path;
  auto q = api::AlertQueue::open(path);
  REQUIRE(q.ok());
  REQUIRE((*q)->push({R"({"n":1})", R"({"n":2})", R"({"n":3})"}).ok());
  REQUIRE((*q)->push({}).ok());
  CHECK(*(*q)->size() == 3);

  auto first = (*q)->peek(2);
  REQUIRE(first.ok());
  REQUIRE(first->size() == 2);
  CHECK((*first)[0].json == R"({"n":1})");
  CHECK((*first)[1].json == R"({"n":2})");
  CHECK((*first)[0].id < (*first)[1].id);

  REQUIRE((*q)->remove({(*first)[0].id, (*first)[1].id}).ok());
  auto rest = (*q)->peek(10);
  REQUIRE(rest->size() == 1);
  CHECK((*rest)[0].json == R"({"n":3})");
  CHECK(*(*q)->size() == 1);
}

TEST_CASE("queued alerts survive closing and reopening the queue", "[apiclient][queue]") {
  const TempQueue tmp("reopen");
  const std::string& path = tmp.path;
  {
    auto q = api::AlertQueue::open(path);
    REQUIRE(q.ok());
    REQUIRE((*q)->push({R"({"a":"x"})", R"({"a":"y"})"}).ok());
    auto one = (*q)->peek(1);
    REQUIRE((*q)->remove({(*one)[0].id}).ok());
  }
  auto q = api::AlertQueue::open(path);
  REQUIRE(q.ok());
  auto all = (*q)->peek(10);
  REQUIRE(all->size() == 1);
  CHECK((*all)[0].json == R"({"a":"y"})");
  // Ids keep growing after a reopen: a removed id is never reused.
  REQUIRE((*q)->push({R"({"a":"z"})"}).ok());
  auto again = (*q)->peek(10);
  REQUIRE(again->size() == 2);
  CHECK((*again)[1].id > (*again)[0].id);
  CHECK((*again)[1].json == R"({"a":"z"})");
}

TEST_CASE("a queue in a missing folder is a clear error", "[apiclient][queue]") {
  auto q = api::AlertQueue::open("/nonexistent-cw-dir/queue.db");
  REQUIRE_FALSE(q.ok());
  CHECK(q.error().message.rfind("cannot open alert queue /nonexistent-cw-dir/queue.db: ", 0) == 0);
}

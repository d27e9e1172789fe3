// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <spdlog/spdlog.h>

#include <filesystem>
#include <memory>
#include <string>

#include "cw/core/config/config.h"
#include "cw/core/decisions/profiles.h"
#include "cw/core/expr/services.h"
#include "cw/core/lapi/server.h"
#include "cw/core/store/store.h"

// The Local API side of the daemon: the store (db_config), the profiles and the server, owned
// together so that the server never outlives what it serves.
namespace cw::core::daemon {

struct LapiParts {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<expr::Services> services;  // for the profiles' expressions
  std::unique_ptr<decisions::Profiles> profiles;
  std::unique_ptr<lapi::Server> server;

  Result<bool> load(const config::Config& cfg) {
    if (!cfg.db.isPostgres() && !cfg.db.db_path.empty()) {
      std::error_code ec;
      std::filesystem::create_directories(std::filesystem::path(cfg.db.db_path).parent_path(), ec);
    }
    auto s = store::Store::open(cfg.db);
    if (!s) {
      return makeError(ErrorCode::Config, "database: " + s.error().message);
    }
    store = std::move(*s);
    services = std::make_unique<expr::Services>();
    auto p = decisions::Profiles::load(cfg.server.profiles_path, *services, store.get());
    if (!p) {
      return p.error();
    }
    profiles = std::make_unique<decisions::Profiles>(std::move(*p));
    auto srv = lapi::Server::create(cfg, *store, profiles.get());
    if (!srv) {
      return srv.error();
    }
    server = std::move(*srv);
    return true;
  }

  Result<bool> start() { return server->start(); }

  void stop() {
    if (server) {
      server->stop();
    }
  }
};

}  // namespace cw::core::daemon

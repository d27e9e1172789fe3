// SPDX-License-Identifier: Apache-2.0
#pragma once

#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cw/core/common/time.h"
#include "cw/core/config/config.h"
#include "cw/core/decisions/profiles.h"
#include "cw/core/expr/services.h"
#include "cw/core/lapi/server.h"
#include "cw/core/notifications/dispatcher.h"
#include "cw/core/store/store.h"

// The Local API side of the daemon: the store (db_config), the profiles, the notifications they
// name and the server, owned together so that the server never outlives what it serves.
namespace cw::core::daemon {

struct LapiParts {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<expr::Services> services;  // for the profiles' expressions
  std::unique_ptr<decisions::Profiles> profiles;
  std::unique_ptr<notifications::Notifications> notifications;
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
    auto n = notifications::Notifications::load(cfg, *profiles);
    if (!n) {
      return n.error();
    }
    notifications = std::move(*n);
    lapi::ServerOptions options;
    if (!notifications->dispatcher().names().empty()) {
      options.notifications = &notifications->dispatcher();
    }
    auto srv = lapi::Server::create(cfg, *store, profiles.get(), options);
    if (!srv) {
      return srv.error();
    }
    server = std::move(*srv);
    return true;
  }

  /// Starts the server, then the flush of db_config.flush: once now, then every
  /// `flush_interval` until stop() (nothing when neither max_items nor max_age is set).
  Result<bool> start(const config::DbConfig& db, std::chrono::milliseconds flush_interval) {
    if (!notifications->dispatcher().names().empty()) {
      notifications->dispatcher().start();
    }
    auto ok = server->start();
    if (!ok) {
      return ok;
    }
    if (db.flush_max_items || db.flush_max_age) {
      flush(db);
      flusher = std::thread([this, db, flush_interval] {
        std::unique_lock lock(flush_mutex);
        while (!flush_cv.wait_for(lock, flush_interval, [this] { return flush_stop; })) {
          lock.unlock();
          flush(db);
          lock.lock();
        }
      });
    }
    return true;
  }

  /// One flush, logged with its count; a failure is logged and the service goes on.
  void flush(const config::DbConfig& db) {
    auto r = store->flush(db.flush_max_items, db.flush_max_age, nowUtc());
    const std::string items = db.flush_max_items ? std::to_string(*db.flush_max_items) : "-";
    const std::string age = db.flush_max_age ? formatGoDuration(*db.flush_max_age) : "-";
    if (!r) {
      spdlog::error("Database flush failed max_items={} max_age={}: {}", items, age,
                    r.error().message);
      return;
    }
    ++flushes;
    flushed_alerts += r->alerts_deleted;
    spdlog::info("Database flush alerts_deleted={} max_items={} max_age={}", r->alerts_deleted,
                 items, age);
  }

  void stop() {
    stopFlusher();
    if (server) {
      server->stop();
    }
    if (notifications && !notifications->dispatcher().names().empty()) {
      // No request runs any more: what is queued is delivered, then the thread ends.
      notifications->dispatcher().stop();
      const notifications::DispatcherStats s = notifications->dispatcher().stats();
      spdlog::info("Notifications stopped sent={} failed={} dropped={} retried={}", s.sent,
                   s.failed, s.dropped, s.retried);
    }
  }

  void stopFlusher() {
    {
      std::lock_guard lock(flush_mutex);
      flush_stop = true;
    }
    flush_cv.notify_all();
    if (flusher.joinable()) {
      flusher.join();
    }
  }

  LapiParts() = default;
  ~LapiParts() { stopFlusher(); }
  LapiParts(const LapiParts&) = delete;
  LapiParts& operator=(const LapiParts&) = delete;

  std::thread flusher;
  std::mutex flush_mutex;
  std::condition_variable flush_cv;
  bool flush_stop = false;
  std::atomic<std::uint64_t> flushes{0};        ///< flushes done
  std::atomic<std::int64_t> flushed_alerts{0};  ///< alerts they deleted
};

}  // namespace cw::core::daemon

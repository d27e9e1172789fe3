// SPDX-License-Identifier: Apache-2.0
#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <thread>

#include "cw/core/daemon/daemon.h"

namespace cw::core::daemon {
namespace {

spdlog::level::level_enum levelOf(const std::string& name) {
  if (name == "trace") {
    return spdlog::level::trace;
  }
  if (name == "debug") {
    return spdlog::level::debug;
  }
  if (name == "warning" || name == "warn") {
    return spdlog::level::warn;
  }
  if (name == "error") {
    return spdlog::level::err;
  }
  if (name == "fatal" || name == "panic") {
    return spdlog::level::critical;
  }
  return spdlog::level::info;
}

}  // namespace

void printErrors(const std::string& message) {
  std::size_t pos = 0;
  while (pos <= message.size()) {
    std::size_t nl = message.find('\n', pos);
    if (nl == std::string::npos) {
      nl = message.size();
    }
    std::fprintf(stderr, "crowdwall: %.*s\n", static_cast<int>(nl - pos), message.data() + pos);
    pos = nl + 1;
  }
}

Result<bool> setupLogging(const config::Common& common) {
  std::shared_ptr<spdlog::logger> logger;
  if (common.log_media == "file") {
    const std::string path = (std::filesystem::path(common.log_dir) / "crowdwall.log").string();
    try {
      logger = spdlog::basic_logger_mt("crowdwall-file", path);
    } catch (const spdlog::spdlog_ex& e) {
      return makeError(ErrorCode::Io, "cannot open log file " + path + ": " + e.what());
    }
  } else {
    logger = spdlog::stderr_logger_mt("crowdwall-daemon");
  }
  logger->set_level(levelOf(common.log_level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
  return true;
}

int runService(const std::string& config_path) {
  auto cfg = config::load(config_path);
  if (!cfg) {
    printErrors(cfg.error().message);
    return 1;
  }
  auto logging = setupLogging(cfg->common);
  if (!logging) {
    printErrors(logging.error().message);
    return 1;
  }

  // Every thread started from here inherits the blocked set; this thread takes the signals
  // with sigwait(), so no handler runs in the middle of the daemon's work.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);

  auto daemon = Daemon::create(*cfg);
  if (!daemon) {
    printErrors(daemon.error().message);
    spdlog::critical("Cannot start: {}", daemon.error().message);
    return 1;
  }
  auto started = (*daemon)->start();
  if (!started) {
    printErrors(started.error().message);
    spdlog::critical("Cannot start: {}", started.error().message);
    (*daemon)->stop();
    return 1;
  }
  spdlog::info("crowdwall {} running config={}", CW_VERSION, config_path);
  // Only cat-mode sources: stop once they are read, like a signal would.
  std::atomic<bool> one_shot_done{false};
  std::thread one_shot;
  if ((*daemon)->oneShot()) {
    one_shot = std::thread([d = daemon->get(), &one_shot_done] {
      d->waitSourcesFinished();
      one_shot_done = true;
      spdlog::info("Every source was read to its end: stopping");
      kill(getpid(), SIGTERM);
    });
  }

  for (;;) {
    int sig = 0;
    if (sigwait(&signals, &sig) != 0) {
      continue;
    }
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading hub items");
      auto ok = (*daemon)->reload();
      if (!ok) {
        spdlog::error("Reload failed, the running items are kept: {}", ok.error().message);
      }
      continue;
    }
    spdlog::info("Signal {}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    break;
  }
  (*daemon)->stop();
  if (one_shot.joinable()) {
    if (one_shot_done) {
      one_shot.join();
    } else {
      // Stopped by a signal before the sources were read: the waiting thread still uses the
      // daemon, which is left to the end of the process.
      one_shot.detach();
      (void)daemon->release();
    }
  }
  spdlog::info("crowdwall stopped");
  spdlog::shutdown();
  return 0;
}

}  // namespace cw::core::daemon

#include "daemon/logging.hpp"

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace pmipx::daemon {

std::shared_ptr<spdlog::logger> make_logger(const std::string& role, const LogConfig& config) {
  std::shared_ptr<spdlog::logger> log;
  if (config.file.empty()) {
    log = std::make_shared<spdlog::logger>(role, std::make_shared<spdlog::sinks::stderr_sink_mt>());
  } else {
    log = std::make_shared<spdlog::logger>(role, std::make_shared<spdlog::sinks::basic_file_sink_mt>(config.file));
  }
  log->set_pattern("%Y-%m-%d %H:%M:%S.%e [%n] %l: %v");
  log->set_level(spdlog::level::from_str(config.level));
  log->flush_on(spdlog::level::trace);  // one line per event, readable while the daemon runs
  return log;
}

}  // namespace pmipx::daemon

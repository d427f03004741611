// One logger per daemon: spdlog, to stderr or a file, "2026-11-29 10:00:00.123 [lma] info: ...".
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

#include "daemon/config.hpp"

namespace pmipx::daemon {

std::shared_ptr<spdlog::logger> make_logger(const std::string& role, const LogConfig& config);

}  // namespace pmipx::daemon

#pragma once
// Logging: spdlog behind a one-call set-up. Use spdlog::info(...) etc. directly after init_logging.
#include <spdlog/spdlog.h>

#include <string>

namespace cadenza {

// level: trace|debug|info|warn|error|off. Throws Error(BadRequest) for an unknown level.
void init_logging(const std::string& level);

}  // namespace cadenza

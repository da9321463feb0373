#include "cadenza/core/log.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>

#include "cadenza/core/error.hpp"

namespace cadenza {

void init_logging(const std::string& level) {
  auto lvl = spdlog::level::from_str(level);
  if (lvl == spdlog::level::off && level != "off") {
    throw Error(ErrorKind::BadRequest, "unknown log level '" + level + "'", {{"log_level", "unknown level"}});
  }
  auto logger = spdlog::get("cadenza");
  if (!logger) logger = spdlog::stderr_color_mt("cadenza");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  spdlog::set_level(lvl);
}

}  // namespace cadenza

#pragma once
// The configuration flags every command that opens the data directory shares.
#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cadenza/config/config.hpp"

namespace cadenza::cli {

class ConfigFlags {
 public:
  // Adds --config, --data-dir and --set KEY=VALUE (and, with server_flags, --port, --host, --web-dir,
  // --workers, --log-level).
  void add_to(CLI::App* cmd, bool server_flags);
  config::Config load() const;

 private:
  std::string config_path_;
  std::vector<std::pair<std::string, std::string>> flags_;
  std::vector<std::string> sets_;
};

}  // namespace cadenza::cli

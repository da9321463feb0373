// cadenza backup DIR: online copy of the data directory (databases through SQLite's backup API).
#include <cstdio>
#include <memory>
#include <string>

#include "cadenza/core/file_modes.hpp"
#include "cadenza/config/config.hpp"
#include "cadenza/store/backup.hpp"
#include "cli/commands.hpp"

namespace cadenza::cli {

void add_backup(CLI::App& app, int& exit_code) {
  struct Options {
    std::string dest;
    std::string data_dir;
    std::string config_path;
  };
  auto options = std::make_shared<Options>();
  auto* cmd = app.add_subcommand("backup", "Copy the data directory (databases, files, secrets) into DIR, safely "
                                           "while the server runs");
  cmd->add_option("DIR", options->dest, "Destination directory (must be empty or not exist)")->required();
  cmd->add_option("--data-dir", options->data_dir, "Data directory to back up (default: storage.data_dir)");
  cmd->add_option("--config", options->config_path, "Configuration file (default: ./config/cadenza.toml)");
  cmd->callback([options, &exit_code] {
    use_private_file_modes();
    config::LoadOptions load;
    if (!options->config_path.empty()) load.config_path = options->config_path;
    if (!options->data_dir.empty()) load.flags.emplace_back("storage.data_dir", options->data_dir);
    load.env = config::current_environment();
    const auto cfg = config::load(load);
    const auto report = store::backup(cfg.storage, options->dest);
    std::printf("Backed up %d databases and %d files from %s to %s\n", report.databases, report.files,
                cfg.storage.data_dir.c_str(), options->dest.c_str());
    exit_code = 0;
  });
}

}  // namespace cadenza::cli

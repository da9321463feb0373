#include "cli/config_flags.hpp"

#include "cadenza/core/error.hpp"

namespace cadenza::cli {

void ConfigFlags::add_to(CLI::App* cmd, bool server_flags) {
  cmd->add_option("--config", config_path_, "TOML config file (default: ./config/cadenza.toml when present)");
  auto flag = [this, cmd](const std::string& name, const std::string& key, const std::string& help) {
    cmd->add_option_function<std::string>(name, [this, key](const std::string& v) { flags_.emplace_back(key, v); }, help);
  };
  flag("--data-dir", "storage.data_dir", "Data directory (databases, blobs, secrets)");
  if (server_flags) {
    flag("--port", "server.port", "TCP port (0 = any free port)");
    flag("--host", "server.host", "Address to listen on");
    flag("--web-dir", "server.web_dir", "Serve the browser app from this directory instead of the embedded build");
    flag("--workers", "jobs.batch_workers", "Worker threads of the batch job lane");
    flag("--log-level", "log.level", "trace|debug|info|warn|error|off");
  }
  cmd->add_option("--set", sets_, "Any config key, as section.key=value (repeatable)");
}

config::Config ConfigFlags::load() const {
  config::LoadOptions opts;
  if (!config_path_.empty()) opts.config_path = config_path_;
  opts.env = config::current_environment();
  opts.flags = flags_;
  for (const auto& s : sets_) {
    auto eq = s.find('=');
    if (eq == std::string::npos) throw Error(ErrorKind::BadRequest, "--set expects section.key=value, got '" + s + "'");
    opts.flags.emplace_back(s.substr(0, eq), s.substr(eq + 1));
  }
  return config::load(opts);
}

}  // namespace cadenza::cli

#include "cli/commands.hpp"

namespace cadenza::cli {

void add_serve(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("serve", "Run the HTTP/WebSocket server");
  cmd->callback([&exit_code] { exit_code = 0; });
}

}  // namespace cadenza::cli

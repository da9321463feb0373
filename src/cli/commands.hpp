#pragma once
// Each `cadenza` subcommand lives in src/cli/<name>.cpp and registers itself here.
#include <CLI/CLI.hpp>

namespace cadenza::cli {

// Adds a subcommand to app. The callback runs the command and sets exit_code.
using Register = void (*)(CLI::App& app, int& exit_code);

void add_serve(CLI::App& app, int& exit_code);
void add_backup(CLI::App& app, int& exit_code);
void add_transcribe(CLI::App& app, int& exit_code);
void add_engrave(CLI::App& app, int& exit_code);
void add_user(CLI::App& app, int& exit_code);

}  // namespace cadenza::cli

#pragma once
// Each `cadenza` subcommand lives in src/cli/<name>.cpp and registers itself here.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <string_view>

namespace cadenza::cli {

// Adds a subcommand to app. The callback runs the command and sets exit_code.
using Register = void (*)(CLI::App& app, int& exit_code);

void add_serve(CLI::App& app, int& exit_code);
void add_backup(CLI::App& app, int& exit_code);
void add_transcribe(CLI::App& app, int& exit_code);
void add_engrave(CLI::App& app, int& exit_code);
void add_user(CLI::App& app, int& exit_code);
void add_bot(CLI::App& app, int& exit_code);
void add_import(CLI::App& app, int& exit_code);
void add_train_generator(CLI::App& app, int& exit_code);

// The progress of a long command on one line of stderr, redrawn in place; off when stderr is no terminal.
class ProgressBar {
 public:
  explicit ProgressBar(bool enabled) : enabled_(enabled) {}
  void update(double f, std::string_view stage) {
    if (!enabled_) return;
    const int width = 30, filled = int(f * width + 0.5);
    std::fprintf(stderr, "\r[%s%s] %3d%% %-10.*s", std::string(std::size_t(filled), '#').c_str(),
                 std::string(std::size_t(width - filled), '.').c_str(), int(f * 100 + 0.5), int(stage.size()),
                 stage.data());
    std::fflush(stderr);
  }
  void finish() {
    if (enabled_) std::fprintf(stderr, "\r%60s\r", "");
  }

 private:
  bool enabled_;
};

}  // namespace cadenza::cli

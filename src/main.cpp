// cadenza: the one binary. Subcommands live in src/cli/.
#include <cstdio>
#include <exception>

#include "cadenza/core/error.hpp"
#include "cadenza/core/log.hpp"
#include "cadenza/ml/runtime.hpp"
#include "cli/commands.hpp"

namespace cadenza::cli {
void add_train_markov(CLI::App& app, int& exit_code);  // src/cli/train_markov.cpp
}

int main(int argc, char** argv) {
  cadenza::ml::reexec_with_blas_core(argv);  // OpenBLAS's fast kernels on CPUs it does not recognise
  CLI::App app{"Cadenza: self-hosted music AI server", "cadenza"};
  app.require_subcommand(1);
  app.set_version_flag("--version", CADENZA_VERSION);
  cadenza::init_logging("info");  // stderr; `serve` applies log.level from its config
  cadenza::ml::init_runtime({});  // before any net runs: one owner of torch's and the BLAS's threads
  int exit_code = 0;
  cadenza::cli::add_serve(app, exit_code);
  cadenza::cli::add_backup(app, exit_code);
  cadenza::cli::add_transcribe(app, exit_code);
  cadenza::cli::add_engrave(app, exit_code);
  cadenza::cli::add_user(app, exit_code);
  cadenza::cli::add_bot(app, exit_code);
  cadenza::cli::add_import(app, exit_code);
  cadenza::cli::add_train_markov(app, exit_code);
  cadenza::cli::add_train_generator(app, exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const cadenza::Error& e) {
    std::fprintf(stderr, "cadenza: %s\n", e.what());
    for (const auto& [field, why] : e.fields()) std::fprintf(stderr, "  %s: %s\n", field.c_str(), why.c_str());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "cadenza: %s\n", e.what());
    return 1;
  }
  return exit_code;
}

// cadenza serve: the HTTP/WebSocket server with its job workers.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <memory>

#include "cadenza/audio/synth.hpp"
#include "cadenza/core/file_modes.hpp"
#include "cadenza/core/clock.hpp"
#include "cadenza/core/log.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/http/application.hpp"
#include "cadenza/http/server.hpp"
#include "cadenza/jobs/kinds.hpp"
#include "cadenza/ml/runtime.hpp"
#include "cli/commands.hpp"
#include "cli/config_flags.hpp"

namespace cadenza::cli {
namespace {

int serve(const config::Config& cfg) {
  http::Application application(cfg);
  auto& app = application.app();
  auto& job_service = application.jobs();

  http::Server server(app);
  auto port = server.listen(cfg.server.host, static_cast<std::uint16_t>(cfg.server.port));
  application.start();  // the job workers re-queue what a previous run left queued or running
  app.ready = true;
  // A generation stream's synth comes from a pool, but the process's first one loads the soundfont (0.2-0.5 s
  // before its first chunk): one is made and pooled now, before the server says it listens, so the first
  // stream starts within milliseconds too (and the ~160 MB it holds are there from the start).
  try {
    const auto t0 = now_ms();
    { audio::Synth synth; }
    spdlog::info("generation: soundfont loaded in {} ms", now_ms() - t0);
  } catch (const std::exception& e) {
    spdlog::warn("generation: no soundfont loaded ahead: {}", e.what());
  }
  spdlog::info("data in {}, job workers: {} interactive, {} batch, {} training", cfg.storage.data_dir,
               cfg.jobs.interactive.workers, cfg.jobs.batch.workers, cfg.jobs.training.workers);
  // Tests and scripts read this line to learn the port (--port 0 picks a free one).
  std::printf("cadenza: listening on http://%s:%u\n", cfg.server.host.c_str(), port);
  std::fflush(stdout);
  server.run(cfg.server.io_threads);
  spdlog::info("waiting up to {} s for running jobs", cfg.server.shutdown_grace_s);
  job_service.stop(std::chrono::seconds(cfg.server.shutdown_grace_s));
  spdlog::info("stopped");
  return 0;
}

}  // namespace

void add_serve(CLI::App& app, int& exit_code) {
  auto* cmd = app.add_subcommand("serve", "Run the HTTP/WebSocket server and the job workers");
  auto flags = std::make_shared<ConfigFlags>();
  flags->add_to(cmd, /*server_flags=*/true);
  auto print = std::make_shared<bool>(false);
  cmd->add_flag("--print-config", *print, "Print the effective configuration as TOML and exit");
  cmd->callback([flags, print, &exit_code] {
    use_private_file_modes();
    auto cfg = flags->load();
    if (*print) {
      std::fputs(config::to_toml(cfg).c_str(), stdout);
      exit_code = 0;
      return;
    }
    init_logging(cfg.log.level);
    spdlog::info("ml: BLAS {}", ml::blas_library());
    exit_code = serve(cfg);
  });
}

}  // namespace cadenza::cli

#include "cadenza/http/application.hpp"

#include <spdlog/spdlog.h>

#include "cadenza/core/clock.hpp"
#include "cadenza/jobs/kinds.hpp"
#include "cadenza/pipeline/convert_job.hpp"

namespace cadenza::http {

Application::Application(const config::Config& cfg)
    : control_(std::make_unique<store::ControlStore>(cfg.storage)),
      tenants_(std::make_unique<store::TenantDbs>(cfg.storage)),
      blobs_(std::make_unique<store::BlobStore>(cfg.storage, control_->secret("blob-signing"))),
      events_(std::make_unique<jobs::EventBus>()),
      jobs_(std::make_unique<jobs::JobService>(*tenants_, *events_, cfg.jobs)) {
  if (auto stale = blobs_->clean_spool()) spdlog::info("removed {} unfinished uploads left by the previous run", stale);
  // Every job kind, here and nowhere else (serve, the OpenAPI document and the tests all build this).
  jobs::register_job_kinds(*jobs_);
  jobs_->register_kind(pipeline::convert_kind(
      {*blobs_, *tenants_, transcribe::TranscriberOptions{}, std::filesystem::path(cfg.storage.data_dir) / "work"}));
  store::ProfileDeletion::Hooks hooks;
  hooks.stop_jobs = [jobs = jobs_.get()](const std::string& tenant, const std::string& profile) {
    jobs->stop_owner_jobs(tenant, profile, std::chrono::seconds(30));
  };
  deletions_ = std::make_unique<store::ProfileDeletion>(*control_, *tenants_, *blobs_, std::move(hooks));
  app_.reset(new App{cfg, *control_, *tenants_, *blobs_, *events_, *jobs_, *deletions_,
                     Tokens(control_->secret("jwt"), cfg.auth.token_ttl_s)});
  app_->started_at_ms = now_ms();
  auto& cache = app_->cache;
  control_->on_account_write([&cache](const std::string& id) { cache.bump(id); });
  tenants_->on_profile_write([&cache](const std::string& id) { cache.bump(id); });
  add_routes(*app_);
  deletions_->resume();  // a deletion that a crash or an error left half-done is finished first
}

Application::~Application() {
  // Nothing may report into the cache once it is gone.
  tenants_->on_profile_write({});
  control_->on_account_write({});
}

}  // namespace cadenza::http

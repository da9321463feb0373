#include "cadenza/http/application.hpp"

#include <spdlog/spdlog.h>

#include "cadenza/core/clock.hpp"
#include "cadenza/jobs/kinds.hpp"
#include "cadenza/generate/markov.hpp"
#include "cadenza/generate/transformer_sampler.hpp"
#include "cadenza/ml/basic_pitch.hpp"
#include "cadenza/pipeline/convert_job.hpp"
#include "cadenza/pipeline/import_library_job.hpp"
#include "cadenza/pipeline/train_generator_job.hpp"
#include "cadenza/pipeline/train_recommender_job.hpp"
#include "cadenza/pipeline/training_schedule.hpp"
#include "cadenza/pipeline/generate_job.hpp"
#include "cadenza/pipeline/version_pdf_job.hpp"
#include "cadenza/store/version_repo.hpp"
#include "cadenza/pipeline/webhook_sender.hpp"
#include "cadenza/recommend/listen_retention.hpp"
#include "conversions.hpp"

namespace cadenza::http {

Application::Application(const config::Config& cfg)
    : work_dir_(std::filesystem::path(cfg.storage.data_dir) / "work"),
      control_(std::make_unique<store::ControlStore>(cfg.storage)),
      tenants_(std::make_unique<store::TenantDbs>(cfg.storage)),
      blobs_(std::make_unique<store::BlobStore>(cfg.storage, control_->secret("blob-signing"))),
      events_(std::make_unique<jobs::EventBus>()),
      jobs_(std::make_unique<jobs::JobService>(*tenants_, *events_, cfg.jobs)) {
  if (auto stale = blobs_->clean_spool()) spdlog::info("removed {} unfinished uploads left by the previous run", stale);
  // Every job kind, here and nowhere else (serve, the OpenAPI document and the tests all build this).
  jobs::register_job_kinds(*jobs_);
  store::ProfileDeletion::Hooks hooks;
  hooks.stop_jobs = [jobs = jobs_.get()](const std::string& tenant, const std::string& profile) {
    jobs->stop_owner_jobs(tenant, profile, std::chrono::seconds(30));
  };
  deletions_ = std::make_unique<store::ProfileDeletion>(*control_, *tenants_, *blobs_, std::move(hooks));
  app_.reset(new App{cfg, *control_, *tenants_, *blobs_, *events_, *jobs_, *deletions_,
                     Tokens(control_->secret("jwt"), cfg.auth.token_ttl_s)});
  app_->started_at_ms = now_ms();
  // Conversions: the outbox row and the files it holds are written with the job's final state.
  pipeline::ConvertDeps deps{*blobs_, *tenants_, transcribe::TranscriberOptions{}, work_dir_};
  deps.rules = app_->address_rules;
  deps.fetch = {cfg.convert.fetch_max_bytes, cfg.convert.fetch_timeout_s, cfg.convert.max_redirects};
  deps.ytdlp = cfg.convert.ytdlp_path;
  deps.max_duration_s = cfg.convert.max_duration_s;
  deps.render_audio = cfg.convert.render_audio;
  deps.pdf.engine = notation::parse_pdf_engine(cfg.convert.pdf_engine);
  auto convert = pipeline::convert_kind(deps);
  convert.on_finish = conversion_finish_hook(*app_);
  jobs_->register_kind(std::move(convert));
  jobs_->register_kind(pipeline::train_recommender_kind(
      {*tenants_, app_->catalogs, app_->models, {.lambda = static_cast<double>(cfg.recommend.ease_lambda)}}));
  jobs_->register_kind(pipeline::import_library_kind(
      {*tenants_, cfg.library.root, static_cast<double>(cfg.library.transcribe_s), transcribe::TranscriberOptions{}}));
  // Generation: generate.model picks the sampler. The transformer reads models/generator.bin (or
  // generate.transformer_weights); the Markov model is embedded from models/markov.bin. Either is read once and
  // shared by every stream; when the transformer cannot load, the Markov model plays instead.
  pipeline::SamplerFactory sampler;
  if (cfg.generate.model == "transformer") {
    const std::filesystem::path weights = cfg.generate.transformer_weights.empty()
                                              ? ml::default_models_dir() / "generator.bin"
                                              : std::filesystem::path(cfg.generate.transformer_weights);
    try {
      auto net = std::make_shared<const ml::GeneratorNet>(ml::GeneratorNet::load(weights));
      generate::TransformerSampler probe(*net, generate::Controls{}, {}, {});  // weights of the kind it reads
      sampler = pipeline::transformer_sampler_factory(std::move(net));
      spdlog::info("generation: the transformer from {}", weights.string());
    } catch (const Error& e) {
      sampler = nullptr;
      spdlog::error("generation: the transformer ({}) does not load: {}; the Markov model plays instead",
                    weights.string(), e.what());
    }
  }
  try {
    if (!sampler) {
      if (auto bytes = generate::embedded_markov_model(); !bytes.empty())
        sampler = pipeline::markov_sampler_factory(
            std::make_shared<const generate::MarkovModel>(generate::MarkovModel::deserialize(bytes)));
      else
        spdlog::warn("generation: this build has no models/markov.bin embedded; generate jobs fail with 503");
    }
  } catch (const Error& e) {
    spdlog::error("generation: the embedded Markov model does not load: {}", e.what());
  }
  pipeline::GenerateDeps generate{*tenants_, std::move(sampler), {}};
  generate.on_succeeded = [jobs = jobs_.get()](const store::JobRecord& job, const std::string& version_id) {
    try {
      pipeline::submit_version_pdf(*jobs, job.tenant_id, job.owner_id, version_id);
    } catch (const Error& e) {  // a full queue: its PDF download starts it again
      spdlog::warn("generate: version {}: its PDF job was not started: {}", version_id, e.what());
    }
  };
  jobs_->register_kind(pipeline::generate_kind(std::move(generate)));
  jobs_->register_kind(pipeline::version_pdf_kind({*tenants_, deps.pdf}));
  jobs_->register_kind(pipeline::train_generator_kind(cfg));
  auto& cache = app_->cache;
  control_->on_account_write([&cache](const std::string& id) { cache.bump(id); });
  tenants_->on_profile_write([&cache](const std::string& id) { cache.bump(id); });
  webhooks_ = std::make_unique<pipeline::WebhookSender>(*tenants_, cfg.webhooks, app_->address_rules);
  listen_retention_ = std::make_unique<recommend::ListenRetention>(*tenants_, cfg.recommend);
  if (cfg.recommend.train_interval_h > 0)
    training_schedule_ = std::make_unique<pipeline::TrainingSchedule>(*control_, *tenants_, *jobs_,
                                                                      std::chrono::hours(cfg.recommend.train_interval_h));
  add_routes(*app_);
  deletions_->resume();  // a deletion that a crash or an error left half-done is finished first
}

void Application::start() {
  // Before the workers: scratch directories of conversions that will not run again go.
  const auto swept = pipeline::sweep_work_dirs(work_dir_, [this](const std::string& tenant, const std::string& job) {
    try {
      auto state = jobs_->get(tenant, job).state;
      return state == store::JobState::Queued || state == store::JobState::Running;
    } catch (const Error&) {
      return false;  // no such job (or tenant) any more
    }
  });
  if (swept > 0) spdlog::info("removed {} conversion scratch directories of ended jobs", swept);
  // Before the workers: versions a previous run was making are interrupted (their stored chunks stay
  // playable); their requeued jobs see that and do not make them again.
  for (const auto& tenant : tenants_->existing()) {
    try {
      auto& db = tenants_->get(tenant);
      const auto ids = store::version_repo::interrupt_running(db, now_ms());
      for (const auto& id : ids) pipeline::recover_interrupted_notes(db, id);
      if (!ids.empty()) spdlog::info("tenant {}: {} generation versions interrupted by the restart", tenant, ids.size());
    } catch (const std::exception& e) {
      spdlog::error("tenant {}: marking interrupted versions failed: {}", tenant, e.what());
    }
  }
  jobs_->start();
  webhooks_->start();
  listen_retention_->start();
  if (training_schedule_) training_schedule_->start();
}

Application::~Application() {
  if (training_schedule_) training_schedule_->stop();
  webhooks_->stop();
  listen_retention_->stop();
  // Nothing may report into the cache once it is gone.
  tenants_->on_profile_write({});
  control_->on_account_write({});
}

}  // namespace cadenza::http

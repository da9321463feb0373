#include "cadenza/pipeline/train_recommender_job.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <map>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/jobs/job_context.hpp"
#include "cadenza/ml/basic_pitch.hpp"
#include "cadenza/ml/runtime.hpp"
#include "cadenza/recommend/recommender.hpp"
#include "cadenza/store/listen_repo.hpp"
#include "cadenza/store/preference_repo.hpp"
#include "cadenza/store/recommender_model_repo.hpp"

namespace cadenza::pipeline {

jobs::JobKind train_recommender_kind(TrainRecommenderDeps deps) {
  jobs::JobKind k;
  k.name = kTrainRecommenderKind;
  k.lane = jobs::Lane::Training;
  k.submittable = false;  // POST /api/admin/models/train
  k.summary = "Trains the tenant's recommender from its listening history (learned preferences, the collaborative model).";
  k.payload_schema = {{"type", "object"}, {"additionalProperties", false}};
  k.result_schema = {{"type", "object"},
                     {"properties",
                      {{"version", {{"type", "integer"}}},
                       {"metrics", {{"type", "object"}}},
                       {"learnedProfiles", {{"type", "integer"}}}}}};
  k.run = [deps](jobs::JobContext& ctx) -> nlohmann::json {
    const auto& job = ctx.job();
    auto& db = deps.tenants.get(job.tenant_id);
    ctx.progress(0.0, "reading listens");
    const auto stats = store::listen_repo::track_stats(db);
    const auto catalog = deps.catalogs.get(db);
    // 1. Learned preferences, per profile (stats are ordered by profile).
    ctx.progress(0.05, "learning preferences");
    int learned = 0;
    for (std::size_t a = 0; a < stats.size();) {
      std::size_t b = a;
      while (b < stats.size() && stats[b].profile_id == stats[a].profile_id) ++b;
      std::vector<store::TrackPlayStats> plays(stats.begin() + a, stats.begin() + b);
      store::preference_repo::replace_learned(db, stats[a].profile_id, recommend::learn_preferences(*catalog, plays));
      ++learned;
      a = b;
      if (ctx.cancelled()) throw ml::Cancelled();
    }
    // 2. The collaborative model.
    std::shared_ptr<const recommend::CollabModel> model;
    {
      ml::IntraOpThreads threads(ctx.threads());
      model = recommend::CollabModel::train(
          stats, deps.options, [&](double f, std::string_view stage) { ctx.progress(0.1 + 0.8 * f, stage); },
          [&] { return ctx.cancelled(); });
    }
    // 3. Stored, then swapped in.
    ctx.progress(0.92, "storing");
    store::RecommenderModelRecord row;
    row.version = store::recommender_model_repo::next_version(db);
    row.file = recommend::ModelRegistry::file_for(job.tenant_id, row.version);
    row.metrics = model->metrics();
    row.job_id = job.id;
    row.trained_at = now_ms();
    const auto path = deps.models.data_dir() / row.file;
    std::filesystem::create_directories(path.parent_path());
    model->save(path);
    store::recommender_model_repo::insert(db, row);
    deps.models.install(job.tenant_id, {row.version, row.trained_at, model});
    spdlog::info("tenant {}: recommender model {} trained ({} profiles, {} tracks, {:.2f} s)", job.tenant_id,
                 row.version, row.metrics.value("profiles", 0), row.metrics.value("tracks", 0),
                 row.metrics.value("seconds", 0.0));
    return {{"version", row.version}, {"metrics", row.metrics}, {"learnedProfiles", learned}};
  };
  return k;
}

}  // namespace cadenza::pipeline

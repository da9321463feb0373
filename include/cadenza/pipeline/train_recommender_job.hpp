#pragma once
// The "train_recommender" job kind (training lane): one tenant's recommender trained from its listening
// history, submitted by POST /api/admin/models/train.
//   1. learned preferences: for every profile with listens, recommend::learn_preferences replaces its
//      learned rows (store/preference_repo.hpp), so ranking follows what it actually plays;
//   2. the collaborative model (recommend/collab_model.hpp), evaluated on a held-out split, then fitted on
//      everything, saved under <data_dir>/models/<tenant>/recommender-<version>.ease;
//   3. its row in recommender_models, then the registry swaps it in (requests never wait for training).
//   payload  {}          result {"version", "metrics", "learnedProfiles"}
// Too little data for step 2 fails the job with the reason (step 1 has been done by then).
#include "cadenza/jobs/job_kind.hpp"
#include "cadenza/recommend/catalog.hpp"
#include "cadenza/recommend/collab_model.hpp"
#include "cadenza/recommend/model_registry.hpp"
#include "cadenza/store/tenant_dbs.hpp"

namespace cadenza::pipeline {

struct TrainRecommenderDeps {
  store::TenantDbs& tenants;
  recommend::CatalogCache& catalogs;
  recommend::ModelRegistry& models;
  recommend::CollabOptions options;
};

inline constexpr const char* kTrainRecommenderKind = "train_recommender";
jobs::JobKind train_recommender_kind(TrainRecommenderDeps deps);

}  // namespace cadenza::pipeline

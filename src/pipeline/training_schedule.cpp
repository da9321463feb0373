#include "cadenza/pipeline/training_schedule.hpp"

#include <spdlog/spdlog.h>

#include "cadenza/pipeline/train_recommender_job.hpp"
#include "cadenza/store/listen_repo.hpp"
#include "cadenza/store/recommender_model_repo.hpp"

namespace cadenza::pipeline {

TrainingSchedule::TrainingSchedule(store::ControlStore& control, store::TenantDbs& tenants, jobs::JobService& jobs,
                                   std::chrono::milliseconds interval)
    : control_(control), tenants_(tenants), jobs_(jobs), task_("training schedule", interval, [this] { submit_due(); }) {}

int TrainingSchedule::submit_due() {
  int submitted = 0;
  for (const auto& tenant : control_.tenants()) {
    if (task_.stopping()) break;
    try {
      auto& db = tenants_.get(tenant.id);
      const auto last_listen = store::listen_repo::last_created_at(db);
      if (last_listen == 0) continue;
      const auto model = store::recommender_model_repo::latest(db);
      if (model && model->trained_at >= last_listen) continue;
      // Busy: a training of this tenant queued or running.
      bool busy = false;
      for (auto state : {store::JobState::Queued, store::JobState::Running})
        for (const auto& j : jobs_.list(tenant.id, "", state, 200, 0)) busy |= j.kind == kTrainRecommenderKind;
      if (busy) continue;
      std::string owner;
      for (const auto& a : control_.accounts(tenant.id))
        if (a.role == "admin" || a.role == "operator") {
          owner = a.id;
          break;
        }
      if (owner.empty()) {
        spdlog::debug("training schedule: tenant {} has no admin to own its training", tenant.id);
        continue;
      }
      jobs_.submit(tenant.id, owner, kTrainRecommenderKind, 0, nlohmann::json::object());
      ++submitted;
    } catch (const std::exception& e) {  // one tenant's failure does not hold up the others
      spdlog::warn("training schedule: tenant {}: {}", tenant.id, e.what());
    }
  }
  if (submitted > 0) spdlog::info("training schedule: {} recommender training(s) submitted", submitted);
  return submitted;
}

}  // namespace cadenza::pipeline

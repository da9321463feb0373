#pragma once
// TrainingSchedule: trains each tenant's recommender on a schedule (recommend.train_interval_h; 0 = off).
// A pass, as the server starts and then every interval, submits a train_recommender job for every tenant
// that has listens newer than its newest model (or listens and no model yet), owned by the tenant's first
// admin (the server's operator for its own tenant); a tenant without an admin is skipped, as is one whose
// previous training is still queued or running.
#include <chrono>
#include <string>

#include "cadenza/core/periodic.hpp"
#include "cadenza/jobs/job_service.hpp"
#include "cadenza/store/control_store.hpp"
#include "cadenza/store/tenant_dbs.hpp"

namespace cadenza::pipeline {

class TrainingSchedule {
 public:
  TrainingSchedule(store::ControlStore& control, store::TenantDbs& tenants, jobs::JobService& jobs,
                   std::chrono::milliseconds interval);
  void start() { task_.start(); }
  void stop() { task_.stop(); }
  // One pass; returns the trainings submitted.
  int submit_due();
  int passes() const { return task_.passes(); }

 private:
  store::ControlStore& control_;
  store::TenantDbs& tenants_;
  jobs::JobService& jobs_;
  PeriodicTask task_;
};

}  // namespace cadenza::pipeline

#pragma once
// Application: every service `cadenza serve` runs, built and wired in one place. serve, the OpenAPI
// test and the in-process test harness (tests/support/in_process.hpp) build it the same way, so a
// route test exercises what the server runs, only without sockets.
//
// Wiring done here and nowhere else: the job kinds, the routes, and the response cache's invalidation
// (the control store and every tenant database report each committed write of a profile's data to
// ResponseCache::bump, whoever wrote it: a request or a background job).
#include <filesystem>
#include <memory>

#include "cadenza/config/config.hpp"
#include "cadenza/http/app.hpp"

namespace cadenza::pipeline {
class WebhookSender;
class TrainingSchedule;
}
namespace cadenza::recommend {
class ListenRetention;
}

namespace cadenza::http {

class Application {
 public:
  // Opens (creating and migrating) the stores under cfg.storage.data_dir. `cfg` must outlive this.
  explicit Application(const config::Config& cfg);
  ~Application();
  Application(const Application&) = delete;
  Application& operator=(const Application&) = delete;

  // Removes the scratch directories of conversions that ended, then starts the job workers (recovering what a
  // previous run left), the webhook sender and the listening-history retention (recommend.listen_ttl_days).
  void start();

  App& app() { return *app_; }
  store::ControlStore& control() { return *control_; }
  store::TenantDbs& tenants() { return *tenants_; }
  jobs::JobService& jobs() { return *jobs_; }
  store::ProfileDeletion& deletions() { return *deletions_; }
  pipeline::WebhookSender& webhooks() { return *webhooks_; }
  recommend::ListenRetention& listen_retention() { return *listen_retention_; }

 private:
  std::filesystem::path work_dir_;  // conversions' scratch directories
  std::unique_ptr<store::ControlStore> control_;
  std::unique_ptr<store::TenantDbs> tenants_;
  std::unique_ptr<store::BlobStore> blobs_;
  std::unique_ptr<jobs::EventBus> events_;
  std::unique_ptr<jobs::JobService> jobs_;
  std::unique_ptr<store::ProfileDeletion> deletions_;
  std::unique_ptr<pipeline::WebhookSender> webhooks_;
  std::unique_ptr<recommend::ListenRetention> listen_retention_;
  std::unique_ptr<pipeline::TrainingSchedule> training_schedule_;  // null when recommend.train_interval_h is 0
  std::unique_ptr<App> app_;
};

}  // namespace cadenza::http

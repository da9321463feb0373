#pragma once
// Shared set-up for the JobService tests: a temporary data dir with real tenant databases, an event
// bus with a recording subscriber, and waiting helpers.
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cadenza/config/config.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/jobs/event_bus.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "support/error_kind.hpp"
#include "support/temp_dir.hpp"

namespace jobs_test {

using namespace std::chrono_literals;

class EventRecorder {
 public:
  explicit EventRecorder(cadenza::jobs::EventBus& bus) {
    bus.subscribe([this](const cadenza::jobs::JobEvent& e) {
      {
        std::lock_guard lock(mutex_);
        events_.push_back(e);
      }
      cv_.notify_all();
    });
  }
  std::vector<cadenza::jobs::JobEvent> events() const {
    std::lock_guard lock(mutex_);
    return events_;
  }
  // Events of one job, in publication order.
  std::vector<cadenza::jobs::JobEvent> of(const std::string& job_id) const {
    std::vector<cadenza::jobs::JobEvent> out;
    for (auto& e : events())
      if (e.job.id == job_id) out.push_back(e);
    return out;
  }
  // Waits until a "job.state" event puts job_id in state; false on timeout.
  bool wait_state(const std::string& job_id, cadenza::store::JobState state, std::chrono::milliseconds timeout = 5s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
      for (auto& e : events_)
        if (e.type == "job.state" && e.job.id == job_id && e.job.state == state) return true;
      return false;
    });
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<cadenza::jobs::JobEvent> events_;
};

using cadenza::test::error_kind_of;
using cadenza::test::TempDir;

struct Env {
  Env() {
    storage.data_dir = dir.str();
    dbs = std::make_unique<cadenza::store::TenantDbs>(storage);
    jobs.batch = {2, 100, 50};
    jobs.max_attempts = 3;
  }
  TempDir dir;
  cadenza::config::StorageConfig storage;
  std::unique_ptr<cadenza::store::TenantDbs> dbs;
  cadenza::jobs::EventBus bus;
  EventRecorder recorder{bus};
  cadenza::config::JobsConfig jobs;
  std::string tenant = cadenza::new_uuid();
  std::string alice = cadenza::new_uuid();
  std::string bob = cadenza::new_uuid();
};

// Polls pred every few milliseconds; false on timeout.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return pred();
}

}  // namespace jobs_test

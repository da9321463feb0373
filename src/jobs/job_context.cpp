#include "cadenza/jobs/job_context.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <exception>
#include <utility>

#include "cadenza/core/clock.hpp"

namespace cadenza::jobs {

JobContext::JobContext(store::JobRecord job, store::Database* db, EventBus* bus, std::shared_ptr<JobControl> control)
    : job_(std::move(job)), db_(db), bus_(bus), control_(control ? std::move(control) : std::make_shared<JobControl>()) {}

void JobContext::progress(double fraction, std::string_view stage) {
  if (!std::isfinite(fraction) || fraction < 0) fraction = 0;
  if (fraction > 1) fraction = 1;
  JobEvent event;
  {
    std::lock_guard lock(mutex_);
    const std::int64_t now = now_ms();
    job_.progress = fraction;
    job_.stage = std::string(stage);
    job_.updated_at = now;
    const auto steady_now = std::chrono::steady_clock::now();
    if (last_write_ == std::chrono::steady_clock::time_point{} || steady_now - last_write_ >= kProgressInterval) {
      last_write_ = steady_now;
      write_progress_locked(now);
    } else {
      pending_write_ = true;
    }
    if (bus_) event = JobEvent{"job.progress", job_};
  }
  if (bus_) bus_->publish(event);
}

void JobContext::flush_progress() {
  std::lock_guard lock(mutex_);
  if (!pending_write_) return;
  last_write_ = std::chrono::steady_clock::now();
  write_progress_locked(job_.updated_at);
}

void JobContext::write_progress_locked(std::int64_t now) {
  pending_write_ = false;
  if (!db_) return;
  try {
    store::job_repo::update_progress(*db_, job_.id, job_.progress, job_.stage, now);
  } catch (const std::exception& e) {
    spdlog::warn("jobs: progress of job {} not saved: {}", job_.id, e.what());
  }
}

}  // namespace cadenza::jobs

#include "cadenza/jobs/job_context.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <exception>
#include <optional>
#include <utility>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/store/chunk_repo.hpp"

namespace cadenza::jobs {

JobContext::JobContext(store::JobRecord job, store::Database* db, EventLog* events, std::shared_ptr<JobControl> control)
    : job_(std::move(job)), db_(db), events_(events), control_(control ? std::move(control) : std::make_shared<JobControl>()) {}

void JobContext::progress(double fraction, std::string_view stage) {
  if (!std::isfinite(fraction) || fraction < 0) fraction = 0;
  if (fraction > 1) fraction = 1;
  std::optional<store::JobRecord> snapshot;
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
    if (events_) snapshot = job_;
  }
  if (events_) events_->progress(*snapshot);
}

void JobContext::partial_result(const nlohmann::json& result, std::string_view stage) {
  double now_at = 0;
  {
    std::lock_guard lock(mutex_);
    job_.result = result;
    now_at = job_.progress;
  }
  if (db_) {
    try {
      store::job_repo::set_partial_result(*db_, job_.id, result, now_ms());
    } catch (const std::exception& e) {
      spdlog::warn("job {}: could not write its partial result: {}", job_.id, e.what());
    }
  }
  progress(now_at, stage);
}

std::int64_t JobContext::append_chunk(std::string_view bytes, const nlohmann::json& meta) {
  if (!db_) throw Error(ErrorKind::Internal, "append_chunk without a database");
  return store::chunk_repo::append(*db_, job_.id, bytes, meta, now_ms());
}

void JobContext::stream_event(const nlohmann::json& chunk) {
  if (!events_) return;
  store::JobRecord snapshot;
  {
    std::lock_guard lock(mutex_);
    snapshot = job_;
  }
  events_->chunk(snapshot, chunk);
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

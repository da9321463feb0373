#pragma once
// JobContext: what a job handler sees while it runs. Handlers read job() / payload(), report
// progress(fraction, stage) and poll cancelled() between steps, returning early when it turns true.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>

#include "cadenza/jobs/event_log.hpp"
#include "cadenza/store/db.hpp"
#include "cadenza/store/job_repo.hpp"

namespace cadenza::jobs {

// Flags shared between JobService and one running job. Set them through request_*(), which also wake a
// handler waiting in JobContext::sleep_for.
struct JobControl {
  std::atomic<bool> cancel_requested{false};  // cancel(): the job ends `cancelled`
  std::atomic<bool> shutdown{false};          // stop() ran out of grace: the job is requeued

  void request_cancel() { set(cancel_requested); }
  void request_shutdown() { set(shutdown); }
  bool stopped() const {
    return cancel_requested.load(std::memory_order_relaxed) || shutdown.load(std::memory_order_relaxed);
  }
  // Waits `d` or until a flag is set; true when one is.
  bool wait_for(std::chrono::milliseconds d) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, d, [this] { return stopped(); });
  }

 private:
  void set(std::atomic<bool>& flag) {
    {
      std::lock_guard lock(mu_);
      flag = true;
    }
    cv_.notify_all();
  }
  std::mutex mu_;
  std::condition_variable cv_;
};

class JobContext {
 public:
  // Minimum time between two progress writes of one job (about 10 writes per second at most).
  static constexpr std::chrono::milliseconds kProgressInterval{100};

  // db and events may be null (a handler's own unit tests): progress() then only updates job().
  JobContext(store::JobRecord job, store::Database* db, EventLog* events,
             std::shared_ptr<JobControl> control = std::make_shared<JobControl>());
  JobContext(const JobContext&) = delete;
  JobContext& operator=(const JobContext&) = delete;

  const store::JobRecord& job() const { return job_; }
  const nlohmann::json& payload() const { return job_.payload; }

  // fraction is clamped to 0..1. Every call goes to the EventLog as "job.progress" (which coalesces them:
  // at most jobs.progress_events_per_s a second go out, latest wins); the row is written at
  // most once per kProgressInterval, and a value skipped that way is written by flush_progress().
  // A failed write is logged, never thrown: progress is advisory.
  void progress(double fraction, std::string_view stage);
  // True after JobService::cancel() or when shutdown outlasted its grace period. A handler must see it within
  // about a second: poll it between steps of at most ~100 ms, and wait with sleep_for, never sleep_for of
  // std::this_thread.
  bool cancelled() const { return control_->stopped(); }
  // Sleeps `d`, waking at once on a cancel or shutdown; returns !cancelled().
  bool sleep_for(std::chrono::milliseconds d) { return !control_->wait_for(d); }

  // Publishes what the job has made so far as its result while it runs (GET /api/jobs/{id} and the kinds'
  // own resources show it before the end; the final result replaces it), and tells the job's watchers
  // as a progress event with `stage`.
  void partial_result(const nlohmann::json& result, std::string_view stage);

  // Appends a chunk to the job's stream in the chunk store (stream id = job id); returns its seq.
  // Error(Internal) without a database.
  std::int64_t append_chunk(std::string_view bytes, const nlohmann::json& meta = nlohmann::json::object());

  // Tells the job's watchers that a piece of its stream was stored: a "job.chunk" event carrying `chunk`
  // (EventLog::chunk: never coalesced). No-op without an EventLog.
  void stream_event(const nlohmann::json& chunk);

  // Writes the last progress value if the throttle held it back (the worker calls this at the end).
  void flush_progress();
  JobControl& control() { return *control_; }
  // Intra-op threads this job may use in the nets (its lane's jobs.<lane>_threads_per_job): run each
  // call into ml inside ml::IntraOpThreads(threads()).
  int threads() const { return threads_; }
  void set_threads(int n) { threads_ = n < 1 ? 1 : n; }

 private:
  void write_progress_locked(std::int64_t now);

  store::JobRecord job_;
  store::Database* db_;
  EventLog* events_;
  std::shared_ptr<JobControl> control_;
  std::mutex mutex_;
  std::chrono::steady_clock::time_point last_write_{};
  bool pending_write_ = false;
  int threads_ = 1;
};

}  // namespace cadenza::jobs

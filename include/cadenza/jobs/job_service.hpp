#pragma once
// JobService: durable jobs over the tenant databases, run by an in-process worker pool.
//
//   submit -> payload validated -> row written (queued) -> "job.state" published -> the kind's lane's
//   JobQueue -> one of that lane's workers: mark_running, run(JobContext&) -> finish (succeeded | failed |
//   cancelled) -> "job.state" published.
//
// Kinds register before start() (job_kind.hpp). A handler returns the result JSON; throwing fails the job
// (a cadenza::Error keeps its kind, message and fields; anything else becomes "internal error" and is
// logged). When
// cancelled() is true at the moment a handler returns or throws, its outcome is discarded: a user
// cancel records `cancelled`, a shutdown past its grace period requeues the job for the next start.
//
// start() recovers every existing tenant database: queued jobs are queued again, interrupted
// (`running`) jobs are requeued until they were started max_attempts times, then failed.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cadenza/config/config.hpp"
#include "cadenza/jobs/event_bus.hpp"
#include "cadenza/jobs/event_log.hpp"
#include "cadenza/jobs/job_context.hpp"
#include "cadenza/jobs/job_kind.hpp"
#include "cadenza/jobs/job_queue.hpp"
#include "cadenza/store/job_repo.hpp"

namespace cadenza::store {
class TenantDbs;
}

namespace cadenza::jobs {

using Job = store::JobRecord;
using JobState = store::JobState;
struct LaneStats {
  Lane lane = Lane::Batch;
  std::size_t queue_depth = 0;
  int busy_workers = 0;
  int workers = 0;
};

struct Stats {
  std::size_t queue_depth = 0;  // totals over the lanes
  int busy_workers = 0;
  int workers = 0;
  std::vector<LaneStats> lanes;
  // kind -> state -> count: queued and running as of now; succeeded/failed/cancelled since start().
  std::map<std::string, std::map<std::string, std::int64_t>> jobs;
};

class JobService {
 public:
  // Retry-After seconds sent with a full queue (503) and with the per-account cap (429).
  static constexpr int kQueueFullRetryAfterS = 5;
  static constexpr int kAccountCapRetryAfterS = 10;

  JobService(store::TenantDbs& dbs, EventBus& bus, const config::JobsConfig& config);
  ~JobService();  // stop(0 ms) unless stopped already
  JobService(const JobService&) = delete;
  JobService& operator=(const JobService&) = delete;

  // Registers (or replaces) one job kind (see job_kind.hpp). Call before start().
  void register_kind(JobKind kind);
  // The registered kind, or null (no copy: kinds never change once registered).
  std::shared_ptr<const JobKind> find_kind(const std::string& kind) const;
  bool has_kind(const std::string& kind) const;
  // Every registered kind, by name: what POST /api/jobs accepts and the OpenAPI document describes.
  std::vector<JobKind> kinds() const;

  // Recovers unfinished jobs of every existing tenant database, then starts the workers. Once only.
  void start();

  // Unknown kind -> Error(BadRequest, fields {kind}); a payload its validator refuses -> that Error; stopping -> Error(Unavailable);
  // queue full -> Error(Unavailable).with_retry_after; owner at max_queued_per_account queued jobs
  // -> Error(TooManyRequests).with_retry_after. The row exists before the job can run. with_row, when set,
  // runs in the transaction that inserts the row (a resource made with the job, such as a conversion):
  // throwing there refuses the submit and leaves no job.
  Job submit(const std::string& tenant_id, const std::string& owner_id, const std::string& kind, int priority,
             nlohmann::json payload, const RowHook& with_row = {});
  // Error(NotFound) when the tenant has no such job.
  Job get(const std::string& tenant_id, const std::string& job_id);
  std::vector<Job> list(const std::string& tenant_id, const std::string& owner_id, std::optional<JobState> state,
                        int limit, int offset);
  // Queued: removed and `cancelled` at once. Running: flagged, returned as running; the worker records
  // `cancelled` when the handler returns. Finished: Error(Conflict). Unknown: Error(NotFound).
  Job cancel(const std::string& tenant_id, const std::string& job_id);
  // Cancels every queued and running job of the owner and waits until none of them runs (deleting the
  // owner). Error(Unavailable) when one still runs after `timeout`.
  void stop_owner_jobs(const std::string& tenant_id, const std::string& owner_id, std::chrono::milliseconds timeout);

  // Idempotent. Stops accepting, waits up to grace for running handlers, then turns their
  // cancelled() true and requeues their jobs when they return; queued jobs stay queued in the
  // database. Joins the workers.
  void stop(std::chrono::milliseconds grace = std::chrono::seconds(20));

  Stats stats() const;
  // Numbers, stores, coalesces and publishes the jobs' events (event_log.hpp); replays them to clients.
  EventLog& events() { return events_; }

 private:
  using OwnerKey = std::pair<std::string, std::string>;
  struct RunningJob {
    std::string kind;
    Lane lane;
    std::shared_ptr<JobControl> control;
  };
  struct Outcome {
    JobState state = JobState::Failed;
    nlohmann::json result;
    store::JobError error;
    bool requeue = false;
  };
  // One lane: its queue, its workers, and the submits between their checks and their enqueue.
  struct LaneState {
    explicit LaneState(Lane l, const config::LaneConfig& c);
    Lane lane;
    config::LaneConfig config;
    JobQueue queue;
    std::condition_variable work_cv;  // a job was queued, or stopping
    std::vector<std::thread> workers;
    std::size_t reserved = 0;
    std::map<OwnerKey, std::size_t> reserved_by_owner;
  };

  void recover_tenant(const std::string& tenant_id);
  void worker_loop(LaneState& lane);
  void run_job(const QueuedJob& queued, const std::shared_ptr<JobControl>& control, int threads);
  Outcome call_handler(const JobKind* kind, JobContext& ctx, const QueuedJob& queued);
  LaneState& lane_of(const std::string& kind);  // the kind's lane (batch for an unknown kind); under mutex_
  // Writes the final state and updates job to match; throws what the database throws.
  void record_finish(store::Database& db, Job& job, const Outcome& outcome);
  // record_finish, logging a database failure instead of throwing (workers, recovery).
  void finish_job(store::Database& db, Job& job, const Outcome& outcome);
  void publish_state(const Job& job);
  void count_finished(const std::string& kind, JobState state);
  void release_reservation(LaneState& lane, const OwnerKey& owner);

  store::TenantDbs& dbs_;
  EventBus& bus_;
  config::JobsConfig config_;
  EventLog events_;

  mutable std::mutex mutex_;
  std::condition_variable idle_cv_;  // a running job ended
  std::vector<std::unique_ptr<LaneState>> lanes_;  // indexed by Lane
  std::unordered_map<std::string, std::shared_ptr<const JobKind>> kinds_;
  std::unordered_map<std::string, RunningJob> running_;
  std::map<std::string, std::map<std::string, std::int64_t>> finished_counts_;
  bool started_ = false;
  bool accepting_ = true;
  bool stopping_ = false;
  bool stopped_ = false;

  std::mutex stop_mutex_;
};

}  // namespace cadenza::jobs

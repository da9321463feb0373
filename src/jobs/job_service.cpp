#include "cadenza/jobs/job_service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/store/tenant_dbs.hpp"

namespace cadenza::jobs {

namespace repo = store::job_repo;

JobService::JobService(store::TenantDbs& dbs, EventBus& bus, const config::JobsConfig& config)
    : dbs_(dbs),
      bus_(bus),
      config_(config),
      queue_(static_cast<std::size_t>(std::max(1, config.queue_capacity))) {
  config_.workers = std::max(1, config_.workers);
  config_.max_queued_per_account = std::max(1, config_.max_queued_per_account);
  config_.max_attempts = std::max(1, config_.max_attempts);
}

JobService::~JobService() { stop(std::chrono::milliseconds(0)); }

void JobService::register_kind(const std::string& kind, Handler handler, Validator validator) {
  if (kind.empty() || !handler) throw Error(ErrorKind::Internal, "job kind needs a name and a handler");
  std::lock_guard lock(mutex_);
  handlers_[kind] = std::make_shared<const Handler>(std::move(handler));
  if (validator) validators_[kind] = std::make_shared<const Validator>(std::move(validator));
  else validators_.erase(kind);
}

bool JobService::has_kind(const std::string& kind) const {
  std::lock_guard lock(mutex_);
  return handlers_.count(kind) > 0;
}

void JobService::start() {
  {
    std::lock_guard lock(mutex_);
    if (started_ || stopping_) throw Error(ErrorKind::Internal, "job service can only start once");
    started_ = true;
  }
  for (const auto& tenant_id : dbs_.existing()) {
    try {
      recover_tenant(tenant_id);
    } catch (const std::exception& e) {
      spdlog::error("jobs: recovering the jobs of tenant {} failed: {}", tenant_id, e.what());
    }
  }
  std::lock_guard lock(mutex_);
  for (int i = 0; i < config_.workers; ++i) workers_.emplace_back([this] { worker_loop(); });
  spdlog::info("jobs: {} workers started, {} jobs queued", config_.workers, queue_.size());
}

void JobService::recover_tenant(const std::string& tenant_id) {
  auto& db = dbs_.get(tenant_id);
  for (auto& job : repo::unfinished(db)) {
    if (job.state == JobState::Running) {
      if (job.attempts >= config_.max_attempts) {
        Outcome outcome;
        outcome.error = "interrupted " + std::to_string(job.attempts) + " times (attempt limit reached)";
        spdlog::warn("jobs: job {} ({}) {}", job.id, job.kind, outcome.error);
        finish_job(db, job, outcome);
        count_finished(job.kind, JobState::Failed);
        publish_state(job);
        continue;
      }
      repo::requeue(db, job.id, now_ms());
      spdlog::info("jobs: job {} ({}) was interrupted after {} attempt(s); queued again", job.id, job.kind,
                   job.attempts);
    }
    std::lock_guard lock(mutex_);
    queue_.push_unbounded(QueuedJob{job.id, tenant_id, job.owner_id, job.kind, job.priority});
  }
}

Job JobService::submit(const std::string& tenant_id, const std::string& owner_id, const std::string& kind,
                       int priority, nlohmann::json payload) {
  const OwnerKey owner{tenant_id, owner_id};
  std::shared_ptr<const Validator> validator;
  {
    std::lock_guard lock(mutex_);
    if (!handlers_.count(kind)) throw Error(ErrorKind::BadRequest, "unknown job kind", {{"kind", "unknown job kind"}});
    if (auto v = validators_.find(kind); v != validators_.end()) validator = v->second;
  }
  if (validator) (*validator)(payload);  // a bad payload is refused here, never a job that fails later
  {
    std::lock_guard lock(mutex_);
    if (!accepting_) throw Error(ErrorKind::Unavailable, "job service is shutting down").with_retry_after(kQueueFullRetryAfterS);
    if (queue_.size() + reserved_ >= queue_.capacity())
      throw Error(ErrorKind::Unavailable, "job queue is full").with_retry_after(kQueueFullRetryAfterS);
    auto reserved_it = reserved_by_owner_.find(owner);
    const std::size_t owner_queued =
        queue_.count_for(tenant_id, owner_id) + (reserved_it == reserved_by_owner_.end() ? 0 : reserved_it->second);
    if (owner_queued >= static_cast<std::size_t>(config_.max_queued_per_account))
      throw Error(ErrorKind::TooManyRequests,
                  "too many queued jobs for this account (limit " + std::to_string(config_.max_queued_per_account) + ")")
          .with_retry_after(kAccountCapRetryAfterS);
    ++reserved_;
    ++reserved_by_owner_[owner];
  }

  Job job;
  job.id = new_uuid();
  job.tenant_id = tenant_id;
  job.owner_id = owner_id;
  job.kind = kind;
  job.priority = priority;
  job.state = JobState::Queued;
  job.payload = payload.is_null() ? nlohmann::json::object() : std::move(payload);
  job.created_at = job.updated_at = now_ms();
  try {
    repo::insert(dbs_.get(tenant_id), job);
  } catch (...) {
    std::lock_guard lock(mutex_);
    release_reservation(owner);
    throw;
  }
  publish_state(job);  // before any worker can publish "running"
  {
    std::lock_guard lock(mutex_);
    release_reservation(owner);
    // Stopped meanwhile: the row stays queued and the next start() runs it.
    if (accepting_) queue_.push_unbounded(QueuedJob{job.id, tenant_id, owner_id, kind, priority});
  }
  work_cv_.notify_one();
  return job;
}

void JobService::release_reservation(const OwnerKey& owner) {
  --reserved_;
  auto it = reserved_by_owner_.find(owner);
  if (it != reserved_by_owner_.end() && --it->second == 0) reserved_by_owner_.erase(it);
}

Job JobService::get(const std::string& tenant_id, const std::string& job_id) {
  auto job = repo::find(dbs_.get(tenant_id), job_id);
  if (!job) throw Error(ErrorKind::NotFound, "job " + job_id + " not found");
  return std::move(*job);
}

std::vector<Job> JobService::list(const std::string& tenant_id, const std::string& owner_id,
                                  std::optional<JobState> state, int limit, int offset) {
  return repo::list(dbs_.get(tenant_id), owner_id, state, limit, offset);
}

Job JobService::cancel(const std::string& tenant_id, const std::string& job_id) {
  auto& db = dbs_.get(tenant_id);
  Job job = get(tenant_id, job_id);  // NotFound for another tenant's id too
  {
    std::unique_lock lock(mutex_);
    if (queue_.remove(job_id)) {
      lock.unlock();
      Outcome outcome;
      outcome.state = JobState::Cancelled;
      try {
        record_finish(db, job, outcome);
      } catch (...) {  // the row is still queued: so is the job (at the back of its owner's line)
        {
          std::lock_guard relock(mutex_);
          if (accepting_) queue_.push_unbounded(QueuedJob{job.id, tenant_id, job.owner_id, job.kind, job.priority});
        }
        work_cv_.notify_one();
        throw;
      }
      count_finished(job.kind, JobState::Cancelled);
      publish_state(job);
      return job;
    }
    auto running = running_.find(job_id);
    if (running != running_.end()) {
      running->second.control->request_cancel();
      lock.unlock();
      return get(tenant_id, job_id);
    }
    // Neither queued here nor running: a finished job, or a queued row this process does not hold
    // (stopped service, or a submit between its insert and its enqueue). The lock keeps such a
    // submit from enqueueing before the row is cancelled; the worker skips rows no longer queued.
    job = get(tenant_id, job_id);
    if (job.state == JobState::Queued) {
      Outcome outcome;
      outcome.state = JobState::Cancelled;
      record_finish(db, job, outcome);
      lock.unlock();
      count_finished(job.kind, JobState::Cancelled);
      publish_state(job);
      return job;
    }
  }
  if (job.state == JobState::Running) return job;  // another process owns it; nothing to flag here
  throw Error(ErrorKind::Conflict, "job already finished");
}

void JobService::stop(std::chrono::milliseconds grace) {
  std::lock_guard stop_lock(stop_mutex_);
  std::size_t outlasted = 0;
  {
    std::unique_lock lock(mutex_);
    if (stopped_) return;
    accepting_ = false;
    stopping_ = true;
    work_cv_.notify_all();
    idle_cv_.wait_for(lock, grace, [this] { return running_.empty(); });
    for (auto& [id, running] : running_) running.control->request_shutdown();
    outlasted = running_.size();
  }
  if (outlasted > 0) spdlog::warn("jobs: {} job(s) still running after the grace period; they will be requeued", outlasted);
  for (auto& worker : workers_) worker.join();
  workers_.clear();
  std::lock_guard lock(mutex_);
  stopped_ = true;
  spdlog::info("jobs: stopped ({} queued jobs stay queued)", queue_.size());
}

Stats JobService::stats() const {
  std::lock_guard lock(mutex_);
  Stats s;
  s.queue_depth = queue_.size();
  s.busy_workers = static_cast<int>(running_.size());
  s.workers = config_.workers;
  s.jobs = finished_counts_;
  for (const auto& [kind, n] : queue_.count_by_kind()) s.jobs[kind]["queued"] += static_cast<std::int64_t>(n);
  for (const auto& [id, running] : running_) s.jobs[running.kind]["running"] += 1;
  return s;
}

void JobService::worker_loop() {
  for (;;) {
    QueuedJob queued;
    std::shared_ptr<JobControl> control = std::make_shared<JobControl>();
    {
      std::unique_lock lock(mutex_);
      work_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;  // queued jobs stay queued in the database
      queued = std::move(*queue_.pop());
      running_.emplace(queued.id, RunningJob{queued.kind, control});
    }
    try {
      run_job(queued, control);
    } catch (const std::exception& e) {
      spdlog::error("jobs: worker failed on job {} ({}): {}", queued.id, queued.kind, e.what());
    } catch (...) {
      spdlog::error("jobs: worker failed on job {} ({})", queued.id, queued.kind);
    }
    {
      std::lock_guard lock(mutex_);
      running_.erase(queued.id);
    }
    idle_cv_.notify_all();
  }
}

void JobService::run_job(const QueuedJob& queued, const std::shared_ptr<JobControl>& control) {
  auto& db = dbs_.get(queued.tenant_id);
  auto row = repo::find(db, queued.id);
  if (!row || row->state != JobState::Queued) {
    spdlog::debug("jobs: job {} is no longer queued; skipped", queued.id);
    return;
  }
  const std::int64_t now = now_ms();
  repo::mark_running(db, queued.id, now);
  Job job = std::move(*row);
  job.state = JobState::Running;
  job.attempts += 1;
  job.started_at = job.updated_at = now;
  publish_state(job);

  std::shared_ptr<const Handler> handler;
  {
    std::lock_guard lock(mutex_);
    auto it = handlers_.find(queued.kind);
    if (it != handlers_.end()) handler = it->second;
  }
  JobContext ctx(job, &db, &bus_, control);
  Outcome outcome = call_handler(handler.get(), ctx, queued);
  ctx.flush_progress();
  job.progress = ctx.job().progress;
  job.stage = ctx.job().stage;

  if (outcome.requeue) {
    try {
      repo::requeue(db, job.id, now_ms());
      job.state = JobState::Queued;
      job.progress = 0;  // as job_repo::requeue records it
      job.stage.clear();
      job.started_at = 0;
      job.updated_at = now_ms();
      spdlog::info("jobs: job {} ({}) interrupted by shutdown; queued for the next start", job.id, job.kind);
      publish_state(job);
    } catch (const std::exception& e) {
      spdlog::error("jobs: requeueing job {} failed (the next start retries it): {}", job.id, e.what());
    }
    return;
  }
  finish_job(db, job, outcome);
  count_finished(job.kind, outcome.state);
  publish_state(job);
}

JobService::Outcome JobService::call_handler(const Handler* handler, JobContext& ctx, const QueuedJob& queued) {
  Outcome outcome;
  if (!handler) {
    outcome.error = "no handler for job kind '" + queued.kind + "'";
  } else {
    try {
      outcome.result = (*handler)(ctx);
      outcome.state = JobState::Succeeded;
    } catch (const Error& e) {
      outcome.error = e.what();
    } catch (const std::exception& e) {
      spdlog::error("jobs: job {} ({}) threw: {}", queued.id, queued.kind, e.what());
      outcome.error = "internal error";
    } catch (...) {
      spdlog::error("jobs: job {} ({}) threw a non-standard exception", queued.id, queued.kind);
      outcome.error = "internal error";
    }
  }
  // A cancelled job's own outcome is discarded: the user's cancel wins, then shutdown (requeue).
  if (ctx.control().cancel_requested) {
    outcome = Outcome{JobState::Cancelled, nullptr, "", false};
  } else if (ctx.control().shutdown) {
    outcome = Outcome{JobState::Queued, nullptr, "", true};
  }
  if (outcome.state == JobState::Failed)
    spdlog::warn("jobs: job {} ({}) failed: {}", queued.id, queued.kind, outcome.error);
  return outcome;
}

void JobService::finish_job(store::Database& db, Job& job, const Outcome& outcome) {
  try {
    record_finish(db, job, outcome);
  } catch (const std::exception& e) {
    spdlog::error("jobs: recording job {} as {} failed: {}", job.id, store::to_string(outcome.state), e.what());
    job.state = outcome.state;  // the event still tells what happened
    job.result = outcome.result;
    job.error = outcome.error;
  }
}

void JobService::record_finish(store::Database& db, Job& job, const Outcome& outcome) {
  const std::int64_t now = now_ms();
  repo::finish(db, job.id, outcome.state, outcome.result, outcome.error, now);
  job.state = outcome.state;
  if (outcome.state == JobState::Succeeded) job.progress = 1.0;  // as job_repo::finish records it
  job.result = outcome.result;
  job.error = outcome.error;
  job.finished_at = job.updated_at = now;
}

void JobService::publish_state(const Job& job) { bus_.publish(JobEvent{"job.state", job}); }

void JobService::count_finished(const std::string& kind, JobState state) {
  std::lock_guard lock(mutex_);
  ++finished_counts_[kind][store::to_string(state)];
}

}  // namespace cadenza::jobs

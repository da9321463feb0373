#include "cadenza/jobs/job_service.hpp"

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>
#include <exception>
#include <limits>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/store/tenant_dbs.hpp"

namespace cadenza::jobs {

namespace repo = store::job_repo;

const char* to_string(Lane lane) {
  switch (lane) {
    case Lane::Interactive: return "interactive";
    case Lane::Batch: return "batch";
    case Lane::Training: return "training";
  }
  return "batch";
}

std::optional<Lane> parse_lane(std::string_view name) {
  for (auto lane : kLanes)
    if (name == to_string(lane)) return lane;
  return std::nullopt;
}

namespace {
config::LaneConfig sane(config::LaneConfig c) {
  c.workers = std::max(1, c.workers);
  c.queue_capacity = std::max(1, c.queue_capacity);
  c.max_queued_per_account = std::max(1, c.max_queued_per_account);
  if (c.threads_per_job <= 0)
    c.threads_per_job = std::max(1, int(std::thread::hardware_concurrency()) / c.workers);
  return c;
}
}  // namespace

JobService::LaneState::LaneState(Lane l, const config::LaneConfig& c)
    : lane(l), config(sane(c)), queue(static_cast<std::size_t>(config.queue_capacity)) {}

JobService::JobService(store::TenantDbs& dbs, EventBus& bus, const config::JobsConfig& config)
    : dbs_(dbs), bus_(bus), config_(config), events_(&dbs, bus, config.progress_events_per_s) {
  config_.max_attempts = std::max(1, config_.max_attempts);
  for (auto lane : kLanes) {
    const auto& c = lane == Lane::Interactive ? config.interactive : lane == Lane::Batch ? config.batch : config.training;
    lanes_.push_back(std::make_unique<LaneState>(lane, c));
  }
}

JobService::~JobService() { stop(std::chrono::milliseconds(0)); }

void JobService::register_kind(JobKind kind) {
  if (kind.name.empty() || !kind.run) throw Error(ErrorKind::Internal, "job kind needs a name and a handler");
  std::lock_guard lock(mutex_);
  auto name = kind.name;
  kinds_[name] = std::make_shared<const JobKind>(std::move(kind));
}

std::shared_ptr<const JobKind> JobService::find_kind(const std::string& kind) const {
  std::lock_guard lock(mutex_);
  auto it = kinds_.find(kind);
  return it == kinds_.end() ? nullptr : it->second;
}

bool JobService::has_kind(const std::string& kind) const {
  std::lock_guard lock(mutex_);
  return kinds_.count(kind) > 0;
}

std::vector<JobKind> JobService::kinds() const {
  std::lock_guard lock(mutex_);
  std::vector<JobKind> out;
  for (const auto& [name, kind] : kinds_) out.push_back(*kind);
  std::sort(out.begin(), out.end(), [](const JobKind& a, const JobKind& b) { return a.name < b.name; });
  return out;
}

JobService::LaneState& JobService::lane_of(const std::string& kind) {
  auto it = kinds_.find(kind);
  return *lanes_[static_cast<std::size_t>(it == kinds_.end() ? Lane::Batch : it->second->lane)];
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
  for (auto& lane : lanes_) {
    for (int i = 0; i < lane->config.workers; ++i) lane->workers.emplace_back([this, l = lane.get()] { worker_loop(*l); });
    spdlog::info("jobs: {} lane: {} workers started, {} jobs queued", to_string(lane->lane), lane->config.workers,
                 lane->queue.size());
  }
}

void JobService::recover_tenant(const std::string& tenant_id) {
  auto& db = dbs_.get(tenant_id);
  for (auto& job : repo::unfinished(db)) {
    if (job.state == JobState::Running) {
      if (job.attempts >= config_.max_attempts) {
        Outcome outcome;
        outcome.error = {to_string(ErrorKind::Unavailable),
                         "interrupted " + std::to_string(job.attempts) + " times (attempt limit reached)",
                         nlohmann::json::object()};
        spdlog::warn("jobs: job {} ({}) {}", job.id, job.kind, outcome.error.message);
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
    lane_of(job.kind).queue.push_unbounded(QueuedJob{job.id, tenant_id, job.owner_id, job.kind, job.priority});
  }
}

Job JobService::submit(const std::string& tenant_id, const std::string& owner_id, const std::string& kind,
                       int priority, nlohmann::json payload, const RowHook& with_row) {
  const OwnerKey owner{tenant_id, owner_id};
  std::shared_ptr<const JobKind> spec;
  {
    std::lock_guard lock(mutex_);
    auto it = kinds_.find(kind);
    if (it == kinds_.end()) throw Error(ErrorKind::BadRequest, "unknown job kind", {{"kind", "unknown job kind"}});
    spec = it->second;
  }
  schema::check(spec->payload_schema, payload, "payload");
  if (spec->validate) spec->validate(payload, tenant_id);  // a bad payload is refused here, never a job that fails later
  LaneState& lane = *lanes_[static_cast<std::size_t>(spec->lane)];
  {
    std::lock_guard lock(mutex_);
    if (!accepting_) throw Error(ErrorKind::Unavailable, "job service is shutting down").with_retry_after(kQueueFullRetryAfterS);
    if (lane.queue.size() + lane.reserved >= lane.queue.capacity())
      throw Error(ErrorKind::Unavailable, std::string("the ") + to_string(lane.lane) + " job queue is full")
          .with_retry_after(kQueueFullRetryAfterS);
    auto reserved_it = lane.reserved_by_owner.find(owner);
    const std::size_t owner_queued = lane.queue.count_for(tenant_id, owner_id) +
                                     (reserved_it == lane.reserved_by_owner.end() ? 0 : reserved_it->second);
    if (owner_queued >= static_cast<std::size_t>(lane.config.max_queued_per_account))
      throw Error(ErrorKind::TooManyRequests, "too many queued " + std::string(to_string(lane.lane)) +
                                                  " jobs for this account (limit " +
                                                  std::to_string(lane.config.max_queued_per_account) + ")")
          .with_retry_after(kAccountCapRetryAfterS);
    ++lane.reserved;
    ++lane.reserved_by_owner[owner];
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
    auto& db = dbs_.get(tenant_id);
    db.write([&](store::Db& conn) {
      repo::insert(db, job);
      if (with_row) with_row(conn, job);
    });
  } catch (...) {
    std::lock_guard lock(mutex_);
    release_reservation(lane, owner);
    throw;
  }
  publish_state(job);  // before any worker can publish "running"
  {
    std::lock_guard lock(mutex_);
    release_reservation(lane, owner);
    // Stopped meanwhile: the row stays queued and the next start() runs it.
    if (accepting_) lane.queue.push_unbounded(QueuedJob{job.id, tenant_id, owner_id, kind, priority});
  }
  lane.work_cv.notify_one();
  return job;
}

void JobService::release_reservation(LaneState& lane, const OwnerKey& owner) {
  --lane.reserved;
  auto it = lane.reserved_by_owner.find(owner);
  if (it != lane.reserved_by_owner.end() && --it->second == 0) lane.reserved_by_owner.erase(it);
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

void JobService::stop_owner_jobs(const std::string& tenant_id, const std::string& owner_id,
                                 std::chrono::milliseconds timeout) {
  std::vector<std::string> ids;
  for (auto state : {JobState::Queued, JobState::Running})
    for (const auto& job : list(tenant_id, owner_id, state, std::numeric_limits<int>::max(), 0)) ids.push_back(job.id);
  for (const auto& id : ids) {
    try {
      cancel(tenant_id, id);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Conflict && e.kind() != ErrorKind::NotFound) throw;  // it finished meanwhile
    }
  }
  std::unique_lock lock(mutex_);
  bool stopped = idle_cv_.wait_for(lock, timeout, [&] {
    return std::none_of(ids.begin(), ids.end(), [&](const std::string& id) { return running_.count(id) > 0; });
  });
  if (!stopped) throw Error(ErrorKind::Unavailable, "The profile's jobs are still stopping; try again");
}

Job JobService::cancel(const std::string& tenant_id, const std::string& job_id) {
  auto& db = dbs_.get(tenant_id);
  Job job = get(tenant_id, job_id);  // NotFound for another tenant's id too
  {
    std::unique_lock lock(mutex_);
    LaneState& lane = lane_of(job.kind);
    if (lane.queue.remove(job_id)) {
      lock.unlock();
      Outcome outcome;
      outcome.state = JobState::Cancelled;
      try {
        record_finish(db, job, outcome);
      } catch (...) {  // the row is still queued: so is the job (at the back of its owner's line)
        {
          std::lock_guard relock(mutex_);
          if (accepting_) lane.queue.push_unbounded(QueuedJob{job.id, tenant_id, job.owner_id, job.kind, job.priority});
        }
        lane.work_cv.notify_one();
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
    for (auto& lane : lanes_) lane->work_cv.notify_all();
    idle_cv_.wait_for(lock, grace, [this] { return running_.empty(); });
    for (auto& [id, running] : running_) running.control->request_shutdown();
    outlasted = running_.size();
  }
  if (outlasted > 0) spdlog::warn("jobs: {} job(s) still running after the grace period; they will be requeued", outlasted);
  std::size_t queued = 0;
  for (auto& lane : lanes_) {
    for (auto& worker : lane->workers) worker.join();
    lane->workers.clear();
  }
  std::lock_guard lock(mutex_);
  for (auto& lane : lanes_) queued += lane->queue.size();
  stopped_ = true;
  spdlog::info("jobs: stopped ({} queued jobs stay queued)", queued);
}

Stats JobService::stats() const {
  std::lock_guard lock(mutex_);
  Stats s;
  s.jobs = finished_counts_;
  for (const auto& lane : lanes_) {
    LaneStats l{lane->lane, lane->queue.size(), 0, lane->config.workers};
    for (const auto& [id, running] : running_) l.busy_workers += running.lane == lane->lane;
    s.queue_depth += l.queue_depth;
    s.busy_workers += l.busy_workers;
    s.workers += l.workers;
    s.lanes.push_back(l);
    for (const auto& [kind, n] : lane->queue.count_by_kind()) s.jobs[kind]["queued"] += static_cast<std::int64_t>(n);
  }
  for (const auto& [id, running] : running_) s.jobs[running.kind]["running"] += 1;
  return s;
}

void JobService::worker_loop(LaneState& lane) {
  // Linux applies a niceness per thread, added here to the process's own; the threads and processes a job
  // starts inherit it.
  if (lane.config.nice > 0) {
    const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
    errno = 0;
    const int base = ::getpriority(PRIO_PROCESS, tid);
    if (errno != 0 || ::setpriority(PRIO_PROCESS, tid, std::min(19, base + lane.config.nice)) != 0)
      spdlog::warn("jobs: could not lower the {} lane's priority: {}", to_string(lane.lane), std::strerror(errno));
  }
  for (;;) {
    QueuedJob queued;
    std::shared_ptr<JobControl> control = std::make_shared<JobControl>();
    {
      std::unique_lock lock(mutex_);
      lane.work_cv.wait(lock, [&] { return stopping_ || !lane.queue.empty(); });
      if (stopping_) return;  // queued jobs stay queued in the database
      queued = std::move(*lane.queue.pop());
      running_.emplace(queued.id, RunningJob{queued.kind, lane.lane, control});
    }
    try {
      run_job(queued, control, lane.config.threads_per_job);
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

void JobService::run_job(const QueuedJob& queued, const std::shared_ptr<JobControl>& control, int threads) {
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

  auto kind = find_kind(queued.kind);
  JobContext ctx(job, &db, &events_, control);
  ctx.set_threads(threads);
  Outcome outcome = call_handler(kind.get(), ctx, queued);
  // A job that fails or is cancelled keeps what it had already made (its partial result): the kind's
  // on_finish hook sees those files, so they go with whatever owns the job instead of being orphaned.
  if (!outcome.requeue && outcome.state != JobState::Succeeded && outcome.result.is_null())
    outcome.result = ctx.job().result;
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

JobService::Outcome JobService::call_handler(const JobKind* kind, JobContext& ctx, const QueuedJob& queued) {
  Outcome outcome;
  const store::JobError internal{to_string(ErrorKind::Internal), "internal error", nlohmann::json::object()};
  if (!kind) {
    outcome.error = {to_string(ErrorKind::Internal), "no handler for job kind '" + queued.kind + "'",
                     nlohmann::json::object()};
  } else {
    try {
      outcome.result = kind->run(ctx);
      outcome.state = JobState::Succeeded;
    } catch (const Error& e) {
      // An internal Error's message may hold details for the log only, as for HTTP answers.
      if (e.kind() == ErrorKind::Internal) {
        spdlog::error("jobs: job {} ({}) failed: {}", queued.id, queued.kind, e.what());
        outcome.error = internal;
      } else {
        outcome.error = {to_string(e.kind()), e.what(), nlohmann::json(e.fields())};
      }
    } catch (const std::exception& e) {
      spdlog::error("jobs: job {} ({}) threw: {}", queued.id, queued.kind, e.what());
      outcome.error = internal;
    } catch (...) {
      spdlog::error("jobs: job {} ({}) threw a non-standard exception", queued.id, queued.kind);
      outcome.error = internal;
    }
  }
  // A cancelled job's own outcome is discarded: the user's cancel wins, then shutdown (requeue).
  if (ctx.control().cancel_requested) {
    outcome = Outcome{JobState::Cancelled, nullptr, {}, false};
  } else if (ctx.control().shutdown) {
    outcome = Outcome{JobState::Queued, nullptr, {}, true};
  }
  if (outcome.state == JobState::Failed)
    spdlog::warn("jobs: job {} ({}) failed: {}", queued.id, queued.kind, outcome.error.message);
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
  Job done = job;
  done.state = outcome.state;
  if (outcome.state == JobState::Succeeded) done.progress = 1.0;  // as job_repo::finish records it
  done.result = outcome.result;
  done.error = outcome.error;
  done.finished_at = done.updated_at = now;
  // Kinds never change once started (no lock: callers may hold mutex_).
  auto kind = kinds_.find(job.kind);
  const RowHook* hook = kind != kinds_.end() && kind->second->on_finish ? &kind->second->on_finish : nullptr;
  db.write([&](store::Db& conn) {
    repo::finish(db, job.id, outcome.state, outcome.result, outcome.error, now);
    if (hook) (*hook)(conn, done);
  });
  job = std::move(done);
}

void JobService::publish_state(const Job& job) { events_.state(job); }

void JobService::count_finished(const std::string& kind, JobState state) {
  std::lock_guard lock(mutex_);
  ++finished_counts_[kind][store::to_string(state)];
}

}  // namespace cadenza::jobs

#include "cadenza/jobs/event_log.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "cadenza/core/clock.hpp"
#include "cadenza/jobs/job_json.hpp"
#include "cadenza/store/tenant_dbs.hpp"

namespace cadenza::jobs {

namespace {
bool is_final(store::JobState s) {
  return s == store::JobState::Succeeded || s == store::JobState::Failed || s == store::JobState::Cancelled;
}
}  // namespace

EventLog::EventLog(store::TenantDbs* dbs, EventBus& bus, int progress_per_s)
    : dbs_(dbs), bus_(bus), interval_(std::chrono::microseconds(1'000'000 / std::clamp(progress_per_s, 1, 1'000'000))) {
  flusher_ = std::thread([this] { flusher(); });
}

EventLog::~EventLog() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  flusher_.join();
}

std::shared_ptr<EventLog::Topic> EventLog::topic(const std::string& job_id) {
  std::lock_guard lock(mu_);
  auto& t = topics_[job_id];
  if (!t) t = std::make_shared<Topic>();
  return t;
}

std::size_t EventLog::topics() const {
  std::vector<std::shared_ptr<Topic>> all;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, t] : topics_) all.push_back(t);
  }
  std::size_t n = 0;
  for (auto& t : all) {
    std::lock_guard lock(t->mu);
    n += !t->done;
  }
  return n;
}

void EventLog::emit_locked(Topic& t, const char* type, const store::JobRecord& job, const nlohmann::json* chunk) {
  store::Database* db = nullptr;
  if (dbs_) {
    try {
      db = &dbs_->get(job.tenant_id);
    } catch (const std::exception& e) {
      spdlog::error("jobs: no database for the events of job {}: {}", job.id, e.what());
    }
  }
  if (!t.loaded) {
    t.loaded = true;
    if (db) {
      try {
        t.last_seq = store::job_event_repo::last_seq(*db, job.id);
      } catch (const std::exception& e) {
        spdlog::error("jobs: reading the last event of job {} failed: {}", job.id, e.what());
      }
    }
  }
  JobEvent ev;
  ev.type = type;
  ev.job = job;
  ev.seq = ++t.last_seq;
  nlohmann::json body{{"type", ev.type}, {"seq", ev.seq}, {"job", job_json(job)}};
  if (chunk) body["chunk"] = *chunk;
  ev.text = std::make_shared<const std::string>(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  if (db) {
    try {
      store::job_event_repo::append(*db, job.id, ev.seq, ev.type, *ev.text, now_ms());
    } catch (const std::exception& e) {
      spdlog::error("jobs: event {} of job {} not stored: {}", ev.seq, job.id, e.what());
    }
  }
  bus_.publish(ev);
}

void EventLog::state(const store::JobRecord& job) {
  auto t = topic(job.id);
  {
    std::lock_guard lock(t->mu);
    if (t->pending) {
      auto pending = std::move(*t->pending);
      t->pending.reset();
      emit_locked(*t, "job.progress", pending);
    }
    emit_locked(*t, "job.state", job);
    t->done = is_final(job.state);  // a job requeued by hand publishes again
    if (t->done) t->done_at = std::chrono::steady_clock::now();
  }
}

void EventLog::chunk(const store::JobRecord& job, const nlohmann::json& chunk) {
  auto t = topic(job.id);
  std::lock_guard lock(t->mu);
  if (t->done) return;
  if (t->pending) {
    auto pending = std::move(*t->pending);
    t->pending.reset();
    emit_locked(*t, "job.progress", pending);
  }
  emit_locked(*t, "job.chunk", job, &chunk);
}

void EventLog::progress(const store::JobRecord& job) {
  auto t = topic(job.id);
  std::lock_guard lock(t->mu);
  if (t->done) return;  // after the final state: never overtakes it
  auto now = std::chrono::steady_clock::now();
  if (t->last_progress == std::chrono::steady_clock::time_point{} || now - t->last_progress >= interval_) {
    t->pending.reset();
    t->last_progress = now;
    emit_locked(*t, "job.progress", job);
  } else {
    t->pending = job;  // latest wins
  }
}

void EventLog::flush_due() {
  std::vector<std::shared_ptr<Topic>> all;
  {
    std::lock_guard lock(mu_);
    all.reserve(topics_.size());
    for (auto& [id, t] : topics_) all.push_back(t);
  }
  auto now = std::chrono::steady_clock::now();
  bool forget = false;
  for (auto& t : all) {
    std::lock_guard lock(t->mu);
    if (t->done) forget |= now - t->done_at >= kForgetAfter;
    if (t->done || !t->pending || now - t->last_progress < interval_) continue;
    auto pending = std::move(*t->pending);
    t->pending.reset();
    t->last_progress = now;
    emit_locked(*t, "job.progress", pending);
  }
  if (!forget) return;
  std::lock_guard lock(mu_);
  for (auto it = topics_.begin(); it != topics_.end();) {
    std::unique_lock topic_lock(it->second->mu, std::try_to_lock);
    if (topic_lock && it->second->done && now - it->second->done_at >= kForgetAfter) {
      topic_lock.unlock();
      it = topics_.erase(it);
    } else {
      ++it;
    }
  }
}

void EventLog::flusher() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, interval_ / 2 + std::chrono::microseconds(1));
    if (stop_) break;
    lock.unlock();
    try {
      flush_due();
    } catch (const std::exception& e) {
      spdlog::error("jobs: flushing progress events failed: {}", e.what());
    }
    lock.lock();
  }
}

std::vector<store::StoredJobEvent> EventLog::replay(const std::string& tenant_id, const std::string& job_id,
                                                    std::int64_t from_seq, int limit) {
  if (!dbs_) return {};
  return store::job_event_repo::replay(dbs_->get(tenant_id), job_id, from_seq, limit);
}

}  // namespace cadenza::jobs

#pragma once
// EventLog: the one way job events come to be. Each job is a topic with its own sequence:
//
//   state(job) / progress(job) -> [progress: coalesced] -> seq = last + 1 -> serialised once into
//   JobEvent::text -> appended to the tenant's job_events table -> EventBus::publish
//
// all under the topic's lock, so a job's events are numbered, stored and published in one order, and a
// client that reconnects can be replayed from the table exactly what it missed (store/job_event_repo.hpp).
//
// Coalescing: progress events of a job go out at most `progress_per_s` times a second. A report that comes
// sooner is kept as the job's pending progress (a newer one replaces it: latest wins) and goes out when its
// turn comes (a flusher thread), or just before the job's next state event, which it never overtakes.
// State events (queued/running/succeeded/failed/cancelled) are never coalesced or dropped. So a job that
// reports progress 10,000 times a second costs its listeners progress_per_s events a second.
//
// Thread-safe. After a final state, progress reports of the job are dropped (nothing follows the final
// state); the topic is forgotten kForgetAfter later (its seq comes back from the table if the job ever
// publishes again). A failed write to the table is logged; the event is still published.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cadenza/jobs/event_bus.hpp"
#include "cadenza/store/job_event_repo.hpp"
#include "cadenza/store/job_repo.hpp"

namespace cadenza::store {
class TenantDbs;
}

namespace cadenza::jobs {

class EventLog {
 public:
  static constexpr std::chrono::seconds kForgetAfter{60};

  // dbs null: events are numbered and published but not stored (unit tests).
  EventLog(store::TenantDbs* dbs, EventBus& bus, int progress_per_s);
  ~EventLog();
  EventLog(const EventLog&) = delete;
  EventLog& operator=(const EventLog&) = delete;

  // A state change (job.state is the new state): the job's pending progress goes out first, then this.
  void state(const store::JobRecord& job);
  // A piece of a job's stream was stored (a generation's audio chunk): "job.chunk", with `chunk` (its seq in
  // the stream, its duration ...) beside the job in the event. Never coalesced or dropped, like state events;
  // the job's pending progress goes out first. Dropped after the job's final state.
  void chunk(const store::JobRecord& job, const nlohmann::json& chunk);
  // A progress report: out now when the job's last progress event is at least 1/progress_per_s old, else
  // kept as the job's pending progress (latest wins).
  void progress(const store::JobRecord& job);
  // Sends every pending progress event whose turn has come (the flusher calls it; tests may too).
  void flush_due();

  // What a client that saw events up to from_seq missed (job_event_repo::replay: superseded progress left out).
  std::vector<store::StoredJobEvent> replay(const std::string& tenant_id, const std::string& job_id,
                                            std::int64_t from_seq, int limit);
  std::chrono::microseconds progress_interval() const { return interval_; }
  // Jobs with events and no final state yet.
  std::size_t topics() const;

 private:
  struct Topic {
    std::mutex mu;
    bool loaded = false;
    std::int64_t last_seq = 0;
    std::optional<store::JobRecord> pending;  // the newest progress not sent yet
    std::chrono::steady_clock::time_point last_progress{};
    bool done = false;  // a final state went out: progress is dropped, the topic forgotten later
    std::chrono::steady_clock::time_point done_at{};
  };
  std::shared_ptr<Topic> topic(const std::string& job_id);
  void emit_locked(Topic& t, const char* type, const store::JobRecord& job, const nlohmann::json* chunk = nullptr);
  void flusher();

  store::TenantDbs* dbs_;
  EventBus& bus_;
  std::chrono::microseconds interval_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Topic>> topics_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread flusher_;
};

}  // namespace cadenza::jobs

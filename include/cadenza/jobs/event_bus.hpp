#pragma once
// EventBus: job progress and state changes fanned out to subscribers (the http module's WebSocket
// sessions). Thread-safe. Handlers run on the publishing thread (often a worker) and MUST NOT block:
// queue the event and return. A handler that throws is logged and skipped; publishing never throws.
//
// publish() works on a snapshot of the subscriber list taken without holding a lock while handlers
// run, so handlers may subscribe/unsubscribe, and many threads may publish at once. A handler may
// still be running (on another thread) for a moment after unsubscribe() returns.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "cadenza/store/job_repo.hpp"

namespace cadenza::jobs {

struct JobEvent {
  std::string type;       // "job.state" (queued/running/succeeded/failed/cancelled), "job.progress" or "job.chunk"
  store::JobRecord job;   // full snapshot after the change
  std::int64_t seq = 0;   // per job, from 1, no gaps (EventLog); 0 for events not from an EventLog
  // The event as sent to clients ({"type","seq","job"}), serialised once by EventLog and shared by every
  // session that sends it; null for events not from an EventLog.
  std::shared_ptr<const std::string> text;
};

class EventBus {
 public:
  using Handler = std::function<void(const JobEvent&)>;

  std::uint64_t subscribe(Handler handler);
  void unsubscribe(std::uint64_t id);
  void publish(const JobEvent& event);
  std::size_t subscriber_count() const;

 private:
  using List = std::vector<std::pair<std::uint64_t, std::shared_ptr<const Handler>>>;
  mutable std::mutex mutex_;
  std::shared_ptr<const List> subscribers_ = std::make_shared<const List>();
  std::uint64_t next_id_ = 1;
};

}  // namespace cadenza::jobs

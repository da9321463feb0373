#pragma once
// The durable log of job events (table `job_events`, tenant migration 0004): what a WebSocket client that
// reconnects is replayed from. Rows are written by jobs::EventLog, one per published event.
#include <cstdint>
#include <string>
#include <vector>

#include "cadenza/store/db.hpp"

namespace cadenza::store {

struct StoredJobEvent {
  std::int64_t seq = 0;
  std::string type;  // "job.state" | "job.progress" | "job.chunk"
  std::string text;  // the event as sent
};

namespace job_event_repo {

// Throws Error(Conflict) when (job_id, seq) exists, and what SQLite throws (the job must exist).
void append(Database& db, const std::string& job_id, std::int64_t seq, const std::string& type,
            const std::string& text, std::int64_t now);
// The job's highest seq, 0 when it has none.
std::int64_t last_seq(Database& db, const std::string& job_id);
// The events after from_seq, in order, with superseded progress left out: a progress event is skipped when
// the job's next event is a progress event too (latest wins). State and chunk events are always there, and so
// is the last event. At most `limit` rows.
std::vector<StoredJobEvent> replay(Database& db, const std::string& job_id, std::int64_t from_seq, int limit);
// Every event after from_seq, none left out (tests, diagnostics).
std::vector<StoredJobEvent> all_after(Database& db, const std::string& job_id, std::int64_t from_seq);

}  // namespace job_event_repo
}  // namespace cadenza::store

#pragma once
// Durable job rows in a tenant database (table `jobs`, created by tenant migration 0001).
// Every function runs in its own transaction unless called inside Database::write(), whose
// transaction it then joins.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cadenza/store/db.hpp"

namespace cadenza::store {

enum class JobState { Queued, Running, Succeeded, Failed, Cancelled };
// "queued" | "running" | "succeeded" | "failed" | "cancelled"
const char* to_string(JobState state);
std::optional<JobState> parse_job_state(std::string_view text);

// Why a job failed: the kind of the Error its handler threw ("bad_request", "unprocessable", "internal", ...,
// core/error.hpp), its message, and the fields it named ({"payload.steps": "why"}). Empty message = none.
struct JobError {
  std::string kind;
  std::string message;
  nlohmann::json fields = nlohmann::json::object();
  bool empty() const { return message.empty(); }
};

struct JobRecord {
  std::string id, tenant_id, owner_id, kind;
  int priority = 0;
  JobState state = JobState::Queued;
  double progress = 0;
  std::string stage;
  int attempts = 0;
  JobError error;
  nlohmann::json payload = nlohmann::json::object(), result;
  std::int64_t created_at = 0, updated_at = 0, started_at = 0, finished_at = 0;  // epoch ms, 0 = not yet
};

namespace job_repo {

// Throws Error(Conflict) when the id exists.
void insert(Database& db, const JobRecord& job);
std::optional<JobRecord> find(Database& db, const std::string& id);
// Newest first. owner_id "" = all owners; state nullopt = all states.
std::vector<JobRecord> list(Database& db, const std::string& owner_id, std::optional<JobState> state, int limit,
                            int offset);
// Queued and running jobs, oldest first.
std::vector<JobRecord> unfinished(Database& db);
// One owner's jobs of one kind that finished at or after since_ms (epoch ms), oldest first, at most limit.
std::vector<JobRecord> finished_since(Database& db, const std::string& owner_id, const std::string& kind,
                                      std::int64_t since_ms, int limit);
// state=running, attempts+1, started_at=now. The update functions throw Error(NotFound) for an unknown id.
void mark_running(Database& db, const std::string& id, std::int64_t now);
void update_progress(Database& db, const std::string& id, double progress, const std::string& stage,
                     std::int64_t now);
// A running job's result so far (what it has already made, e.g. a conversion's first files); finish()
// replaces it (a job that fails or is cancelled is finished with it, so what it made is still known).
// Ignored unless the job is running.
void set_partial_result(Database& db, const std::string& id, const nlohmann::json& result, std::int64_t now);
// final_state is Succeeded, Failed or Cancelled (else Error(BadRequest)); sets finished_at=now, and
// progress=1 for Succeeded.
void finish(Database& db, const std::string& id, JobState final_state, const nlohmann::json& result,
            const JobError& error, std::int64_t now);
// Back to queued (interrupted): progress 0, stage "", started_at 0; attempts are kept.
void requeue(Database& db, const std::string& id, std::int64_t now);
// Queued jobs of one owner ("" = all owners).
std::int64_t count_queued(Database& db, const std::string& owner_id);
// "queued" -> n ... (every state present, zero when none).
std::map<std::string, std::int64_t> count_by_state(Database& db);

}  // namespace job_repo
}  // namespace cadenza::store

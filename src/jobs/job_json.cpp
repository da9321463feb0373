#include "cadenza/jobs/job_json.hpp"

#include "cadenza/core/clock.hpp"

namespace cadenza::jobs {
namespace {
nlohmann::json time_or_null(std::int64_t ms) { return ms > 0 ? nlohmann::json(iso8601(ms)) : nlohmann::json(nullptr); }
}  // namespace

nlohmann::json job_json(const store::JobRecord& j) {
  return {{"id", j.id},
          {"kind", j.kind},
          {"state", store::to_string(j.state)},
          {"priority", j.priority},
          {"progress", j.progress},
          {"stage", j.stage},
          {"attempts", j.attempts},
          {"error", j.error.empty() ? nlohmann::json(nullptr)
                                    : nlohmann::json{{"kind", j.error.kind.empty() ? "internal" : j.error.kind},
                                                     {"message", j.error.message},
                                                     {"fields", j.error.fields}}},
          {"payload", j.payload},
          {"result", j.result},
          {"ownerId", j.owner_id},
          {"createdAt", time_or_null(j.created_at)},
          {"updatedAt", time_or_null(j.updated_at)},
          {"startedAt", time_or_null(j.started_at)},
          {"finishedAt", time_or_null(j.finished_at)}};
}

}  // namespace cadenza::jobs

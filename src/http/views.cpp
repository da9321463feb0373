#include "cadenza/http/views.hpp"

#include "cadenza/core/clock.hpp"

namespace cadenza::http {
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
          {"error", j.error.empty() ? nlohmann::json(nullptr) : nlohmann::json(j.error)},
          {"payload", j.payload},
          {"result", j.result},
          {"ownerId", j.owner_id},
          {"createdAt", time_or_null(j.created_at)},
          {"updatedAt", time_or_null(j.updated_at)},
          {"startedAt", time_or_null(j.started_at)},
          {"finishedAt", time_or_null(j.finished_at)}};
}

nlohmann::json account_json(const store::Account& a) {
  return {{"id", a.id},          {"username", a.username},   {"firstName", a.first_name},
          {"lastName", a.last_name}, {"email", a.email},     {"phoneNumber", a.phone},
          {"role", a.role},      {"createdAt", time_or_null(a.created_at)}, {"updatedAt", time_or_null(a.updated_at)}};
}

}  // namespace cadenza::http

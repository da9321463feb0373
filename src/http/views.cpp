#include "cadenza/http/views.hpp"

#include "cadenza/core/clock.hpp"
#include "cadenza/jobs/job_json.hpp"
#include "cadenza/recommend/tune_plan.hpp"
#include "cadenza/recommend/variable_catalog.hpp"

namespace cadenza::http {
namespace {
nlohmann::json time_or_null(std::int64_t ms) { return ms > 0 ? nlohmann::json(iso8601(ms)) : nlohmann::json(nullptr); }
}  // namespace

nlohmann::json job_json(const store::JobRecord& j) { return jobs::job_json(j); }

nlohmann::json account_json(const store::Account& a) {
  return {{"id", a.id},          {"username", a.username},   {"firstName", a.first_name},
          {"lastName", a.last_name}, {"email", a.email},     {"phoneNumber", a.phone},
          {"role", a.role},      {"createdAt", time_or_null(a.created_at)}, {"updatedAt", time_or_null(a.updated_at)}};
}

nlohmann::json preference_json(const store::Preference& p) {
  return {{"id", p.id},         {"profileId", p.profile_id}, {"type", p.type},
          {"value", p.value},   {"weight", p.weight},        {"rank", p.rank},
          {"createdAt", time_or_null(p.created_at)}, {"updatedAt", time_or_null(p.updated_at)}};
}

nlohmann::json tune_vector_json(const store::TuneVectorRecord& t) {
  return {{"id", t.id},
          {"profileId", t.profile_id},
          {"name", t.name},
          {"mode", t.mode},
          {"preset", t.preset ? nlohmann::json(*t.preset) : nlohmann::json(nullptr)},
          {"durationMinutes", recommend::duration_minutes(t.waypoints)},
          {"waypoints", t.waypoints},
          {"genres", t.genres},
          {"position", t.position},
          {"tracks", nlohmann::json::array()},  // planned by the recommendation engine
          {"createdAt", time_or_null(t.created_at)},
          {"updatedAt", time_or_null(t.updated_at)}};
}

nlohmann::json variable_json(const store::Variable& v) {
  const auto* spec = recommend::find_variable(v.name);
  return {{"id", v.id},
          {"profileId", v.profile_id},
          {"name", v.name},
          {"optedIn", v.opted_in},
          {"unit", spec ? std::string(spec->unit) : std::string()},
          {"readingCount", v.reading_count},
          {"createdAt", time_or_null(v.created_at)},
          {"updatedAt", time_or_null(v.updated_at)}};
}

nlohmann::json track_json(const store::Track& t) {
  auto opt = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  return {{"id", t.id},
          {"title", t.title},
          {"artist", t.artist},
          {"album", opt(t.album)},
          {"durationMs", t.duration_ms > 0 ? nlohmann::json(t.duration_ms) : nlohmann::json(nullptr)},
          {"year", opt(t.year)},
          {"genres", t.genres},
          {"features",
           {{"energy", t.energy},
            {"tempo", t.tempo},
            {"valence", t.valence},
            {"acousticness", t.acousticness},
            {"density", t.density}}},
          {"bpm", opt(t.bpm)},
          {"streamUrl", t.audio_path ? nlohmann::json("/api/tracks/" + t.id + "/stream") : nlohmann::json(nullptr)},
          {"source", t.source},
          {"createdAt", time_or_null(t.created_at)},
          {"updatedAt", time_or_null(t.updated_at)}};
}

}  // namespace cadenza::http

// Recommendations: GET /api/profiles/{id}/recommendations (recommend/recommender.hpp: tracks of the library
// with a score and reasons), and the tenant's models: POST /api/admin/models/train (a train_recommender job,
// pipeline/train_recommender_job.hpp) and GET /api/admin/models (versions with their metrics). Requests use
// the model in use at that moment and never wait for a training.
#include <cmath>
#include <map>
#include <set>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/jobs/job_json.hpp"
#include "cadenza/pipeline/train_recommender_job.hpp"
#include "cadenza/recommend/planner.hpp"
#include "cadenza/recommend/recommender.hpp"
#include "cadenza/store/listen_repo.hpp"
#include "cadenza/store/preference_repo.hpp"
#include "cadenza/store/recommender_model_repo.hpp"
#include "cadenza/store/variable_repo.hpp"
#include "json_fields.hpp"
#include "profile_scope.hpp"

namespace cadenza::http {
namespace {
using detail::profile_id;
using detail::tenant_db;

constexpr std::int64_t kFreshReadingMs = 15 * 60 * 1000;  // a reading older than this says nothing of now
constexpr const char* kContextVariables[] = {"time_of_day", "heart_rate", "ambient_noise"};

// The latest fresh reading of each context variable the profile opted in to.
std::map<std::string, double> fresh_readings(store::Database& db, const std::string& pid, std::int64_t now) {
  std::map<std::string, double> out;
  for (const auto& var : store::variable_repo::list(db, pid)) {
    if (!var.opted_in) continue;
    bool used = false;
    for (const char* name : kContextVariables) used |= var.name == name;
    if (!used) continue;
    auto latest = store::variable_repo::readings(db, var.id, 1);
    if (latest.empty() || now - latest[0].recorded_at > kFreshReadingMs || !latest[0].value.is_number()) continue;
    out[var.name] = latest[0].value.get<double>();
  }
  return out;
}

nlohmann::json model_json(const recommend::InstalledModel& m) {
  if (!m.model) return nullptr;
  return {{"version", m.version}, {"trainedAt", iso8601(m.trained_at)}};
}

Response recommendations(App& app, Request& req) {
  auto pid = profile_id(app, req);
  Validation v;
  static const std::set<std::string> known = {"limit", "genre", "context"};
  for (const auto& [name, _] : req.query)
    if (!known.count(name)) v.fail(name, "unknown query parameter");
  v.throw_if_failed();
  recommend::RecommendQuery q;
  q.limit = static_cast<int>(detail::query_int(req.query_param("limit"), "limit", 20, 1, recommend::kMaxRecommendations));
  q.genre = req.query_param("genre").value_or("");
  q.context = req.query_param("context").value_or("auto");

  auto& db = tenant_db(app, req);
  const auto catalog = app.catalogs.get(db);
  recommend::ProfileSignals signals;
  signals.now_ms = now_ms();
  signals.preferences = store::preference_repo::list(db, pid);
  signals.learned = store::preference_repo::list_learned(db, pid);
  signals.plays = store::listen_repo::track_stats(db, pid);
  signals.readings = fresh_readings(db, pid, signals.now_ms);
  const auto model = app.models.current(req.who().tenant_id, db);
  std::vector<float> collab, popularity;
  if (model.model) {
    collab = model.model->scores(*catalog, signals.plays);
    popularity = model.model->popularity(*catalog);
  }
  const auto result = recommend::recommend_tracks(*catalog, signals, collab, popularity, q);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& r : result.items) {
    const auto i = r.track;
    nlohmann::json genres = nlohmann::json::array();
    for (auto g : catalog->genres(i)) genres.push_back(catalog->genre_name(g));
    items.push_back({{"track",
                      {{"id", catalog->id(i)},
                       {"title", catalog->title(i)},
                       {"artist", catalog->artist_name_of(i)},
                       {"genres", std::move(genres)},
                       {"features", recommend::features_json(catalog->features(i))},
                       {"bpm", std::isnan(catalog->bpm(i)) ? nlohmann::json(nullptr) : nlohmann::json(catalog->bpm(i))},
                       {"durationMs", catalog->duration_ms(i) > 0 ? nlohmann::json(catalog->duration_ms(i)) : nlohmann::json(nullptr)}}},
                     {"score", std::round(r.score * 10000) / 10000},
                     {"reasons", r.reasons}});
  }
  return Response::json(200, {{"items", std::move(items)}, {"model", model_json(model)}, {"context", result.context}});
}

void require_admin(const Request& req) {
  if (!req.who().is_admin()) throw Error(ErrorKind::Forbidden, "Only the tenant's admins may manage its models");
}

Response train(App& app, Request& req) {
  require_admin(req);
  const auto& who = req.who();
  auto job = app.jobs.submit(who.tenant_id, who.account_id, pipeline::kTrainRecommenderKind, 0, nlohmann::json::object());
  return Response::json(202, {{"job", jobs::job_json(job)}}).header("Location", "/api/jobs/" + job.id);
}

Response list_models(App& app, Request& req) {
  require_admin(req);
  auto& db = tenant_db(app, req);
  const auto current = app.models.current(req.who().tenant_id, db);
  nlohmann::json items = nlohmann::json::array();
  for (const auto& m : store::recommender_model_repo::list(db)) {
    items.push_back({{"version", m.version},
                     {"trainedAt", iso8601(m.trained_at)},
                     {"jobId", m.job_id ? nlohmann::json(*m.job_id) : nlohmann::json(nullptr)},
                     {"metrics", m.metrics},
                     {"inUse", current.model && current.version == m.version}});
  }
  return Response::json(200, {{"models", std::move(items)}});
}

}  // namespace

void add_recommendation_routes(App& app) {
  auto& r = app.router;
  r.add("GET", "/api/profiles/{id}/recommendations", [&app](Request& req) { return recommendations(app, req); });
  r.add("POST", "/api/admin/models/train", [&app](Request& req) { return train(app, req); });
  r.add("GET", "/api/admin/models", [&app](Request& req) { return list_models(app, req); });
}

}  // namespace cadenza::http

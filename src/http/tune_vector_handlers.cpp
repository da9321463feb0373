// Tune vectors: /api/profiles/{id}/tune-vectors[/{tuneVectorId}] — plans over time through the feature space.
#include "cadenza/core/error.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/http/views.hpp"
#include "cadenza/recommend/tune_plan.hpp"
#include "cadenza/store/tune_vector_repo.hpp"
#include "json_fields.hpp"
#include "profile_scope.hpp"

namespace cadenza::http {
namespace {
using detail::profile_id;
using detail::string_field;
using detail::tenant_db;

// Reads name, mode, waypoints-or-preset and genres from a POST body or a patched view into t, and checks that
// they make one consistent plan.
void read_plan(const nlohmann::json& j, store::TuneVectorRecord& t, Validation& v, bool creating) {
  auto name = string_field(j, "name", v, true, 100);
  if (name && name->empty()) v.fail("name", "must not be empty");
  auto mode = string_field(j, "mode", v, false, 16).value_or("adaptive");
  if (mode != "guided" && mode != "adaptive") v.fail("mode", "must be guided or adaptive");
  bool has_waypoints = j.contains("waypoints") && !j["waypoints"].is_null();
  nlohmann::json waypoints;
  std::optional<std::string> preset;
  if (creating && j.contains("preset") && !j["preset"].is_null()) {
    preset = string_field(j, "preset", v, false, 16);
    auto duration = detail::number_field(j, "durationMinutes", v, 1, recommend::kMaxPlanMinutes);
    if (!j.contains("durationMinutes") || j["durationMinutes"].is_null())
      v.fail("durationMinutes", "is required with a preset");
    if (preset && duration) {
      if (auto w = recommend::preset_waypoints(*preset, *duration)) waypoints = *w;
      else v.fail("preset", "must be ascent or descent");
    }
    if (has_waypoints && v.ok())
      throw Error(ErrorKind::Unprocessable, "Give either waypoints or a preset, not both",
                  {{"waypoints", "not allowed together with preset"}});
  } else if (has_waypoints) {
    waypoints = j["waypoints"];
    if (creating && j.contains("durationMinutes"))
      v.fail("durationMinutes", "only with a preset (the last waypoint sets the duration)");
  } else {
    v.fail("waypoints", "waypoints or preset is required");
  }
  nlohmann::json genres = nlohmann::json::array();
  bool has_genres = j.contains("genres") && !j["genres"].is_null() && !(j["genres"].is_array() && j["genres"].empty());
  if (has_genres) recommend::check_genres(j["genres"], v);
  if (v.ok() && !waypoints.is_null() && !preset) recommend::check_waypoints(waypoints, v);
  v.throw_if_failed();
  if (has_genres) genres = j["genres"];
  recommend::check_genres_fit(mode, genres, recommend::duration_minutes(waypoints));
  t.name = *name;
  t.mode = mode;
  if (creating) t.preset = preset;
  t.waypoints = std::move(waypoints);
  t.genres = std::move(genres);
}

nlohmann::json ref(const char* name) { return {{"$ref", std::string("#/components/schemas/") + name}}; }

// Waypoints, targets and genre spans are checked in depth by recommend/tune_plan (read_plan).
const schema::Body kCreate{"TuneVectorCreate", schema::object({
    {"name", schema::string(100, 1), schema::Required},
    {"mode", schema::with(schema::enumeration({"guided", "adaptive"}), "default", "adaptive")},
    {"waypoints", schema::array(ref("Waypoint"), 2, 100)},
    {"preset", schema::enumeration({"ascent", "descent"})},
    {"durationMinutes", schema::number(1, recommend::kMaxPlanMinutes)},
    {"genres", schema::array(ref("GenreSpan"), 0, 50)},
})};

const schema::Body kPatch{"TuneVectorPatch", [] {
  auto s = schema::object({
      {"name", schema::string(100, 1)},
      {"mode", schema::enumeration({"guided", "adaptive"})},
      {"waypoints", schema::array(ref("Waypoint"), 2, 100)},
      {"genres", schema::array(ref("GenreSpan"), 0, 50)},
      {"position", schema::integer(INT32_MIN, INT32_MAX)},
      {"target", ref("TuneTarget")},
      {"durationMinutes", schema::number(1, recommend::kMaxPlanMinutes)},
  });
  for (const char* key : {"id", "profileId", "preset", "createdAt", "updatedAt"})
    s["properties"][key] = schema::with(schema::nullable(schema::string(64)), "readOnly", true);
  s["properties"]["tracks"] = schema::with(schema::any(), "readOnly", true);
  return s;
}()};

store::TuneVectorRecord require(App& app, Request& req, const std::string& pid) {
  const auto& id = req.params.at("tuneVectorId");
  auto t = store::tune_vector_repo::find(tenant_db(app, req), pid, id);
  if (!t) throw Error(ErrorKind::NotFound, "Tune vector " + id + " not found");
  return *t;
}

Response create(App& app, Request& req) {
  auto pid = profile_id(app, req);
  const auto& j = req.json();  // checked against kCreate
  Validation v;
  store::TuneVectorRecord t;
  t.profile_id = pid;
  read_plan(j, t, v, true);
  auto saved = store::tune_vector_repo::insert(tenant_db(app, req), std::move(t));
  return Response::json(201, tune_vector_json(saved))
      .header("Location", "/api/profiles/" + pid + "/tune-vectors/" + saved.id);
}

// Merge patch on {name, mode, waypoints, genres, position}, plus "target" (redirect: merged into the last
// waypoint) and "durationMinutes" (stretch: every minute scaled to the new duration).
Response patch(App& app, Request& req) {
  auto pid = profile_id(app, req);
  auto t = require(app, req, pid);
  auto current = tune_vector_json(t);
  auto body = req.json();
  if (body.contains("preset"))
    throw Error(ErrorKind::BadRequest, "Validation failed", {{"preset", "is read-only; send waypoints"}});
  auto merged = detail::apply_merge_patch(body, current, {"id", "profileId", "tracks", "createdAt", "updatedAt"},
                                          {"target"});
  Validation v;
  auto position = detail::int_field(merged, "position", v, INT32_MIN, INT32_MAX);
  if (!position) v.fail("position", "is required");
  bool new_waypoints = merged["waypoints"] != current["waypoints"];
  if (merged.contains("target") && !merged["target"].is_null()) {
    recommend::check_target(merged["target"], "target", v);
    if (new_waypoints) v.fail("target", "not allowed together with new waypoints");
  }
  // Stretching: only when the patch changes the duration (the current one may be under a minute).
  bool stretching = merged["durationMinutes"] != current["durationMinutes"];
  auto duration = stretching ? detail::number_field(merged, "durationMinutes", v, 1, recommend::kMaxPlanMinutes)
                             : std::nullopt;
  if (stretching && !duration && v.ok()) v.fail("durationMinutes", "is required");
  if (stretching && new_waypoints) v.fail("durationMinutes", "not allowed together with new waypoints");
  v.throw_if_failed();
  bool redirecting = merged.contains("target") && !merged["target"].is_null();
  if (redirecting) recommend::redirect(merged["waypoints"], merged["target"]);
  if (stretching) recommend::stretch(merged["waypoints"], merged["genres"], *duration);
  read_plan(merged, t, v, false);
  if (new_waypoints || redirecting) t.preset.reset();  // the plan is no longer the preset's
  t.position = *position;
  return Response::json(200, tune_vector_json(store::tune_vector_repo::update(tenant_db(app, req), t)));
}
}  // namespace

void add_tune_vector_routes(App& app) {
  auto& r = app.router;
  const std::string base = "/api/profiles/{id}/tune-vectors";
  r.add("GET", base, [&app](Request& req) {
    auto items = nlohmann::json::array();
    for (const auto& t : store::tune_vector_repo::list(tenant_db(app, req), profile_id(app, req)))
      items.push_back(tune_vector_json(t));
    auto n = items.size();
    return Response::json(200, {{"tuneVectors", std::move(items)}, {"count", n}});
  }, {.cache = true});
  r.add("POST", base, [&app](Request& req) { return create(app, req); }, {.body = &kCreate});
  r.add("GET", base + "/{tuneVectorId}", [&app](Request& req) {
    return Response::json(200, tune_vector_json(require(app, req, profile_id(app, req))));
  }, {.cache = true});
  r.add("PATCH", base + "/{tuneVectorId}", [&app](Request& req) { return patch(app, req); }, {.body = &kPatch});
  r.add("DELETE", base + "/{tuneVectorId}", [&app](Request& req) {
    auto pid = profile_id(app, req);
    store::tune_vector_repo::remove(tenant_db(app, req), pid, req.params.at("tuneVectorId"));
    return Response::empty(204);
  });
}

}  // namespace cadenza::http

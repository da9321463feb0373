// Tune vectors: /api/profiles/{id}/tune-vectors[/{tuneVectorId}[/next]] — plans over time through the feature
// space, and the tracks planned for them (recommend/planner, recommend/tune_session): planned when a tune
// vector is created or changed, planned again when read after the catalogue changed, and on each /next event.
#include <set>

#include "cadenza/core/error.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/http/views.hpp"
#include "cadenza/recommend/tune_plan.hpp"
#include "cadenza/recommend/tune_session.hpp"
#include "cadenza/store/preference_repo.hpp"
#include "cadenza/store/track_repo.hpp"
#include "cadenza/store/tune_vector_plan_repo.hpp"
#include "cadenza/store/tune_vector_repo.hpp"
#include "cadenza/store/variable_repo.hpp"
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
  s["properties"]["plan"] = schema::with(schema::any(), "readOnly", true);
  return s;
}()};

const schema::Body kNext{"TuneVectorNext", schema::object({
    {"playing", schema::string(64, 1), schema::Required},
    {"event", schema::enumeration({"played", "skipped"}), schema::Required},
    {"atSecond", schema::number(0, recommend::kMaxPlanMinutes * 60), schema::Required},
    {"readings", schema::any()},
})};

nlohmann::json tune_of(const store::TuneVectorRecord& t) {
  return {{"mode", t.mode}, {"waypoints", t.waypoints}, {"genres", t.genres}};
}

std::set<std::string> opted_in(store::Database& db, const std::string& pid) {
  std::set<std::string> out;
  for (const auto& v : store::variable_repo::list(db, pid))
    if (v.opted_in) out.insert(v.name);
  return out;
}

// The tune vector's view with its planned tracks and the plan's summary (reason and warnings when there are).
nlohmann::json planned_json(const store::TuneVectorRecord& t, const nlohmann::json& plan) {
  auto j = tune_vector_json(t);
  j["tracks"] = plan.contains("tracks") && plan["tracks"].is_array() ? plan["tracks"] : nlohmann::json::array();
  nlohmann::json info = nlohmann::json::object();
  for (const char* key : {"summary", "reason", "warnings"})
    if (plan.contains(key)) info[key] = plan[key];
  j["plan"] = std::move(info);
  return j;
}

// What the preferences were when a plan was made (kept in the session state): a plan is made again when
// they changed since.
std::string fingerprint(const std::vector<store::Preference>& prefs) {
  auto j = nlohmann::json::array();
  for (const auto& p : prefs) j.push_back({p.type, p.value, p.weight, p.rank});
  return std::to_string(fast_hash64(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
}

// What the planner weighs: the profile's ranked preferences, then those learned from its listening (written by
// the train_recommender job; never shown by the preferences API).
std::vector<store::Preference> planning_preferences(store::Database& db, const std::string& pid) {
  auto prefs = store::preference_repo::list(db, pid);
  auto learned = store::preference_repo::list_learned(db, pid);
  prefs.insert(prefs.end(), std::make_move_iterator(learned.begin()), std::make_move_iterator(learned.end()));
  return prefs;
}

void store_plan(store::Database& db, const std::string& pid, const store::TuneVectorRecord& t, const recommend::Catalog& c,
                const std::vector<store::Preference>& prefs, recommend::SessionResult& r) {
  r.state["preferences"] = fingerprint(prefs);
  store::tune_vector_plan_repo::put(db, pid, {t.id, c.version(), r.plan, r.state});
}

// Plans the tune vector from the start (a new or changed one) and stores the plan.
nlohmann::json plan_fresh(App& app, store::Database& db, const std::string& pid, const store::TuneVectorRecord& t) {
  auto catalog = app.catalogs.get(db);
  auto prefs = planning_preferences(db, pid);
  auto tune = tune_of(t);
  auto r = recommend::fresh_plan({*catalog, tune, prefs, {}});
  store_plan(db, pid, t, *catalog, prefs, r);
  return r.plan;
}

// The stored plan; planned again (the session going on) when the catalogue or the preferences changed since
// it was made.
nlohmann::json current_plan(App& app, store::Database& db, const std::string& pid, const store::TuneVectorRecord& t) {
  auto stored = store::tune_vector_plan_repo::find(db, t.id);
  if (!stored) return plan_fresh(app, db, pid, t);
  auto prefs = planning_preferences(db, pid);
  if (stored->catalog_version == store::track_repo::catalog_version(db) &&
      stored->state.value("preferences", std::string()) == fingerprint(prefs))
    return stored->plan;
  auto catalog = app.catalogs.get(db);
  auto tune = tune_of(t);
  auto r = recommend::replan({*catalog, tune, prefs, opted_in(db, pid)}, stored->plan, stored->state);
  store_plan(db, pid, t, *catalog, prefs, r);
  return r.plan;
}

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
  auto& db = tenant_db(app, req);
  auto saved = store::tune_vector_repo::insert(db, std::move(t));
  return Response::json(201, planned_json(saved, plan_fresh(app, db, pid, saved)))
      .header("Location", "/api/profiles/" + pid + "/tune-vectors/" + saved.id);
}

// Merge patch on {name, mode, waypoints, genres, position}, plus "target" (redirect: merged into the last
// waypoint) and "durationMinutes" (stretch: every minute scaled to the new duration).
Response patch(App& app, Request& req) {
  auto pid = profile_id(app, req);
  auto t = require(app, req, pid);
  auto& db = tenant_db(app, req);
  auto stored = store::tune_vector_plan_repo::find(db, t.id);
  auto current = planned_json(t, stored ? stored->plan : nlohmann::json::object());
  auto body = req.json();
  if (body.contains("preset"))
    throw Error(ErrorKind::BadRequest, "Validation failed", {{"preset", "is read-only; send waypoints"}});
  auto merged = detail::apply_merge_patch(body, current, {"id", "profileId", "tracks", "plan", "createdAt", "updatedAt"},
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
  auto saved = store::tune_vector_repo::update(db, t);
  // Any change plans afresh (a new session); a rename or a move keeps the plan.
  bool same_plan = stored && saved.mode == current["mode"] && saved.waypoints == current["waypoints"] &&
                   saved.genres == current["genres"];
  auto plan = same_plan ? current_plan(app, db, pid, saved) : plan_fresh(app, db, pid, saved);
  return Response::json(200, planned_json(saved, plan));
}

// POST .../next {playing, event, atSecond, readings?}: the next track and the rest planned again.
Response next_route(App& app, Request& req) {
  auto pid = profile_id(app, req);
  auto t = require(app, req, pid);
  const auto& j = req.json();  // checked against kNext
  auto& db = tenant_db(app, req);
  current_plan(app, db, pid, t);  // the catalogue's changes first
  auto stored = store::tune_vector_plan_repo::find(db, t.id);
  auto catalog = app.catalogs.get(db);
  auto prefs = planning_preferences(db, pid);
  auto tune = tune_of(t);
  recommend::SessionEvent e;
  e.playing = j.at("playing").get<std::string>();
  e.event = j.at("event").get<std::string>();
  e.at_second = j.at("atSecond").get<double>();
  if (j.contains("readings")) e.readings = j["readings"];
  auto r = recommend::next_track({*catalog, tune, prefs, opted_in(db, pid)}, stored ? stored->plan : nlohmann::json::object(),
                                 stored ? stored->state : nlohmann::json::object(), e);
  store_plan(db, pid, t, *catalog, prefs, r);
  auto view = planned_json(t, r.plan);
  return Response::json(200, {{"next", r.next}, {"reason", r.reason}, {"tracks", view["tracks"]}, {"plan", view["plan"]}});
}
}  // namespace

void add_tune_vector_routes(App& app) {
  auto& r = app.router;
  const std::string base = "/api/profiles/{id}/tune-vectors";
  r.add("GET", base, [&app](Request& req) {
    auto items = nlohmann::json::array();
    auto& db = tenant_db(app, req);
    auto pid = profile_id(app, req);
    auto plans = store::tune_vector_plan_repo::list(db, pid);  // as stored: GET one plans again when needed
    for (const auto& t : store::tune_vector_repo::list(db, pid)) {
      auto p = plans.find(t.id);
      items.push_back(planned_json(t, p == plans.end() ? nlohmann::json::object() : p->second.plan));
    }
    auto n = items.size();
    return Response::json(200, {{"tuneVectors", std::move(items)}, {"count", n}});
  }, {.cache = true});
  r.add("POST", base, [&app](Request& req) { return create(app, req); }, {.body = &kCreate});
  // Not cached: the tracks depend on the catalogue too (planned again when it changed).
  r.add("GET", base + "/{tuneVectorId}", [&app](Request& req) {
    auto pid = profile_id(app, req);
    auto t = require(app, req, pid);
    return Response::json(200, planned_json(t, current_plan(app, tenant_db(app, req), pid, t)));
  });
  r.add("POST", base + "/{tuneVectorId}/next", [&app](Request& req) { return next_route(app, req); }, {.body = &kNext});
  r.add("PATCH", base + "/{tuneVectorId}", [&app](Request& req) { return patch(app, req); }, {.body = &kPatch});
  r.add("DELETE", base + "/{tuneVectorId}", [&app](Request& req) {
    auto pid = profile_id(app, req);
    store::tune_vector_repo::remove(tenant_db(app, req), pid, req.params.at("tuneVectorId"));
    return Response::empty(204);
  });
}

}  // namespace cadenza::http

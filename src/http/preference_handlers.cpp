// Preferences: /api/profiles/{id}/preferences[/{preferenceId}] — ordered (rank 0 = favourite), dense ranks.
#include "cadenza/core/error.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/http/views.hpp"
#include "cadenza/store/preference_repo.hpp"
#include "json_fields.hpp"
#include "profile_scope.hpp"

namespace cadenza::http {
namespace {
using detail::profile_id;
using detail::tenant_db;

constexpr const char* kTypes[] = {"genre", "tempo", "instrument", "artist"};  // as in members()
constexpr const char* kTypeList = "must be one of genre, tempo, instrument, artist";

bool known_type(const std::string& t) {
  for (const char* k : kTypes)
    if (t == k) return true;
  return false;
}

// Checks a preference's value for its type: strings for genre/instrument/artist, a BPM range for tempo.
void check_value(const std::string& type, const nlohmann::json& value, Validation& v) {
  if (type == "tempo") {
    bool ok = value.is_object() && value.size() == 2;
    for (const char* k : {"minBpm", "maxBpm"}) {
      if (!ok || !value.contains(k)) break;
      const auto& x = value[k];
      if (!x.is_number() || x.get<double>() < 20 || x.get<double>() > 300) v.fail(std::string("value.") + k, "must be a number between 20 and 300");
    }
    if (!ok || !value.contains("minBpm") || !value.contains("maxBpm")) {
      v.fail("value", "must be an object {minBpm, maxBpm} for a tempo preference");
      return;
    }
    if (v.ok() && value["minBpm"].get<double>() > value["maxBpm"].get<double>())
      throw Error(ErrorKind::Unprocessable, "minBpm must not be greater than maxBpm", {{"value", "minBpm must not be greater than maxBpm"}});
    return;
  }
  std::size_t max = type == "artist" ? 128 : 64;
  if (!value.is_string() || value.get<std::string>().empty() || value.get<std::string>().size() > max)
    v.fail("value", "must be a non-empty string of at most " + std::to_string(max) + " characters");
}

nlohmann::json members(bool patch) {
  using namespace schema;
  auto type = enumeration({"genre", "tempo", "instrument", "artist"});
  nlohmann::json value = {{"$ref", "#/components/schemas/PreferenceValue"}};
  auto weight = with(number(0, 1), "default", 1);
  auto rank = with(integer(INT32_MIN, INT32_MAX), "description",
                   "0..n (422 otherwise); omitted = append; the ones at >= rank move down by one");
  if (!patch) return object({{"type", type, Required}, {"value", value, Required}, {"weight", weight}, {"rank", rank}});
  auto read_only = with(string(64), "readOnly", true);
  return object({{"type", type}, {"value", value}, {"weight", nullable(number(0, 1))}, {"rank", rank},
                 {"id", read_only}, {"profileId", read_only}, {"createdAt", read_only}, {"updatedAt", read_only}});
}

// A preference as created, and as a patched view is checked again.
const schema::Body kCreate{"PreferenceCreate", members(false), [](const nlohmann::json& j, Validation& v) {
  auto type = schema::text(j, "type", v);
  if (type && j.contains("value") && !v.has("value")) check_value(*type, j["value"], v);
}};
const schema::Body kPatch{"PreferencePatch", members(true)};

// {type, value, weight} of a checked body into p; the requested rank, if any.
std::optional<std::int64_t> read_fields(const nlohmann::json& j, store::Preference& p) {
  p.type = j.at("type").get<std::string>();
  p.value = j.at("value");
  p.weight = j.contains("weight") && !j["weight"].is_null() ? j["weight"].get<double>() : 1.0;
  if (j.contains("rank") && !j["rank"].is_null()) return j["rank"].get<std::int64_t>();
  return std::nullopt;
}

Response list(App& app, Request& req) {
  auto pid = profile_id(app, req);
  auto type = req.query_param("type").value_or("");
  if (!type.empty() && !known_type(type)) throw Error(ErrorKind::BadRequest, "Validation failed", {{"type", kTypeList}});
  auto items = nlohmann::json::array();
  for (const auto& p : store::preference_repo::list(tenant_db(app, req), pid, type)) items.push_back(preference_json(p));
  auto n = items.size();
  return Response::json(200, {{"preferences", std::move(items)}, {"count", n}});
}

store::Preference require(App& app, Request& req, const std::string& pid) {
  const auto& id = req.params.at("preferenceId");
  auto p = store::preference_repo::find(tenant_db(app, req), pid, id);
  if (!p) throw Error(ErrorKind::NotFound, "Preference " + id + " not found");
  return *p;
}

Response create(App& app, Request& req) {
  auto pid = profile_id(app, req);
  store::Preference p;
  p.profile_id = pid;
  auto rank = read_fields(req.json(), p);  // checked against kCreate
  auto saved = store::preference_repo::insert(tenant_db(app, req), std::move(p), rank);
  return Response::json(201, preference_json(saved))
      .header("Location", "/api/profiles/" + pid + "/preferences/" + saved.id);
}

Response patch(App& app, Request& req) {
  auto pid = profile_id(app, req);
  auto p = require(app, req, pid);
  auto merged = detail::apply_merge_patch(req.json(), preference_json(p), {"id", "profileId", "createdAt", "updatedAt"});
  for (const char* key : {"id", "profileId", "createdAt", "updatedAt"}) merged.erase(key);
  Validation v;
  if (merged.value("type", "") != p.type) {
    v.fail("type", "Type cannot change; delete the preference and create a new one");
    v.throw_if_failed();
  }
  if (!merged.contains("rank") || merged["rank"].is_null()) v.fail("rank", "is required");
  schema::validate(kCreate.schema, merged, v);
  kCreate.rules(merged, v);
  v.throw_if_failed();
  p.rank = *read_fields(merged, p);
  return Response::json(200, preference_json(store::preference_repo::update(tenant_db(app, req), p)));
}
}  // namespace

void add_preference_routes(App& app) {
  auto& r = app.router;
  const std::string base = "/api/profiles/{id}/preferences";
  r.add("GET", base, [&app](Request& req) { return list(app, req); }, {.cache = true});
  r.add("POST", base, [&app](Request& req) { return create(app, req); }, {.body = &kCreate});
  r.add("GET", base + "/{preferenceId}", [&app](Request& req) {
    return Response::json(200, preference_json(require(app, req, profile_id(app, req))));
  }, {.cache = true});
  r.add("PATCH", base + "/{preferenceId}", [&app](Request& req) { return patch(app, req); }, {.body = &kPatch});
  r.add("DELETE", base + "/{preferenceId}", [&app](Request& req) {
    auto pid = profile_id(app, req);
    store::preference_repo::remove(tenant_db(app, req), pid, req.params.at("preferenceId"));
    return Response::empty(204);
  });
}

}  // namespace cadenza::http

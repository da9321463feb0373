// Environment variables: /api/profiles/{id}/variables[/{variableId}[/readings]] — explicit opt-in per variable;
// readings only while opted in; opting out deletes them.
#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/http/views.hpp"
#include "cadenza/recommend/variable_catalog.hpp"
#include "cadenza/store/variable_repo.hpp"
#include "json_fields.hpp"
#include "profile_scope.hpp"

namespace cadenza::http {
namespace {
using detail::profile_id;
using detail::tenant_db;

constexpr std::size_t kMaxBatch = 1000;
constexpr std::int64_t kFutureSlackMs = 5 * 60 * 1000;

nlohmann::json variable_name() {
  auto names = nlohmann::json::array();
  for (const auto& spec : recommend::variable_catalog()) names.push_back(std::string(spec.name));
  return {{"type", "string"}, {"enum", names}};
}

const schema::Body kCreate{"VariableCreate", schema::object({{"name", variable_name(), schema::Required}})};

const schema::Body kPatch{"VariablePatch", [] {
  auto s = schema::object({{"optedIn", schema::boolean()}, {"name", variable_name()}});
  for (const char* key : {"id", "profileId", "unit", "createdAt", "updatedAt"})
    s["properties"][key] = schema::with(schema::string(64), "readOnly", true);
  s["properties"]["readingCount"] = schema::with(schema::integer(0, INT64_MAX), "readOnly", true);
  return s;
}()};

// One reading, or a batch of them; values and units are checked against the variable (read_reading).
nlohmann::json reading_members(bool in_batch) {
  using namespace schema;
  return object({{"value", {{"$ref", "#/components/schemas/ReadingValue"}}, in_batch ? Required : Optional},
                 {"unit", string(16)},
                 {"recordedAt", with(string(64), "format", "date-time")}});
}
const schema::Body kReadings{"NewReadings", [] {
  auto s = reading_members(false);
  s["properties"]["readings"] = schema::array(reading_members(true), 1, kMaxBatch);
  return s;
}()};

store::Variable require(App& app, Request& req, const std::string& pid) {
  const auto& id = req.params.at("variableId");
  auto v = store::variable_repo::find(tenant_db(app, req), pid, id);
  if (!v) throw Error(ErrorKind::NotFound, "Variable " + id + " not found");
  return *v;
}

// One reading {value, unit?, recordedAt?}; problems go to v under prefix ("" or "readings[3].").
std::optional<store::Reading> read_reading(const recommend::VariableSpec& spec, const nlohmann::json& j,
                                           const std::string& prefix, Validation& v, std::int64_t now,
                                           bool& in_future) {
  if (!j.is_object()) {
    v.fail(prefix.empty() ? "body" : prefix.substr(0, prefix.size() - 1), "must be an object {value, unit, recordedAt}");
    return std::nullopt;
  }
  for (const auto& [key, _] : j.items())
    if (key != "value" && key != "unit" && key != "recordedAt") v.fail(prefix + key, "unknown field");
  std::string unit(spec.unit);
  if (j.contains("unit") && !j["unit"].is_null()) {
    if (!j["unit"].is_string() || j["unit"].get<std::string>().size() > 16) {
      v.fail(prefix + "unit", "must be a string");
      return std::nullopt;
    }
    unit = j["unit"].get<std::string>();
  }
  std::int64_t at = now;
  if (j.contains("recordedAt") && !j["recordedAt"].is_null()) {
    auto parsed = j["recordedAt"].is_string() ? parse_iso8601(j["recordedAt"].get<std::string>()) : std::nullopt;
    if (!parsed) {
      v.fail(prefix + "recordedAt", "must be an ISO 8601 time with a zone, e.g. 2026-11-22T08:30:00Z");
      return std::nullopt;
    }
    at = *parsed;
    if (at > now + kFutureSlackMs) in_future = true;
  }
  if (!j.contains("value") || j["value"].is_null()) {
    v.fail(prefix + "value", "is required");
    return std::nullopt;
  }
  std::string why;
  auto value = recommend::canonical_value(spec, j["value"], unit, why);
  if (!value) {
    if (why.rfind("unit ", 0) == 0) v.fail(prefix + "unit", why.substr(5));
    else v.fail(prefix + "value", why);
    return std::nullopt;
  }
  return store::Reading{*value, std::string(spec.unit), at};
}

Response add_readings(App& app, Request& req) {
  auto pid = profile_id(app, req);
  auto var = require(app, req, pid);
  const auto* spec = recommend::find_variable(var.name);
  if (!spec) throw Error(ErrorKind::Internal, "variable " + var.name + " is not in the catalogue");
  const auto& j = req.json();
  Validation v;
  std::vector<store::Reading> readings;
  bool in_future = false;
  auto now = now_ms();
  if (j.contains("readings")) {
    const auto& list = j["readings"];
    if (j.size() != 1) v.fail("body", "a batch is {\"readings\": [...]} with no other members");
    if (!list.is_array() || list.empty() || list.size() > kMaxBatch) {
      v.fail("readings", "must be an array of 1 to " + std::to_string(kMaxBatch) + " readings");
    } else {
      for (std::size_t i = 0; i < list.size(); ++i)
        if (auto r = read_reading(*spec, list[i], "readings[" + std::to_string(i) + "].", v, now, in_future))
          readings.push_back(std::move(*r));
    }
  } else if (auto r = read_reading(*spec, j, "", v, now, in_future)) {
    readings.push_back(std::move(*r));
  }
  v.throw_if_failed();
  if (in_future)
    throw Error(ErrorKind::Unprocessable, "A reading's recordedAt is more than 5 minutes in the future",
                {{"recordedAt", "must not be in the future"}});
  store::variable_repo::add_readings(tenant_db(app, req), pid, var.id, readings);
  return Response::json(201, {{"accepted", readings.size()}});
}
}  // namespace

void add_variable_routes(App& app) {
  auto& r = app.router;
  const std::string base = "/api/profiles/{id}/variables";
  r.add("GET", base, [&app](Request& req) {
    auto items = nlohmann::json::array();
    for (const auto& v : store::variable_repo::list(tenant_db(app, req), profile_id(app, req)))
      items.push_back(variable_json(v));
    auto n = items.size();
    return Response::json(200, {{"variables", std::move(items)}, {"count", n}});
  }, {.cache = true});
  r.add("POST", base, [&app](Request& req) {
    auto pid = profile_id(app, req);
    auto var = store::variable_repo::insert(tenant_db(app, req), pid, req.json().at("name").get<std::string>());
    return Response::json(201, variable_json(var)).header("Location", "/api/profiles/" + pid + "/variables/" + var.id);
  }, {.body = &kCreate});
  r.add("GET", base + "/{variableId}", [&app](Request& req) {
    return Response::json(200, variable_json(require(app, req, profile_id(app, req))));
  }, {.cache = true});
  r.add("PATCH", base + "/{variableId}", [&app](Request& req) {
    auto pid = profile_id(app, req);
    auto var = require(app, req, pid);
    const auto& patch = req.json();
    if (patch.contains("name") && patch["name"] != var.name)
      throw Error(ErrorKind::BadRequest, "Validation failed",
                  {{"name", "cannot change; opt in to the other variable instead"}});
    auto merged = detail::apply_merge_patch(patch, variable_json(var),
                                            {"id", "profileId", "name", "unit", "readingCount", "createdAt", "updatedAt"});
    if (!merged.contains("optedIn") || !merged["optedIn"].is_boolean())
      throw Error(ErrorKind::BadRequest, "Validation failed", {{"optedIn", "must be true or false"}});
    auto updated = store::variable_repo::set_opted_in(tenant_db(app, req), pid, var.id, merged["optedIn"].get<bool>());
    return Response::json(200, variable_json(updated));
  }, {.body = &kPatch});
  r.add("DELETE", base + "/{variableId}", [&app](Request& req) {
    auto pid = profile_id(app, req);
    store::variable_repo::remove(tenant_db(app, req), pid, req.params.at("variableId"));
    return Response::empty(204);
  });
  r.add("POST", base + "/{variableId}/readings", [&app](Request& req) { return add_readings(app, req); },
        {.body = &kReadings});
  r.add("GET", base + "/{variableId}/readings", [&app](Request& req) {
    auto pid = profile_id(app, req);
    auto var = require(app, req, pid);
    auto limit = detail::query_int(req.query_param("limit"), "limit", 100, 1, 1000);
    auto items = nlohmann::json::array();
    for (const auto& r : store::variable_repo::readings(tenant_db(app, req), var.id, static_cast<int>(limit)))
      items.push_back({{"value", r.value}, {"unit", r.unit}, {"recordedAt", iso8601(r.recorded_at)}});
    auto n = items.size();
    return Response::json(200, {{"readings", std::move(items)}, {"count", n}});
  }, {.cache = true});
}

}  // namespace cadenza::http

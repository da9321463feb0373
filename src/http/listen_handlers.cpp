// Listening history: /api/profiles/{id}/listens — what the profile played (one listen or a batch of up to 500,
// all or nothing; a listen sent again is counted as a duplicate, not stored twice), the history newest first with
// the tracks' names, and /listens/import: an export of Spotify, ListenBrainz or Last.fm (recommend/listen_import.hpp,
// what `cadenza import listens` runs). Who may read and write it: profile_scope.hpp.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/recommend/listen_import.hpp"
#include "cadenza/store/listen_repo.hpp"
#include "json_fields.hpp"
#include "profile_scope.hpp"

namespace cadenza::http {
namespace {
using detail::profile_id;
using detail::tenant_db;

constexpr std::size_t kMaxBatch = 500;
constexpr std::int64_t kMaxPlayedMs = 24LL * 3600 * 1000;  // a day: longer is not one play
constexpr std::int64_t kFutureSlackMs = 5 * 60 * 1000;
constexpr std::uint64_t kMaxImportBytes = 64ULL << 20;  // read whole: a year of Spotify's extended history is ~15 MB
constexpr const char* kMembers[] = {"trackId", "startedAt", "playedMs", "completed", "skippedAtMs", "tuneVectorId"};

nlohmann::json listen_members(bool in_batch) {
  using namespace schema;
  auto required = in_batch ? Required : Optional;
  return object({{"trackId", string(64, 1), required},
                 {"startedAt",
                  {{"anyOf", nlohmann::json::array({with(string(64), "format", "date-time"), integer(0, INT64_MAX)})}},
                  required},
                 {"playedMs", integer(0, kMaxPlayedMs), required},
                 {"completed", boolean()},
                 {"skippedAtMs", integer(0, kMaxPlayedMs)},
                 {"tuneVectorId", nullable(string(64))}});
}

// "123" (epoch ms) or an RFC 3339 time with a zone.
std::optional<std::int64_t> parse_time(const nlohmann::json& j) {
  if (j.is_number_integer()) return j.get<std::int64_t>();
  if (j.is_string()) return parse_iso8601(j.get<std::string>());
  return std::nullopt;
}

// completed: true (null or absent: false).
bool completed(const nlohmann::json& j) {
  auto it = j.find("completed");
  return it != j.end() && it->is_boolean() && it->get<bool>();
}

// What the schema cannot say about one listen (at: "" or "listens[3].").
void check_listen(const nlohmann::json& j, const std::string& at, Validation& v, std::int64_t now) {
  if (!j.is_object()) return;  // the schema named it
  if (at.empty())
    for (const char* key : {"trackId", "startedAt", "playedMs"})
      if (!j.contains(key) || j[key].is_null()) v.fail(key, "is required");
  if (j.contains("startedAt") && !v.has(at + "startedAt") && !j["startedAt"].is_null()) {
    auto t = parse_time(j["startedAt"]);
    if (!t)
      v.fail(at + "startedAt", "must be epoch milliseconds or an RFC 3339 time with a zone, e.g. 2026-11-22T08:30:00Z");
    else if (*t > now + kFutureSlackMs) v.fail(at + "startedAt", "must not be more than 5 minutes in the future");
  }
  if (j.contains("skippedAtMs") && !j["skippedAtMs"].is_null() && completed(j))
    v.fail(at + "skippedAtMs", "a completed listen was not skipped");
}

const schema::Body kNewListens{"NewListens",
                               [] {
                                 auto s = listen_members(false);
                                 s["properties"]["listens"] = schema::array(listen_members(true), 1, kMaxBatch);
                                 return s;
                               }(),
                               [](const nlohmann::json& body, Validation& v) {
                                 const auto now = now_ms();
                                 if (!body.contains("listens")) return check_listen(body, "", v, now);
                                 for (const char* key : kMembers)
                                   if (body.contains(key)) v.fail(key, "a batch is {\"listens\": [...]} alone");
                                 const auto& list = body["listens"];
                                 if (!list.is_array()) return;
                                 for (std::size_t i = 0; i < list.size(); ++i)
                                   check_listen(list[i], "listens[" + std::to_string(i) + "].", v, now);
                               }};

store::Listen to_listen(const nlohmann::json& j) {
  store::Listen l;
  l.track_id = j.at("trackId").get<std::string>();
  l.started_at = *parse_time(j.at("startedAt"));
  l.played_ms = j.at("playedMs").get<std::int64_t>();
  if (j.contains("skippedAtMs") && !j["skippedAtMs"].is_null()) {
    l.outcome = store::ListenOutcome::Skipped;
    l.skipped_at_ms = j["skippedAtMs"].get<std::int64_t>();
  } else if (completed(j)) {
    l.outcome = store::ListenOutcome::Completed;
  }
  if (j.contains("tuneVectorId") && j["tuneVectorId"].is_string())
    l.tune_vector_id = j["tuneVectorId"].get<std::string>();
  l.source = "api";
  return l;
}

Response add_listens(App& app, Request& req) {
  auto pid = profile_id(app, req);
  const auto& j = req.json();  // checked against kNewListens
  const bool batch = j.contains("listens");
  std::vector<store::Listen> listens;
  if (batch) {
    for (const auto& item : j["listens"]) listens.push_back(to_listen(item));
  } else {
    listens.push_back(to_listen(j));
  }
  try {
    auto counts = store::listen_repo::insert(tenant_db(app, req), pid, listens);
    return Response::json(201, {{"accepted", counts.accepted}, {"duplicates", counts.duplicates}});
  } catch (const Error& e) {
    if (batch || e.fields().empty()) throw;
    // One listen: its fields by their own names ("trackId", not "listens[0].trackId").
    Error::Fields fields;
    for (const auto& [k, why] : e.fields()) fields[k.rfind("listens[0].", 0) == 0 ? k.substr(11) : k] = why;
    throw Error(e.kind(), e.what(), fields);
  }
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.size() <= 18 &&
         std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
}

// ?before=: epoch ms, an RFC 3339 time, or the `next` of the previous page ("<startedAt ms>:<id>").
std::optional<store::ListenCursor> before_param(const Request& req, Validation& v) {
  auto raw = req.query_param("before");
  if (!raw) return std::nullopt;
  if (all_digits(*raw)) return store::ListenCursor{std::stoll(*raw), std::nullopt};
  if (auto colon = raw->find(':'); colon != std::string::npos && all_digits(raw->substr(0, colon)) &&
                                   all_digits(raw->substr(colon + 1)))
    return store::ListenCursor{std::stoll(raw->substr(0, colon)), std::stoll(raw->substr(colon + 1))};
  if (auto t = parse_iso8601(*raw)) return store::ListenCursor{*t, std::nullopt};
  v.fail("before", "must be epoch milliseconds, an RFC 3339 time or the next value of the previous page");
  return std::nullopt;
}

nlohmann::json listen_json(const store::Listen& l) {
  return {{"id", l.id},
          {"trackId", l.track_id},
          {"title", l.title},
          {"artist", l.artist},
          {"startedAt", iso8601(l.started_at)},
          {"playedMs", l.played_ms},
          {"outcome", store::to_string(l.outcome)},
          {"skippedAtMs", l.skipped_at_ms ? nlohmann::json(*l.skipped_at_ms) : nlohmann::json()},
          {"tuneVectorId", l.tune_vector_id ? nlohmann::json(*l.tune_vector_id) : nlohmann::json()},
          {"source", l.source},
          {"createdAt", iso8601(l.created_at)}};
}

Response list_listens(App& app, Request& req) {
  auto pid = profile_id(app, req);
  Validation v;
  for (const auto& [name, _] : req.query)
    if (name != "limit" && name != "before") v.fail(name, "unknown query parameter");
  store::ListenQuery q;
  try {
    q.limit = static_cast<int>(detail::query_int(req.query_param("limit"), "limit", 50, 1, 500));
  } catch (const Error& e) {
    for (const auto& [field, why] : e.fields()) v.fail(field, why);
  }
  q.before = before_param(req, v);
  v.throw_if_failed();
  auto& db = tenant_db(app, req);
  auto rows = store::listen_repo::list(db, pid, q);
  auto items = nlohmann::json::array();
  for (const auto& l : rows) items.push_back(listen_json(l));
  nlohmann::json next;  // null: the last page
  if (static_cast<int>(rows.size()) == q.limit)
    next = std::to_string(rows.back().started_at) + ":" + std::to_string(rows.back().id);
  auto n = items.size();
  return Response::json(200, {{"listens", std::move(items)},
                              {"count", n},
                              {"total", store::listen_repo::count(db, pid)},
                              {"next", std::move(next)}});
}

// The export as the raw body or the multipart part "file"; the counts of recommend::import_listens.
Response import_export(App& app, Request& req) {
  auto pid = profile_id(app, req);
  const char* field = req.upload && req.upload->multipart ? "file" : "body";
  if (!req.upload || req.upload->size == 0)
    throw Error(ErrorKind::BadRequest, "Validation failed", {{field, "the file is empty"}});
  const auto& up = *req.upload;
  for (const auto& [name, _] : up.fields)
    throw Error(ErrorKind::BadRequest, "Validation failed", {{name, "unknown form field"}});
  if (up.size > kMaxImportBytes)
    throw Error(ErrorKind::PayloadTooLarge, "An export may have at most " + std::to_string(kMaxImportBytes >> 20) +
                                                " MiB; import the files of a larger one one by one");
  std::ifstream in(up.path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  recommend::ListenImportOptions options;
  options.not_before = now_ms() - static_cast<std::int64_t>(app.config.recommend.listen_ttl_days) * 86'400'000;
  recommend::ListenImportReport r;
  try {
    const auto bytes = text.str();
    r = recommend::import_listens(tenant_db(app, req), pid, std::string_view(bytes), options);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::BadRequest || !e.fields().empty()) throw;
    throw Error(ErrorKind::BadRequest, e.what(), {{field, e.what()}});  // not a history we read
  }
  return Response::json(201, {{"format", recommend::to_string(r.format)},
                              {"read", r.read},
                              {"matched", r.matched},
                              {"unmatched", r.unmatched},
                              {"ignored", r.ignored},
                              {"expired", r.expired},
                              {"accepted", r.accepted},
                              {"duplicates", r.duplicates},
                              {"unmatchedNames", r.unmatched_names}});
}

}  // namespace

void add_listen_routes(App& app) {
  auto& r = app.router;
  const std::string base = "/api/profiles/{id}/listens";
  r.add("GET", base, [&app](Request& req) { return list_listens(app, req); }, {.cache = true});
  r.add("POST", base, [&app](Request& req) { return add_listens(app, req); }, {.body = &kNewListens});
  r.add("POST", base + "/import", [&app](Request& req) { return import_export(app, req); }, {.upload = true});
}

}  // namespace cadenza::http

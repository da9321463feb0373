// The tenant's music library: /api/tracks (search and filters), /api/tracks/{id}, and
// /api/tracks/{id}/stream (the audio, with byte ranges so players can seek). Any signed-in account of the
// tenant reads them; tracks come from `cadenza import tracks`.
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <set>
#include <system_error>

#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/http/views.hpp"
#include "cadenza/store/track_repo.hpp"
#include "file_response.hpp"
#include "json_fields.hpp"
#include "profile_scope.hpp"

namespace cadenza::http {
namespace {

namespace fs = std::filesystem;
using detail::tenant_db;

constexpr long long kMaxLimit = 500;
constexpr std::size_t kMaxText = 200;

// The feature ranges of the listing: query names and bounds (tempo in BPM).
struct RangeParam {
  const char* name;
  double lo, hi;
  store::ValueRange store::TrackQuery::*member;
};
constexpr RangeParam kRanges[] = {
    {"energy", 0, 1, &store::TrackQuery::energy},
    {"valence", 0, 1, &store::TrackQuery::valence},
    {"acousticness", 0, 1, &store::TrackQuery::acousticness},
    {"density", 0, 1, &store::TrackQuery::density},
    {"tempo", 0, 1000, &store::TrackQuery::bpm},
};

std::optional<double> number_param(const Request& req, const std::string& name, double lo, double hi, Validation& v) {
  auto raw = req.query_param(name);
  if (!raw) return std::nullopt;
  double x = 0;
  auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), x);
  if (raw->empty() || ec != std::errc() || end != raw->data() + raw->size() || !std::isfinite(x) || x < lo || x > hi) {
    v.fail(name, "must be a number between " + nlohmann::json(lo).dump() + " and " + nlohmann::json(hi).dump());
    return std::nullopt;
  }
  return x;
}

long long int_param(const Request& req, const char* name, long long dflt, long long lo, long long hi, Validation& v) {
  try {
    return detail::query_int(req.query_param(name), name, dflt, lo, hi);
  } catch (const Error& e) {
    for (const auto& [field, why] : e.fields()) v.fail(field, why);
    return dflt;
  }
}

// The query of GET /api/tracks; one 400 names every bad or unknown parameter.
store::TrackQuery list_query(const Request& req) {
  static const std::set<std::string> known = [] {
    std::set<std::string> k = {"q", "genre", "limit", "offset"};
    for (const auto& r : kRanges) {
      k.insert(std::string(r.name) + "_min");
      k.insert(std::string(r.name) + "_max");
    }
    return k;
  }();
  Validation v;
  for (const auto& [name, _] : req.query)
    if (!known.count(name)) v.fail(name, "unknown query parameter");
  store::TrackQuery q;
  q.text = req.query_param("q").value_or("");
  if (q.text.size() > kMaxText) v.fail("q", "must be at most " + std::to_string(kMaxText) + " characters");
  q.genre = req.query_param("genre").value_or("");
  if (q.genre.size() > 64) v.fail("genre", "must be at most 64 characters");
  for (const auto& r : kRanges) {
    auto lo_name = std::string(r.name) + "_min", hi_name = std::string(r.name) + "_max";
    auto& range = q.*(r.member);
    range.min = number_param(req, lo_name, r.lo, r.hi, v);
    range.max = number_param(req, hi_name, r.lo, r.hi, v);
    if (range.min && range.max && *range.min > *range.max) v.fail(lo_name, "must not be above " + hi_name);
  }
  q.limit = static_cast<int>(int_param(req, "limit", 50, 1, kMaxLimit, v));
  q.offset = static_cast<int>(int_param(req, "offset", 0, 0, 1'000'000'000, v));
  v.throw_if_failed();
  return q;
}

store::Track require(App& app, const Request& req) {
  const auto& id = req.params.at("id");
  auto t = is_uuid(id) ? store::track_repo::find(tenant_db(app, req), id) : std::nullopt;
  if (!t) throw Error(ErrorKind::NotFound, "Track " + id + " not found");
  return *t;
}

Response list(App& app, Request& req) {
  req.who();  // 401 before the query's 400
  auto q = list_query(req);
  auto& db = tenant_db(app, req);
  auto items = nlohmann::json::array();
  for (const auto& t : store::track_repo::search(db, q)) items.push_back(track_json(t));
  return Response::json(200, {{"items", std::move(items)},
                              {"total", store::track_repo::count(db, q)},
                              {"limit", q.limit},
                              {"offset", q.offset}});
}

// The audio: its type from its first bytes, its version (ETag) from its size and modification time.
Response stream(App& app, Request& req) {
  auto t = require(app, req);
  if (!t.audio_path) throw Error(ErrorKind::NotFound, "Track " + t.id + " has no audio");
  const fs::path path = *t.audio_path;
  std::error_code ec;
  const bool regular = fs::is_regular_file(path, ec);
  const auto size = regular ? fs::file_size(path, ec) : 0;
  const auto mtime = regular && !ec ? fs::last_write_time(path, ec) : fs::file_time_type{};
  if (!regular || ec) throw Error(ErrorKind::NotFound, "The audio file of track " + t.id + " is gone");
  const auto type = detail::sniff(detail::file_head(path));
  const std::string content_type = std::string_view(type.type).substr(0, 6) == "audio/" ? type.type
                                                                                         : "application/octet-stream";
  char tag[64];
  std::snprintf(tag, sizeof tag, "\"%llx-%llx\"", static_cast<unsigned long long>(size),
                static_cast<unsigned long long>(mtime.time_since_epoch().count()));
  Response r;
  r.content_type = content_type;
  r.header("Cache-Control", "private, max-age=3600");
  return detail::file_response(req, std::move(r), {path, size, tag, detail::http_date(mtime)});
}

}  // namespace

void add_track_routes(App& app) {
  auto& r = app.router;
  r.add("GET", "/api/tracks", [&app](Request& req) { return list(app, req); });
  r.add("GET", "/api/tracks/{id}", [&app](Request& req) { return Response::json(200, track_json(require(app, req))); });
  r.add("GET", "/api/tracks/{id}/stream", [&app](Request& req) { return stream(app, req); });
}

}  // namespace cadenza::http

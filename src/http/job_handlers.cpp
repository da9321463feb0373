// /api/jobs: submit (202), list, get, cancel, and the job's chunk stream.
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/http/views.hpp"
#include "json_fields.hpp"
#include "cadenza/store/chunk_repo.hpp"

#include <cstdint>
#include <limits>
#include <memory>

namespace cadenza::http {
namespace {

// The job behind {id} in the caller's own tenant database (so another tenant's id is simply not
// found), readable by its owner and by the tenant's admins.
store::JobRecord job_for(App& app, const Request& req) {
  const auto& who = req.who();
  const auto& id = req.params.at("id");
  if (!is_uuid(id)) throw Error(ErrorKind::NotFound, "Job " + id + " not found");
  auto job = app.jobs.get(who.tenant_id, id);
  if (job.owner_id != who.account_id && !who.is_admin()) throw Error(ErrorKind::Forbidden, "This job belongs to another account");
  return job;
}

// The job as shown to its reader: job_json, with a fresh signed `url` on each file of its result
// (result.outputs[].files[], as the convert kind writes them).
nlohmann::json job_view(App& app, const store::JobRecord& job) {
  auto j = job_json(job);
  auto& result = j["result"];
  if (!result.is_object() || !result.contains("outputs") || !result["outputs"].is_array()) return j;
  for (auto& out : result["outputs"])
    if (out.is_object() && out.contains("files") && out["files"].is_array())
      for (auto& f : out["files"])
        if (f.is_object() && f.contains("sha") && f["sha"].is_string())
          f["url"] = signed_url(app, job.tenant_id, f["sha"].get<std::string>(), f.value("name", ""));
  return j;
}

// Kinds the pillars start through their own routes are not submittable here.
bool submittable(App& app, const std::string& kind) {
  auto k = app.jobs.find_kind(kind);
  return k && k->submittable;
}

// The kinds and their payloads are filled into the document from the registered job kinds (openapi.cpp).
const schema::Body kNewJob{"NewJob", schema::object({
    {"kind", schema::string(64), schema::Required},
    {"priority", schema::with(schema::integer(0, 9), "default", 5)},
    {"payload", schema::with(schema::object({}, true), "default", nlohmann::json::object())},
})};

Response submit(App& app, Request& req) {
  const auto& who = req.who();
  Validation v;
  const auto& j = req.json(v);  // against kNewJob; with the checks below, one 400 names every problem
  auto kind = schema::text(j, "kind", v);
  if (kind && !submittable(app, *kind)) v.fail("kind", "unknown job kind");
  int priority = 5;
  if (!v.has("priority") && j.contains("priority") && !j["priority"].is_null()) priority = j["priority"].get<int>();
  if (priority > 5 && !who.is_admin()) v.fail("priority", "priorities above 5 are for admins");
  v.throw_if_failed();
  auto payload = j.contains("payload") && !j["payload"].is_null() ? j["payload"] : nlohmann::json::object();
  auto job = app.jobs.submit(who.tenant_id, who.account_id, *kind, priority, std::move(payload));
  return Response::json(202, {{"job", job_json(job)}}).header("Location", "/api/jobs/" + job.id);
}

Response list(App& app, Request& req) {
  const auto& who = req.who();
  std::optional<store::JobState> state;
  if (auto s = req.query_param("state")) {
    state = store::parse_job_state(*s);
    if (!state) throw Error(ErrorKind::BadRequest, "Validation failed",
                            {{"state", "must be one of queued, running, succeeded, failed, cancelled"}});
  }
  auto limit = detail::query_int(req.query_param("limit"), "limit", 50, 1, 500);
  auto offset = detail::query_int(req.query_param("offset"), "offset", 0, 0, 1'000'000'000);
  bool all = detail::query_bool(req.query_param("all"), "all", false);
  if (all && !who.is_admin()) throw Error(ErrorKind::Forbidden, "Only admins may list every account's jobs");
  auto jobs = app.jobs.list(who.tenant_id, all ? "" : who.account_id, state, static_cast<int>(limit), static_cast<int>(offset));
  auto arr = nlohmann::json::array();
  for (const auto& job : jobs) arr.push_back(job_view(app, job));
  return Response::json(200, {{"jobs", arr}, {"limit", limit}, {"offset", offset}});
}

// Payload bytes one piece of a chunk stream carries at most (one chunk bigger than this goes out alone).
constexpr std::int64_t kChunkPieceBytes = 256 * 1024;

// GET /api/jobs/{id}/chunks?fromSeq=N: the bytes of the job's chunks after N, in order, concatenated, as
// they are appended, until the job has ended and every chunk is out. Read on the blocking pool, one piece
// per call, only when the previous piece has been written (Response::streamed).
Response chunks(App& app, Request& req) {
  auto job = job_for(app, req);
  auto from = detail::query_int(req.query_param("fromSeq"), "fromSeq", 0, 0, std::numeric_limits<std::int64_t>::max());
  struct Cursor {
    App& app;
    std::string tenant_id, job_id;
    std::int64_t after;
  };
  auto cursor = std::make_shared<Cursor>(Cursor{app, req.who().tenant_id, job.id, from});
  auto stats = store::chunk_repo::stats(app.tenants.get(cursor->tenant_id), job.id);
  auto res = Response::streamed(200, "application/octet-stream", [cursor]() -> BodyPiece {
    auto& db = cursor->app.tenants.get(cursor->tenant_id);
    // The state first: a job that had ended then has every chunk it made stored already.
    auto state = cursor->app.jobs.get(cursor->tenant_id, cursor->job_id).state;
    const bool ended = state == store::JobState::Succeeded || state == store::JobState::Failed ||
                       state == store::JobState::Cancelled;
    auto rows = store::chunk_repo::read_from(db, cursor->job_id, cursor->after, 64, kChunkPieceBytes);
    if (rows.empty()) return {{}, ended};
    BodyPiece piece;
    for (auto& row : rows) {
      piece.data += row.bytes;
      cursor->after = row.seq;
    }
    return piece;
  });
  res.header("Cache-Control", "no-store");
  res.header("X-Chunks-Stored", std::to_string(stats.count));
  res.header("X-Chunks-Last-Seq", std::to_string(stats.last_seq));
  return res;
}

}  // namespace

void add_job_routes(App& app) {
  auto& r = app.router;
  r.add("POST", "/api/jobs", [&app](Request& req) { return submit(app, req); }, {.body = &kNewJob});
  r.add("GET", "/api/jobs", [&app](Request& req) { return list(app, req); });
  r.add("GET", "/api/jobs/{id}", [&app](Request& req) { return Response::json(200, job_view(app, job_for(app, req))); });
  r.add("GET", "/api/jobs/{id}/chunks", [&app](Request& req) { return chunks(app, req); });
  r.add("DELETE", "/api/jobs/{id}", [&app](Request& req) {
    auto job = job_for(app, req);
    return Response::json(200, {{"job", job_json(app.jobs.cancel(req.who().tenant_id, job.id))}});
  });
}

}  // namespace cadenza::http

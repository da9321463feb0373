// Generation: projects and their versions (store/project_repo.hpp, version_repo.hpp). A version is made by
// a "generate" job (pipeline/generate_job.hpp) that appends Ogg/Opus chunks to the chunk store while it
// samples; clients hear it through GET /api/versions/{id}/stream (one growing Ogg stream), the long-polled
// chunk list, or the WebSocket's job.chunk events. Another account's project or version is a 404.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include "cadenza/audio/decode.hpp"
#include "cadenza/core/clock.hpp"
#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/generate/corpus.hpp"
#include "cadenza/generate/prompt.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/notation/engrave.hpp"
#include "cadenza/notation/midi_file.hpp"
#include "cadenza/notation/musicxml_writer.hpp"
#include "cadenza/pipeline/generate_job.hpp"
#include "cadenza/jobs/job_json.hpp"
#include "cadenza/pipeline/train_generator_job.hpp"
#include "cadenza/pipeline/version_pdf_job.hpp"
#include "cadenza/store/chunk_repo.hpp"
#include "cadenza/store/project_repo.hpp"
#include "cadenza/store/version_repo.hpp"
#include "json_fields.hpp"

namespace cadenza::http {
namespace {

using nlohmann::json;

const schema::Body kProjectCreate{"ProjectCreate", schema::object({{"name", schema::string(200, 1), schema::Required}})};
const schema::Body kProjectPatch{"ProjectPatch", schema::object({{"name", schema::string(200, 1), schema::Required}})};
const schema::Body kVersionCreate{"VersionCreate", schema::object({
    {"prompt", schema::with(schema::string(1000), "default", "")},
    {"controls", schema::object({}, true)},
    {"parentVersionId", schema::string(36, 36)},
    {"mode", schema::with(schema::enumeration({"new", "continue", "vary"}), "default", "new")},
    {"bars", schema::integer(1, 256)},
    {"fromBar", schema::with(schema::integer(1, 4096), "description",
                             "mode vary: the first bar sampled again (1-based; default: the parent's second half)")},
    {"toBar", schema::with(schema::integer(1, 4096), "description",
                           "mode vary: the last bar sampled again (inclusive; default: fromBar, or the parent's last bar)")},
    {"seed", schema::integer(0, 1LL << 53)},
})};

json project_json(const store::ProjectRecord& p) {
  return {{"id", p.id},
          {"name", p.name},
          {"versionCount", p.version_count},
          {"createdAt", iso8601(p.created_at)},
          {"updatedAt", iso8601(p.updated_at)}};
}

// ready: stored; failed: its job failed (pdf_error); rendering: a job was started; none: not yet.
const char* pdf_state(const store::VersionRecord& v) {
  if (v.has_pdf) return "ready";
  if (!v.pdf_error.empty()) return "failed";
  return v.pdf_job_id ? "rendering" : "none";
}

json version_json(const store::VersionRecord& v) {
  const std::string base = "/api/versions/" + v.id;
  json j = {{"id", v.id},
            {"projectId", v.project_id},
            {"parentVersionId", v.parent_version_id ? json(*v.parent_version_id) : json(nullptr)},
            {"mode", v.mode},
            {"prompt", v.prompt},
            {"controls", v.controls},
            {"seed", v.seed},
            {"status", store::to_string(v.status)},
            {"jobId", v.job_id},
            {"durationMs", v.duration_ms},
            {"chunkCount", v.chunk_count},
            {"streamUrl", base + "/stream"},
            {"chunksUrl", base + "/chunks"},
            {"createdAt", iso8601(v.created_at)},
            {"updatedAt", iso8601(v.updated_at)}};
  if (!v.error.empty()) j["error"] = v.error;
  j["barCount"] = v.bar_count;
  if (v.vary_from && v.vary_to) j["varied"] = {{"fromBar", *v.vary_from}, {"toBar", *v.vary_to}};
  j["pdf"] = pdf_state(v);
  return j;
}

store::ProjectRecord project_for(App& app, const Principal& who, const std::string& id) {
  Error not_found(ErrorKind::NotFound, "Project " + id + " not found");
  if (!is_uuid(id)) throw not_found;
  auto p = store::project_repo::find(app.tenants.get(who.tenant_id), id);
  if (!p || p->owner_id != who.account_id) throw not_found;
  return *p;
}

store::VersionRecord version_for(App& app, const Principal& who, const std::string& id, bool with_notes = false) {
  Error not_found(ErrorKind::NotFound, "Version " + id + " not found");
  if (!is_uuid(id)) throw not_found;
  auto v = store::version_repo::find(app.tenants.get(who.tenant_id), id, with_notes);
  if (!v || v->owner_id != who.account_id) throw not_found;
  return *v;
}

// The stream and download routes also take ?token= (an <audio> element sends no header).
Principal stream_caller(App& app, const Request& req) {
  auto who = authenticate_request(app, req, /*allow_query=*/true);
  if (!who) throw Error(ErrorKind::Unauthorized, "Authentication required (a bearer token, X-Api-Key or ?token=)");
  return *who;
}

Response create_project(App& app, Request& req) {
  const auto& who = req.who();
  store::ProjectRecord p;
  p.id = new_uuid();
  p.owner_id = who.account_id;
  p.name = req.json()["name"].get<std::string>();
  p.created_at = p.updated_at = now_ms();
  store::project_repo::insert(app.tenants.get(who.tenant_id), p);
  return Response::json(201, project_json(p)).header("Location", "/api/projects/" + p.id);
}

Response list_projects(App& app, Request& req) {
  const auto& who = req.who();
  auto limit = detail::query_int(req.query_param("limit"), "limit", 50, 1, 200);
  auto offset = detail::query_int(req.query_param("offset"), "offset", 0, 0, 1'000'000'000);
  auto& db = app.tenants.get(who.tenant_id);
  json items = json::array();
  for (const auto& p : store::project_repo::list(db, who.account_id, int(limit), int(offset))) items.push_back(project_json(p));
  return Response::json(200, {{"projects", items},
                              {"total", store::project_repo::count(db, who.account_id)},
                              {"limit", limit},
                              {"offset", offset}});
}

json project_with_versions(App& app, const Principal& who, const store::ProjectRecord& p) {
  json j = project_json(p);
  json versions = json::array();
  for (const auto& v : store::version_repo::list_for_project(app.tenants.get(who.tenant_id), p.id))
    versions.push_back(version_json(v));
  j["versions"] = versions;
  return j;
}

Response get_project(App& app, Request& req) {
  auto p = project_for(app, req.who(), req.params.at("projectId"));
  return Response::json(200, project_with_versions(app, req.who(), p));
}

Response patch_project(App& app, Request& req) {
  const auto& who = req.who();
  auto p = project_for(app, who, req.params.at("projectId"));
  const auto now = now_ms();
  store::project_repo::rename(app.tenants.get(who.tenant_id), p.id, req.json()["name"].get<std::string>(), now);
  return Response::json(200, project_with_versions(app, who, project_for(app, who, p.id)));
}

// Versions still made are cancelled and waited for (a job that appends after the delete would fail anyway:
// its version row is gone), then the project, its versions and their chunks go in one transaction.
Response delete_project(App& app, Request& req) {
  const auto& who = req.who();
  auto p = project_for(app, who, req.params.at("projectId"));
  auto& db = app.tenants.get(who.tenant_id);
  std::vector<std::string> running;
  for (const auto& v : store::version_repo::list_for_project(db, p.id)) {
    if (store::is_final(v.status) || v.job_id.empty()) continue;
    try {
      auto job = app.jobs.cancel(who.tenant_id, v.job_id);
      if (job.state == store::JobState::Running) running.push_back(v.job_id);
    } catch (const Error&) {
      // ended meanwhile
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  for (const auto& id : running)
    while (app.jobs.get(who.tenant_id, id).state == store::JobState::Running && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  store::project_repo::remove(db, p.id);
  return Response::empty(204);
}

// The members of `from` that the prompt set (ParsedPrompt::understood), copied over `base`.
json understood_over(const json& base, const generate::ParsedPrompt& parsed) {
  json out = base;
  const json from = generate::to_json(parsed.controls);
  for (const auto& u : parsed.understood) {
    std::vector<std::string> keys = {u.control};
    if (u.control == "length") keys = {"bars", "seconds"};
    for (const auto& k : keys) {
      if (from.contains(k)) out[k] = from[k];
      else out.erase(k);
    }
  }
  return out;
}

Response create_version(App& app, Request& req) {
  const auto& who = req.who();
  auto project = project_for(app, who, req.params.at("projectId"));
  const auto& j = req.json();
  const std::string prompt = j.value("prompt", "");
  const std::string mode = j.value("mode", "new");
  Validation v;
  std::optional<store::VersionRecord> parent;
  if (mode != "new") {
    if (!j.contains("parentVersionId")) {
      v.fail("parentVersionId", "required with mode " + mode);
    } else {
      auto id = j["parentVersionId"].get<std::string>();
      auto found = is_uuid(id) ? store::version_repo::find(app.tenants.get(who.tenant_id), id, false) : std::nullopt;
      if (!found || found->owner_id != who.account_id || found->project_id != project.id)
        v.fail("parentVersionId", "no version with this id in this project");
      else if (!store::is_final(found->status) || found->status == store::VersionStatus::Failed)
        v.fail("parentVersionId", "the version is " + std::string(store::to_string(found->status)) +
                                      ": continue or vary one that has ended with music");
      else parent = *found;
    }
  } else if (j.contains("parentVersionId")) {
    v.fail("parentVersionId", "only with mode continue or vary");
  }
  // vary: the bars sampled again, 1-based and inclusive, within the parent's (default: its second half).
  std::optional<int> vary_from, vary_to;
  if (mode != "vary") {
    for (const char* k : {"fromBar", "toBar"})
      if (j.contains(k)) v.fail(k, "only with mode vary");
  } else if (parent) {
    const auto parent_controls = generate::controls_from_json(parent->controls);
    const int total = int(parent->bar_count > 0 ? parent->bar_count
                          : pipeline::bar_count(parent_controls, pipeline::notes_from_json(
                                store::version_repo::find(app.tenants.get(who.tenant_id), parent->id, true)->notes)));
    if (total < 1) {
      v.fail("parentVersionId", "the version has no music to vary");
    } else {
      const int from = j.contains("fromBar") ? j["fromBar"].get<int>() : total / 2 + 1;
      const int to = j.contains("toBar") ? j["toBar"].get<int>() : (j.contains("fromBar") ? from : total);
      if (from > total) v.fail("fromBar", "the version has " + std::to_string(total) + " bars");
      else if (to < from || to > total)
        v.fail("toBar", "must be from fromBar (" + std::to_string(from) + ") to " + std::to_string(total));
      else vary_from = std::min(from, total), vary_to = to;
    }
  }
  const auto parsed = generate::parse_prompt(prompt);
  generate::Controls controls;
  try {
    json base = parent ? understood_over(parent->controls, parsed) : generate::to_json(parsed.controls);
    controls = generate::controls_from_json(j.contains("controls") ? j["controls"] : json::object(),
                                            generate::controls_from_json(base));
    if (j.contains("bars")) controls.length = {generate::Length::Unit::Bars, double(j["bars"].get<int>())};
    else if (mode == "continue" && !(j.contains("controls") && (j["controls"].contains("bars") || j["controls"].contains("seconds"))))
      controls.length = {generate::Length::Unit::Bars, 8};
    generate::validate(controls);
  } catch (const Error& e) {
    if (e.fields().empty()) v.fail("controls", e.what());
    for (const auto& [field, why] : e.fields()) v.fail("controls." + field, why);
  }
  v.throw_if_failed();

  store::VersionRecord rec;
  rec.id = new_uuid();
  rec.project_id = project.id;
  rec.owner_id = who.account_id;
  if (parent) rec.parent_version_id = parent->id;
  rec.mode = mode;
  rec.prompt = prompt;
  rec.controls = generate::to_json(controls);
  rec.vary_from = vary_from;
  rec.vary_to = vary_to;
  if (j.contains("seed")) {
    rec.seed = j["seed"].get<std::int64_t>();
  } else {
    std::uint64_t r = 0;
    crypto::random_bytes(&r, sizeof r);
    rec.seed = std::int64_t(r & ((1ULL << 53) - 1));
  }
  rec.created_at = rec.updated_at = now_ms();
  auto job = app.jobs.submit(who.tenant_id, who.account_id, "generate", 5, {{"versionId", rec.id}},
                             [&](store::Db& db, const store::JobRecord& row) {
                               rec.job_id = row.id;
                               store::version_repo::insert(db, rec);
                               store::project_repo::touch(db, project.id, rec.created_at);
                             });
  json understood = json::array();
  for (const auto& u : parsed.understood) understood.push_back({{"control", u.control}, {"from", u.from}});
  json body = {{"versionId", rec.id},
               {"jobId", job.id},
               {"status", "queued"},
               {"controls", rec.controls},
               {"seed", rec.seed},
               {"understood", understood},
               {"nothingUsable", parsed.nothing_usable},
               {"streamUrl", "/api/versions/" + rec.id + "/stream"}};
  if (parsed.nothing_usable)
    body["message"] = prompt.empty() ? "No prompt: generating with the default controls"
                                     : "Nothing in the prompt set a control: generating with the default controls";
  return Response::json(202, body).header("Location", "/api/versions/" + rec.id);
}

Response get_version(App& app, Request& req) {
  return Response::json(200, version_json(version_for(app, req.who(), req.params.at("versionId"))));
}

Response cancel_version(App& app, Request& req) {
  const auto& who = req.who();
  auto v = version_for(app, who, req.params.at("versionId"));
  if (store::is_final(v.status))
    throw Error(ErrorKind::Conflict, "The version has ended (" + std::string(store::to_string(v.status)) + ")");
  try {
    app.jobs.cancel(who.tenant_id, v.job_id);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::Conflict) throw;  // its job ended a moment ago
  }
  // A running job stops within a note and records `cancelled` itself; wait a moment for it.
  auto& db = app.tenants.get(who.tenant_id);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  auto now = store::version_repo::find(db, v.id, false);
  while (now && !store::is_final(now->status) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    now = store::version_repo::find(db, v.id, false);
  }
  return Response::json(200, version_json(now ? *now : v));
}

// ?after=N&wait=MS: the chunks after seq N (at most 64, ~4 MiB); with none yet and the version still made,
// waits up to `wait` ms for one (a long poll).
Response version_chunks(App& app, Request& req) {
  const auto& who = req.who();
  auto v = version_for(app, who, req.params.at("versionId"));
  const auto after = detail::query_int(req.query_param("after"), "after", 0, 0, INT64_MAX);
  const auto wait = detail::query_int(req.query_param("wait"), "wait", 0, 0, 30000);
  auto& db = app.tenants.get(who.tenant_id);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait);
  std::vector<store::Chunk> rows;
  while (true) {
    v = version_for(app, who, v.id);  // the state first: a version that had ended has every chunk stored
    rows = store::chunk_repo::read_from(db, v.id, after, 64, 4 << 20);
    if (!rows.empty() || store::is_final(v.status) || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  json chunks = json::array();
  std::int64_t last = after;
  for (const auto& c : rows) {
    json item = {{"seq", c.seq}, {"size", c.bytes.size()}, {"bytes", crypto::base64url(c.bytes)}};
    for (const char* k : {"startMs", "durationMs", "last", "notes"})
      if (c.meta.contains(k)) item[k] = c.meta[k];
    chunks.push_back(std::move(item));
    last = c.seq;
  }
  const bool done = store::is_final(v.status) && last >= v.chunk_count;
  return Response::json(200, {{"versionId", v.id},
                              {"status", store::to_string(v.status)},
                              {"chunks", chunks},
                              {"lastSeq", last},
                              {"chunkCount", v.chunk_count},
                              {"durationMs", v.duration_ms},
                              {"done", done}})
      .header("Cache-Control", "no-store");
}

// One Ogg/Opus stream: the chunks' bytes in order as they are stored, until the version has ended and every
// chunk is out; a finished version replays from the store.
Response version_stream(App& app, Request& req) {
  const auto who = stream_caller(app, req);
  auto v = version_for(app, who, req.params.at("versionId"));
  struct Cursor {
    App& app;
    Principal who;
    std::string id;
    std::int64_t after = 0;
  };
  auto cursor = std::make_shared<Cursor>(Cursor{app, who, v.id});
  auto res = Response::streamed(200, "audio/ogg", [cursor]() -> BodyPiece {
    auto& db = cursor->app.tenants.get(cursor->who.tenant_id);
    auto now = store::version_repo::find(db, cursor->id, false);
    if (!now) return {{}, true};  // deleted while it played
    auto rows = store::chunk_repo::read_from(db, cursor->id, cursor->after, 16, 256 * 1024);
    if (rows.empty()) return {{}, store::is_final(now->status)};
    BodyPiece piece;
    for (auto& row : rows) {
      piece.data += row.bytes;
      cursor->after = row.seq;
    }
    return piece;
  });
  res.producer_poll = std::chrono::milliseconds(20);
  res.header("Cache-Control", "no-store");
  return res;
}

std::string concatenated_chunks(App& app, const Principal& who, const std::string& id) {
  auto& db = app.tenants.get(who.tenant_id);
  std::string out;
  std::int64_t after = 0;
  while (true) {
    auto rows = store::chunk_repo::read_from(db, id, after, 256, 16 << 20);
    if (rows.empty()) return out;
    for (auto& r : rows) {
      out += r.bytes;
      after = r.seq;
    }
  }
}

// 16-bit PCM WAV of mono samples.
std::string wav_bytes(const std::vector<float>& mono, int rate) {
  auto u32 = [](std::string& s, uint32_t v) { for (int i = 0; i < 4; ++i) s.push_back(char(uint8_t(v >> (8 * i)))); };
  auto u16 = [](std::string& s, uint16_t v) { s.push_back(char(uint8_t(v))); s.push_back(char(uint8_t(v >> 8))); };
  std::string out = "RIFF";
  const auto data = uint32_t(mono.size() * 2);
  u32(out, 36 + data);
  out += "WAVEfmt ";
  u32(out, 16);
  u16(out, 1);
  u16(out, 1);
  u32(out, uint32_t(rate));
  u32(out, uint32_t(rate * 2));
  u16(out, 2);
  u16(out, 16);
  out += "data";
  u32(out, data);
  for (float x : mono) u16(out, uint16_t(int16_t(std::lround(std::clamp(x, -1.0f, 1.0f) * 32767))));
  return out;
}

std::string safe_name(std::string name) {
  for (auto& c : name)
    if (c == '"' || c == '\\' || c == '/' || static_cast<unsigned char>(c) < 0x20) c = '_';
  return name.empty() ? "version" : name;
}

Response download(App& app, Request& req) {
  const auto who = stream_caller(app, req);
  auto v = version_for(app, who, req.params.at("versionId"), true);
  const auto format = req.query_param("format").value_or("ogg");
  if (format != "ogg" && format != "wav" && format != "mid" && format != "musicxml" && format != "pdf")
    throw Error(ErrorKind::BadRequest, "Validation failed", {{"format", "must be one of ogg, wav, mid, musicxml, pdf"}});
  auto project = store::project_repo::find(app.tenants.get(who.tenant_id), v.project_id);
  const std::string title = project ? project->name : "Cadenza";
  const std::string file = safe_name(title) + "." + format;
  auto attach = [&](Response r) {
    r.header("Content-Disposition", "attachment; filename=\"" + file + "\"; filename*=UTF-8''" + url_encode(file));
    return r;
  };
  if (format == "ogg" || format == "wav") {
    if (v.chunk_count == 0) throw Error(ErrorKind::Conflict, "The version has no audio yet");
    auto ogg = concatenated_chunks(app, who, v.id);
    if (format == "ogg") return attach(Response::text(200, std::move(ogg), "audio/ogg"));
    auto decoded = audio::decode_bytes(ogg, {}, "the version's audio");
    return attach(Response::text(200, wav_bytes(decoded.mono, decoded.sample_rate), "audio/wav"));
  }
  const auto notes = pipeline::notes_from_json(v.notes);
  if (notes.empty())
    throw Error(ErrorKind::Conflict, store::is_final(v.status) ? "The version has no notes"
                                                                : "The version is still being made: its notes come when it ends");
  const auto controls = generate::controls_from_json(v.controls);
  if (format == "mid") {
    notation::NotesMidiOptions mo;
    mo.tempo_bpm = controls.tempo_bpm;
    mo.program = controls.instruments.empty() ? 0 : controls.instruments.front();
    mo.time = {controls.meter.numerator, controls.meter.denominator};
    mo.key = pipeline::key_signature(controls.key_tonic, controls.mode);
    const auto bytes = notation::to_midi(generate::to_events(pipeline::piece_of(controls, notes)), mo);
    return attach(Response::text(200, std::string(bytes.begin(), bytes.end()), "audio/midi"));
  }
  if (format == "musicxml")
    return attach(Response::text(200, notation::to_musicxml(pipeline::version_score(controls, notes, title)),
                                 "application/vnd.recordare.musicxml+xml"));
  // pdf: rendered by a version_pdf job when the version succeeded; started again here when it is missing or failed.
  auto& db = app.tenants.get(who.tenant_id);
  if (auto pdf = store::version_repo::file(db, v.id, "pdf")) return attach(Response::text(200, std::move(*pdf), "application/pdf"));
  if (!notation::pdf_engine_available({.engine = notation::parse_pdf_engine(app.config.convert.pdf_engine)}))
    throw Error(ErrorKind::Unavailable, "No PDF engine is installed (MuseScore 3 or LilyPond): convert.pdf_engine");
  std::optional<jobs::Job> job;
  if (v.pdf_job_id && v.pdf_error.empty()) {
    try {
      job = app.jobs.get(who.tenant_id, *v.pdf_job_id);
      if (job->state != store::JobState::Queued && job->state != store::JobState::Running)
        job.reset();  // ended without a file: render it again
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::NotFound) throw;
    }
  }
  if (!job) job = pipeline::submit_version_pdf(app.jobs, who.tenant_id, v.owner_id, v.id);
  return Response::json(202, {{"status", "rendering"}, {"jobId", job->id}, {"retryAfterS", 2}})
      .header("Retry-After", "2")
      .header("Cache-Control", "no-store");
}

const schema::Body kGeneratorTrain{"GeneratorTrain", schema::object({
    {"minutes", schema::with(schema::number(0.01, 24 * 60), "description", "train this long (default 40; tiny 0.1)")},
    {"steps", schema::with(schema::integer(1, 10'000'000), "description", "or this many steps")},
    {"tiny", schema::with(schema::boolean(), "description", "the tiny configuration: a check of the path, not a model")},
})};

// The generator is the server's, not a tenant's: only the operator trains it.
Response train_generator(App& app, Request& req) {
  const auto& who = req.who();
  if (!who.is_operator()) throw Error(ErrorKind::Forbidden, "Only the server's operator may train the generator");
  const auto& j = req.json();
  if (j.contains("minutes") && j.contains("steps"))
    throw Error(ErrorKind::BadRequest, "Validation failed", {{"steps", "give minutes or steps, not both"}});
  auto job = app.jobs.submit(who.tenant_id, who.account_id, pipeline::kTrainGeneratorKind, 0, j);
  return Response::json(202, {{"job", jobs::job_json(job)}}).header("Location", "/api/jobs/" + job.id);
}

}  // namespace

void add_generation_routes(App& app) {
  auto& r = app.router;
  r.add("POST", "/api/projects", [&app](Request& req) { return create_project(app, req); }, {.body = &kProjectCreate});
  r.add("GET", "/api/projects", [&app](Request& req) { return list_projects(app, req); });
  r.add("GET", "/api/projects/{projectId}", [&app](Request& req) { return get_project(app, req); });
  r.add("PATCH", "/api/projects/{projectId}", [&app](Request& req) { return patch_project(app, req); },
        {.body = &kProjectPatch});
  r.add("DELETE", "/api/projects/{projectId}", [&app](Request& req) { return delete_project(app, req); },
        {.blocking = true});
  r.add("POST", "/api/projects/{projectId}/versions", [&app](Request& req) { return create_version(app, req); },
        {.body = &kVersionCreate});
  r.add("GET", "/api/versions/{versionId}", [&app](Request& req) { return get_version(app, req); });
  r.add("GET", "/api/versions/{versionId}/chunks", [&app](Request& req) { return version_chunks(app, req); },
        {.waits = true});
  r.add("GET", "/api/versions/{versionId}/stream", [&app](Request& req) { return version_stream(app, req); },
        {.access = Access::Public});
  r.add("GET", "/api/versions/{versionId}/download", [&app](Request& req) { return download(app, req); },
        {.access = Access::Public, .blocking = true});
  r.add("POST", "/api/versions/{versionId}/cancel", [&app](Request& req) { return cancel_version(app, req); },
        {.blocking = true});
  r.add("POST", "/api/admin/generator/train", [&app](Request& req) { return train_generator(app, req); },
        {.body = &kGeneratorTrain});
}

}  // namespace cadenza::http

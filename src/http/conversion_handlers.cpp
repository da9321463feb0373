// Conversions: POST /api/convert (JSON, or a form with the audio as its `file` part), the conversions
// resource (get, list, rename/publish, cancel, delete, webhook deliveries), the public gallery, and the
// account's webhook secret. The work is a "convert" job (pipeline/convert_job.hpp); the conversion row
// keeps what the request said, and its status is its job's.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/crypto.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/core/subprocess.hpp"
#include "cadenza/core/ids.hpp"
#include "cadenza/core/schema.hpp"
#include "cadenza/http/views.hpp"
#include "cadenza/net/http_client.hpp"
#include "cadenza/store/blob_repo.hpp"
#include "cadenza/store/webhook_repo.hpp"
#include "conversions.hpp"
#include "json_fields.hpp"

namespace cadenza::http {
namespace {

using nlohmann::json;

json arrangement_schema() {
  auto one = schema::enumeration({"transcription", "piano", "easy"});
  return {{"anyOf", json::array({one, schema::array(one, 1, 3)})}, {"default", "piano"}};
}

json id_like() {  // a chat or message id: a string or a number, as bots send them
  return {{"anyOf", json::array({schema::string(64), schema::integer(-(1LL << 53), 1LL << 53)})}};
}

const schema::Body kConvert{"ConvertRequest", schema::object({
    {"source", schema::with(schema::enumeration({"web_frontend", "telegram", "api"}), "default", "api")},
    {"user_id", schema::string(64)},
    {"is_public", schema::with(schema::boolean(), "default", false)},
    {"created_by", schema::string(200)},
    {"arrangement_type", arrangement_schema()},
    {"song_name", schema::string(200)},
    {"additional_data", schema::object({{"socket_id", schema::string(64)},
                                        {"bot_token", schema::string(256)},
                                        {"telegram_id", id_like()},
                                        {"chat_id", id_like()},
                                        {"message_id", id_like()}})},
    {"audio_url", schema::string(2048)},
    {"youtube_link", schema::string(2048)},
    {"callback_url", schema::string(2048)},
    {"file_id", schema::with(schema::string(64, 64), "description", "the id POST /api/files answered")},
})};

const schema::Body kConversionPatch{"ConversionPatch", schema::object({
    {"song_name", schema::string(200, 1)},
    {"is_public", schema::boolean()},
})};

// A form's text fields as the JSON body would carry them.
json form_to_json(const std::map<std::string, std::string>& fields) {
  json j = json::object();
  for (const auto& [name, value] : fields) {
    if (name == "is_public") {
      if (value == "true" || value == "1" || value == "on") j[name] = true;
      else if (value == "false" || value == "0" || value == "off" || value.empty()) j[name] = false;
      else j[name] = value;  // refused by the schema, naming the field
    } else if (name == "additional_data" || (name == "arrangement_type" && !value.empty() && value.front() == '[')) {
      auto parsed = json::parse(value, nullptr, false);
      j[name] = parsed.is_discarded() ? json(value) : parsed;
    } else if (name == "arrangement_type" && value.find(',') != std::string::npos) {
      json list = json::array();
      std::stringstream in(value);
      for (std::string item; std::getline(in, item, ',');) {
        item.erase(0, item.find_first_not_of(' '));
        item.erase(item.find_last_not_of(' ') + 1);
        list.push_back(item);
      }
      j[name] = list;
    } else {
      j[name] = value;
    }
  }
  return j;
}

// The request body, and the spooled audio when it came as a form's file part.
struct ConvertInput {
  json body;
  const Upload* file = nullptr;
};

ConvertInput read_input(App& app, Request& req, Validation& v) {
  ConvertInput in;
  if (req.upload && req.upload->multipart) {
    in.body = form_to_json(req.upload->fields);
    schema::validate(kConvert.schema, in.body, v);
    if (req.upload->has_file) {
      if (req.upload->size == 0) v.fail("file", "the file is empty");
      in.file = &*req.upload;
    }
    return in;
  }
  if (req.upload) {  // a JSON body on an upload route arrives spooled too
    if (req.upload->size > static_cast<std::uint64_t>(app.config.server.body_limit))
      throw Error(ErrorKind::PayloadTooLarge, "A JSON body may have at most " +
                                                  std::to_string(app.config.server.body_limit) +
                                                  " bytes; send the audio as a form's file part or via POST /api/files");
    std::ifstream f(req.upload->path, std::ios::binary);
    req.body.assign(std::istreambuf_iterator<char>(f), {});
  }
  in.body = req.json(v);
  return in;
}

std::string file_stem(std::string name) {
  auto slash = name.find_last_of("/\\");
  if (slash != std::string::npos) name = name.substr(slash + 1);
  auto q = name.find_first_of("?#");
  if (q != std::string::npos) name = name.substr(0, q);
  auto dot = name.rfind('.');
  if (dot != std::string::npos && dot > 0) name = name.substr(0, dot);
  return name.substr(0, 200);
}

std::vector<std::string> arrangements_of(const json& a) {
  if (a.is_string()) return {a.get<std::string>()};
  std::vector<std::string> out;
  if (a.is_array())
    for (const auto& x : a)
      if (std::find(out.begin(), out.end(), x.get<std::string>()) == out.end()) out.push_back(x.get<std::string>());
  if (out.empty()) out.push_back("piano");
  return out;
}

const char* kFileKeys[][2] = {{"score.mid", "midiUrl"}, {"score.musicxml", "musicXmlUrl"}, {"score.pdf", "pdfUrl"},
                              {"score.ogg", "audioUrl"}};

}  // namespace

json conversion_body(App& app, const store::ConversionRecord& c, const store::JobRecord& job) {
  json j = c.request;
  j["uuid"] = c.id;
  j["song_name"] = c.song_name;
  j["is_public"] = c.is_public;
  j["status"] = store::to_string(job.state);
  j["job_id"] = job.id;  // its job.state / job.progress events on the WebSocket
  if (job.state == store::JobState::Running || job.state == store::JobState::Queued) {
    j["stage"] = job.stage;
    j["progress"] = job.progress;
  }
  if (!job.error.empty()) j["error"] = {{"message", job.error.message}, {"fields", job.error.fields}};
  json output = json::array();
  // Succeeded: every file. Running: those made so far (each arrangement's MusicXML and MIDI as soon as its
  // score is written, seconds before its PDF and audio).
  const bool shown = job.state == store::JobState::Succeeded || job.state == store::JobState::Running;
  if (shown && job.result.is_object() && job.result.contains("outputs")) {
    for (const auto& out : job.result["outputs"]) {
      const auto type = out.value("type", "");
      json entry = {{"type", type}, {"midiUrl", nullptr}, {"musicXmlUrl", nullptr}, {"pdfUrl", nullptr}, {"audioUrl", nullptr}};
      for (const auto& f : out.value("files", json::array())) {
        const auto name = f.value("name", "");
        for (const auto& [file, key] : kFileKeys) {
          if (name != file) continue;
          auto ext = name.substr(name.rfind('.'));
          entry[key] = signed_url(app, job.tenant_id, f.value("sha", ""), c.song_name + " (" + type + ")" + ext);
        }
      }
      output.push_back(std::move(entry));
    }
  }
  j["output"] = std::move(output);
  j["created_at"] = iso8601(c.created_at);
  j["updated_at"] = iso8601(std::max(c.updated_at, job.updated_at));
  return j;
}

std::optional<std::string> conversion_message(App& app, const store::JobRecord& job, const std::string& socket_id) {
  if (job.kind != "convert" || socket_id.empty() || !job.payload.is_object() ||
      job.payload.value("socketId", "") != socket_id)
    return std::nullopt;
  auto c = app.tenants.get(job.tenant_id).read([&](store::Db& db) { return store::conversion_repo::find_by_job(db, job.id); });
  if (!c) return std::nullopt;
  return json{{"type", "messageFromServer"}, {"data", conversion_body(app, *c, job)}}.dump();
}

jobs::RowHook conversion_finish_hook(App& app) {
  return [&app](store::Db& db, const store::JobRecord& job) {
    auto c = store::conversion_repo::find_by_job(db, job.id);
    if (!c) return;  // a convert job submitted through POST /api/jobs
    if (job.result.is_object() && job.result.contains("outputs"))
      for (const auto& out : job.result["outputs"])
        for (const auto& f : out.value("files", json::array()))
          if (f.contains("sha")) store::conversion_repo::add_blob(db, c->id, f["sha"].get<std::string>());
    auto url = c->request.value("callback_url", "");
    if (!url.empty()) store::webhook_repo::enqueue(db, c->id, url, conversion_body(app, *c, job).dump());
  };
}

namespace {

struct Found {
  store::ConversionRecord conversion;
  store::JobRecord job;
};

// The conversion behind {conversionId} in the caller's tenant. A private one is a 404 to anyone but its
// owner and the tenant's admins; a public one is readable by the tenant's accounts, changed only by those.
Found conversion_for(App& app, const Principal& who, const std::string& id, bool change) {
  auto not_found = Error(ErrorKind::NotFound, "Conversion " + id + " not found");
  if (!is_uuid(id)) throw not_found;
  auto c = store::conversion_repo::find(app.tenants.get(who.tenant_id), id);
  if (!c) throw not_found;
  const bool mine = c->owner_id == who.account_id || who.is_admin();
  if (!mine && !c->is_public) throw not_found;
  if (!mine && change) throw Error(ErrorKind::Forbidden, "This conversion belongs to another account");
  auto job = app.jobs.get(who.tenant_id, c->job_id);
  return {std::move(*c), std::move(job)};
}

Found conversion_for(App& app, Request& req, bool change) {
  return conversion_for(app, req.who(), req.params.at("conversionId"), change);
}

Response replay(App& app, const Principal& who, const store::ConversionRecord& c, const std::string& hash) {
  if (c.request_hash != hash)
    throw Error(ErrorKind::Unprocessable, "This Idempotency-Key was used with another request",
                {{"Idempotency-Key", "already used with a different body"}});
  auto job = app.jobs.get(who.tenant_id, c.job_id);
  return Response::json(202, conversion_body(app, c, job))
      .header("Location", "/api/conversions/" + c.id)
      .header("Idempotent-Replayed", "true");
}

}  // namespace

const schema::Body& convert_request_body() { return kConvert; }

nlohmann::json conversion_view(App& app, const Principal& who, const std::string& id) {
  auto found = conversion_for(app, who, id, false);
  return conversion_body(app, found.conversion, found.job);
}

Response submit_conversion(App& app, Request& req, const ConvertCaller& caller) {
  Validation v;
  auto in = read_input(app, req, v);
  const Principal who = caller ? caller(in.body, v) : req.who();
  const json& j = in.body;
  auto given = [&](const char* k) { return !v.has(k) && j.contains(k) && !j[k].is_null() && j[k] != ""; };
  if (given("user_id") && j["user_id"] != who.account_id)
    throw Error(ErrorKind::Forbidden, "user_id must be your own account's id (or left out)");

  // Exactly one audio source.
  std::vector<std::string> sources;
  if (in.file) sources.push_back("file");
  for (const char* k : {"file_id", "audio_url", "youtube_link"})
    if (given(k)) sources.push_back(k);
  if (sources.size() != 1) {
    const char* why = sources.empty() ? "one audio source is required: a file part, file_id, audio_url or youtube_link"
                                      : "give only one audio source: a file part, file_id, audio_url or youtube_link";
    for (const char* k : {"file", "file_id", "audio_url", "youtube_link"})
      if (sources.empty() || std::find(sources.begin(), sources.end(), k) != sources.end()) v.fail(k, why);
  }
  for (const char* k : {"audio_url", "youtube_link", "callback_url"}) {
    if (!given(k)) continue;
    try {
      net::check_url(j[k].get<std::string>(), k);
    } catch (const Error& e) {
      v.fail(k, e.fields().count(k) ? e.fields().at(k) : e.what());
    }
  }
  v.throw_if_failed();
  // An internal address written as such is refused now; a name is judged when it is resolved.
  for (const char* k : {"audio_url", "callback_url"})
    if (given(k))
      if (auto why = net::literal_refusal(j[k].get<std::string>(), app.address_rules))
        throw Error(ErrorKind::Unprocessable, std::string(k) + " leads to an address that may not be reached: " + *why,
                    {{k, "may not be reached: " + *why}});

  auto& db = app.tenants.get(who.tenant_id);
  if (given("file_id") && !app.blobs.path(who.tenant_id, j["file_id"].get<std::string>()))
    throw Error(ErrorKind::BadRequest, "Validation failed", {{"file_id", "no uploaded file with this id (POST /api/files answers it)"}});
  if (given("youtube_link") && find_program(app.config.convert.ytdlp_path).empty())
    throw Error(ErrorKind::Unprocessable, "youtube_link needs yt-dlp, which is not installed on this server",
                {{"youtube_link", "yt-dlp is not installed (convert.ytdlp_path)"}});
  if (given("callback_url") && !store::webhook_repo::secret_created_at(db, who.account_id))
    throw Error(ErrorKind::Unprocessable, "Create a webhook secret first (POST /api/webhook-secret): deliveries are signed with it",
                {{"callback_url", "no webhook secret: POST /api/webhook-secret makes one"}});

  // The request as echoed (secrets left out), and what makes a replay the same request.
  json echo = j;
  echo["source"] = j.value("source", "api");
  echo["user_id"] = who.account_id;
  echo["is_public"] = j.value("is_public", false);
  echo["arrangement_type"] = j.contains("arrangement_type") ? j["arrangement_type"] : json("piano");
  if (echo.contains("additional_data")) echo["additional_data"].erase("bot_token");
  std::string song = j.value("song_name", "");
  if (song.empty()) song = in.file ? file_stem(in.file->filename) : given("audio_url") ? file_stem(j["audio_url"]) : "";
  if (song.empty()) song = "Untitled";
  echo.erase("song_name");
  echo.erase("is_public");
  const std::string hash = crypto::sha256_hex(echo.dump() + '\n' + song + '\n' + (in.file ? in.file->sha256 : ""));

  std::optional<std::string> key;
  if (auto k = req.header("idempotency-key")) {
    if (k->empty() || k->size() > 200)
      throw Error(ErrorKind::BadRequest, "Validation failed", {{"Idempotency-Key", "must have 1 to 200 characters"}});
    key = std::string(*k);
    if (auto earlier = store::conversion_repo::find_by_key(db, who.account_id, *key)) return replay(app, who, *earlier, hash);
  }
  if (store::conversion_repo::count_active(db, who.account_id) >= app.config.convert.max_running_per_account)
    throw Error(ErrorKind::TooManyRequests, "You have " + std::to_string(app.config.convert.max_running_per_account) +
                                                " conversions queued or running; wait for one to finish")
        .with_retry_after(10);

  std::optional<std::string> upload_sha;
  if (in.file) {  // the owner row first: a blob file is never without the row that keeps it
    store::blob_repo::add_owner(db, in.file->sha256, who.account_id);
    upload_sha = app.blobs.put_spooled(who.tenant_id, in.file->path, in.file->sha256);
  }
  json payload = {{"arrangements", arrangements_of(echo["arrangement_type"])}, {"title", song}};
  if (upload_sha) payload["fileId"] = *upload_sha;
  else if (given("file_id")) payload["fileId"] = j["file_id"];
  else if (given("audio_url")) payload["audioUrl"] = j["audio_url"];
  else payload["youtubeLink"] = j["youtube_link"];
  if (j.contains("additional_data") && j["additional_data"].contains("socket_id"))
    payload["socketId"] = j["additional_data"]["socket_id"];

  store::ConversionRecord rec;
  rec.id = new_uuid();
  rec.owner_id = who.account_id;
  rec.song_name = song;
  rec.is_public = j.value("is_public", false);
  rec.request = echo;
  rec.idempotency_key = key;
  rec.request_hash = hash;
  rec.created_at = rec.updated_at = now_ms();
  store::JobRecord job;
  try {
    job = app.jobs.submit(who.tenant_id, who.account_id, "convert", 5, payload,
                          [&](store::Db& conn, const store::JobRecord& row) {
                            rec.job_id = row.id;
                            store::conversion_repo::insert(conn, rec);
                            if (upload_sha) store::conversion_repo::add_blob(conn, rec.id, *upload_sha);
                          });
  } catch (const store::DbError& e) {
    // The same key from a request that committed meanwhile.
    if (key && e.is_unique_violation())
      if (auto earlier = store::conversion_repo::find_by_key(db, who.account_id, *key)) return replay(app, who, *earlier, hash);
    throw;
  }
  return Response::json(202, conversion_body(app, rec, job)).header("Location", "/api/conversions/" + rec.id);
}

namespace {

json page_json(App& app, const std::string& tenant_id, const store::conversion_repo::ListPage& page, std::int64_t limit,
               std::int64_t offset) {
  json items = json::array();
  for (const auto& c : page.items) items.push_back(conversion_body(app, c, app.jobs.get(tenant_id, c.job_id)));
  return {{"conversions", items}, {"total", page.total}, {"limit", limit}, {"offset", offset}};
}

store::conversion_repo::ListQuery list_query(const Request& req) {
  store::conversion_repo::ListQuery q;
  if (auto s = req.query_param("status")) {
    if (!store::parse_job_state(*s))
      throw Error(ErrorKind::BadRequest, "Validation failed",
                  {{"status", "must be one of queued, running, succeeded, failed, cancelled"}});
    q.state = *s;
  }
  q.search = req.query_param("q").value_or("");
  if (q.search.size() > 200) throw Error(ErrorKind::BadRequest, "Validation failed", {{"q", "must be at most 200 characters"}});
  q.limit = static_cast<int>(detail::query_int(req.query_param("limit"), "limit", 20, 1, 100));
  q.offset = static_cast<int>(detail::query_int(req.query_param("offset"), "offset", 0, 0, 1'000'000'000));
  return q;
}

Response list(App& app, Request& req) {
  const auto& who = req.who();
  auto q = list_query(req);
  q.owner_id = who.account_id;
  auto page = store::conversion_repo::list(app.tenants.get(who.tenant_id), q);
  return Response::json(200, page_json(app, who.tenant_id, page, q.limit, q.offset));
}

// The gallery's routes are readable without an account (limited per client address by dispatch); they show the
// tenant of ?tenant= (default: the caller's, else the default tenant). Error(NotFound) for an unknown one.
std::string gallery_tenant(App& app, const Request& req) {
  auto who = authenticate_request(app, req);
  std::string tenant = req.query_param("tenant").value_or(who ? who->tenant_id : "");
  if (tenant.empty()) tenant = app.control.default_tenant().id;
  if (!app.control.find_tenant(tenant)) throw Error(ErrorKind::NotFound, "Tenant " + tenant + " not found");
  return tenant;
}

Response gallery(App& app, Request& req) {
  const auto tenant = gallery_tenant(app, req);
  auto q = list_query(req);
  q.public_only = true;
  if (!req.query_param("status")) q.state = "succeeded";  // the gallery shows finished pieces unless asked
  auto page = store::conversion_repo::list(app.tenants.get(tenant), q);
  return Response::json(200, page_json(app, tenant, page, q.limit, q.offset));
}

// One public conversion; a private or unknown one is a 404.
Response public_one(App& app, Request& req) {
  const auto tenant = gallery_tenant(app, req);
  const auto& id = req.params.at("conversionId");
  auto not_found = Error(ErrorKind::NotFound, "Conversion " + id + " not found");
  if (!is_uuid(id)) throw not_found;
  auto c = store::conversion_repo::find(app.tenants.get(tenant), id);
  if (!c || !c->is_public) throw not_found;
  return Response::json(200, conversion_body(app, *c, app.jobs.get(tenant, c->job_id)));
}

Response patch(App& app, Request& req) {
  auto found = conversion_for(app, req, true);
  const auto& j = req.json();
  std::optional<std::string> name;
  std::optional<bool> pub;
  if (j.contains("song_name") && !j["song_name"].is_null()) name = j["song_name"].get<std::string>();
  if (j.contains("is_public") && !j["is_public"].is_null()) pub = j["is_public"].get<bool>();
  auto& db = app.tenants.get(req.who().tenant_id);
  store::conversion_repo::update(db, found.conversion.id, name, pub);
  auto c = store::conversion_repo::find(db, found.conversion.id);
  if (!c) throw Error(ErrorKind::NotFound, "Conversion " + found.conversion.id + " not found");
  return Response::json(200, conversion_body(app, *c, found.job));
}

Response cancel(App& app, Request& req) {
  auto found = conversion_for(app, req, true);
  auto job = app.jobs.cancel(req.who().tenant_id, found.job.id);  // 409 once finished
  return Response::json(200, conversion_body(app, found.conversion, job));
}

Response remove(App& app, Request& req) {
  auto found = conversion_for(app, req, true);
  const auto& tenant = req.who().tenant_id;
  if (found.job.state == store::JobState::Queued) found.job = app.jobs.cancel(tenant, found.job.id);
  if (found.job.state == store::JobState::Running)
    throw Error(ErrorKind::Conflict, "The conversion is running: cancel it first (POST /api/conversions/" +
                                         found.conversion.id + "/cancel), then delete it");
  auto& db = app.tenants.get(tenant);
  store::conversion_repo::remove(db, found.conversion.id);
  store::blob_repo::collect_garbage(db, app.blobs, tenant);
  return Response::empty(204);
}

Response deliveries(App& app, Request& req) {
  auto found = conversion_for(app, req, true);
  json out = json::array();
  for (const auto& d : store::webhook_repo::for_conversion(app.tenants.get(req.who().tenant_id), found.conversion.id))
    out.push_back({{"id", d.id},
                   {"url", d.url},
                   {"state", store::to_string(d.state)},
                   {"attempts", d.attempts},
                   {"lastStatus", d.last_status},
                   {"lastError", d.last_error},
                   {"nextAttemptAt", d.state == store::DeliveryState::Pending ? json(iso8601(d.next_at)) : json(nullptr)},
                   {"createdAt", iso8601(d.created_at)},
                   {"updatedAt", iso8601(d.updated_at)}});
  return Response::json(200, {{"deliveries", out}});
}

Response secret_status(App& app, Request& req) {
  const auto& who = req.who();
  auto at = store::webhook_repo::secret_created_at(app.tenants.get(who.tenant_id), who.account_id);
  return Response::json(200, {{"exists", at.has_value()}, {"createdAt", at ? json(iso8601(*at)) : json(nullptr)}});
}

Response rotate_secret(App& app, Request& req) {
  const auto& who = req.who();
  auto& db = app.tenants.get(who.tenant_id);
  auto secret = store::webhook_repo::rotate_secret(db, who.account_id);
  auto at = store::webhook_repo::secret_created_at(db, who.account_id).value_or(now_ms());
  return Response::json(201, {{"secret", secret}, {"createdAt", iso8601(at)}}).header("Cache-Control", "no-store");
}

}  // namespace

void add_conversion_routes(App& app) {
  auto& r = app.router;
  r.add("POST", "/api/convert", [&app](Request& req) { return submit_conversion(app, req, {}); }, {.upload = true, .body = &kConvert});
  r.add("GET", "/api/conversions", [&app](Request& req) { return list(app, req); });
  r.add("GET", "/api/conversions/public", [&app](Request& req) { return gallery(app, req); },
        {.access = Access::Public, .limit_reads = true});
  r.add("GET", "/api/conversions/public/{conversionId}", [&app](Request& req) { return public_one(app, req); },
        {.access = Access::Public, .limit_reads = true});
  r.add("GET", "/api/conversions/{conversionId}", [&app](Request& req) {
    return Response::json(200, conversion_view(app, req.who(), req.params.at("conversionId")));
  });
  r.add("PATCH", "/api/conversions/{conversionId}", [&app](Request& req) { return patch(app, req); },
        {.body = &kConversionPatch});
  r.add("DELETE", "/api/conversions/{conversionId}", [&app](Request& req) { return remove(app, req); });
  r.add("POST", "/api/conversions/{conversionId}/cancel", [&app](Request& req) { return cancel(app, req); });
  r.add("GET", "/api/conversions/{conversionId}/deliveries", [&app](Request& req) { return deliveries(app, req); });
  r.add("GET", "/api/webhook-secret", [&app](Request& req) { return secret_status(app, req); });
  r.add("POST", "/api/webhook-secret", [&app](Request& req) { return rotate_secret(app, req); });
}

}  // namespace cadenza::http

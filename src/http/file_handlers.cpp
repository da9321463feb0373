// Files: upload into the tenant's blob store, download through expiring signed URLs, with the file's type,
// a file name and byte ranges.
#include <algorithm>
#include <filesystem>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/store/blob_repo.hpp"
#include "file_response.hpp"
#include "json_fields.hpp"

namespace cadenza::http {
namespace {

// A file name fit for a Content-Disposition header and a file system: valid UTF-8 (invalid bytes are
// dropped), quotes, slashes, backslashes and control characters replaced by '_', no leading or trailing
// spaces or dots (no ".." or hidden files), at most 200 bytes. "" when nothing is left.
std::string clean_file_name(std::string_view name) {
  // nlohmann's dump with error_handler_t::ignore skips invalid UTF-8; parsing it back gives the valid rest.
  auto valid = nlohmann::json::parse(
                   nlohmann::json(std::string(name)).dump(-1, ' ', false, nlohmann::json::error_handler_t::ignore))
                   .get<std::string>();
  for (auto& c : valid) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == '"' || c == '/' || c == '\\') c = '_';
  }
  if (valid.size() > 200) {
    std::size_t cut = 200;
    while (cut > 0 && (static_cast<unsigned char>(valid[cut]) & 0xC0) == 0x80) --cut;  // not inside a character
    valid.resize(cut);
  }
  auto first = valid.find_first_not_of(" ."), last = valid.find_last_not_of(" .");
  return first == std::string::npos ? "" : valid.substr(first, last - first + 1);
}

// `attachment` with the name twice: filename= in ASCII (each other character, and '%' which some clients
// decode, as '_') for old clients, filename*= (RFC 8187) in full.
std::string content_disposition(const std::string& name) {
  std::string ascii;
  for (std::size_t i = 0; i < name.size(); ++i) {
    auto u = static_cast<unsigned char>(name[i]);
    if ((u & 0xC0) == 0x80) continue;  // a continuation byte: its character is already a '_'
    ascii.push_back(u >= 0x80 || name[i] == '%' ? '_' : name[i]);
  }
  return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + url_encode(name);
}

// The body (raw, or the part named "file" of a multipart/form-data form) arrives spooled to disk and
// hashed (see upload_spool.hpp); it moves into the blob store here. The name downloads offer: ?name=, else
// the form's "name" field, else the file part's filename.
Response upload(App& app, Request& req) {
  const auto& who = req.who();
  if (!req.upload) throw Error(ErrorKind::BadRequest, "Validation failed", {{"body", "the file is empty"}});
  const auto& up = *req.upload;
  for (const auto& [field, value] : up.fields)
    if (field != "name") throw Error(ErrorKind::BadRequest, "Validation failed", {{field, "unknown form field"}});
  if (up.size == 0)
    throw Error(ErrorKind::BadRequest, "Validation failed", {{up.multipart ? "file" : "body", "the file is empty"}});
  // The owner row first: a blob file is never without the row that keeps it (blob_repo).
  store::blob_repo::add_owner(app.tenants.get(who.tenant_id), up.sha256, who.account_id);
  auto sha = app.blobs.put_spooled(who.tenant_id, up.path, up.sha256);
  auto field = up.fields.find("name");
  auto name = clean_file_name(req.query_param("name").value_or(field != up.fields.end() ? field->second : up.filename));
  return Response::json(201, {{"id", sha},
                              {"size", up.size},
                              {"url", signed_url(app, who.tenant_id, sha, name)},
                              {"expiresInSeconds", app.config.storage.signed_url_ttl_s}});
}

Response download(App& app, Request& req) {
  const auto& tenant = req.params.at("tenant");
  const auto& sha = req.params.at("sha");
  auto expires = detail::query_int(req.query_param("expires"), "expires", -1, 0, 1LL << 40);
  auto sig = req.query_param("sig");
  auto name = req.query_param("name").value_or("");
  if (expires < 0 || !sig) throw Error(ErrorKind::Forbidden, "Download link is not signed");
  if (!app.blobs.verify(tenant, sha, expires, *sig, now_s(), name))
    throw Error(ErrorKind::Forbidden, "Download link is invalid or has expired");
  auto path = app.blobs.path(tenant, sha);
  if (!path) throw Error(ErrorKind::NotFound, "File not found");
  const auto size = static_cast<std::uint64_t>(std::filesystem::file_size(*path));
  const auto type = detail::sniff(detail::file_head(*path));
  const auto etag = "\"" + sha + "\"";
  name = clean_file_name(name);
  if (name.empty()) name = sha.substr(0, 12) + "." + type.extension;

  Response r;
  r.content_type = type.type;
  r.file_path = path->string();
  r.header("Cache-Control", "private, max-age=" + std::to_string(std::max<long long>(0, expires - now_s())));
  r.header("Content-Disposition", content_disposition(name));
  return detail::file_response(req, std::move(r), {*path, size, etag, ""});
}

}  // namespace

std::string signed_url(App& app, const std::string& tenant, const std::string& sha, const std::string& name) {
  auto expires = now_s() + app.config.storage.signed_url_ttl_s;
  return app.config.server.public_url + "/api/blobs/" + tenant + "/" + sha + "?" +
         (name.empty() ? "" : "name=" + url_encode(name) + "&") + app.blobs.signed_query(tenant, sha, expires, name);
}

void add_file_routes(App& app) {
  app.router.add("POST", "/api/files", [&app](Request& req) { return upload(app, req); },
                 {.upload = true});
  app.router.add("GET", "/api/blobs/{tenant}/{sha}", [&app](Request& req) { return download(app, req); },
                 {.access = Access::Public});
}

}  // namespace cadenza::http

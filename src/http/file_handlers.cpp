// Files: upload into the tenant's blob store, download through expiring signed URLs.
#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/http/app.hpp"
#include "json_fields.hpp"

namespace cadenza::http {
namespace {

std::string signed_url(App& app, const std::string& tenant, const std::string& sha) {
  auto expires = now_s() + app.config.storage.signed_url_ttl_s;
  return app.config.server.public_url + "/api/blobs/" + tenant + "/" + sha + "?" +
         app.blobs.signed_query(tenant, sha, expires);
}

Response upload(App& app, Request& req) {
  const auto& who = req.who();
  if (req.body.empty()) throw Error(ErrorKind::BadRequest, "Validation failed", {{"body", "the file is empty"}});
  auto sha = app.blobs.put(who.tenant_id, req.body);
  return Response::json(201, {{"id", sha}, {"size", req.body.size()}, {"url", signed_url(app, who.tenant_id, sha)},
                              {"expiresInSeconds", app.config.storage.signed_url_ttl_s}});
}

Response download(App& app, Request& req) {
  const auto& tenant = req.params.at("tenant");
  const auto& sha = req.params.at("sha");
  auto expires = detail::query_int(req.query_param("expires"), "expires", -1, 0, 1LL << 40);
  auto sig = req.query_param("sig");
  if (expires < 0 || !sig) throw Error(ErrorKind::Forbidden, "Download link is not signed");
  if (!app.blobs.verify(tenant, sha, expires, *sig, now_s()))
    throw Error(ErrorKind::Forbidden, "Download link is invalid or has expired");
  auto path = app.blobs.path(tenant, sha);
  if (!path) throw Error(ErrorKind::NotFound, "File not found");
  Response r;
  r.content_type = "application/octet-stream";
  r.file_path = path->string();
  r.header("Cache-Control", "private, max-age=" + std::to_string(std::max<long long>(0, expires - now_s())));
  r.header("ETag", "\"" + sha + "\"");
  return r;
}

}  // namespace

void add_file_routes(App& app) {
  app.router.add("POST", "/api/files", [&app](Request& req) { return upload(app, req); }, Access::Authenticated,
                 /*upload=*/true);
  app.router.add("GET", "/api/blobs/{tenant}/{sha}", [&app](Request& req) { return download(app, req); },
                 Access::Public);
}

}  // namespace cadenza::http

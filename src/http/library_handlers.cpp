// The server's music library: POST /api/admin/library/scan (admins) submits an import_library job
// (pipeline/import_library_job.hpp) that scans a folder inside library.root into the tenant's tracks.
// 409 while library.root is not set, 400 for a path outside it, 404 for a folder that is not there.
#include "cadenza/core/error.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/jobs/job_json.hpp"
#include "cadenza/pipeline/import_library_job.hpp"

namespace cadenza::http {
namespace {

nlohmann::json scan_members() {
  using namespace schema;
  return object({{"path", with(string(4096), "description", "a folder inside library.root: absolute, or relative to it"), Required},
                 {"force", with(boolean(), "default", false)}});
}
const schema::Body kScan{"LibraryScan", scan_members()};

Response scan(App& app, Request& req) {
  if (!req.who().is_admin()) throw Error(ErrorKind::Forbidden, "Only the tenant's admins may scan the music library");
  const auto& body = req.json();  // a malformed body is a 400 first, as on every route
  if (app.config.library.root.empty())
    throw Error(ErrorKind::Conflict, "No music library is configured: set library.root to the folder scans may read");
  const auto folder = pipeline::library_folder(app.config.library.root, body.at("path").get<std::string>());
  const auto& who = req.who();
  nlohmann::json payload = {{"path", folder.string()}, {"force", body.value("force", false)}};
  auto job = app.jobs.submit(who.tenant_id, who.account_id, pipeline::kImportLibraryKind, 0, std::move(payload));
  return Response::json(202, {{"job", jobs::job_json(job)}}).header("Location", "/api/jobs/" + job.id);
}

}  // namespace

void add_library_routes(App& app) {
  app.router.add("POST", "/api/admin/library/scan", [&app](Request& req) { return scan(app, req); }, {.body = &kScan});
}

}  // namespace cadenza::http

// POST /api/admin/library/scan in process: who may scan (admins: 403 for others, 401 without credentials),
// library.root (409 naming it while it is empty, 400 for a path outside it or a bad body, 404 for a folder that
// is not there), and the import_library job: progress, the result's counts (added, unchanged, failed with the
// reason), a re-scan that reads nothing unchanged, and the tracks it made in GET /api/tracks.
#include <doctest/doctest.h>

#include "listener_fixture.hpp"
#include "support/library_fixture.hpp"
#include "support/temp_dir.hpp"
#include "test_server.hpp"

using namespace cadenza;
using namespace cadenza::test;
using namespace cadenza::test::listener;
using nlohmann::json;

namespace {
constexpr const char* kScan = "/api/admin/library/scan";

json finished(World& w, const std::string& job_id) {
  return wait_job(*w.s, job_id, w.admin, [](const json& j) { return j["state"] != "queued" && j["state"] != "running"; });
}
}  // namespace

TEST_CASE("library scan: 409 while library.root is not set, naming it") {
  World w;
  auto r = w.s->post(kScan, {{"path", "/tmp"}}, w.admin);
  CHECK(r.status == 409);
  CHECK(r.json()["message"].get<std::string>().find("library.root") != std::string::npos);
  CHECK(w.s->post(kScan, {{"path", "/tmp"}}, w.alice).status == 403);
}

TEST_CASE("library scan: admins only, inside library.root, and the job's counts") {
  TempDir root;
  library::make_library(root.path() / "music");
  std::filesystem::create_directories(root.path() / "empty");
  World w({"library.root=" + root.str(), "library.transcribe_s=0"});

  CHECK(w.s->post(kScan, {{"path", "music"}}).status == 401);
  CHECK(w.s->post(kScan, {{"path", "music"}}, w.alice).status == 403);
  for (const std::string& outside : std::vector<std::string>{"/etc", "..", "music/../..", root.str() + "-other", "/"}) {
    INFO(outside);
    auto r = w.s->post(kScan, {{"path", outside}}, w.admin);
    CHECK(r.status == 400);
    if (r.status == 400) CHECK(r.json()["errors"].contains("path"));
  }
  CHECK(w.s->post(kScan, {{"path", "nope"}}, w.admin).status == 404);
  CHECK(w.s->post(kScan, json::object(), w.admin).status == 400);
  CHECK(w.s->post(kScan, {{"path", "music"}, {"extra", 1}}, w.admin).status == 400);
  CHECK(w.s->post(kScan, {{"path", "music"}, {"force", "yes"}}, w.admin).status == 400);

  auto submitted = w.s->post(kScan, {{"path", "music"}}, w.admin);
  REQUIRE(submitted.status == 202);
  CHECK(submitted.json()["job"]["kind"] == "import_library");
  CHECK(submitted.json()["job"]["payload"]["path"] == std::filesystem::canonical(root.path() / "music").string());
  auto job = finished(w, submitted.json()["job"]["id"].get<std::string>());
  REQUIRE(job["state"] == "succeeded");
  const auto& r = job["result"];
  CHECK(r["files"] == library::kLibraryAudioFiles);
  CHECK(r["read"] == library::kLibraryAudioFiles);
  CHECK(r["added"] == library::kLibraryGoodFiles);
  CHECK(r["unchanged"] == 0);
  CHECK(r["removed"] == 0);
  CHECK(r["failed"] == 1);
  REQUIRE(r["failures"].size() == 1);
  CHECK(r["failures"][0]["path"].get<std::string>().find("corrupt.flac") != std::string::npos);
  CHECK(r["modeFrom"] == "chroma");
  CHECK(job["progress"] == 1.0);
  // Progress events went out while it ran (coalesced, so not every stage need be there; the last one is).
  const auto id = job["id"].get<std::string>();
  CHECK(w.count("SELECT count(*) FROM job_events WHERE type = 'job.progress' AND job_id = '" + id + "'") >= 1);
  auto stages = sqlite_query(w.tenant_db(), "SELECT text FROM job_events WHERE type = 'job.progress' AND job_id = '" + id + "' ORDER BY seq");
  REQUIRE_FALSE(stages.empty());
  CHECK(json::parse(stages.back()[0])["job"]["stage"] == "done");

  auto tracks = w.s->get("/api/tracks?q=Clicks", w.alice);
  REQUIRE(tracks.status == 200);
  CHECK(tracks.json()["items"].size() == 2);

  // An absolute path inside the root works too; nothing unchanged is read again.
  auto again = w.s->post(kScan, {{"path", (root.path() / "music").string()}}, w.admin);
  REQUIRE(again.status == 202);
  auto job2 = finished(w, again.json()["job"]["id"].get<std::string>());
  REQUIRE(job2["state"] == "succeeded");
  CHECK(job2["result"]["read"] == 0);
  CHECK(job2["result"]["unchanged"] == library::kLibraryGoodFiles);
  CHECK(job2["result"]["added"] == 0);
  CHECK(job2["result"]["failed"] == 1);

  // The root itself is inside; an empty folder scans to nothing.
  auto empty = w.s->post(kScan, {{"path", "empty"}, {"force", true}}, w.admin);
  REQUIRE(empty.status == 202);
  auto job3 = finished(w, empty.json()["job"]["id"].get<std::string>());
  REQUIRE(job3["state"] == "succeeded");
  CHECK(job3["result"]["files"] == 0);
}

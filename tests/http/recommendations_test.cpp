// Recommendations in process: GET /api/profiles/{id}/recommendations before and after a training (the
// collaborative reason appears once a model is in use), who may read them, the query's 400s, and the models
// routes: POST /api/admin/models/train runs a train_recommender job (admins only), GET /api/admin/models lists
// the versions with their held-out metrics; too little data fails the job with the reason.
#include <doctest/doctest.h>

#include "cadenza/pipeline/training_schedule.hpp"
#include "cadenza/store/listen_repo.hpp"
#include "cadenza/store/preference_repo.hpp"
#include "cadenza/store/track_repo.hpp"
#include "listener_fixture.hpp"
#include "support/track_fixture.hpp"
#include "test_server.hpp"

using namespace cadenza;
using namespace cadenza::test;
using namespace cadenza::test::listener;
using nlohmann::json;

namespace {

// Trainings only on request here (the scheduled one has its own test).
const std::vector<std::string> kLongRetention = {"recommend.listen_ttl_days=3650", "recommend.train_interval_h=0"};
constexpr std::int64_t kT = 1795336000000;  // 2026-11-22

// Two taste groups of 10 tracks: calm jazz by j0..j4, loud rock by r0..r4.
std::vector<store::Track> seed_tracks(InProcess& s) {
  std::vector<store::Track> ts;
  for (int a = 0; a < 5; ++a)
    for (int k = 0; k < 2; ++k) {
      ts.push_back(track("j" + std::to_string(a), "calm " + std::to_string(a * 2 + k), 0.2, 90, {"jazz"}));
      ts.push_back(track("r" + std::to_string(a), "loud " + std::to_string(a * 2 + k), 0.9, 150, {"rock"}));
    }
  store::track_repo::upsert(s.app().tenants.get(s.app().control.default_tenant().id), ts);
  return ts;
}

// Listens of 20 other profiles of the tenant: each plays 6 of its group's tracks.
void seed_listens(InProcess& s, const std::vector<store::Track>& ts) {
  auto& db = s.app().tenants.get(s.app().control.default_tenant().id);
  for (int u = 0; u < 20; ++u) {
    std::vector<store::Listen> ls;
    for (int k = 0; k < 6; ++k) {
      store::Listen l;
      l.track_id = ts[((u + k) % 10) * 2 + u % 2].id;  // even u: calm tracks, odd u: loud ones
      l.started_at = kT + k * 1000;
      l.played_ms = 100000;
      l.outcome = store::ListenOutcome::Completed;
      ls.push_back(l);
    }
    store::listen_repo::insert(db, "profile-" + std::to_string(u), ls);
  }
}

}  // namespace

TEST_CASE("recommendations: reasons without a model; a training (admins) puts the collaborative model in use") {
  World w(kLongRetention);
  auto ts = seed_tracks(*w.s);
  seed_listens(*w.s, ts);
  const auto R = w.profile(w.alice_id) + "/recommendations";
  // Alice played two calm tracks.
  json played = {{"listens",
                  {{{"trackId", ts[0].id}, {"startedAt", kT}, {"playedMs", 200000}, {"completed", true}},
                   {{"trackId", ts[2].id}, {"startedAt", kT + 1}, {"playedMs", 200000}, {"completed", true}}}}};
  REQUIRE(w.s->post(w.profile(w.alice_id) + "/listens", played, w.alice).status == 201);

  auto before = w.s->get(R + "?context=none", w.alice);
  REQUIRE(before.status == 200);
  auto b = before.json();
  CHECK(b["model"].is_null());
  REQUIRE(b["items"].size() > 0);
  for (const auto& item : b["items"]) CHECK(item["reasons"].size() >= 1);
  CHECK(b["items"][0]["track"]["artist"] == "j0");  // the artist she played
  CHECK(b["items"][0]["reasons"][0].get<std::string>().find("you played j0") == 0);

  // Who may train: admins only.
  CHECK(w.s->post("/api/admin/models/train", json::object(), w.alice).status == 403);
  CHECK(w.s->get("/api/admin/models", w.alice).status == 403);
  auto submitted = w.s->post("/api/admin/models/train", json::object(), w.admin);
  REQUIRE(submitted.status == 202);
  const auto job_id = submitted.json()["job"]["id"].get<std::string>();
  CHECK(submitted.json()["job"]["kind"] == "train_recommender");
  auto job = wait_job(*w.s, job_id, w.admin, [](const json& j) { return j["state"] != "queued" && j["state"] != "running"; });
  REQUIRE(job["state"] == "succeeded");
  CHECK(job["result"]["version"] == 1);
  CHECK(job["result"]["learnedProfiles"] == 21);
  CHECK(job["result"]["metrics"]["profiles"] == 21);

  auto models = w.s->get("/api/admin/models", w.admin);
  REQUIRE(models.status == 200);
  auto m = models.json()["models"];
  REQUIRE(m.size() == 1);
  CHECK(m[0]["version"] == 1);
  CHECK(m[0]["inUse"] == true);
  CHECK(m[0]["jobId"] == job_id);
  CHECK(m[0]["metrics"]["evaluation"]["recall"].get<double>() > 0);

  auto after = w.s->get(R + "?context=none&limit=5", w.alice);
  REQUIRE(after.status == 200);
  auto a = after.json();
  CHECK(a["model"]["version"] == 1);
  REQUIRE(a["items"].size() == 5);
  for (const auto& item : a["items"]) CHECK(item["track"]["genres"][0] == "jazz");  // her taste group
  bool collaborative = false;
  for (const auto& item : a["items"])
    for (const auto& r : item["reasons"]) collaborative |= r.get<std::string>().find("listeners who play") == 0;
  CHECK(collaborative);
  // Training wrote her learned preferences (never shown by the preferences routes).
  auto learned = store::preference_repo::list_learned(w.s->app().tenants.get(w.s->app().control.default_tenant().id), w.alice_id);
  CHECK(!learned.empty());
  CHECK(w.s->get(w.profile(w.alice_id) + "/preferences", w.alice).json()["count"] == 0);

  // A second training is version 2, in use at once.
  auto second = w.s->post("/api/admin/models/train", json::object(), w.admin);
  REQUIRE(second.status == 202);
  wait_job(*w.s, second.json()["job"]["id"].get<std::string>(), w.admin,
           [](const json& j) { return j["state"] == "succeeded" || j["state"] == "failed"; });
  CHECK(w.s->get(R, w.alice).json()["model"]["version"] == 2);
}

TEST_CASE("recommendations: who may read them, and the query's 400s") {
  World w(kLongRetention);
  seed_tracks(*w.s);
  const auto R = w.profile(w.alice_id) + "/recommendations";
  CHECK(w.s->get(R, "").status == 401);
  CHECK(w.s->get(R, w.bob).status == 403);
  CHECK(w.s->get(R, w.admin).status == 200);  // the tenant's admin
  auto bad = w.s->get(R + "?context=disco&limit=0", w.alice);
  REQUIRE(bad.status == 400);
  CHECK(bad.json()["errors"].contains("limit"));
  auto ctx = w.s->get(R + "?context=disco", w.alice);
  REQUIRE(ctx.status == 400);
  CHECK(ctx.json()["errors"].contains("context"));
  auto unknown = w.s->get(R + "?mood=happy", w.alice);
  REQUIRE(unknown.status == 400);
  CHECK(unknown.json()["errors"].contains("mood"));
  // A genre filter and a named context.
  auto rock = w.s->get(R + "?genre=ROCK&context=workout", w.alice).json();
  REQUIRE(rock["items"].size() > 0);
  for (const auto& item : rock["items"]) CHECK(item["track"]["genres"][0] == "rock");
  CHECK(rock["context"]["name"] == "workout");
  CHECK(rock["items"][0]["reasons"][0] == "energetic, for a workout");
}

TEST_CASE("recommendations: a training without enough listening data fails and says why") {
  World w(kLongRetention);
  seed_tracks(*w.s);
  auto submitted = w.s->post("/api/admin/models/train", json::object(), w.admin);
  REQUIRE(submitted.status == 202);
  auto job = wait_job(*w.s, submitted.json()["job"]["id"].get<std::string>(), w.admin,
                      [](const json& j) { return j["state"] == "succeeded" || j["state"] == "failed"; });
  CHECK(job["state"] == "failed");
  CHECK(job["error"].dump().find("not enough listening data") != std::string::npos);
  CHECK(w.s->get("/api/admin/models", w.admin).json()["models"].size() == 0);
}

TEST_CASE("recommendations: the schedule trains a tenant whose listens are newer than its model, once") {
  World w(kLongRetention);
  auto ts = seed_tracks(*w.s);
  auto& app = w.s->app();
  pipeline::TrainingSchedule schedule(app.control, app.tenants, app.jobs, std::chrono::hours(1));
  CHECK(schedule.submit_due() == 0);  // no listens yet
  seed_listens(*w.s, ts);
  CHECK(schedule.submit_due() == 1);
  CHECK(schedule.submit_due() == 0);  // that training is queued or running
  auto jobs = w.s->get("/api/jobs?all=true", w.admin).json();
  std::string id;
  for (const auto& j : jobs["jobs"])
    if (j["kind"] == "train_recommender") id = j["id"];
  REQUIRE(!id.empty());
  auto job = wait_job(*w.s, id, w.admin, [](const json& j) { return j["state"] == "succeeded" || j["state"] == "failed"; });
  CHECK(job["state"] == "succeeded");
  CHECK(schedule.submit_due() == 0);  // the model is newer than every listen
}

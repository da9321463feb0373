#include <doctest/doctest.h>

#include <optional>
#include <thread>
#include <vector>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/store/job_repo.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "support/temp_dir.hpp"

using namespace cadenza;
using namespace cadenza::store;

namespace {

JobRecord job(const std::string& tenant, const std::string& owner, std::int64_t created, const std::string& kind = "transcribe") {
  JobRecord j;
  j.id = new_uuid();
  j.tenant_id = tenant;
  j.owner_id = owner;
  j.kind = kind;
  j.payload = {{"source", "upload"}, {"n", 3}};
  j.created_at = j.updated_at = created;
  return j;
}

}  // namespace

TEST_CASE("tenant databases are separate files; a job in A is invisible from B") {
  test::TempDir dir;
  TenantDbs dbs(dir.storage());
  const auto a = new_uuid(), b = new_uuid();
  auto j = job(a, "owner", 1);
  job_repo::insert(dbs.get(a), j);
  CHECK(job_repo::find(dbs.get(a), j.id));
  CHECK_FALSE(job_repo::find(dbs.get(b), j.id));
  CHECK(job_repo::list(dbs.get(b), "", std::nullopt, 100, 0).empty());
  CHECK(&dbs.get(a) == &dbs.get(a));
  CHECK(&dbs.get(a) != &dbs.get(b));
  // Upper-case spelling reaches the same file.
  std::string upper = a;
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  CHECK(&dbs.get(upper) == &dbs.get(a));

  auto existing = dbs.existing();
  CHECK(existing.size() == 2);
  CHECK(std::find(existing.begin(), existing.end(), a) != existing.end());
  CHECK(std::filesystem::exists(std::filesystem::path(dir.storage().data_dir) / "tenants" / (a + ".db")));

  for (auto bad : {"", "..", "../control", "not-a-uuid", "00000000-0000-0000-0000-00000000000/"}) {
    CHECK_THROWS_AS(dbs.get(bad), Error);
  }
  // Reopening finds the data again.
  TenantDbs again(dir.storage());
  CHECK(job_repo::find(again.get(a), j.id)->payload["n"] == 3);
}

TEST_CASE("TenantDbs::get is thread-safe") {
  test::TempDir dir;
  TenantDbs dbs(dir.storage());
  const auto a = new_uuid();
  std::vector<std::thread> threads;
  std::vector<Database*> seen(4);
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      seen[i] = &dbs.get(a);
      job_repo::insert(*seen[i], job(a, "o", i));
    });
  }
  for (auto& t : threads) t.join();
  for (auto* p : seen) CHECK(p == seen[0]);
  CHECK(job_repo::count_queued(dbs.get(a), "") == 4);
}

TEST_CASE("job_repo: insert, find, state transitions") {
  test::TempDir dir;
  TenantDbs dbs(dir.storage());
  const auto t = new_uuid();
  auto& db = dbs.get(t);
  auto j = job(t, "alice", 1000);
  j.priority = 5;
  job_repo::insert(db, j);
  CHECK_THROWS_AS(job_repo::insert(db, j), Error);  // same id: Conflict
  try {
    job_repo::insert(db, j);
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::Conflict);
  }

  auto f = *job_repo::find(db, j.id);
  CHECK(f.state == JobState::Queued);
  CHECK(f.priority == 5);
  CHECK(f.payload == j.payload);
  CHECK(f.result.is_null());
  CHECK(f.started_at == 0);
  CHECK_FALSE(job_repo::find(db, new_uuid()));

  job_repo::mark_running(db, j.id, 2000);
  f = *job_repo::find(db, j.id);
  CHECK(f.state == JobState::Running);
  CHECK(f.attempts == 1);
  CHECK(f.started_at == 2000);
  CHECK(f.updated_at == 2000);

  job_repo::update_progress(db, j.id, 0.5, "decoding", 2500);
  f = *job_repo::find(db, j.id);
  CHECK(f.progress == doctest::Approx(0.5));
  CHECK(f.stage == "decoding");

  job_repo::requeue(db, j.id, 3000);
  f = *job_repo::find(db, j.id);
  CHECK(f.state == JobState::Queued);
  CHECK(f.progress == 0);
  CHECK(f.attempts == 1);

  job_repo::mark_running(db, j.id, 4000);
  job_repo::finish(db, j.id, JobState::Succeeded, {{"midi", "abc"}}, {}, 5000);
  f = *job_repo::find(db, j.id);
  CHECK(f.state == JobState::Succeeded);
  CHECK(f.attempts == 2);
  CHECK(f.finished_at == 5000);
  CHECK(f.progress == 1.0);
  CHECK(f.result["midi"] == "abc");

  auto k = job(t, "alice", 1100);
  job_repo::insert(db, k);
  job_repo::finish(db, k.id, JobState::Failed, nullptr, {"unprocessable", "decoder exploded", {{"audio", "bad"}}}, 1200);
  f = *job_repo::find(db, k.id);
  CHECK(f.state == JobState::Failed);
  CHECK(f.error.message == "decoder exploded");
  CHECK(f.error.kind == "unprocessable");
  CHECK(f.error.fields == nlohmann::json{{"audio", "bad"}});

  CHECK_THROWS_AS(job_repo::finish(db, k.id, JobState::Running, nullptr, {}, 1), Error);
  CHECK_THROWS_AS(job_repo::mark_running(db, new_uuid(), 1), Error);
  CHECK_THROWS_AS(job_repo::update_progress(db, new_uuid(), 0.1, "", 1), Error);
}

TEST_CASE("job_repo: list, unfinished, count_queued, count_by_state") {
  test::TempDir dir;
  TenantDbs dbs(dir.storage());
  const auto t = new_uuid();
  auto& db = dbs.get(t);
  std::vector<JobRecord> jobs;
  for (int i = 0; i < 6; ++i) {
    jobs.push_back(job(t, i % 2 ? "bob" : "alice", 100 + i));
    job_repo::insert(db, jobs.back());
  }
  job_repo::mark_running(db, jobs[0].id, 200);                                  // alice running
  job_repo::finish(db, jobs[1].id, JobState::Cancelled, nullptr, {}, 201);    // bob cancelled
  job_repo::mark_running(db, jobs[2].id, 202);
  job_repo::finish(db, jobs[2].id, JobState::Succeeded, nullptr, {}, 203);    // alice done
  // queued: alice 4, bob 3, bob 5

  CHECK(job_repo::count_queued(db, "alice") == 1);
  CHECK(job_repo::count_queued(db, "bob") == 2);
  CHECK(job_repo::count_queued(db, "") == 3);
  CHECK(job_repo::count_queued(db, "carol") == 0);

  auto unfinished = job_repo::unfinished(db);
  REQUIRE(unfinished.size() == 4);
  CHECK(unfinished[0].id == jobs[0].id);  // oldest first
  CHECK(unfinished[1].id == jobs[3].id);
  CHECK(unfinished[3].id == jobs[5].id);

  auto all = job_repo::list(db, "", std::nullopt, 100, 0);
  REQUIRE(all.size() == 6);
  CHECK(all[0].id == jobs[5].id);  // newest first
  auto bob = job_repo::list(db, "bob", std::nullopt, 100, 0);
  CHECK(bob.size() == 3);
  auto bob_queued = job_repo::list(db, "bob", JobState::Queued, 100, 0);
  CHECK(bob_queued.size() == 2);
  auto page = job_repo::list(db, "", std::nullopt, 2, 2);
  REQUIRE(page.size() == 2);
  CHECK(page[0].id == jobs[3].id);
  CHECK(job_repo::list(db, "", JobState::Succeeded, 10, 0).at(0).id == jobs[2].id);

  auto counts = job_repo::count_by_state(db);
  CHECK(counts.at("queued") == 3);
  CHECK(counts.at("running") == 1);
  CHECK(counts.at("succeeded") == 1);
  CHECK(counts.at("cancelled") == 1);
  CHECK(counts.at("failed") == 0);

  // Functions join a surrounding transaction (and roll back with it).
  CHECK_THROWS(db.write([&](Db&) {
    job_repo::requeue(db, jobs[0].id, 300);
    CHECK(job_repo::find(db, jobs[0].id)->state == JobState::Queued);
    throw std::runtime_error("abort");
  }));
  CHECK(job_repo::find(db, jobs[0].id)->state == JobState::Running);
}

TEST_CASE("job_repo::finished_since: one owner's finished jobs of one kind, from a time on, oldest first") {
  test::TempDir dir;
  TenantDbs dbs(dir.storage());
  const auto t = new_uuid();
  auto& db = dbs.get(t);
  auto add = [&](const std::string& owner, const std::string& kind, std::optional<std::int64_t> finished,
                 JobState state = JobState::Succeeded) {
    auto j = job(t, owner, 100, kind);
    job_repo::insert(db, j);
    if (finished) {
      job_repo::mark_running(db, j.id, *finished - 1);
      job_repo::finish(db, j.id, state, nullptr, {}, *finished);
    }
    return j.id;
  };
  const auto late = add("alice", "convert", 500);
  const auto early = add("alice", "convert", 300, JobState::Failed);
  add("alice", "convert", 299);                  // before since
  add("alice", "transcribe", 400);               // another kind
  add("bob", "convert", 400);                    // another owner
  add("alice", "convert", std::nullopt);         // still queued
  const auto cancelled = add("alice", "convert", 450, JobState::Cancelled);
  auto found = job_repo::finished_since(db, "alice", "convert", 300, 10);
  REQUIRE(found.size() == 3);
  CHECK(found[0].id == early);
  CHECK(found[1].id == cancelled);
  CHECK(found[2].id == late);
  CHECK(job_repo::finished_since(db, "alice", "convert", 300, 1).at(0).id == early);
  CHECK(job_repo::finished_since(db, "alice", "convert", 501, 10).empty());
}

TEST_CASE("job state names round-trip") {
  for (auto s : {JobState::Queued, JobState::Running, JobState::Succeeded, JobState::Failed, JobState::Cancelled}) {
    CHECK(parse_job_state(to_string(s)) == s);
  }
  CHECK_FALSE(parse_job_state("done"));
}

#include <doctest/doctest.h>

#include <atomic>
#include <string>
#include <thread>

#include "cadenza/core/clock.hpp"
#include "cadenza/core/error.hpp"
#include "cadenza/jobs/job_service.hpp"
#include "cadenza/store/job_repo.hpp"
#include "jobs_fixture.hpp"

using namespace cadenza;
using namespace jobs_test;
using jobs::JobContext;
using jobs::JobService;
using store::JobRecord;
using store::JobState;

namespace {

// A row as a crashed process would have left it.
JobRecord left_behind(const Env& env, JobState state, int attempts, const std::string& kind = "echo") {
  JobRecord job;
  job.id = new_uuid();
  job.tenant_id = env.tenant;
  job.owner_id = env.alice;
  job.kind = kind;
  job.state = state;
  job.attempts = attempts;
  job.payload = {{"n", attempts}};
  job.created_at = job.updated_at = now_ms();
  if (state == JobState::Running) job.started_at = job.created_at;
  return job;
}

nlohmann::json echo(JobContext& ctx) { return nlohmann::json{{"echo", ctx.payload()}}; }

}  // namespace

TEST_CASE("restart recovery: interrupted jobs are requeued until the attempt limit") {
  Env env;
  auto& db = env.dbs->get(env.tenant);
  auto retry = left_behind(env, JobState::Running, 1);
  auto exhausted = left_behind(env, JobState::Running, 3);
  auto waiting = left_behind(env, JobState::Queued, 0);
  for (auto* job : {&retry, &exhausted, &waiting}) store::job_repo::insert(db, *job);

  JobService service(*env.dbs, env.bus, env.jobs);
  service.register_kind({.name = "echo", .run = echo});
  service.start();
  REQUIRE(env.recorder.wait_state(retry.id, JobState::Succeeded));
  REQUIRE(env.recorder.wait_state(waiting.id, JobState::Succeeded));
  REQUIRE(env.recorder.wait_state(exhausted.id, JobState::Failed));

  auto resumed = service.get(env.tenant, retry.id);
  CHECK(resumed.state == JobState::Succeeded);
  CHECK(resumed.attempts == 2);
  CHECK(resumed.result["echo"]["n"] == 1);
  CHECK(service.get(env.tenant, waiting.id).attempts == 1);
  auto failed = service.get(env.tenant, exhausted.id);
  CHECK(failed.state == JobState::Failed);
  CHECK(failed.error.message == "interrupted 3 times (attempt limit reached)");
  CHECK(failed.attempts == 3);
  CHECK(service.stats().jobs["echo"]["failed"] == 1);
}

TEST_CASE("restart recovery: a kind without a handler fails instead of hanging") {
  Env env;
  auto orphan = left_behind(env, JobState::Queued, 0, "retired-kind");
  store::job_repo::insert(env.dbs->get(env.tenant), orphan);
  JobService service(*env.dbs, env.bus, env.jobs);
  service.register_kind({.name = "echo", .run = echo});
  service.start();
  REQUIRE(env.recorder.wait_state(orphan.id, JobState::Failed));
  CHECK(service.get(env.tenant, orphan.id).error.message.find("retired-kind") != std::string::npos);
}

TEST_CASE("stop(grace) requeues a handler that outlasts the grace period; the next start resumes it") {
  Env env;
  std::string id;
  std::atomic<bool> noticed{false};
  {
    JobService first(*env.dbs, env.bus, env.jobs);
    first.register_kind({.name = "long", .run = [&](JobContext& ctx) {
      ctx.progress(0.1, "working");
      while (!ctx.cancelled()) std::this_thread::sleep_for(2ms);
      noticed = true;
      return nlohmann::json{{"done", false}};
    }});
    first.start();
    auto queued_behind = first.submit(env.tenant, env.bob, "long", -5, {});
    id = first.submit(env.tenant, env.alice, "long", 0, {}).id;
    REQUIRE(env.recorder.wait_state(id, JobState::Running));
    REQUIRE(env.recorder.wait_state(queued_behind.id, JobState::Running));
    const auto t0 = std::chrono::steady_clock::now();
    first.stop(50ms);
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    CHECK(noticed);
    auto row = first.get(env.tenant, id);
    CHECK(row.state == JobState::Queued);  // requeued, not cancelled
    CHECK(row.attempts == 1);
    CHECK(row.result.is_null());
    auto events = env.recorder.of(id);
    CHECK(events.back().type == "job.state");
    CHECK(events.back().job.state == JobState::Queued);
    CHECK(error_kind_of([&] { first.submit(env.tenant, env.alice, "long", 0, {}); }) == ErrorKind::Unavailable);
    first.stop(50ms);  // idempotent
  }
  JobService second(*env.dbs, env.bus, env.jobs);
  second.register_kind({.name = "long", .run = [](JobContext& ctx) {
    ctx.progress(1, "finished quickly");
    return nlohmann::json{{"done", true}};
  }});
  second.start();
  REQUIRE(env.recorder.wait_state(id, JobState::Succeeded));
  auto row = second.get(env.tenant, id);
  CHECK(row.result["done"] == true);
  CHECK(row.attempts == 2);
}

TEST_CASE("stop(grace) lets a handler that ends in time finish; queued jobs stay queued") {
  Env env;
  env.jobs.batch.workers = 1;
  JobService service(*env.dbs, env.bus, env.jobs);
  service.register_kind({.name = "short", .run = [](JobContext&) {
    std::this_thread::sleep_for(150ms);
    return nlohmann::json{{"ok", true}};
  }});
  service.start();
  auto running = service.submit(env.tenant, env.alice, "short", 0, {});
  REQUIRE(env.recorder.wait_state(running.id, JobState::Running));
  auto waiting = service.submit(env.tenant, env.alice, "short", 0, {});
  service.stop(5s);
  CHECK(service.get(env.tenant, running.id).state == JobState::Succeeded);
  CHECK(service.get(env.tenant, waiting.id).state == JobState::Queued);
  CHECK(service.stats().queue_depth == 1);
  // A queued row of a stopped service can still be cancelled.
  CHECK(service.cancel(env.tenant, waiting.id).state == JobState::Cancelled);
}

TEST_CASE("job context: progress is clamped, coalesced by the event log, written at most every 100 ms") {
  Env env;
  auto& db = env.dbs->get(env.tenant);
  auto row = left_behind(env, JobState::Running, 1);
  store::job_repo::insert(db, row);
  std::atomic<int> published{0};
  env.bus.subscribe([&](const jobs::JobEvent& e) {
    if (e.type == "job.progress") ++published;
  });
  jobs::EventLog log(env.dbs.get(), env.bus, 1);  // one progress event a second
  JobContext ctx(row, &db, &log);
  CHECK(ctx.payload()["n"] == 1);
  CHECK_FALSE(ctx.cancelled());
  ctx.progress(0.1, "first");
  for (int i = 2; i <= 9; ++i) ctx.progress(i / 10.0, "step " + std::to_string(i));
  CHECK(published == 1);  // the rest wait for their turn: latest wins
  auto stored = store::job_repo::find(db, row.id);
  REQUIRE(stored);
  CHECK(stored->progress == doctest::Approx(0.1));  // the rest came within the throttle interval
  CHECK(stored->stage == "first");
  ctx.flush_progress();
  stored = store::job_repo::find(db, row.id);
  CHECK(stored->progress == doctest::Approx(0.9));  // the last value is never lost
  CHECK(stored->stage == "step 9");
  std::this_thread::sleep_for(JobContext::kProgressInterval + 20ms);
  ctx.progress(7.5, "over");
  CHECK(store::job_repo::find(db, row.id)->progress == doctest::Approx(1.0));
  ctx.progress(-1, "under");
  CHECK(ctx.job().progress == 0);
  ctx.control().cancel_requested = true;
  CHECK(ctx.cancelled());
}

TEST_CASE("job context: without a database it only tracks progress (handler unit tests)") {
  JobRecord row;
  row.id = "standalone";
  row.payload = {{"k", "v"}};
  JobContext ctx(row, nullptr, nullptr);
  ctx.progress(0.5, "half");
  ctx.flush_progress();
  CHECK(ctx.job().progress == doctest::Approx(0.5));
  CHECK(ctx.job().stage == "half");
  CHECK(ctx.payload()["k"] == "v");
}

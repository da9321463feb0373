#include <mutex>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cadenza/core/error.hpp"
#include "cadenza/jobs/job_service.hpp"
#include "jobs_fixture.hpp"

using namespace cadenza;
using namespace jobs_test;
using jobs::JobContext;
using jobs::JobService;
using store::JobState;

namespace {

nlohmann::json echo(JobContext& ctx) { return nlohmann::json{{"echo", ctx.payload()}}; }

}  // namespace

TEST_CASE("job service: unknown kind is a bad request naming the field") {
  Env env;
  JobService service(*env.dbs, env.bus, env.jobs);
  service.register_kind({.name = "echo", .run = echo});
  CHECK(service.has_kind("echo"));
  CHECK_FALSE(service.has_kind("nope"));
  Error::Fields fields;
  CHECK(error_kind_of([&] { service.submit(env.tenant, env.alice, "nope", 0, {}); }, nullptr, &fields) ==
        ErrorKind::BadRequest);
  CHECK(fields.count("kind") == 1);
  CHECK(service.list(env.tenant, "", std::nullopt, 10, 0).empty());
}

TEST_CASE("job service: progress events, then succeeded with the result persisted") {
  Env env;
  JobService service(*env.dbs, env.bus, env.jobs);
  service.register_kind({.name = "steps", .run = [](JobContext& ctx) {
    ctx.progress(0.25, "decode");
    ctx.progress(0.5, "transcribe");
    ctx.progress(0.75, "engrave");
    return nlohmann::json{{"notes", 42}, {"input", ctx.payload().value("file", "")}};
  }});
  service.start();
  auto job = service.submit(env.tenant, env.alice, "steps", 0, {{"file", "a.wav"}});
  CHECK(job.state == JobState::Queued);
  CHECK(job.owner_id == env.alice);
  CHECK(is_uuid(job.id));
  REQUIRE(env.recorder.wait_state(job.id, JobState::Succeeded));

  auto events = env.recorder.of(job.id);
  std::vector<std::string> seen;
  for (auto& e : events)
    seen.push_back(e.type == "job.state" ? std::string(store::to_string(e.job.state)) : e.job.stage);
  // Progress is coalesced (jobs.progress_events_per_s): "transcribe" came within the interval after "decode"
  // and was replaced by "engrave", which goes out before the final state. Events are numbered 1, 2, 3 ...
  CHECK(seen == std::vector<std::string>{"queued", "running", "decode", "engrave", "succeeded"});
  REQUIRE(events.size() == 5);
  CHECK(events[3].job.progress == doctest::Approx(0.75));
  for (std::size_t i = 0; i < events.size(); ++i) CHECK(events[i].seq == static_cast<std::int64_t>(i + 1));
  CHECK(events.back().job.result["notes"] == 42);

  auto stored = service.get(env.tenant, job.id);
  CHECK(stored.state == JobState::Succeeded);
  CHECK(stored.result["notes"] == 42);
  CHECK(stored.result["input"] == "a.wav");
  CHECK(stored.payload["file"] == "a.wav");
  CHECK(stored.attempts == 1);
  CHECK(stored.stage == "engrave");  // the throttled last progress was still written
  CHECK(stored.started_at > 0);
  CHECK(stored.finished_at >= stored.started_at);
  CHECK(stored.error.empty());
}

TEST_CASE("job service: a failing handler fails the job and the worker goes on") {
  Env env;
  env.jobs.batch.workers = 1;
  JobService service(*env.dbs, env.bus, env.jobs);
  service.register_kind({.name = "bad-input", .run = [](JobContext&) -> nlohmann::json {
    throw Error(ErrorKind::Unprocessable, "audio file has no frames");
  }});
  service.register_kind({.name = "crash", .run = [](JobContext&) -> nlohmann::json { throw std::runtime_error("secret detail"); }});
  service.register_kind({.name = "echo", .run = echo});
  service.start();
  auto a = service.submit(env.tenant, env.alice, "bad-input", 0, {});
  auto b = service.submit(env.tenant, env.alice, "crash", 0, {});
  auto c = service.submit(env.tenant, env.alice, "echo", 0, {{"x", 1}});
  REQUIRE(env.recorder.wait_state(c.id, JobState::Succeeded));
  REQUIRE(env.recorder.wait_state(a.id, JobState::Failed));
  REQUIRE(env.recorder.wait_state(b.id, JobState::Failed));
  CHECK(service.get(env.tenant, a.id).error.message == "audio file has no frames");
  CHECK(service.get(env.tenant, a.id).error.kind == "unprocessable");
  CHECK(service.get(env.tenant, b.id).error.message == "internal error");
  CHECK(service.get(env.tenant, b.id).error.kind == "internal");
  CHECK(service.get(env.tenant, c.id).result["echo"]["x"] == 1);
}

TEST_CASE("job service: a job that fails after publishing a partial result keeps it, and on_finish sees it") {
  Env env;
  JobService service(*env.dbs, env.bus, env.jobs);
  std::mutex mu;
  nlohmann::json seen_by_hook;
  service.register_kind({.name = "half", .run = [](JobContext& ctx) -> nlohmann::json {
                           ctx.partial_result({{"files", {"score.musicxml"}}}, "score ready");
                           throw Error(ErrorKind::Unprocessable, "the PDF could not be made");
                         },
                         .on_finish = [&](store::Db&, const store::JobRecord& job) {
                           std::lock_guard lock(mu);
                           seen_by_hook = job.result;
                         }});
  service.start();
  auto job = service.submit(env.tenant, env.alice, "half", 0, {});
  REQUIRE(env.recorder.wait_state(job.id, JobState::Failed));
  auto stored = service.get(env.tenant, job.id);
  CHECK(stored.error.message == "the PDF could not be made");
  CHECK(stored.result == nlohmann::json{{"files", {"score.musicxml"}}});
  std::lock_guard lock(mu);
  CHECK(seen_by_hook == stored.result);
}

TEST_CASE("job service: a full queue answers Unavailable with Retry-After") {
  Env env;
  env.jobs.batch.queue_capacity = 2;
  JobService service(*env.dbs, env.bus, env.jobs);  // not started: jobs stay queued
  service.register_kind({.name = "echo", .run = echo});
  service.submit(env.tenant, env.alice, "echo", 0, {});
  service.submit(env.tenant, env.bob, "echo", 0, {});
  int retry_after = 0;
  CHECK(error_kind_of([&] { service.submit(env.tenant, new_uuid(), "echo", 0, {}); }, &retry_after) ==
        ErrorKind::Unavailable);
  CHECK(retry_after > 0);
  CHECK(service.list(env.tenant, "", JobState::Queued, 10, 0).size() == 2);  // no row for the refused one
}

TEST_CASE("job service: the per-account cap answers TooManyRequests") {
  Env env;
  env.jobs.batch.max_queued_per_account = 2;
  JobService service(*env.dbs, env.bus, env.jobs);
  service.register_kind({.name = "echo", .run = echo});
  service.submit(env.tenant, env.alice, "echo", 0, {});
  auto second = service.submit(env.tenant, env.alice, "echo", 0, {});
  int retry_after = 0;
  CHECK(error_kind_of([&] { service.submit(env.tenant, env.alice, "echo", 0, {}); }, &retry_after) ==
        ErrorKind::TooManyRequests);
  CHECK(retry_after > 0);
  CHECK_NOTHROW(service.submit(env.tenant, env.bob, "echo", 0, {}));  // others are not affected
  service.cancel(env.tenant, second.id);                              // a cancelled job frees the slot
  CHECK_NOTHROW(service.submit(env.tenant, env.alice, "echo", 0, {}));
}

TEST_CASE("job service: cancel a queued job") {
  Env env;
  JobService service(*env.dbs, env.bus, env.jobs);
  service.register_kind({.name = "echo", .run = echo});
  auto job = service.submit(env.tenant, env.alice, "echo", 0, {});
  CHECK(service.stats().queue_depth == 1);
  auto cancelled = service.cancel(env.tenant, job.id);
  CHECK(cancelled.state == JobState::Cancelled);
  CHECK(service.get(env.tenant, job.id).state == JobState::Cancelled);
  CHECK(service.stats().queue_depth == 0);
  CHECK(env.recorder.wait_state(job.id, JobState::Cancelled, 0ms));
  CHECK(error_kind_of([&] { service.cancel(env.tenant, job.id); }) == ErrorKind::Conflict);
  CHECK(error_kind_of([&] { service.cancel(env.tenant, new_uuid()); }) == ErrorKind::NotFound);
  CHECK(error_kind_of([&] { service.get(env.tenant, new_uuid()); }) == ErrorKind::NotFound);
  // Another tenant cannot see or cancel it.
  CHECK(error_kind_of([&] { service.cancel(new_uuid(), job.id); }) == ErrorKind::NotFound);
  service.start();  // the cancelled job never runs
  CHECK_FALSE(env.recorder.wait_state(job.id, JobState::Running, 100ms));
}

TEST_CASE("job service: cancel a running job") {
  Env env;
  JobService service(*env.dbs, env.bus, env.jobs);
  std::atomic<bool> saw_cancel{false};
  service.register_kind({.name = "loop", .run = [&](JobContext& ctx) {
    while (!ctx.cancelled()) std::this_thread::sleep_for(2ms);
    saw_cancel = true;
    return nlohmann::json{{"partial", true}};
  }});
  service.start();
  auto job = service.submit(env.tenant, env.alice, "loop", 0, {});
  REQUIRE(env.recorder.wait_state(job.id, JobState::Running));
  auto answer = service.cancel(env.tenant, job.id);
  CHECK(answer.state == JobState::Running);  // the worker records the end
  REQUIRE(env.recorder.wait_state(job.id, JobState::Cancelled));
  CHECK(saw_cancel);
  auto stored = service.get(env.tenant, job.id);
  CHECK(stored.state == JobState::Cancelled);
  CHECK(stored.result.is_null());  // a cancelled job's result is discarded
  CHECK(stored.error.empty());
}

TEST_CASE("job service: one worker runs by priority, then round-robin across owners") {
  Env env;
  env.jobs.batch.workers = 1;
  JobService service(*env.dbs, env.bus, env.jobs);
  std::mutex mutex;
  std::vector<std::string> order;
  service.register_kind({.name = "tag", .run = [&](JobContext& ctx) {
    std::lock_guard lock(mutex);
    order.push_back(ctx.payload()["tag"].get<std::string>());
    return nlohmann::json::object();
  }});
  // Submitted before start(): all queued when the single worker begins.
  for (int i = 0; i < 5; ++i) service.submit(env.tenant, env.alice, "tag", 0, {{"tag", "a" + std::to_string(i)}});
  service.submit(env.tenant, env.bob, "tag", 0, {{"tag", "b0"}});
  auto last = service.submit(env.tenant, env.bob, "tag", -1, {{"tag", "low"}});
  service.submit(env.tenant, env.bob, "tag", 9, {{"tag", "urgent"}});
  service.start();
  REQUIRE(env.recorder.wait_state(last.id, JobState::Succeeded));
  std::lock_guard lock(mutex);
  CHECK(order == std::vector<std::string>{"urgent", "a0", "b0", "a1", "a2", "a3", "a4", "low"});
}

TEST_CASE("job service: stats") {
  Env env;
  env.jobs.batch.workers = 3;
  JobService service(*env.dbs, env.bus, env.jobs);
  service.register_kind({.name = "echo", .run = echo});
  service.register_kind({.name = "fail", .run = [](JobContext&) -> nlohmann::json { throw Error(ErrorKind::Unprocessable, "no"); }});
  std::vector<std::string> ids;
  for (int i = 0; i < 3; ++i) ids.push_back(service.submit(env.tenant, env.alice, "echo", 0, {}).id);
  ids.push_back(service.submit(env.tenant, env.bob, "fail", 0, {}).id);
  auto before = service.stats();
  CHECK(before.queue_depth == 4);
  CHECK(before.busy_workers == 0);
  CHECK(before.workers == 3 + env.jobs.interactive.workers + env.jobs.training.workers);  // all lanes
  REQUIRE(before.lanes.size() == 3);
  CHECK(before.lanes[static_cast<std::size_t>(jobs::Lane::Batch)].workers == 3);
  CHECK(before.lanes[static_cast<std::size_t>(jobs::Lane::Batch)].queue_depth == 4);
  CHECK(before.jobs["echo"]["queued"] == 3);
  CHECK(before.jobs["fail"]["queued"] == 1);
  service.start();
  for (auto& id : ids) REQUIRE(eventually([&] { return service.get(env.tenant, id).finished_at > 0; }));
  REQUIRE(eventually([&] { return service.stats().busy_workers == 0; }));
  auto after = service.stats();
  CHECK(after.queue_depth == 0);
  CHECK(after.jobs["echo"]["succeeded"] == 3);
  CHECK(after.jobs["fail"]["failed"] == 1);
  CHECK(after.jobs["echo"].count("queued") == 0);
}

TEST_CASE("job service: list filters by owner and state") {
  Env env;
  JobService service(*env.dbs, env.bus, env.jobs);
  service.register_kind({.name = "echo", .run = echo});
  auto a = service.submit(env.tenant, env.alice, "echo", 0, {});
  service.submit(env.tenant, env.alice, "echo", 0, {});
  service.submit(env.tenant, env.bob, "echo", 0, {});
  service.cancel(env.tenant, a.id);
  CHECK(service.list(env.tenant, "", std::nullopt, 10, 0).size() == 3);
  CHECK(service.list(env.tenant, env.alice, std::nullopt, 10, 0).size() == 2);
  CHECK(service.list(env.tenant, env.alice, JobState::Queued, 10, 0).size() == 1);
  CHECK(service.list(env.tenant, "", JobState::Cancelled, 10, 0).size() == 1);
  CHECK(service.list(new_uuid(), "", std::nullopt, 10, 0).empty());
}

TEST_CASE("job service: concurrent submits and cancels all end in a final state") {
  Env env;
  env.jobs.batch.workers = 3;
  env.jobs.batch.queue_capacity = 1000;
  JobService service(*env.dbs, env.bus, env.jobs);
  std::atomic<int> ran{0};
  service.register_kind({.name = "count", .run = [&](JobContext& ctx) {
    ctx.progress(0.5, "half");
    ++ran;
    return nlohmann::json{{"i", ctx.payload()["i"]}};
  }});
  service.start();
  constexpr int kThreads = 4, kEach = 20;
  std::vector<std::thread> threads;
  std::mutex ids_mutex;
  std::vector<std::string> ids;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      const std::string owner = new_uuid();
      for (int i = 0; i < kEach; ++i) {
        auto job = service.submit(env.tenant, owner, "count", i % 3, {{"i", t * kEach + i}});
        {
          std::lock_guard lock(ids_mutex);
          ids.push_back(job.id);
        }
        if (i % 4 == 0) {
          try {
            service.cancel(env.tenant, job.id);
          } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::Conflict);  // it finished first
          }
        }
      }
    });
  for (auto& t : threads) t.join();
  REQUIRE(ids.size() == kThreads * kEach);
  for (auto& id : ids) {
    REQUIRE(eventually([&] {
      auto s = service.get(env.tenant, id).state;
      return s == JobState::Succeeded || s == JobState::Cancelled;
    }));
  }
  // The counters follow the row by a moment (the worker writes the row first).
  CHECK(eventually([&] {
    auto c = service.stats().jobs["count"];
    return c["succeeded"] + c["cancelled"] == kThreads * kEach;
  }));
  auto counts = service.stats().jobs["count"];
  CHECK(counts["succeeded"] <= ran.load());  // a job cancelled while running ran but ends cancelled
  CHECK(service.list(env.tenant, "", JobState::Succeeded, 1000, 0).size() ==
        static_cast<std::size_t>(counts["succeeded"]));
}

TEST_CASE("job service: a validator refuses a payload at submit; sleep_for wakes at once on a cancel") {
  Env env;
  JobService service(*env.dbs, env.bus, env.jobs);
  std::atomic<bool> started{false};
  service.register_kind({.name = "nap", .run = [&](JobContext& ctx) -> nlohmann::json {
        started = true;
        bool finished = ctx.sleep_for(std::chrono::minutes(10));
        return {{"finished", finished}};
      }, .validate = [](const nlohmann::json& p, const std::string&) {
        if (p.contains("bad")) throw Error(ErrorKind::BadRequest, "Validation failed", {{"payload.bad", "no"}});
      }});
  service.start();
  try {
    service.submit(env.tenant, "owner", "nap", 5, {{"bad", true}});
    FAIL("a refused payload was accepted");
  } catch (const Error& e) {
    CHECK(e.kind() == ErrorKind::BadRequest);
    CHECK(e.fields().count("payload.bad") == 1);
  }
  CHECK(service.list(env.tenant, "owner", std::nullopt, 10, 0).empty());
  auto job = service.submit(env.tenant, "owner", "nap", 5, nlohmann::json::object());
  while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto t0 = std::chrono::steady_clock::now();
  service.cancel(env.tenant, job.id);
  JobState state = JobState::Running;
  while (state == JobState::Running && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    state = service.get(env.tenant, job.id).state;
  }
  CHECK(state == JobState::Cancelled);
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::milliseconds(500));
}

TEST_CASE("job service: lanes keep classes of work apart; each lane has its own caps") {
  Env env;
  env.jobs.training = {1, 2, 1};
  env.jobs.interactive = {1, 10, 10};
  JobService service(*env.dbs, env.bus, env.jobs);
  std::atomic<int> training_running{0};
  service.register_kind({.name = "train", .lane = jobs::Lane::Training, .run = [&](JobContext& ctx) -> nlohmann::json {
                           ++training_running;
                           ctx.sleep_for(std::chrono::seconds(20));  // holds the lane's only worker until cancelled
                           return nullptr;
                         }});
  service.register_kind({.name = "stream", .lane = jobs::Lane::Interactive, .run = echo});
  service.register_kind({.name = "convert", .lane = jobs::Lane::Batch, .run = echo});
  service.start();
  auto t1 = service.submit(env.tenant, env.alice, "train", 5, {});
  while (training_running == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  auto t2 = service.submit(env.tenant, env.alice, "train", 5, {});  // waits behind t1, in its own lane
  // The training lane's per-account cap (1 queued) is its own: the other lanes still take alice's jobs.
  CHECK_THROWS_AS(service.submit(env.tenant, env.alice, "train", 5, {}), Error);
  auto t0 = std::chrono::steady_clock::now();
  auto s = service.submit(env.tenant, env.alice, "stream", 5, {{"n", 1}});
  auto c = service.submit(env.tenant, env.alice, "convert", 5, {{"n", 2}});
  for (const auto& id : {s.id, c.id}) {
    auto state = JobState::Queued;
    while (state != JobState::Succeeded && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      state = service.get(env.tenant, id).state;
    }
    CHECK(state == JobState::Succeeded);
  }
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));  // not 20 s behind the training run
  auto stats = service.stats();
  REQUIRE(stats.lanes.size() == 3);
  for (const auto& l : stats.lanes) {
    CAPTURE(jobs::to_string(l.lane));
    CHECK(l.busy_workers == (l.lane == jobs::Lane::Training ? 1 : 0));
    CHECK(l.queue_depth == (l.lane == jobs::Lane::Training ? 1u : 0u));
  }
  CHECK(service.get(env.tenant, t2.id).state == JobState::Queued);
  service.cancel(env.tenant, t1.id);
  service.cancel(env.tenant, t2.id);
}

TEST_CASE("job service: each job gets its lane's thread budget for the nets") {
  Env env;
  env.jobs.batch = {2, 10, 10, 0, 4};    // 0: cores / workers, at least 1; niceness 4
  env.jobs.training = {1, 10, 10, 3, 0};  // set explicitly; the process's own niceness
  JobService service(*env.dbs, env.bus, env.jobs);
  const int base_nice = ::getpriority(PRIO_PROCESS, 0);
  auto threads = [](JobContext& ctx) -> nlohmann::json {
    // A thread the job starts inherits its worker's niceness.
    int nice_of_child = 0;
    std::thread([&] { nice_of_child = ::getpriority(PRIO_PROCESS, static_cast<id_t>(::syscall(SYS_gettid))); }).join();
    return {{"threads", ctx.threads()}, {"nice", nice_of_child}};
  };
  service.register_kind({.name = "convert", .lane = jobs::Lane::Batch, .run = threads});
  service.register_kind({.name = "train", .lane = jobs::Lane::Training, .run = threads});
  service.start();
  auto result_of = [&](const std::string& kind) {
    auto id = service.submit(env.tenant, env.alice, kind, 0, {}).id;
    auto t0 = std::chrono::steady_clock::now();
    auto job = service.get(env.tenant, id);
    while (job.state != JobState::Succeeded && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5)) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      job = service.get(env.tenant, id);
    }
    REQUIRE(job.state == JobState::Succeeded);
    return job.result;
  };
  auto convert = result_of("convert"), train = result_of("train");
  CHECK(convert["threads"] == std::max(1, int(std::thread::hardware_concurrency()) / 2));
  CHECK(train["threads"] == 3);
  CHECK(convert["nice"] == std::min(19, base_nice + 4));
  CHECK(train["nice"] == base_nice);
}

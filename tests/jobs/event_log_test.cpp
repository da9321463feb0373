// EventLog: per-job sequence numbers, one serialised text per event, durable rows, progress coalescing
// (latest wins, bounded rate) that never overtakes or drops a state event.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "cadenza/jobs/event_log.hpp"
#include "cadenza/store/job_event_repo.hpp"
#include "jobs/jobs_fixture.hpp"

using namespace cadenza;
using namespace jobs_test;
using store::JobRecord;
using store::JobState;

namespace {
JobRecord make_job(Env& env, JobState state = JobState::Queued) {
  JobRecord j;
  j.id = new_uuid();
  j.tenant_id = env.tenant;
  j.owner_id = env.alice;
  j.kind = "demo";
  j.state = state;
  store::job_repo::insert(env.dbs->get(env.tenant), j);
  return j;
}
}  // namespace

TEST_CASE("event log: seq per job from 1 without gaps, text serialised once and stored as sent") {
  Env env;
  jobs::EventLog log(env.dbs.get(), env.bus, 1000);
  auto a = make_job(env), b = make_job(env);
  log.state(a);
  log.state(b);
  a.state = JobState::Running;
  log.state(a);
  a.progress = 0.5;
  log.progress(a);
  auto ev = env.recorder.of(a.id);
  REQUIRE(ev.size() == 3);
  for (std::size_t i = 0; i < ev.size(); ++i) {
    CHECK(ev[i].seq == static_cast<std::int64_t>(i + 1));
    REQUIRE(ev[i].text);
    auto j = nlohmann::json::parse(*ev[i].text);
    CHECK(j["type"] == ev[i].type);
    CHECK(j["seq"] == ev[i].seq);
    CHECK(j["job"]["id"] == a.id);
  }
  CHECK(nlohmann::json::parse(*ev[2].text)["job"]["progress"] == doctest::Approx(0.5));
  REQUIRE(env.recorder.of(b.id).size() == 1);
  CHECK(env.recorder.of(b.id)[0].seq == 1);  // b has its own sequence

  auto stored = store::job_event_repo::all_after(env.dbs->get(env.tenant), a.id, 0);
  REQUIRE(stored.size() == 3);
  for (std::size_t i = 0; i < stored.size(); ++i) {
    CHECK(stored[i].seq == ev[i].seq);
    CHECK(stored[i].type == ev[i].type);
    CHECK(stored[i].text == *ev[i].text);  // the very text that went out
  }
  // A final state forgets the topic; a later event (the job requeued by another run) continues the sequence
  // from the table.
  a.state = JobState::Succeeded;
  log.state(a);
  CHECK(log.topics() == 1);  // b only
  jobs::EventLog restarted(env.dbs.get(), env.bus, 1000);
  a.state = JobState::Queued;
  restarted.state(a);
  CHECK(env.recorder.of(a.id).back().seq == 5);
}

TEST_CASE("event log: 10,000 progress reports a second become at most the configured rate, latest wins") {
  Env env;
  jobs::EventLog log(env.dbs.get(), env.bus, 20);  // 50 ms apart
  auto job = make_job(env, JobState::Running);
  const auto start = std::chrono::steady_clock::now();
  int reports = 0;
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(500)) {
    for (int i = 0; i < 10; ++i) {
      job.progress = std::min(1.0, ++reports / 5000.0);
      log.progress(job);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const double last_reported = job.progress;
  std::this_thread::sleep_for(std::chrono::milliseconds(150));  // the flusher sends the pending one
  auto ev = env.recorder.of(job.id);
  CHECK(reports > 1000);
  // 500 ms at 20 a second: about 10, never anywhere near the reports.
  CHECK(ev.size() >= 5);
  CHECK(ev.size() <= 14);
  for (std::size_t i = 1; i < ev.size(); ++i) {
    CHECK(ev[i].seq == ev[i - 1].seq + 1);
    CHECK(ev[i].job.progress >= ev[i - 1].job.progress);
  }
  CHECK(ev.back().job.progress == doctest::Approx(last_reported));  // the latest is never lost
}

TEST_CASE("event log: pending progress goes out before the state event, and nothing after the final state") {
  Env env;
  jobs::EventLog log(env.dbs.get(), env.bus, 1);  // one a second: the flusher stays out of the way
  auto job = make_job(env, JobState::Running);
  job.progress = 0.1;
  log.progress(job);  // out at once
  job.progress = 0.7;
  log.progress(job);  // pending
  job.progress = 0.9;
  log.progress(job);  // replaces it
  job.state = JobState::Succeeded;
  job.progress = 1.0;
  log.state(job);
  job.progress = 0.95;
  log.progress(job);  // after the final state: dropped
  log.flush_due();
  auto ev = env.recorder.of(job.id);
  REQUIRE(ev.size() == 3);
  CHECK(ev[0].type == "job.progress");
  CHECK(ev[0].job.progress == doctest::Approx(0.1));
  CHECK(ev[1].type == "job.progress");
  CHECK(ev[1].job.progress == doctest::Approx(0.9));
  CHECK(ev[2].type == "job.state");
  CHECK(ev[2].job.state == JobState::Succeeded);
  CHECK(ev[2].seq == 3);
  CHECK(log.topics() == 0);
}

TEST_CASE("event log: concurrent state and progress publishers keep one order: published = numbered = stored") {
  Env env;
  std::optional<jobs::EventLog> log;
  log.emplace(env.dbs.get(), env.bus, 1000);
  auto job = make_job(env, JobState::Running);
  std::atomic<bool> go{true};
  std::thread chatty([&] {
    auto j = job;
    for (int i = 0; go; ++i) {
      j.progress = i % 100 / 100.0;
      log->progress(j);
    }
  });
  for (int i = 0; i < 50; ++i) {
    job.state = i % 2 ? JobState::Running : JobState::Queued;
    log->state(job);
    std::this_thread::sleep_for(std::chrono::microseconds(300));
  }
  go = false;
  chatty.join();
  // Its flusher may still send the last pending progress (stored, then published): stop it before counting.
  log.reset();
  auto ev = env.recorder.of(job.id);
  auto stored = store::job_event_repo::all_after(env.dbs->get(env.tenant), job.id, 0);
  REQUIRE(ev.size() == stored.size());
  int states = 0;
  for (std::size_t i = 0; i < ev.size(); ++i) {
    CHECK(ev[i].seq == static_cast<std::int64_t>(i + 1));
    CHECK(stored[i].text == *ev[i].text);
    states += ev[i].type == "job.state";
  }
  CHECK(states == 50);  // never coalesced
}

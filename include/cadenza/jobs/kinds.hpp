#pragma once
// Every job kind the server runs, registered in one place: `cadenza serve`, the OpenAPI document's test
// and the route tests all call register_job_kinds. (The pillars' kinds join here; when a kind needs a
// module above jobs, this list moves up to the pipeline module.)
#include "cadenza/jobs/job_service.hpp"

namespace cadenza::jobs {

inline constexpr int kDemoMaxSteps = 10000;
inline constexpr int kDemoMaxStepMs = 60000;
inline constexpr long long kDemoMaxTotalMs = 10 * 60 * 1000;

// "demo": a job that takes payload.steps steps of payload.stepMs milliseconds, reporting progress
// after each, and fails at step payload.failAt when given. The payload is checked at submit (400 naming each
// bad field): steps 1..kDemoMaxSteps, stepMs 0..kDemoMaxStepMs, and at most kDemoMaxTotalMs in all, so a
// demo job never holds a worker for long; a cancel wakes it at once. It exercises the whole job path (queue,
// workers, progress events, cancel, restart) without a model; the web page's "Run demo job" uses it.
JobKind demo_kind();

void register_job_kinds(JobService& service);

}  // namespace cadenza::jobs

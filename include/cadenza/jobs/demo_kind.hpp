#pragma once
#include "cadenza/jobs/job_service.hpp"

namespace cadenza::jobs {

// "demo": a job that takes payload.steps steps of payload.stepMs milliseconds, reporting progress
// after each, and fails at step payload.failAt when given. It exercises the whole job path (queue,
// workers, progress events, cancel, restart) without a model; the web page's "Run demo job" uses it.
void register_demo_kind(JobService& service);

}  // namespace cadenza::jobs

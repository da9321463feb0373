#pragma once
// Every job kind the server runs, registered in one place: `cadenza serve`, the OpenAPI document's test
// and the route tests all call register_job_kinds. (The pillars' kinds join here; when a kind needs a
// module above jobs, this list moves up to the pipeline module.)
#include "cadenza/jobs/job_service.hpp"

namespace cadenza::jobs {

inline constexpr int kDemoMaxSteps = 10000;
inline constexpr int kDemoMaxStepMs = 60000;
inline constexpr long long kDemoMaxTotalMs = 10 * 60 * 1000;
inline constexpr int kDemoMaxProgressCalls = 100000;               // progress reports per step
inline constexpr long long kDemoMaxTotalProgressCalls = 10'000'000;  // steps x progressCalls
inline constexpr int kDemoMaxChunks = 100000;
inline constexpr int kDemoMaxChunkBytes = 1 << 20;
inline constexpr long long kDemoMaxChunkTotal = 512LL << 20;  // chunks x chunkBytes

// "demo": a job that takes payload.steps steps of payload.stepMs milliseconds, reporting progress
// after each, and fails at step payload.failAt when given. The payload is checked at submit (400 naming each
// bad field): steps 1..kDemoMaxSteps, stepMs 0..kDemoMaxStepMs, and at most kDemoMaxTotalMs in all, so a
// demo job never holds a worker for long; a cancel wakes it at once. It exercises the whole job path (queue,
// workers, progress events, cancel, restart) without a model; the web page's "Run demo job" uses it.
// Also: payload.progressCalls progress reports after each step (1..kDemoMaxProgressCalls, a chatty job), and
// payload.chunks chunks of payload.chunkBytes bytes appended to its chunk stream, spread over the steps
// (GET /api/jobs/{id}/chunks streams them); chunk n's byte k is demo_chunk_bytes(n, size)[k] = (7n + k) mod 256.
JobKind demo_kind();
std::string demo_chunk_bytes(std::int64_t seq, int size);

void register_job_kinds(JobService& service);

}  // namespace cadenza::jobs

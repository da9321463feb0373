#include "cadenza/jobs/kinds.hpp"

#include <fmt/format.h>

#include "cadenza/core/error.hpp"

namespace cadenza::jobs {
namespace {

struct DemoPayload {
  int steps = 10;
  int step_ms = 100;
  int fail_at = -1;
  int progress_calls = 1;
  int chunks = 0;
  int chunk_bytes = 1024;
};

// Reads and checks the payload (at submit, and again when the job runs: rows written before the check
// existed are refused the same way). Every bad field is named.
DemoPayload read_payload(const nlohmann::json& p) {
  Validation v;
  auto get = [&](const char* key, int dflt, long long lo, long long hi) {
    auto field = fmt::format("payload.{}", key);
    if (!p.contains(key)) return dflt;
    const auto& x = p[key];
    // Unsigned values above int64 (e.g. 9223372036854775808) are integers too: compare them unsigned.
    bool ok = false;
    if (x.is_number_unsigned()) {
      auto u = x.get<unsigned long long>();
      ok = u <= static_cast<unsigned long long>(hi) && static_cast<long long>(u) >= lo;
    } else if (x.is_number_integer()) {
      ok = x.get<long long>() >= lo && x.get<long long>() <= hi;
    }
    if (!ok) {
      v.fail(field, fmt::format("must be an integer in {}..{}", lo, hi));
      return dflt;
    }
    return static_cast<int>(x.get<long long>());
  };
  DemoPayload d;
  d.steps = get("steps", d.steps, 1, kDemoMaxSteps);
  d.step_ms = get("stepMs", d.step_ms, 0, kDemoMaxStepMs);
  d.fail_at = get("failAt", d.fail_at, -1, kDemoMaxSteps);
  d.progress_calls = get("progressCalls", d.progress_calls, 1, kDemoMaxProgressCalls);
  d.chunks = get("chunks", d.chunks, 0, kDemoMaxChunks);
  d.chunk_bytes = get("chunkBytes", d.chunk_bytes, 1, kDemoMaxChunkBytes);
  if (v.ok() && static_cast<long long>(d.steps) * d.step_ms > kDemoMaxTotalMs)
    v.fail("payload.steps", fmt::format("steps x stepMs must be at most {} ms ({} minutes)", kDemoMaxTotalMs,
                                        kDemoMaxTotalMs / 60000));
  if (v.ok() && static_cast<long long>(d.steps) * d.progress_calls > kDemoMaxTotalProgressCalls)
    v.fail("payload.progressCalls", fmt::format("steps x progressCalls must be at most {}", kDemoMaxTotalProgressCalls));
  if (v.ok() && static_cast<long long>(d.chunks) * d.chunk_bytes > kDemoMaxChunkTotal)
    v.fail("payload.chunkBytes", fmt::format("chunks x chunkBytes must be at most {} bytes", kDemoMaxChunkTotal));
  v.throw_if_failed();
  return d;
}

}  // namespace

std::string demo_chunk_bytes(std::int64_t seq, int size) {
  std::string out(static_cast<std::size_t>(size), '\0');
  for (int k = 0; k < size; ++k) out[static_cast<std::size_t>(k)] = static_cast<char>((seq * 7 + k) & 0xff);
  return out;
}

JobKind demo_kind() {
  JobKind k;
  k.name = "demo";
  k.lane = Lane::Batch;
  k.submittable = true;
  k.summary =
      "Takes `steps` steps of `stepMs` ms, reporting progress `progressCalls` times after each and appending "
      "`chunks` chunks of `chunkBytes` bytes to its chunk stream, spread over the steps; fails at step `failAt` if given";
  k.run = [](JobContext& ctx) -> nlohmann::json {
    auto p = read_payload(ctx.payload());
    for (int i = 0; i < p.steps; ++i) {
      if (ctx.cancelled()) return {{"completedSteps", i}};
      if (i == p.fail_at) throw Error(ErrorKind::Unprocessable, fmt::format("demo job failed at step {} as asked", i));
      if (!ctx.sleep_for(std::chrono::milliseconds(p.step_ms))) return {{"completedSteps", i}};
      // Chunks [i*chunks/steps, (i+1)*chunks/steps) belong to step i.
      const long long first = static_cast<long long>(i) * p.chunks / p.steps;
      const long long end = static_cast<long long>(i + 1) * p.chunks / p.steps;
      for (long long c = first; c < end; ++c) {
        if (ctx.cancelled()) return {{"completedSteps", i}};
        ctx.append_chunk(demo_chunk_bytes(c + 1, p.chunk_bytes), {{"index", c}, {"step", i}});
      }
      const std::string stage = fmt::format("step {}/{}", i + 1, p.steps);
      for (int n = 1; n <= p.progress_calls; ++n)
        ctx.progress((i + static_cast<double>(n) / p.progress_calls) / p.steps, stage);
    }
    return {{"completedSteps", p.steps}, {"chunks", p.chunks}};
  };
  k.validate = [](const nlohmann::json& payload) { read_payload(payload); };
  k.payload_schema = {
      {"type", "object"},
      {"properties",
       {{"steps", {{"type", "integer"}, {"minimum", 1}, {"maximum", kDemoMaxSteps}, {"default", 10}}},
        {"stepMs", {{"type", "integer"}, {"minimum", 0}, {"maximum", kDemoMaxStepMs}, {"default", 100}}},
        {"failAt", {{"type", "integer"}, {"minimum", -1}, {"maximum", kDemoMaxSteps}, {"default", -1}}},
        {"progressCalls",
         {{"type", "integer"}, {"minimum", 1}, {"maximum", kDemoMaxProgressCalls}, {"default", 1}}},
        {"chunks", {{"type", "integer"}, {"minimum", 0}, {"maximum", kDemoMaxChunks}, {"default", 0}}},
        {"chunkBytes", {{"type", "integer"}, {"minimum", 1}, {"maximum", kDemoMaxChunkBytes}, {"default", 1024}}}}},
      {"description", fmt::format("steps x stepMs at most {} ms; steps x progressCalls at most {}; chunks x "
                                  "chunkBytes at most {} bytes. Chunk n (from 1) holds bytes (7n + k) mod 256.",
                                  kDemoMaxTotalMs, kDemoMaxTotalProgressCalls, kDemoMaxChunkTotal)}};
  k.result_schema = {{"type", "object"},
                     {"properties", {{"completedSteps", {{"type", "integer"}}}, {"chunks", {{"type", "integer"}}}}}};
  return k;
}

void register_job_kinds(JobService& service) { service.register_kind(demo_kind()); }

}  // namespace cadenza::jobs

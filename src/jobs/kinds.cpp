#include "cadenza/jobs/kinds.hpp"

#include <fmt/format.h>

#include "cadenza/core/error.hpp"
#include "cadenza/core/schema.hpp"

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

const nlohmann::json& payload_schema() {
  using namespace schema;
  static const nlohmann::json s = with(
      object({{"steps", with(integer(1, kDemoMaxSteps), "default", 10)},
              {"stepMs", with(integer(0, kDemoMaxStepMs), "default", 100)},
              {"failAt", with(integer(-1, kDemoMaxSteps), "default", -1)},
              {"progressCalls", with(integer(1, kDemoMaxProgressCalls), "default", 1)},
              {"chunks", with(integer(0, kDemoMaxChunks), "default", 0)},
              {"chunkBytes", with(integer(1, kDemoMaxChunkBytes), "default", 1024)}}),
      "description",
      fmt::format("steps x stepMs at most {} ms; steps x progressCalls at most {}; chunks x chunkBytes at most {} "
                  "bytes. Chunk n (from 1) holds bytes (7n + k) mod 256.",
                  kDemoMaxTotalMs, kDemoMaxTotalProgressCalls, kDemoMaxChunkTotal));
  return s;
}

// Reads and checks the payload (at submit, and again when the job runs: rows written before the check
// existed are refused the same way). Every bad field is named.
DemoPayload read_payload(const nlohmann::json& p) {
  schema::check(payload_schema(), p, "payload");
  auto get = [&](const char* key, int dflt) {
    return p.contains(key) && !p[key].is_null() ? static_cast<int>(p[key].get<long long>()) : dflt;
  };
  DemoPayload d;
  d.steps = get("steps", d.steps);
  d.step_ms = get("stepMs", d.step_ms);
  d.fail_at = get("failAt", d.fail_at);
  d.progress_calls = get("progressCalls", d.progress_calls);
  d.chunks = get("chunks", d.chunks);
  d.chunk_bytes = get("chunkBytes", d.chunk_bytes);
  Validation v;
  if (static_cast<long long>(d.steps) * d.step_ms > kDemoMaxTotalMs)
    v.fail("payload.steps", fmt::format("steps x stepMs must be at most {} ms ({} minutes)", kDemoMaxTotalMs,
                                        kDemoMaxTotalMs / 60000));
  if (static_cast<long long>(d.steps) * d.progress_calls > kDemoMaxTotalProgressCalls)
    v.fail("payload.progressCalls", fmt::format("steps x progressCalls must be at most {}", kDemoMaxTotalProgressCalls));
  if (static_cast<long long>(d.chunks) * d.chunk_bytes > kDemoMaxChunkTotal)
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
  k.validate = [](const nlohmann::json& payload, const std::string&) { read_payload(payload); };
  k.payload_schema = payload_schema();
  k.result_schema = {{"type", "object"},
                     {"properties", {{"completedSteps", {{"type", "integer"}}}, {"chunks", {{"type", "integer"}}}}}};
  return k;
}

void register_job_kinds(JobService& service) { service.register_kind(demo_kind()); }

}  // namespace cadenza::jobs

#include "cadenza/jobs/kinds.hpp"

#include <fmt/format.h>

#include "cadenza/core/error.hpp"

namespace cadenza::jobs {
namespace {

struct DemoPayload {
  int steps = 10;
  int step_ms = 100;
  int fail_at = -1;
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
  if (v.ok() && static_cast<long long>(d.steps) * d.step_ms > kDemoMaxTotalMs)
    v.fail("payload.steps", fmt::format("steps x stepMs must be at most {} ms ({} minutes)", kDemoMaxTotalMs,
                                        kDemoMaxTotalMs / 60000));
  v.throw_if_failed();
  return d;
}

}  // namespace

JobKind demo_kind() {
  JobKind k;
  k.name = "demo";
  k.lane = Lane::Batch;
  k.submittable = true;
  k.summary = "Takes `steps` steps of `stepMs` ms, reporting progress after each; fails at step `failAt` if given";
  k.run = [](JobContext& ctx) -> nlohmann::json {
    auto p = read_payload(ctx.payload());
    for (int i = 0; i < p.steps; ++i) {
      if (ctx.cancelled()) return {{"completedSteps", i}};
      if (i == p.fail_at) throw Error(ErrorKind::Unprocessable, fmt::format("demo job failed at step {} as asked", i));
      if (!ctx.sleep_for(std::chrono::milliseconds(p.step_ms))) return {{"completedSteps", i}};
      ctx.progress(static_cast<double>(i + 1) / p.steps, fmt::format("step {}/{}", i + 1, p.steps));
    }
    return {{"completedSteps", p.steps}};
  };
  k.validate = [](const nlohmann::json& payload) { read_payload(payload); };
  k.payload_schema = {
      {"type", "object"},
      {"properties",
       {{"steps", {{"type", "integer"}, {"minimum", 1}, {"maximum", kDemoMaxSteps}, {"default", 10}}},
        {"stepMs", {{"type", "integer"}, {"minimum", 0}, {"maximum", kDemoMaxStepMs}, {"default", 100}}},
        {"failAt", {{"type", "integer"}, {"minimum", -1}, {"maximum", kDemoMaxSteps}, {"default", -1}}}}},
      {"description", fmt::format("steps x stepMs at most {} ms", kDemoMaxTotalMs)}};
  k.result_schema = {{"type", "object"}, {"properties", {{"completedSteps", {{"type", "integer"}}}}}};
  return k;
}

void register_job_kinds(JobService& service) { service.register_kind(demo_kind()); }

}  // namespace cadenza::jobs

#include "cadenza/jobs/demo_kind.hpp"

#include <fmt/format.h>

#include <thread>

#include "cadenza/core/error.hpp"

namespace cadenza::jobs {

void register_demo_kind(JobService& service) {
  service.register_kind("demo", [](JobContext& ctx) -> nlohmann::json {
    const auto& p = ctx.payload();
    auto get = [&](const char* key, int dflt, int lo, int hi) {
      if (!p.contains(key)) return dflt;
      if (!p[key].is_number_integer() || p[key].get<long long>() < lo || p[key].get<long long>() > hi)
        throw Error(ErrorKind::BadRequest, fmt::format("payload.{} must be an integer in {}..{}", key, lo, hi));
      return p[key].get<int>();
    };
    int steps = get("steps", 10, 1, 10000);
    int step_ms = get("stepMs", 100, 0, 60000);
    int fail_at = get("failAt", -1, -1, 10000);
    for (int i = 0; i < steps; ++i) {
      if (ctx.cancelled()) return {{"completedSteps", i}};
      if (i == fail_at) throw Error(ErrorKind::Unprocessable, fmt::format("demo job failed at step {} as asked", i));
      std::this_thread::sleep_for(std::chrono::milliseconds(step_ms));
      ctx.progress(static_cast<double>(i + 1) / steps, fmt::format("step {}/{}", i + 1, steps));
    }
    return {{"completedSteps", steps}};
  });
}

}  // namespace cadenza::jobs

// GET /api/health, /api/version, /metrics, /api/openapi.json
#include <fmt/format.h>

#include <memory>

#include "cadenza/core/clock.hpp"
#include "cadenza/http/app.hpp"
#include "cadenza/http/openapi.hpp"

namespace cadenza::http {

void add_system_routes(App& app) {
  app.router.add("GET", "/api/health", [&app](Request&) {
    if (!app.ready) return Response::json(503, {{"status", "starting"}}).header("Retry-After", "1");
    auto stats = app.jobs.stats();
    return Response::json(200, {{"status", "ok"},
                                {"version", CADENZA_VERSION},
                                {"uptimeSeconds", (now_ms() - app.started_at_ms) / 1000},
                                {"queueDepth", stats.queue_depth},
                                {"workers", stats.workers}});
  }, {.access = Access::Public});

  app.router.add("GET", "/api/version", [](Request&) {
    return Response::json(200, {{"version", CADENZA_VERSION}, {"commit", CADENZA_COMMIT}});
  }, {.access = Access::Public});

  app.router.add("GET", "/metrics", [&app](Request&) {
    std::string out = app.metrics.render();
    auto stats = app.jobs.stats();
    out += "# HELP cadenza_jobs_queue_depth Jobs waiting in the in-memory queue.\n# TYPE cadenza_jobs_queue_depth gauge\n";
    out += fmt::format("cadenza_jobs_queue_depth {}\n", stats.queue_depth);
    out += "# HELP cadenza_jobs_workers_busy Workers running a job.\n# TYPE cadenza_jobs_workers_busy gauge\n";
    out += fmt::format("cadenza_jobs_workers_busy {}\n", stats.busy_workers);
    out += "# HELP cadenza_jobs_workers Size of the worker pool.\n# TYPE cadenza_jobs_workers gauge\n";
    out += fmt::format("cadenza_jobs_workers {}\n", stats.workers);
    out += "# HELP cadenza_jobs_lane_queue_depth Jobs waiting, per lane.\n# TYPE cadenza_jobs_lane_queue_depth gauge\n";
    for (const auto& l : stats.lanes)
      out += fmt::format("cadenza_jobs_lane_queue_depth{{lane=\"{}\"}} {}\n", jobs::to_string(l.lane), l.queue_depth);
    out += "# HELP cadenza_jobs_lane_workers_busy Workers running a job, per lane.\n# TYPE cadenza_jobs_lane_workers_busy gauge\n";
    for (const auto& l : stats.lanes)
      out += fmt::format("cadenza_jobs_lane_workers_busy{{lane=\"{}\"}} {}\n", jobs::to_string(l.lane), l.busy_workers);
    out += "# HELP cadenza_jobs_lane_workers Workers, per lane.\n# TYPE cadenza_jobs_lane_workers gauge\n";
    for (const auto& l : stats.lanes)
      out += fmt::format("cadenza_jobs_lane_workers{{lane=\"{}\"}} {}\n", jobs::to_string(l.lane), l.workers);
    out += "# HELP cadenza_jobs Jobs by kind and state, all tenants: queued and running now, finished ones since start.\n# TYPE cadenza_jobs gauge\n";
    for (const auto& [kind, states] : stats.jobs)
      for (const auto& [state, n] : states)
        out += fmt::format("cadenza_jobs{{kind=\"{}\",state=\"{}\"}} {}\n", prom_label(kind), state, n);
    return Response::text(200, std::move(out), "text/plain; version=0.0.4; charset=utf-8");
  }, {.access = Access::Public});
}

// After every other route: the document describes the route table.
void add_openapi_route(App& app) {
  auto body = std::make_shared<const std::string>(openapi_json(app).dump(1));
  app.router.add("GET", "/api/openapi.json", [body](Request&) {
    return Response::text(200, *body, "application/json");
  }, {.access = Access::Public});
}

}  // namespace cadenza::http

#include "cadenza/recommend/listen_retention.hpp"

#include <spdlog/spdlog.h>

#include "cadenza/core/clock.hpp"
#include "cadenza/store/listen_repo.hpp"

namespace cadenza::recommend {

ListenRetention::ListenRetention(store::TenantDbs& tenants, const config::RecommendConfig& config, Clock clock,
                                 std::chrono::milliseconds interval)
    : tenants_(tenants),
      ttl_ms_(static_cast<std::int64_t>(config.listen_ttl_days) * 86'400'000),
      clock_(clock ? std::move(clock) : Clock(now_ms)),
      task_("listens", interval, [this] { purge_now(); }) {}

ListenRetention::~ListenRetention() { stop(); }

void ListenRetention::start() { task_.start(); }

void ListenRetention::stop() { task_.stop(); }

std::int64_t ListenRetention::cutoff_ms() const { return clock_() - ttl_ms_; }

int ListenRetention::passes() const { return task_.passes(); }

std::int64_t ListenRetention::purge_now() {
  const auto cutoff = cutoff_ms();
  std::int64_t removed = 0;
  for (const auto& tenant : tenants_.existing()) {
    if (task_.stopping()) break;
    try {
      removed += store::listen_repo::purge_before(tenants_.get(tenant), cutoff);
    } catch (const std::exception& e) {  // one tenant's failure does not keep the others' history
      spdlog::warn("listens: purge of tenant {} failed: {}", tenant, e.what());
    }
  }
  if (removed > 0) spdlog::info("listens: purged {} listens older than {}", removed, iso8601(cutoff));
  return removed;
}

}  // namespace cadenza::recommend

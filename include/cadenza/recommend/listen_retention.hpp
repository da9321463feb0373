#pragma once
// ListenRetention: keeps listening histories to recommend.listen_ttl_days. One PeriodicTask (owned by
// http::Application): a pass as it starts, then one every interval; each pass deletes,
// in every tenant database, the listens that started more than ttl days before the clock's now
// (store::listen_repo::purge_before, in chunks of its own transactions).
#include <chrono>
#include <cstdint>
#include <functional>

#include "cadenza/config/config.hpp"
#include "cadenza/core/periodic.hpp"
#include "cadenza/store/tenant_dbs.hpp"

namespace cadenza::recommend {

class ListenRetention {
 public:
  using Clock = std::function<std::int64_t()>;  // epoch ms
  ListenRetention(store::TenantDbs& tenants, const config::RecommendConfig& config, Clock clock = {},
                  std::chrono::milliseconds interval = std::chrono::hours(1));
  ~ListenRetention();  // stop()
  ListenRetention(const ListenRetention&) = delete;
  ListenRetention& operator=(const ListenRetention&) = delete;

  void start();  // the thread: a pass now, then every interval
  void stop();   // idempotent; a pass in flight finishes its current chunk first
  // One pass over every tenant database; returns the listens removed.
  std::int64_t purge_now();
  // The cutoff of a pass now: listens that started before it go.
  std::int64_t cutoff_ms() const;
  // Passes the thread has finished (for tests).
  int passes() const;

 private:
  store::TenantDbs& tenants_;
  std::int64_t ttl_ms_;
  Clock clock_;
  PeriodicTask task_;
};

}  // namespace cadenza::recommend

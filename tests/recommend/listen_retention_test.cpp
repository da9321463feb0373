// Retention of listening histories: a pass removes, in every tenant database, what started more than ttl days
// before the (injected) clock's now; the thread passes as it starts and stops promptly.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "cadenza/core/ids.hpp"
#include "cadenza/recommend/listen_retention.hpp"
#include "cadenza/store/listen_repo.hpp"
#include "cadenza/store/tenant_dbs.hpp"
#include "cadenza/store/track_repo.hpp"
#include "support/temp_dir.hpp"
#include "support/track_fixture.hpp"

using namespace cadenza;

namespace {

constexpr std::int64_t kDay = 86'400'000;

// A tenant with one track and a listen of `profile` at each of `days` (days after the epoch).
std::string tenant_with(store::TenantDbs& tenants, const std::string& profile, const std::vector<int>& days) {
  auto id = new_uuid();
  auto& db = tenants.get(id);
  std::vector<store::Track> ts = {test::track("Abba", "SOS", 0.6, 120)};
  store::track_repo::upsert(db, ts);
  std::vector<store::Listen> ls;
  for (int d : days) {
    store::Listen l;
    l.track_id = ts[0].id;
    l.started_at = d * kDay;
    l.played_ms = 1000;
    ls.push_back(l);
  }
  store::listen_repo::insert(db, profile, ls);
  return id;
}

}  // namespace

TEST_CASE("listen retention: a pass purges what is older than ttl days in every tenant") {
  test::TempDir dir;
  store::TenantDbs tenants(dir.storage());
  auto alice = new_uuid(), bob = new_uuid();
  auto a = tenant_with(tenants, alice, {1, 10, 50, 99});
  auto b = tenant_with(tenants, bob, {5, 60, 100});
  std::atomic<std::int64_t> now{100 * kDay};
  config::RecommendConfig cfg;
  cfg.listen_ttl_days = 45;
  recommend::ListenRetention retention(tenants, cfg, [&] { return now.load(); });
  CHECK(retention.cutoff_ms() == 55 * kDay);
  CHECK(retention.purge_now() == 3 + 1);  // alice's days 1, 10, 50; bob's day 5
  CHECK(store::listen_repo::count(tenants.get(a), alice) == 1);
  CHECK(store::listen_repo::count(tenants.get(b), bob) == 2);
  CHECK(retention.purge_now() == 0);
  now = 146 * kDay;  // cutoff day 101: everything goes
  CHECK(retention.purge_now() == 3);
  CHECK(store::listen_repo::count(tenants.get(b), bob) == 0);
}

TEST_CASE("listen retention: the thread purges as it starts, then every interval; stop() ends it") {
  test::TempDir dir;
  store::TenantDbs tenants(dir.storage());
  auto alice = new_uuid();
  auto a = tenant_with(tenants, alice, {1, 2, 3});
  std::atomic<std::int64_t> now{2 * kDay + kDay / 2};
  config::RecommendConfig cfg;
  cfg.listen_ttl_days = 1;
  recommend::ListenRetention retention(tenants, cfg, [&] { return now.load(); }, std::chrono::milliseconds(20));
  auto wait_for = [&](auto done) {
    for (int i = 0; i < 500 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    return done();
  };
  retention.start();
  CHECK(wait_for([&] { return retention.passes() >= 1; }));
  CHECK(store::listen_repo::count(tenants.get(a), alice) == 2);  // day 1 went at start
  now = 3 * kDay + kDay / 2;
  CHECK(wait_for([&] { return store::listen_repo::count(tenants.get(a), alice) == 1; }));  // a later pass
  auto t0 = std::chrono::steady_clock::now();
  retention.stop();
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
  auto passes = retention.passes();
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  CHECK(retention.passes() == passes);
}

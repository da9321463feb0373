#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "cadenza/http/rate_limiter.hpp"

using namespace cadenza;
using namespace std::chrono_literals;
using http::RateLimiter;

namespace {
struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::seconds(1000)};
  RateLimiter::Clock fn() {
    return [this] { return now; };
  }
};

config::RateLimitConfig rates(int read_per_s, int read_burst, int write_per_s, int write_burst) {
  config::RateLimitConfig c;
  c.read_per_s = read_per_s;
  c.read_burst = read_burst;
  c.write_per_s = write_per_s;
  c.write_burst = write_burst;
  return c;
}
}  // namespace

TEST_CASE("rate limiter: a burst, then refusal with Retry-After, then refill") {
  FakeClock clock;
  RateLimiter rl(rates(2, 5, 1, 3), clock.fn());
  for (int i = 0; i < 5; ++i) {
    auto d = rl.take(RateLimiter::Kind::Read, "tok");
    REQUIRE(d);
    CHECK(d->allowed);
    CHECK(d->limit == 5);
    CHECK(d->remaining == 4 - i);
    // (i + 1) tokens missing at 2 per second
    CHECK(d->reset_s == (i + 2) / 2);
  }
  auto refused = rl.take(RateLimiter::Kind::Read, "tok");
  REQUIRE(refused);
  CHECK_FALSE(refused->allowed);
  CHECK(refused->remaining == 0);
  CHECK(refused->retry_after_s == 1);  // one token at 2/s: 0.5 s, rounded up
  CHECK(refused->reset_s == 3);        // 5 tokens at 2/s: 2.5 s, rounded up

  clock.now += 499ms;
  CHECK_FALSE(rl.take(RateLimiter::Kind::Read, "tok")->allowed);
  clock.now += 1ms;
  auto back = rl.take(RateLimiter::Kind::Read, "tok");
  CHECK(back->allowed);
  CHECK(back->remaining == 0);

  // Refill is capped at the burst.
  clock.now += 1h;
  auto full = rl.take(RateLimiter::Kind::Read, "tok");
  CHECK(full->remaining == 4);
  CHECK(full->reset_s == 1);
}

TEST_CASE("rate limiter: keys and kinds have separate buckets") {
  FakeClock clock;
  RateLimiter rl(rates(1, 2, 1, 1), clock.fn());
  CHECK(rl.take(RateLimiter::Kind::Write, "a")->allowed);
  auto w = rl.take(RateLimiter::Kind::Write, "a");
  CHECK_FALSE(w->allowed);
  CHECK(w->retry_after_s == 1);
  CHECK(rl.take(RateLimiter::Kind::Read, "a")->allowed);   // the read bucket is untouched
  CHECK(rl.take(RateLimiter::Kind::Write, "b")->allowed);  // another key too
  CHECK(rl.size() == 3);
}

TEST_CASE("rate limiter: Retry-After and RateLimit-Reset round up partial seconds") {
  FakeClock clock;
  RateLimiter rl(rates(1, 1, 1, 1), clock.fn());
  CHECK(rl.take(RateLimiter::Kind::Write, "x")->allowed);
  clock.now += 250ms;
  auto d = rl.take(RateLimiter::Kind::Write, "x");
  CHECK_FALSE(d->allowed);
  CHECK(d->retry_after_s == 1);  // 0.75 s
  CHECK(d->reset_s == 1);
  clock.now += 750ms;
  CHECK(rl.take(RateLimiter::Kind::Write, "x")->allowed);
}

TEST_CASE("rate limiter: 0 means unlimited") {
  FakeClock clock;
  RateLimiter rl(rates(0, 10, 5, 0), clock.fn());
  CHECK_FALSE(rl.limited(RateLimiter::Kind::Read));
  CHECK_FALSE(rl.limited(RateLimiter::Kind::Write));
  for (int i = 0; i < 1000; ++i) {
    CHECK_FALSE(rl.take(RateLimiter::Kind::Read, "k"));
    CHECK_FALSE(rl.take(RateLimiter::Kind::Write, "k"));
  }
  CHECK(rl.size() == 0);
}

TEST_CASE("rate limiter: memory stays bounded; idle full buckets are pruned first") {
  FakeClock clock;
  const std::size_t max_keys = 16 * 8;  // 8 per shard
  RateLimiter rl(rates(10, 2, 10, 2), clock.fn(), max_keys);
  // A drained bucket that must survive pruning of idle ones... while it is recent.
  for (int i = 0; i < 2; ++i) rl.take(RateLimiter::Kind::Read, "busy");
  for (int i = 0; i < 10000; ++i) {
    rl.take(RateLimiter::Kind::Read, "k" + std::to_string(i));
    CHECK(rl.size() <= max_keys);
  }
  // Idle keys refill (2 tokens at 10/s: 0.2 s) and are dropped as soon as a shard is full.
  clock.now += 1s;
  auto before = rl.size();
  for (int i = 0; i < 100; ++i) rl.take(RateLimiter::Kind::Read, "fresh" + std::to_string(i));
  CHECK(rl.size() <= max_keys);
  CHECK(rl.size() < before + 100);

  // Drained keys that are pruned come back full: pruning never refuses a request it should allow.
  FakeClock c2;
  RateLimiter small(rates(1, 1, 1, 1), c2.fn(), 16 * 4);
  CHECK(small.take(RateLimiter::Kind::Write, "victim")->allowed);
  CHECK_FALSE(small.take(RateLimiter::Kind::Write, "victim")->allowed);
  c2.now += 2s;  // victim is full again, so it is the kind of bucket pruning drops
  for (int i = 0; i < 1000; ++i) small.take(RateLimiter::Kind::Write, "other" + std::to_string(i));
  CHECK(small.size() <= 16 * 4);
  auto v = small.take(RateLimiter::Kind::Write, "victim");
  CHECK(v->allowed);
  CHECK(v->remaining == 0);
}

TEST_CASE("rate limiter: long keys (JWTs) get their own buckets too") {
  FakeClock clock;
  RateLimiter rl(rates(1, 1, 1, 1), clock.fn());
  std::string a(5000, 'a'), b(5000, 'a');
  b.back() = 'b';
  CHECK(rl.take(RateLimiter::Kind::Read, a)->allowed);
  CHECK_FALSE(rl.take(RateLimiter::Kind::Read, a)->allowed);
  CHECK(rl.take(RateLimiter::Kind::Read, b)->allowed);
  CHECK(rl.take(RateLimiter::Kind::Read, std::string(64, 'a'))->allowed);
}

TEST_CASE("rate limiter: failed authentications have their own per-minute bucket; available() only looks") {
  FakeClock clock;
  auto cfg = rates(100, 100, 100, 100);
  cfg.auth_failures_per_min = 6;  // one back every 10 s
  cfg.auth_failure_burst = 3;
  RateLimiter rl(cfg, clock.fn());
  CHECK(rl.available(RateLimiter::Kind::AuthFailure, "addr 1.2.3.4"));
  CHECK(rl.size() == 0);  // looking creates nothing
  for (int i = 0; i < 3; ++i) CHECK(rl.take(RateLimiter::Kind::AuthFailure, "addr 1.2.3.4")->allowed);
  CHECK_FALSE(rl.available(RateLimiter::Kind::AuthFailure, "addr 1.2.3.4"));
  auto refused = rl.take(RateLimiter::Kind::AuthFailure, "addr 1.2.3.4");
  CHECK_FALSE(refused->allowed);
  CHECK(refused->retry_after_s == 10);
  CHECK(rl.available(RateLimiter::Kind::AuthFailure, "addr 5.6.7.8"));  // per address
  CHECK(rl.available(RateLimiter::Kind::Write, "addr 1.2.3.4"));        // and apart from the write budget
  clock.now += 10s;
  CHECK(rl.available(RateLimiter::Kind::AuthFailure, "addr 1.2.3.4"));
}

#include <doctest/doctest.h>

#include <chrono>

#include "cadenza/http/login_throttle.hpp"

using cadenza::http::LoginThrottle;
using namespace std::chrono_literals;

namespace {
struct FakeClock {
  std::chrono::steady_clock::time_point now{std::chrono::hours(1)};
  LoginThrottle::Clock fn() {
    return [this] { return now; };
  }
};
}  // namespace

TEST_CASE("login throttle: free failures, then doubling waits capped at a minute, cleared by success") {
  FakeClock clock;
  LoginThrottle t(clock.fn());
  for (int i = 0; i < LoginThrottle::kFreeFailures - 1; ++i) {
    t.failed("acc");
    CHECK(t.wait_s("acc") == 0);
  }
  int expected[] = {1, 2, 4, 8, 16, 32, 60, 60, 60};
  for (int want : expected) {
    t.failed("acc");
    CHECK(t.wait_s("acc") == want);
    CHECK(t.wait_s("other") == 0);
    clock.now += std::chrono::seconds(want);  // the next try comes when allowed
    CHECK(t.wait_s("acc") == 0);
  }
  t.succeeded("acc");
  t.failed("acc");
  CHECK(t.wait_s("acc") == 0);  // the count started again
}

TEST_CASE("login throttle: a lock never outlasts the cap, and quiet accounts are forgotten") {
  FakeClock clock;
  LoginThrottle t(clock.fn());
  for (int i = 0; i < 50; ++i) t.failed("acc");
  CHECK(t.wait_s("acc") == 60);
  clock.now += LoginThrottle::kMaxDelay;
  CHECK(t.wait_s("acc") == 0);
  clock.now += LoginThrottle::kForget;
  t.failed("acc");  // the first failure after a quiet spell
  CHECK(t.wait_s("acc") == 0);
}

TEST_CASE("login throttle: bounded memory") {
  FakeClock clock;
  LoginThrottle t(clock.fn(), 16);
  for (int i = 0; i < 6; ++i) t.failed("victim");
  for (int i = 0; i < 1000; ++i) {
    clock.now += 1ms;
    t.failed("junk" + std::to_string(i));
  }
  CHECK(t.wait_s("junk999") == 0);  // kept (one failure: no wait), and nothing crashed or grew unbounded
}

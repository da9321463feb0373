#include <doctest/doctest.h>

#include <atomic>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cadenza/jobs/event_bus.hpp"

using namespace cadenza;
using jobs::EventBus;
using jobs::JobEvent;

TEST_CASE("event bus: subscribe, publish, unsubscribe") {
  EventBus bus;
  std::vector<std::string> seen;
  auto id = bus.subscribe([&](const JobEvent& e) { seen.push_back(e.type + ":" + e.job.id); });
  CHECK(bus.subscriber_count() == 1);
  JobEvent ev{"job.state", {}};
  ev.job.id = "j1";
  bus.publish(ev);
  ev.type = "job.progress";
  bus.publish(ev);
  bus.unsubscribe(id);
  bus.publish(ev);
  CHECK(seen == std::vector<std::string>{"job.state:j1", "job.progress:j1"});
  CHECK(bus.subscriber_count() == 0);
  bus.unsubscribe(12345);  // unknown id: no-op
}

TEST_CASE("event bus: a throwing subscriber does not stop the others") {
  EventBus bus;
  int calls = 0;
  bus.subscribe([](const JobEvent&) { throw std::runtime_error("boom"); });
  bus.subscribe([&](const JobEvent&) { ++calls; });
  CHECK_NOTHROW(bus.publish(JobEvent{"job.state", {}}));
  CHECK(calls == 1);
}

TEST_CASE("event bus: a handler may unsubscribe itself while being called") {
  EventBus bus;
  int calls = 0;
  std::uint64_t id = 0;
  id = bus.subscribe([&](const JobEvent&) {
    ++calls;
    bus.unsubscribe(id);
  });
  bus.publish(JobEvent{"job.state", {}});
  bus.publish(JobEvent{"job.state", {}});
  CHECK(calls == 1);
}

TEST_CASE("event bus: publishing from many threads while subscribers come and go") {
  EventBus bus;
  std::atomic<long> received{0};
  bus.subscribe([&](const JobEvent&) { received.fetch_add(1, std::memory_order_relaxed); });
  constexpr int kThreads = 8, kEach = 2000;
  std::atomic<bool> done{false};
  std::thread churn([&] {
    while (!done) {
      auto id = bus.subscribe([](const JobEvent&) {});
      bus.unsubscribe(id);
    }
  });
  std::vector<std::thread> publishers;
  for (int t = 0; t < kThreads; ++t)
    publishers.emplace_back([&] {
      JobEvent ev{"job.progress", {}};
      for (int i = 0; i < kEach; ++i) bus.publish(ev);
    });
  for (auto& t : publishers) t.join();
  done = true;
  churn.join();
  CHECK(received.load() == long{kThreads} * kEach);
  CHECK(bus.subscriber_count() == 1);
}

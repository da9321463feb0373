#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cadenza/jobs/job_queue.hpp"

using cadenza::jobs::JobQueue;
using cadenza::jobs::QueuedJob;

namespace {

QueuedJob job(const std::string& id, const std::string& owner, int priority = 0, const std::string& tenant = "t1") {
  return QueuedJob{id, tenant, owner, "test", priority};
}

std::vector<std::string> drain(JobQueue& q) {
  std::vector<std::string> ids;
  while (auto j = q.pop()) ids.push_back(j->id);
  return ids;
}

}  // namespace

TEST_CASE("job queue: higher priority first, FIFO within an owner") {
  JobQueue q(100);
  CHECK(q.empty());
  CHECK_FALSE(q.pop().has_value());
  q.push(job("a1", "alice", 0));
  q.push(job("a2", "alice", 0));
  q.push(job("h1", "alice", 5));
  q.push(job("l1", "alice", -3));
  q.push(job("a3", "alice", 0));
  q.push(job("h2", "alice", 5));
  CHECK(q.size() == 6);
  CHECK(drain(q) == std::vector<std::string>{"h1", "h2", "a1", "a2", "a3", "l1"});
  CHECK(q.empty());
}

TEST_CASE("job queue: round-robin across owners within a priority") {
  JobQueue q(1000);
  for (int i = 0; i < 100; ++i) q.push(job("a" + std::to_string(i), "alice"));
  q.push(job("b0", "bob"));
  auto first = q.pop();
  auto second = q.pop();
  REQUIRE(first);
  REQUIRE(second);
  CHECK(first->id == "a0");
  CHECK(second->id == "b0");  // not 101st
  CHECK(q.pop()->id == "a1");
  CHECK(q.size() == 98);

  JobQueue r(100);
  r.push(job("a0", "alice"));
  r.push(job("a1", "alice"));
  r.push(job("a2", "alice"));
  r.push(job("b0", "bob"));
  r.push(job("b1", "bob"));
  r.push(job("c0", "carol"));
  CHECK(drain(r) == std::vector<std::string>{"a0", "b0", "c0", "a1", "b1", "a2"});
}

TEST_CASE("job queue: owners are per tenant and priority beats fairness") {
  JobQueue q(100);
  q.push(job("x0", "same", 0, "t1"));
  q.push(job("x1", "same", 0, "t1"));
  q.push(job("y0", "same", 0, "t2"));
  q.push(job("lo", "bob", -1));
  q.push(job("hi", "bob", 1));
  CHECK(q.count_for("t1", "same") == 2);
  CHECK(q.count_for("t2", "same") == 1);
  CHECK(q.count_for("t1", "nobody") == 0);
  CHECK(drain(q) == std::vector<std::string>{"hi", "x0", "y0", "x1", "lo"});
  CHECK(q.count_for("t1", "same") == 0);
}

TEST_CASE("job queue: capacity") {
  JobQueue q(3);
  CHECK(q.capacity() == 3);
  CHECK(q.push(job("1", "a")));
  CHECK(q.push(job("2", "b")));
  CHECK(q.push(job("3", "c")));
  CHECK(q.full());
  CHECK_FALSE(q.push(job("4", "d")));
  CHECK(q.size() == 3);
  q.push_unbounded(job("5", "e"));  // recovery ignores capacity
  CHECK(q.size() == 4);
  q.pop();
  q.pop();
  CHECK(q.push(job("6", "f")));
}

TEST_CASE("job queue: remove keeps the remaining order and counts") {
  JobQueue q(100);
  q.push(job("a0", "alice"));
  q.push(job("a1", "alice"));
  q.push(job("b0", "bob"));
  q.push(job("c0", "carol", 2));
  CHECK(q.contains("b0"));
  CHECK(q.remove("b0"));
  CHECK_FALSE(q.contains("b0"));
  CHECK_FALSE(q.remove("b0"));
  CHECK_FALSE(q.remove("nope"));
  CHECK(q.remove("c0"));  // its priority level disappears
  CHECK(q.remove("a0"));
  CHECK(q.count_for("t1", "alice") == 1);
  CHECK(q.count_for("t1", "bob") == 0);
  q.push(job("b1", "bob"));
  CHECK(drain(q) == std::vector<std::string>{"a1", "b1"});
}

TEST_CASE("job queue: pushing a queued id twice keeps one entry; counts by kind") {
  JobQueue q(10);
  q.push(job("a0", "alice"));
  q.push(job("a0", "alice"));
  q.push(QueuedJob{"g", "t1", "bob", "generate", 0});
  CHECK(q.size() == 2);
  auto kinds = q.count_by_kind();
  CHECK(kinds["test"] == 1);
  CHECK(kinds["generate"] == 1);
}

#pragma once
// JobQueue: the in-memory order in which queued jobs reach the workers.
//
//   1. highest priority first;
//   2. within one priority, round-robin across owners (an owner that arrives while another has a
//      burst queued is served next-but-one, not after the whole burst);
//   3. within one owner and priority, first in, first out.
//
// An owner is the pair (tenant_id, owner_id). Not thread-safe: JobService guards it with its mutex.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

namespace cadenza::jobs {

struct QueuedJob {
  std::string id, tenant_id, owner_id, kind;
  int priority = 0;
};

class JobQueue {
 public:
  explicit JobQueue(std::size_t capacity);

  // Adds job; false (and nothing added) when the queue holds capacity() jobs already.
  bool push(QueuedJob job);
  // Adds job even past capacity (jobs recovered at start-up were accepted earlier).
  void push_unbounded(QueuedJob job);
  // Takes the next job in the order above; nullopt when empty.
  std::optional<QueuedJob> pop();
  // Removes the job with this id; false when it is not queued.
  bool remove(const std::string& job_id);
  bool contains(const std::string& job_id) const { return index_.count(job_id) > 0; }

  std::size_t size() const { return index_.size(); }
  bool empty() const { return index_.empty(); }
  std::size_t capacity() const { return capacity_; }
  bool full() const { return index_.size() >= capacity_; }
  // Jobs queued by one owner, across priorities.
  std::size_t count_for(const std::string& tenant_id, const std::string& owner_id) const;
  // Queued jobs per kind.
  std::map<std::string, std::size_t> count_by_kind() const;

 private:
  using OwnerKey = std::pair<std::string, std::string>;  // (tenant_id, owner_id)
  struct OwnerKeyHash {
    std::size_t operator()(const OwnerKey& k) const noexcept;
  };
  // All jobs of one priority: owners in service order, each with its FIFO of jobs.
  struct Level {
    std::deque<OwnerKey> rotation;
    std::unordered_map<OwnerKey, std::deque<QueuedJob>, OwnerKeyHash> fifo;
  };

  void insert(QueuedJob job);

  std::size_t capacity_;
  std::map<int, Level, std::greater<int>> levels_;          // highest priority first
  std::unordered_map<std::string, int> index_;               // job id -> priority
  std::unordered_map<OwnerKey, std::size_t, OwnerKeyHash> per_owner_;
};

}  // namespace cadenza::jobs

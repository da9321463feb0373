#include "cadenza/jobs/job_queue.hpp"

#include <algorithm>

namespace cadenza::jobs {

std::size_t JobQueue::OwnerKeyHash::operator()(const OwnerKey& k) const noexcept {
  std::size_t h = std::hash<std::string>{}(k.first);
  return h ^ (std::hash<std::string>{}(k.second) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2));
}

JobQueue::JobQueue(std::size_t capacity) : capacity_(capacity) {}

bool JobQueue::push(QueuedJob job) {
  if (full()) return false;
  insert(std::move(job));
  return true;
}

void JobQueue::push_unbounded(QueuedJob job) { insert(std::move(job)); }

void JobQueue::insert(QueuedJob job) {
  if (index_.count(job.id)) return;  // already queued: pushing twice must not run it twice
  OwnerKey owner{job.tenant_id, job.owner_id};
  Level& level = levels_[job.priority];
  auto& fifo = level.fifo[owner];
  if (fifo.empty()) level.rotation.push_back(owner);
  index_.emplace(job.id, job.priority);
  ++per_owner_[owner];
  fifo.push_back(std::move(job));
}

std::optional<QueuedJob> JobQueue::pop() {
  if (levels_.empty()) return std::nullopt;
  auto level_it = levels_.begin();
  Level& level = level_it->second;
  OwnerKey owner = std::move(level.rotation.front());
  level.rotation.pop_front();
  auto fifo_it = level.fifo.find(owner);
  QueuedJob job = std::move(fifo_it->second.front());
  fifo_it->second.pop_front();
  if (fifo_it->second.empty()) {
    level.fifo.erase(fifo_it);
  } else {
    level.rotation.push_back(owner);  // served once: to the back of the line
  }
  if (level.rotation.empty()) levels_.erase(level_it);
  index_.erase(job.id);
  if (--per_owner_[owner] == 0) per_owner_.erase(owner);
  return job;
}

bool JobQueue::remove(const std::string& job_id) {
  auto idx = index_.find(job_id);
  if (idx == index_.end()) return false;
  auto level_it = levels_.find(idx->second);
  Level& level = level_it->second;
  for (auto fifo_it = level.fifo.begin(); fifo_it != level.fifo.end(); ++fifo_it) {
    auto& fifo = fifo_it->second;
    auto job_it = std::find_if(fifo.begin(), fifo.end(), [&](const QueuedJob& j) { return j.id == job_id; });
    if (job_it == fifo.end()) continue;
    OwnerKey owner = fifo_it->first;
    fifo.erase(job_it);
    if (fifo.empty()) {
      level.fifo.erase(fifo_it);
      level.rotation.erase(std::find(level.rotation.begin(), level.rotation.end(), owner));
      if (level.rotation.empty()) levels_.erase(level_it);
    }
    index_.erase(idx);
    if (--per_owner_[owner] == 0) per_owner_.erase(owner);
    return true;
  }
  return false;
}

std::size_t JobQueue::count_for(const std::string& tenant_id, const std::string& owner_id) const {
  auto it = per_owner_.find(OwnerKey{tenant_id, owner_id});
  return it == per_owner_.end() ? 0 : it->second;
}

std::map<std::string, std::size_t> JobQueue::count_by_kind() const {
  std::map<std::string, std::size_t> counts;
  for (const auto& [priority, level] : levels_)
    for (const auto& [owner, fifo] : level.fifo)
      for (const auto& job : fifo) ++counts[job.kind];
  return counts;
}

}  // namespace cadenza::jobs

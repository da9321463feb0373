#include "cadenza/jobs/event_bus.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace cadenza::jobs {

std::uint64_t EventBus::subscribe(Handler handler) {
  auto shared = std::make_shared<const Handler>(std::move(handler));
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<List>(*subscribers_);
  std::uint64_t id = next_id_++;
  next->emplace_back(id, std::move(shared));
  subscribers_ = std::move(next);
  return id;
}

void EventBus::unsubscribe(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto next = std::make_shared<List>();
  next->reserve(subscribers_->size());
  for (const auto& entry : *subscribers_)
    if (entry.first != id) next->push_back(entry);
  subscribers_ = std::move(next);
}

void EventBus::publish(const JobEvent& event) {
  std::shared_ptr<const List> snapshot;
  {
    std::lock_guard lock(mutex_);
    snapshot = subscribers_;
  }
  for (const auto& [id, handler] : *snapshot) {
    try {
      (*handler)(event);
    } catch (const std::exception& e) {
      spdlog::error("jobs: event subscriber {} threw on {} for job {}: {}", id, event.type, event.job.id, e.what());
    } catch (...) {
      spdlog::error("jobs: event subscriber {} threw on {} for job {}", id, event.type, event.job.id);
    }
  }
}

std::size_t EventBus::subscriber_count() const {
  std::lock_guard lock(mutex_);
  return subscribers_->size();
}

}  // namespace cadenza::jobs

#include "cadenza/core/periodic.hpp"

#include <spdlog/spdlog.h>

namespace cadenza {

PeriodicTask::PeriodicTask(std::string name, std::chrono::milliseconds interval, std::function<void()> pass)
    : name_(std::move(name)), interval_(interval), pass_(std::move(pass)) {}

PeriodicTask::~PeriodicTask() { stop(); }

void PeriodicTask::start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { loop(); });
}

void PeriodicTask::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool PeriodicTask::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

int PeriodicTask::passes() const {
  std::lock_guard lock(mu_);
  return passes_;
}

void PeriodicTask::loop() {
  for (;;) {
    try {
      pass_();
    } catch (const std::exception& e) {
      spdlog::warn("{}: pass failed: {}", name_, e.what());
    }
    std::unique_lock lock(mu_);
    ++passes_;
    cv_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) return;
  }
}

}  // namespace cadenza

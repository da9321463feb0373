#include "cadenza/http/login_throttle.hpp"

#include <algorithm>
#include <cmath>

namespace cadenza::http {

LoginThrottle::LoginThrottle(Clock clock, std::size_t max_entries)
    : clock_(clock ? std::move(clock) : Clock([] { return std::chrono::steady_clock::now(); })),
      max_entries_(std::max<std::size_t>(16, max_entries)) {}

int LoginThrottle::wait_s(const std::string& key) {
  auto now = clock_();
  std::lock_guard lock(mu_);
  auto it = entries_.find(key);
  if (it == entries_.end()) return 0;
  if (now - it->second.last_failure >= kForget) {
    entries_.erase(it);
    return 0;
  }
  if (it->second.next_allowed <= now) return 0;
  return static_cast<int>(std::ceil(std::chrono::duration<double>(it->second.next_allowed - now).count()));
}

void LoginThrottle::failed(const std::string& key) {
  auto now = clock_();
  std::lock_guard lock(mu_);
  if (entries_.size() >= max_entries_ && !entries_.count(key)) {
    // Forgotten entries first; still full: the one whose last failure is oldest.
    for (auto i = entries_.begin(); i != entries_.end();) i = now - i->second.last_failure >= kForget ? entries_.erase(i) : std::next(i);
    if (entries_.size() >= max_entries_)
      entries_.erase(std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
        return a.second.last_failure < b.second.last_failure;
      }));
  }
  auto& e = entries_[key];
  if (e.failures > 0 && now - e.last_failure >= kForget) e = Entry{};
  e.failures = std::min(e.failures + 1, 1000);
  e.last_failure = now;
  if (e.failures >= kFreeFailures) {
    auto exp = std::min(e.failures - kFreeFailures, 6);  // 2^6 s already exceeds kMaxDelay
    e.next_allowed = now + std::min<std::chrono::steady_clock::duration>(std::chrono::seconds(1LL << exp), kMaxDelay);
  }
}

void LoginThrottle::succeeded(const std::string& key) {
  std::lock_guard lock(mu_);
  entries_.erase(key);
}

}  // namespace cadenza::http

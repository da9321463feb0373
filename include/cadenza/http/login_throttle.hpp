#pragma once
// LoginThrottle: per-account back-off after failed log-ins. The first kFreeFailures failures in a row cost
// nothing; after that each attempt must wait 2^(failures - kFreeFailures) seconds, at most kMaxDelay, so a
// guesser gets about one try a minute per account whatever its addresses, and the account's owner is never
// locked out for longer than kMaxDelay. A successful log-in, or kForget without a failure, clears the count.
// Keyed by what identifies the account (its id, or the lower-cased login for unknown names, so unknown and
// known names behave the same). In memory, bounded: a restart forgets.
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <unordered_map>

namespace cadenza::http {

class LoginThrottle {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  static constexpr int kFreeFailures = 5;
  static constexpr std::chrono::seconds kMaxDelay{60};
  static constexpr std::chrono::minutes kForget{15};

  LoginThrottle() : LoginThrottle(Clock{}) {}
  explicit LoginThrottle(Clock clock, std::size_t max_entries = 100000);

  // Whole seconds (rounded up) until `key` may try again; 0 = now.
  int wait_s(const std::string& key);
  void failed(const std::string& key);
  void succeeded(const std::string& key);

 private:
  struct Entry {
    int failures = 0;
    std::chrono::steady_clock::time_point last_failure, next_allowed;
  };
  Clock clock_;
  std::size_t max_entries_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace cadenza::http

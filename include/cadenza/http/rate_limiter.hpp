#pragma once
// RateLimiter: token buckets keyed by a string (a credential, or a client address), one family for reads
// (GET/HEAD) and one for writes. Buckets start full (`burst` tokens) and refill continuously at `per_s`
// tokens per second. Buckets live in a sharded map; when a shard grows past its bound, buckets that are
// full again (idle long enough to be indistinguishable from new ones) are dropped, then the least
// recently used, so memory stays bounded whatever keys clients send.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>

#include "cadenza/config/config.hpp"

namespace cadenza::http {

struct RateLimitDecision {
  bool allowed = true;
  int limit = 0;            // the bucket's burst (RateLimit-Limit)
  int remaining = 0;        // whole tokens left after this request (RateLimit-Remaining)
  int reset_s = 0;          // seconds until the bucket is full again, rounded up (RateLimit-Reset)
  int retry_after_s = 0;    // when refused: seconds until one token is back, rounded up, >= 1 (Retry-After)
};

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // Read: GET/HEAD per credential. Write: other methods per credential, or per address when public.
  // AuthFailure: failed authentications per client address (ratelimit.auth_failures_per_min).
  enum class Kind { Read, Write, AuthFailure };

  // per_s or burst 0 for a kind: that kind is unlimited. `clock` defaults to steady_clock::now (tests pass
  // a fake). `max_keys` bounds the number of buckets kept (over all shards, both kinds).
  explicit RateLimiter(const config::RateLimitConfig& cfg, Clock clock = {}, std::size_t max_keys = 200000);
  ~RateLimiter();
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  // Takes one token from the (kind, key) bucket; nullopt when that kind is unlimited.
  std::optional<RateLimitDecision> take(Kind kind, std::string_view key);
  // Whether the (kind, key) bucket has a token left, without taking one or creating the bucket.
  bool available(Kind kind, std::string_view key) const;
  // Whether `kind` is limited at all.
  bool limited(Kind kind) const;
  // Buckets currently held (for tests and metrics).
  std::size_t size() const;

  static constexpr std::size_t kShards = 16;
  static constexpr std::size_t kMaxKeyBytes = 64;  // longer keys are stored as a 64-bit digest

 private:
  struct Shard;
  struct Rate {
    double per_s = 0;
    double burst = 0;
  };
  const Rate& rate(Kind kind) const;
  static char letter(Kind kind);
  std::string bucket_key(Kind kind, std::string_view key) const;
  Rate read_, write_, auth_failure_;
  Clock clock_;
  std::size_t max_per_shard_;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace cadenza::http
